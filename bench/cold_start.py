"""Cold start: the wall time of a fresh ``python -c "import app"`` over that of a process importing only
the libraries the app is built on, measured in the same run with the two alternating (the machine
is shared and noisy: only the ratio means something).

    python -m bench.cold_start [--runs 11] [--out bench/results.json]

``cold_import_ratio`` = median(app) / median(libraries). The app's own modules should cost little
beside the libraries: anything heavy that only some requests use (PyJWT and cryptography, phone
metadata, charset detection, the CSV import service) is imported where it is used.

Routes import their service on first call (chalicelib/api/lazy.py), so ``import app`` no longer
loads PynamoDB's connection and the botocore client stack under it: ``cold_import_ratio`` leaves out
what the first DynamoDB request then loads. ``cold_first_route_ratio`` counts it: ``import app``
plus the accounts service (its persistence, PynamoDB's models and connection) over the same
libraries, in the same alternating runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 11

APP = "import app"
LIBRARIES = "import chalice, boto3, pynamodb, aws_lambda_powertools, pydantic"
FIRST_ROUTE = "import app, chalicelib.services.accounts"


def _wall_ms(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True)
    return (time.perf_counter() - started) * 1000


def measure(runs: int = RUNS) -> dict[str, Any]:
    # The libraries' bytecode was compiled when pip installed them; compile ours too, or a
    # PYTHONDONTWRITEBYTECODE environment recompiles every module of the app in every process.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "app.py", "chalicelib"], cwd=ROOT, check=True)
    _wall_ms(APP)  # warm the file cache and the bytecode of both
    _wall_ms(LIBRARIES)
    _wall_ms(FIRST_ROUTE)
    app_ms: list[float] = []
    libraries_ms: list[float] = []
    first_route_ms: list[float] = []
    for _ in range(runs):
        app_ms.append(_wall_ms(APP))
        libraries_ms.append(_wall_ms(LIBRARIES))
        first_route_ms.append(_wall_ms(FIRST_ROUTE))
    app_median, libraries_median = statistics.median(app_ms), statistics.median(libraries_ms)
    first_route_median = statistics.median(first_route_ms)
    return {
        "cold_import_ratio": round(app_median / libraries_median, 2),
        "cold_import_app_ms": round(app_median, 1),
        "cold_import_libraries_ms": round(libraries_median, 1),
        "cold_first_route_ratio": round(first_route_median / libraries_median, 2),
        "cold_first_route_ms": round(first_route_median, 1),
        "cold_import_runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    from bench.local_stack import merge_into

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    figures = measure(args.runs)
    merge_into(Path(args.out), figures)
    for key, value in figures.items():
        sys.stdout.write(f"{key:28} {value}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
