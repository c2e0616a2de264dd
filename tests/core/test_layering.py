"""Importing clr_core loads nothing outside the standard library."""

import subprocess
import sys


def test_importing_clr_core_loads_no_numpy_and_no_framework():
    code = ("import sys, clr_core\n"
            "clr_core.CyclicSchedule().lr_at(5)\n"
            "clr_core.ScheduleState(clr_core.CyclicSchedule()).step()\n"
            "heavy = [m for m in ('numpy', 'torch', 'keras', 'tensorflow', 'matplotlib', 'jax') if m in sys.modules]\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
