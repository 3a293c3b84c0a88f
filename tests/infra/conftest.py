"""Infra tests: synthesise the CDK app once per session (in a subprocess: Chalice's packager
loads app.py with the stage's environment variables into os.environ) and assert on the templates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_APP = Path(__file__).resolve().parent / "fixture_app"


@dataclass
class Template:
    path: Path
    body: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.body["Resources"]

    def of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == type_}

    def one(self, type_: str) -> tuple[str, dict[str, Any]]:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
        return next(iter(found.items()))

    def statements(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.of_type("AWS::IAM::Policy").items():
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                yield logical_id, statement


def synth(outdir: Path, context: dict[str, str]) -> dict[str, Template]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TAWASUL_", "CDK_"))}
    env.update(CDK_OUTDIR=str(outdir), CDK_CONTEXT_JSON=json.dumps(context))
    result = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "app.py")], env=env, capture_output=True, text=True, timeout=280
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {p.name.split(".")[0]: Template(p, json.loads(p.read_text())) for p in outdir.glob("*.template.json")}


@pytest.fixture(scope="session")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Template]:
    """The real app, both cloud stages."""
    return synth(tmp_path_factory.mktemp("cdk"), {"stages": "dev,prod"})


@pytest.fixture(scope="session")
def dev(stacks: dict[str, Template]) -> Template:
    return stacks["dev"]


@pytest.fixture(scope="session")
def fixture_stack(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The stack around a stand-in app with a route, a schedule and an SQS consumer."""
    return synth(tmp_path_factory.mktemp("cdk-fixture"), {"stages": "dev", "source_dir": str(FIXTURE_APP)})["dev"]
