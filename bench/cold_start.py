"""Cold start: how long a fresh Python process takes to import the app, beside reference imports
measured in the same run (the machine is shared and noisy: compare the ratios)."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7

SNIPPETS = {
    "python": "pass",
    "chalice_boto3": "import chalice, boto3",
    "app": "import app",
}
PROBE = "import time; t = time.perf_counter(); {code}; print((time.perf_counter() - t) * 1000)"


def _median_ms(code: str) -> float:
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(code=code)], cwd=ROOT, capture_output=True, text=True, check=True
        )
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def measure() -> dict[str, Any]:
    medians = {name: round(_median_ms(code), 1) for name, code in SNIPPETS.items()}
    return {
        "cold_start_import_ms": medians["app"],
        "cold_start_reference_chalice_boto3_ms": medians["chalice_boto3"],
        "cold_start_ratio_vs_chalice_boto3": round(medians["app"] / medians["chalice_boto3"], 2),
    }


if __name__ == "__main__":
    print(measure())
