"""Every benchmark script still runs against the current API, at a tiny size (timings are not judged here).

`make bench` is not part of the suite (its timings depend on the machine), so without this a renamed argument
breaks a benchmark unnoticed; each script runs here once, as `make bench` runs it, and must write its rows.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
RUN_ALL_SCRIPTS = {"bench_core.py", "bench_torch.py", "bench_keras.py", "bench_optax.py", "bench_range_test.py",
                   "bench_history.py"}
TINY = {
    "bench_core.py": ["--rounds", "1"],
    "bench_torch.py": ["--steps", "20", "--rounds", "1"],
    "bench_keras.py": ["--batches", "4", "--rounds", "1", "--spe", "1"],
    "bench_optax.py": ["--rounds", "1"],
    "bench_range_test.py": ["--rounds", "1"],
    "bench_history.py": ["--steps", "2000", "--load-steps", "4000"],
}


def test_every_benchmark_that_make_bench_runs_is_checked_here():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from run_all import SCRIPTS
    finally:
        sys.path.remove(str(BENCHMARKS))
    assert {script for script, _ in SCRIPTS} == RUN_ALL_SCRIPTS == set(TINY)


@pytest.mark.parametrize("script", sorted(TINY))
def test_the_benchmark_runs_and_writes_its_rows(script, tmp_path):
    output = tmp_path / "rows.json"
    completed = subprocess.run([sys.executable, str(BENCHMARKS / script), *TINY[script], "--json", str(output)],
                               cwd=BENCHMARKS, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    rows = json.loads(output.read_text())["rows"]
    assert rows and all({"name", "ratio", "target", "met"} <= set(row) for row in rows)
