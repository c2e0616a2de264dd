"""Bad input: both Keras classes raise the core's own errors, and the callback refuses what it cannot drive."""

import re

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

from clr_core import CyclicSchedule  # noqa: E402
from clr_keras import CyclicLR, CyclicLRSchedule  # noqa: E402

from .keras_helpers import one_weight_model, ones  # noqa: E402

BAD = [
    ({"step_size": 0}, ValueError, "step_size must be a finite number > 0, got 0"),
    ({"step_size": float("inf")}, ValueError, "step_size must be a finite number > 0, got inf"),
    ({"mode": "cosine"}, ValueError, "mode must be one of 'triangular', 'triangular2', 'exp_range', got 'cosine'"),
    ({"base_lr": 0.01, "max_lr": 0.001}, ValueError, "max_lr must be >= base_lr (0.01), got 0.001"),
    ({"base_lr": -1.0}, ValueError, "base_lr must be a finite number >= 0, got -1.0"),
    ({"base_lr": float("nan")}, ValueError, "base_lr must be a finite number >= 0, got nan"),
    ({"gamma": 0}, ValueError, "gamma must be a finite number in (0, 1], got 0"),
    ({"gamma": 1.5}, ValueError, "gamma must be a finite number in (0, 1], got 1.5"),
    ({"scale_mode": "epochs"}, ValueError, "scale_mode must be one of 'cycle', 'iterations', got 'epochs'"),
    ({"base_lr": "0.1"}, TypeError, "base_lr must be a real number (int or float), got str '0.1'"),
    ({"step_size": True}, TypeError, "step_size must be a real number (int or float), got bool True"),
    ({"scale_fn": 3}, TypeError, "scale_fn must be callable or None, got int 3"),
    ({"step_size_down": -1}, ValueError, "step_size_down must be a finite number > 0, got -1"),
]


@pytest.mark.parametrize("cls", [CyclicLR, CyclicLRSchedule])
@pytest.mark.parametrize(("arguments", "error", "message"), BAD, ids=[str(case[0]) for case in BAD])
def test_bad_arguments_raise_the_core_errors(cls, arguments, error, message):
    with pytest.raises(error) as core:
        CyclicSchedule(**arguments)
    assert str(core.value) == message  # pinned: the wording users see
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        cls(**arguments)


@pytest.mark.parametrize("cls", [CyclicLR, CyclicLRSchedule])
def test_scale_fn_import_paths_are_checked(cls):
    with pytest.raises(ValueError, match=r"^scale_fn must be an import path 'package.module:function', got 'sine'$"):
        cls(scale_fn="sine")
    with pytest.raises(ValueError, match=r"^scale_fn import path 'tests.keras:missing' cannot be loaded"):
        cls(scale_fn="tests.keras:missing")
    with pytest.raises(ValueError, match=r"^scale_fn 'nobody>nothing' is not a registered Keras object"):
        cls(scale_fn="nobody>nothing")


@pytest.mark.parametrize("cls", [CyclicLR, CyclicLRSchedule])
def test_schedule_argument_excludes_the_others(cls):
    with pytest.raises(TypeError, match=r"^give either schedule= or the cyclic arguments, not both: schedule= came "
                                        r"with max_lr, step_size; put those into the schedule object$"):
        cls(max_lr=0.1, step_size=10, schedule=CyclicSchedule())
    with pytest.raises(TypeError, match=r"^schedule must be a clr_core schedule"):
        cls(schedule=0.1)


def test_schedule_argument_takes_a_core_schedule():
    core = CyclicSchedule(base_lr=0.1, max_lr=0.3, step_size=5, step_size_down=3)
    assert CyclicLR(schedule=core).schedule is core
    schedule = CyclicLRSchedule(schedule=core)
    np.testing.assert_allclose([float(schedule(i)) for i in range(9)], core.lr_at(np.arange(9)), rtol=1e-7)


@pytest.mark.parametrize("learning_rate", [
    keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9),
    CyclicLRSchedule(),
], ids=["ExponentialDecay", "CyclicLRSchedule"])
def test_callback_refuses_an_optimizer_built_with_a_schedule(learning_rate):
    model = one_weight_model(learning_rate)
    name = type(learning_rate).__name__
    with pytest.raises(TypeError, match=rf"^CyclicLR cannot drive SGD: it was built with learning_rate={name}, a "
                                        r"schedule that sets every step's rate itself\. Pass "
                                        r"clr_keras\.CyclicLRSchedule\(\.\.\.\) as the optimizer's learning_rate "
                                        r"instead of using the callback, or build SGD with a float learning_rate"):
        model.fit(*ones(2), batch_size=2, verbose=0, callbacks=[CyclicLR()])


def test_callback_refuses_gradient_accumulation():
    model = one_weight_model(0.1)
    model.compile(keras.optimizers.SGD(0.1, gradient_accumulation_steps=2), loss=model.loss)
    with pytest.raises(ValueError, match=r"^CyclicLR counts one optimizer step per batch, but SGD accumulates "
                                         r"gradients over gradient_accumulation_steps=2 batches"):
        model.fit(*ones(2), batch_size=2, verbose=0, callbacks=[CyclicLR()])
