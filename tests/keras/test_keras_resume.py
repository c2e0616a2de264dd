"""Keras' own machinery: BackupAndRestore in either order, ModelCheckpoint + initial_epoch, gradient accumulation.

The callback re-anchors on the optimizer's step counter when something else moved it, so a rerun after a
crash applies ``lr_at(step)`` at every step, records only the steps it saw, and ends with its counters equal
to the optimizer's: on the TensorFlow backend here, on torch and JAX each in a fresh Python.
"""

import importlib.util

import pytest

keras = pytest.importorskip("keras")

from .keras_helpers import run_script  # noqa: E402
from .resume_checks import backup_and_restore, checkpoint_and_initial_epoch, gradient_accumulation  # noqa: E402

SCRIPT = """
import json, os, sys, tempfile
os.environ["KERAS_BACKEND"] = "{backend}"
{no_tensorflow}
from tests.keras.resume_checks import backup_and_restore, gradient_accumulation
out = {{"accumulation": gradient_accumulation()}}
for clr_first in (True, False):
    with tempfile.TemporaryDirectory() as directory:
        out[str(clr_first)] = backup_and_restore(directory, clr_first)
print("RESULT" + json.dumps(out))
"""


def check_rerun(out: dict) -> None:
    assert out["crashed_at"] == 1150 and out["restored"] == 1100  # past one lap (1,024) of the rate ring
    # Keras 3.15 reruns the interrupted epoch from its first batch; Keras 3.0 (no initial epoch) the whole fit
    assert out["steps"] in (1800, 2500)
    assert out["iterations"]  # 1101..steps: only the steps the rerun ran
    assert out["counters"] == [out["steps"]] * 2  # trn_iterations == optimizer.iterations
    assert out["rates"]  # history['lr'] == lr_at(step) for every step of the rerun
    got, expected = out["weight"]
    assert got == expected  # every step applied its own rate (one weight, constant gradient, plain SGD)


@pytest.mark.parametrize("clr_first", [True, False], ids=["clr-first", "backup-first"])
def test_backup_and_restore_resumes_exactly(tmp_path, clr_first):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the torch and JAX backends run in their own tests below")
    check_rerun(backup_and_restore(str(tmp_path), clr_first))


def test_model_checkpoint_load_model_and_initial_epoch(tmp_path):
    out = checkpoint_and_initial_epoch(str(tmp_path))
    assert out["steps"] == 200 and out["iterations"] and out["rates"]
    got, expected = out["weight"]
    assert got == expected


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_backup_and_restore_on_other_backends(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    out = run_script(SCRIPT.format(backend=backend, no_tensorflow='sys.modules["tensorflow"] = None'
                                   if backend == "torch" else ""), env={"KERAS_BACKEND": backend}, timeout=400)
    for clr_first in ("True", "False"):
        check_rerun(out[clr_first])
    if out["accumulation"] is not None:  # Keras 3.1+
        check_accumulation(out["accumulation"])


def check_accumulation(out: dict | None) -> None:
    if out is None:
        pytest.skip(f"Keras {keras.__version__} has no gradient accumulation")
    for face in ("callback", "schedule"):
        got, expected, updates = out[face]
        assert updates == 3
        # update j applied lr_at(j): exactly for the callback; the schedule computes in float32 on JAX
        # without x64 (see clr_keras.ops), so to float32 rounding there
        assert got == expected if face == "callback" else got == pytest.approx(expected, rel=2**-21)
    iterations, lrs, expected, total, reports = out["history"]
    assert iterations == [1, 2, 3] and lrs == expected and total == 3
    assert reports == 14  # one batch loss per report (batch)


def test_gradient_accumulation_counts_optimizer_updates():
    check_accumulation(gradient_accumulation())
