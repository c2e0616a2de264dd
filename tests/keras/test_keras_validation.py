"""Bad input: both Keras classes raise the core's own errors, and the callback refuses what it cannot drive."""

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

from clr_core import CyclicSchedule  # noqa: E402
from clr_keras import CyclicLR, CyclicLRSchedule  # noqa: E402
from tests.errors import raised  # noqa: E402

from .keras_helpers import one_weight_model, ones  # noqa: E402

BAD = [
    ({"step_size": 0}, ValueError, "step_size must be a finite number > 0, got 0"),
    ({"step_size": float("inf")}, ValueError, "step_size must be a finite number > 0, got inf"),
    ({"mode": "cosine"}, ValueError, "mode must be one of 'triangular', 'triangular2', 'exp_range', got 'cosine'"),
    ({"mode": None}, ValueError, "mode must be one of 'triangular', 'triangular2', 'exp_range', got None"),
    ({"base_lr": 0.01, "max_lr": 0.001}, ValueError, "max_lr must be >= base_lr (0.01), got 0.001"),
    ({"base_lr": -1.0}, ValueError, "base_lr must be a finite number >= 0, got -1.0"),
    ({"base_lr": float("nan")}, ValueError, "base_lr must be a finite number >= 0, got nan"),
    ({"gamma": 0}, ValueError, "gamma must be a finite number in (0, 1], got 0"),
    ({"gamma": 1.5}, ValueError, "gamma must be a finite number in (0, 1], got 1.5"),
    ({"scale_mode": "epochs"}, ValueError, "scale_mode must be one of 'cycle', 'iterations', got 'epochs'"),
    ({"waveform": "sine"}, ValueError, "waveform must be one of 'triangle', 'cosine', got 'sine'"),
    ({"base_lr": "0.1"}, TypeError, "base_lr must be a real number (int or float), got str '0.1'"),
    ({"step_size": True}, TypeError, "step_size must be a real number (int or float), got bool True"),
    ({"step_size_down": "3"}, TypeError, "step_size_down must be a real number (int or float), got str '3'"),
    ({"scale_fn": 3}, TypeError, "scale_fn must be callable or None, got int 3"),
    ({"step_size_down": -1}, ValueError, "step_size_down must be a finite number > 0, got -1"),
]
# A string scale_fn names a function to load (the core takes none): errors of the adapter's own.
NAMES = [
    ("sine", "scale_fn must be an import path 'package.module:function', got 'sine'"),
    ("tests.keras:missing",
     "scale_fn import path 'tests.keras:missing' cannot be loaded: module 'tests.keras' has no attribute 'missing'"),
    ("nobody>nothing", "scale_fn 'nobody>nothing' is not a registered Keras object; import the module that registers "
                       "it (keras.saving.register_keras_serializable) before loading"),
]
SCHEDULE_ERRORS = [
    ({"max_lr": 0.1, "step_size": 10, "schedule": CyclicSchedule()},
     "give either schedule= or the cyclic arguments, not both: schedule= came with max_lr, step_size; put those "
     "into the schedule object"),
    ({"schedule": 0.1}, "schedule must be a clr_core schedule (e.g. clr_core.CyclicSchedule), got float 0.1"),
]


@pytest.mark.parametrize("cls", [CyclicLR, CyclicLRSchedule])
@pytest.mark.parametrize(("arguments", "error", "message"), BAD, ids=[str(case[0]) for case in BAD])
def test_bad_arguments_raise_the_core_errors(cls, arguments, error, message):
    assert raised(CyclicSchedule, **arguments) == (error, message)  # pinned: the wording users see
    assert raised(cls, **arguments) == (error, message)


@pytest.mark.parametrize("cls", [CyclicLR, CyclicLRSchedule])
@pytest.mark.parametrize(("name", "message"), NAMES, ids=[case[0] for case in NAMES])
def test_scale_fn_names_are_checked(cls, name, message):
    assert raised(cls, scale_fn=name) == (ValueError, message)


@pytest.mark.parametrize("cls", [CyclicLR, CyclicLRSchedule])
@pytest.mark.parametrize(("arguments", "message"), SCHEDULE_ERRORS, ids=["both", "not a schedule"])
def test_schedule_argument_excludes_the_others(cls, arguments, message):
    assert raised(cls, **arguments) == (TypeError, message)


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
    assert raised(model.fit, *ones(2), batch_size=2, verbose=0, callbacks=[CyclicLR()]) == (
        TypeError, f"CyclicLR cannot drive SGD: it was built with learning_rate={name}, a schedule that sets every "
                   "step's rate itself. Pass clr_keras.CyclicLRSchedule(...) as the optimizer's learning_rate instead "
                   "of using the callback, or build SGD with a float learning_rate (the callback's base_lr "
                   "overrides it)")


def test_accumulation_steps_is_a_count_of_at_least_one():
    assert raised(CyclicLRSchedule, accumulation_steps=0) == (
        ValueError, "accumulation_steps must be an int >= 1, got 0")
    assert CyclicLRSchedule(accumulation_steps=4).get_config()["accumulation_steps"] == 4
    assert "accumulation_steps" not in CyclicLRSchedule().get_config()


@pytest.mark.parametrize("factor", [-0.5, 2.0, float("nan")])
def test_a_bad_scale_factor_raises_in_eager_calls_of_the_schedule_and_in_the_callback(factor):
    def scale(s):
        return keras.ops.where(s >= 2, factor, 1.0)

    schedule = CyclicLRSchedule(step_size=2.0, scale_fn=scale)
    assert float(schedule(3)) == pytest.approx(0.001 + 0.005 * 0.5)
    with pytest.raises(ValueError, match=r"scale_fn returned .* for s=2.0; it must return a number in \[0, 1\]"):
        schedule(4)
    model = one_weight_model(0.5)
    callback = CyclicLR(step_size=2.0, scale_fn=lambda s: factor if s >= 2 else 1.0)
    with pytest.raises(ValueError, match=r"scale_fn returned .* for s=2.0; it must return a number in \[0, 1\]"):
        model.fit(*ones(8), batch_size=1, verbose=0, callbacks=[callback])
    assert all(0.001 <= lr <= 0.006 for lr in callback.history.get("lr", []))  # no bad rate was applied


class Sequential:
    """Stands for a Keras 2 model (tf_keras, or tf.keras under TF_USE_LEGACY_KERAS=1)."""

    __module__ = "tf_keras.src.engine.sequential"


def test_a_keras_2_model_is_refused_naming_the_fix():
    assert raised(CyclicLR().set_model, Sequential()) == (
        TypeError, "CyclicLR is a Keras 3 callback, but the model is a tf_keras.src.engine.sequential.Sequential, "
                   "not a keras.Model (Keras 2: tf_keras, or tf.keras with TF_USE_LEGACY_KERAS=1); build the model "
                   "with Keras 3 (import keras, and unset TF_USE_LEGACY_KERAS), or use clr_torch / clr_optax")
