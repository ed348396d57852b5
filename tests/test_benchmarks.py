"""The benchmarks keep working: each runs in its quick mode (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module", ["linear_time", "run", "concurrency", "latency"])
def test_benchmark_quick_mode(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "|" in result.stdout  # a Markdown table came out
