"""The CDK app: one stack per stage (``dev`` and ``prod`` unless ``-c stages=...``).

    make synth OUT=dir                      # or: CDK_OUTDIR=dir python infra/app.py
    cdk deploy --app "python infra/app.py" -c stages=dev tawasul-dev

Synthesis is offline and needs no AWS credentials: the Chalice construct runs ``chalice package``
(which downloads Lambda wheels from the package index) and the stacks are environment-agnostic
unless ``CDK_DEFAULT_ACCOUNT``/``CDK_DEFAULT_REGION`` are set (the CDK CLI sets them).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
# Chalice imports the application as the module ``app``: the project root must come before this
# directory on sys.path, or it would import this file instead.
sys.path[:0] = [str(ROOT)] + ([] if str(INFRA) in sys.path else [str(INFRA)])
for _warning in ("DEPRECATED", "END_OF_LIFE", "UNTESTED"):  # node 20 works (the value lists majors)
    os.environ.setdefault(f"JSII_SILENCE_WARNING_{_warning}_NODE_VERSION", "20")
# `chalice package` wants a region for its boto session; nothing region-specific ends up in the
# template (the stacks use AWS::Region).
os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION", "us-east-1"))

import aws_cdk as cdk  # noqa: E402
from tawasul_infra.stack import StackSettings, TawasulStack  # noqa: E402


def main() -> None:
    outdir = os.environ.get("CDK_OUTDIR")
    app = cdk.App(outdir=str(Path(outdir).resolve()) if outdir else None)
    source_dir = Path(app.node.try_get_context("source_dir") or ROOT).resolve()
    # The Chalice construct packages into ./chalice.out; keep that inside infra/ and start clean.
    os.chdir(INFRA)
    shutil.rmtree(INFRA / "chalice.out", ignore_errors=True)
    stages = [s for s in str(app.node.try_get_context("stages") or "dev,prod").split(",") if s]
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    env = cdk.Environment(account=account, region=region) if account and region else None
    for stage in stages:
        # Chalice imports the app with the stage's environment variables, and app.py reads the
        # import queue's name then: a fresh import per stage (routes register at import, so the
        # app's own modules go too), or the previous stage's names would leak into this one.
        for name in [m for m in sys.modules if m == "app" or m.startswith("chalicelib.api")]:
            del sys.modules[name]
        TawasulStack(
            app,
            stage,  # Chalice takes its stage name from the stack's construct id.
            stack_name=f"tawasul-{stage}",
            env=env,
            settings=StackSettings.from_context(app, stage=stage, source_dir=source_dir),
        )
    app.synth()


if __name__ == "__main__":
    main()
