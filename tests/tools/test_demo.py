"""The demo end to end, shortened: the table, results.json and figures appear; runs are deterministic."""

import json

import pytest

from tests.errors import raised
from tests.tools.conftest import assert_png

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
from clr_core import CyclicSchedule
from clr_tools.demo import run_demo
from clr_tools.demo.data import load_digits
from clr_tools.demo.experiment import Policy, run_experiment

FILES = ["table.md", "results.json", "range_test.png", "lr_curves.png", "accuracy.png"]


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_a_short_demo_writes_the_table_and_the_figures(framework, tmp_path):
    pytest.importorskip(framework)
    table = run_demo(framework=framework, seeds=1, epochs=4, output=str(tmp_path), progress=False)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split("|")[1].strip() for row in rows[1:]][1:] == ["triangular2", "exp_range"]
    assert rows[1].split("|")[1].strip().startswith("fixed lr")
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["framework"] == framework and results["iterations"] == 4 * 45
    assert 0 < results["bounds"][0] < results["bounds"][1]
    assert all(0.5 < row["final_accuracy_mean"] <= 1.0 for row in results["summary"])
    for name in FILES[2:]:
        assert_png(tmp_path / name)


def test_the_cyclical_runs_are_the_range_test_s_plans():
    pytest.importorskip("torch")
    from clr_tools.demo.torch_trainer import TorchTrainer

    outcome = run_experiment(TorchTrainer(), load_digits(), seeds=1, epochs=5, progress=False)
    for mode, runs in outcome.cyclic.items():
        schedule = runs[0].policy.schedule
        assert schedule == outcome.range_test.schedule(epochs=5, steps_per_epoch=45, mode=mode,
                                                       **({"gamma": schedule.gamma} if mode == "exp_range" else {}))
        assert schedule.lr_range() == outcome.bounds and schedule.step_size == 5 * 45 / 2  # one cycle: 2.5 epochs
        assert runs[0].lrs == pytest.approx([schedule.lr_at(k) for k in range(5 * 45)], rel=1e-12)


def test_a_torch_run_is_deterministic_for_a_seed():
    pytest.importorskip("torch")
    from clr_tools.demo.torch_trainer import TorchTrainer

    data, trainer = load_digits(), TorchTrainer()
    policy = Policy("triangular2", CyclicSchedule(0.01, 0.1, step_size=20, mode="triangular2"))
    first, second = (trainer.train(policy, data, seed=3, epochs=1, eval_every=15, progress=False) for _ in "ab")
    assert first.curve == second.curve and first.lrs == second.lrs
    assert first.lrs[:3] == pytest.approx([0.01, 0.01 + 0.09 / 20, 0.01 + 0.18 / 20])


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"framework": "jax"}, ValueError, "framework must be one of 'torch', 'keras', got 'jax'"),
    ({"seeds": 0}, ValueError, "seeds must be an int >= 1, got 0"),
    ({"epochs": 1.5}, TypeError, "epochs must be an int >= 4, got float 1.5"),
    ({"epochs": 3}, ValueError, "epochs must be an int >= 4, got 3"),
])
def test_bad_demo_arguments_are_refused(arguments, error, message, tmp_path):
    assert raised(run_demo, output=str(tmp_path), progress=False, **arguments) == (error, message)
