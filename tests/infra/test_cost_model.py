"""The cost table in docs/deploy.md is the output of infra/cost_model.py, not hand-edited."""

from __future__ import annotations

import importlib.util
import sys

from tests.infra.conftest import ROOT


def load_cost_model():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("cost_model", ROOT / "infra" / "cost_model.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_docs_show_the_model_output() -> None:
    assert load_cost_model().table() in (ROOT / "docs" / "deploy.md").read_text()


def test_cost_grows_with_the_team_but_not_per_rep() -> None:
    model = load_cost_model()
    totals = {r: sum(v for k, v in model.monthly_cost(r).items() if not k.startswith("_")) for r in (10, 100, 1000)}
    assert totals[10] < totals[100] < totals[1000]
    assert totals[1000] / 1000 < totals[10] / 10  # fixed costs amortise
