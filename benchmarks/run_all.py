"""`make bench`: every speed comparison, each in its own process, then one table of ratios.

Each benchmark script prints its own details and writes its rows as JSON; this collects them into one
table and into `benchmarks/results.json` (or ``--json PATH``), so versions can be compared. Absolute times
vary across machines; the ratios, measured side by side in one process, are what the targets are about.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (script, extra environment): the Keras callback is timed on each backend it supports.
SCRIPTS = [("bench_core.py", {}), ("bench_torch.py", {}), ("bench_keras.py", {"KERAS_BACKEND": "tensorflow"}),
           ("bench_keras.py", {"KERAS_BACKEND": "torch"}), ("bench_optax.py", {}),
           ("bench_range_test.py", {}), ("bench_history.py", {})]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(HERE / "results.json"), help="where to write all results")
    arguments = parser.parse_args()
    results, failed = {}, []
    with tempfile.TemporaryDirectory() as folder:
        for script, environment in SCRIPTS:
            name = " ".join([script, *environment.values()])
            output = Path(folder) / f"{name.replace(' ', '-')}.json"
            print(f"\n=== {name}", flush=True)
            completed = subprocess.run([sys.executable, str(HERE / script), "--json", str(output)], cwd=HERE,
                                       env={**os.environ, **environment})
            if completed.returncode != 0 or not output.exists():
                failed.append(name)
                continue
            results[name] = json.loads(output.read_text())
    rows = [row for result in results.values() for row in result.get("rows", [])]
    print("\n=== summary: ours / reference, measured side by side (lower is better)")
    print(f"{'comparison':66} {'ratio':>7} {'target':>8}  verdict")
    for row in rows:
        print(f"{row['name']:66} {row['ratio']:7.3f} {'<= ' + format(row['target'], 'g'):>8}  "
              f"{'met' if row['met'] else 'MISSED'}")
    for script in failed:
        print(f"{script}: FAILED (see its output above)")
    Path(arguments.json).write_text(json.dumps(results, indent=2))
    print(f"\nwrote {arguments.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
