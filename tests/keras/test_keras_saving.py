"""Saving: JSON-safe configs, Keras serialization, and .keras models that resume their rates exactly."""

import inspect
import json
import warnings

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402
from keras.src.saving.serialization_lib import SafeModeScope  # noqa: E402

from clr_core import exp_range  # noqa: E402
from clr_keras import CyclicLR, CyclicLRSchedule  # noqa: E402

from . import keras_scale_fns  # noqa: E402
from .keras_helpers import core_lrs, one_weight_model, ones, sgd_weights, weight  # noqa: E402

CONFIGS = [
    {"mode": "triangular"},
    {"mode": "triangular2", "step_size_down": 3.0},
    {"mode": "triangular", "waveform": "cosine"},
    {"mode": "exp_range", "gamma": 0.9},
    {"scale_fn": exp_range(0.95), "scale_mode": "iterations"},
    {"scale_fn": keras_scale_fns.halve_each_cycle},
    {"scale_fn": "tests.keras.keras_scale_fns:halve_each_cycle"},
    {"scale_fn": keras_scale_fns.slow_decay, "scale_mode": "iterations"},
]


def rates(schedule, steps=range(0, 40, 3)):
    return [float(schedule(step)) for step in steps]


@pytest.mark.parametrize("arguments", CONFIGS, ids=lambda a: str(a.get("mode", a.get("scale_fn"))))
def test_get_config_is_json_and_rebuilds_the_same_schedule(arguments):
    schedule = CyclicLRSchedule(base_lr=0.01, max_lr=0.05, step_size=4.0, **arguments)
    config = json.loads(json.dumps(schedule.get_config()))
    assert set(config) <= set(inspect.signature(CyclicLRSchedule).parameters) - {"schedule"}
    with SafeModeScope(False):  # what load_model(..., safe_mode=False) sets: this test's module is trusted
        assert rates(CyclicLRSchedule.from_config(config)) == rates(schedule)
    assert rates(CyclicLRSchedule(**config)) == rates(schedule)  # the config mirrors the constructor


def test_custom_functions_are_saved_by_registered_name_or_import_path():
    registered = CyclicLRSchedule(scale_fn=keras_scale_fns.slow_decay).get_config()
    assert registered["scale_fn"] == {"registered_name": "clr_tests>slow_decay"}
    by_path = CyclicLRSchedule(scale_fn=keras_scale_fns.halve_each_cycle).get_config()
    assert by_path["scale_fn"] == {"import_path": "tests.keras.keras_scale_fns:halve_each_cycle"}


def test_a_lambda_cannot_be_saved_and_the_error_says_how_to_fix_it():
    schedule = CyclicLRSchedule(scale_fn=lambda s: 1.0)
    with pytest.raises(ValueError, match=r"^scale_fn=<function .*<lambda>.*> cannot be saved in a config: a lambda, "
                                         r"a local function or a callable object has no import path; define it with "
                                         r"`def` at the top level of an importable module .*, or register it with "
                                         r"@keras.saving.register_keras_serializable\(\)$"):
        schedule.get_config()


def test_keras_serialization_uses_the_registered_class():
    schedule = CyclicLRSchedule(base_lr=0.1, max_lr=0.2, step_size=3.0, mode="exp_range", gamma=0.8)
    data = keras.saving.serialize_keras_object(schedule)
    assert data["registered_name"] == "clr>CyclicLRSchedule"
    restored = keras.saving.deserialize_keras_object(json.loads(json.dumps(data)))
    assert isinstance(restored, CyclicLRSchedule) and rates(restored) == rates(schedule)
    optimizer = keras.optimizers.Adam.from_config(keras.optimizers.Adam(schedule).get_config())
    assert rates(optimizer._learning_rate) == rates(schedule)


def test_saved_model_resumes_its_schedule_exactly(tmp_path):
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0, "scale_fn": keras_scale_fns.slow_decay,
                 "scale_mode": "iterations"}
    x, y = ones(7)
    model = one_weight_model(CyclicLRSchedule(**arguments))
    model.fit(x, y, batch_size=2, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: the schedule is registered
    assert isinstance(loaded.optimizer._learning_rate, CyclicLRSchedule)
    assert int(loaded.optimizer.iterations) == 7
    assert float(loaded.optimizer.learning_rate) == pytest.approx(np.float32(core_lrs(7, 1, **arguments)[0]))
    loaded.fit(*ones(5), batch_size=2, verbose=0)
    uninterrupted = one_weight_model(CyclicLRSchedule(**arguments))
    uninterrupted.fit(*ones(12), batch_size=2, verbose=0)
    assert weight(loaded) == weight(uninterrupted) == sgd_weights(core_lrs(0, 12, **arguments))[-1]


def test_a_lambda_schedule_warns_when_built_and_refuses_to_be_saved(tmp_path):
    with pytest.warns(UserWarning, match=r"this CyclicLRSchedule cannot be saved with its model: .*lambda.*"
                                         r"would raise only after Keras has opened the file, leaving it empty"):
        schedule = CyclicLRSchedule(scale_fn=lambda s: 1.0)
    model = one_weight_model(schedule)
    with pytest.raises(ValueError, match="cannot be saved in a config"):
        model.save(tmp_path / "model.keras")


def test_a_savable_schedule_builds_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CyclicLRSchedule(scale_fn=keras_scale_fns.halve_each_cycle, step_size=4.0)
        CyclicLRSchedule(mode="exp_range", gamma=0.99)


def test_callback_resumes_a_loaded_model_from_its_step_counter(tmp_path):
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 4.0, "mode": "triangular2"}
    model = one_weight_model(0.5)
    first = CyclicLR(**arguments)
    model.fit(*ones(7), batch_size=2, verbose=0, callbacks=[first])
    assert float(model.optimizer.learning_rate) == pytest.approx(np.float32(first.clr()))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    resumed = CyclicLR(**arguments)
    loaded.fit(*ones(5), batch_size=2, verbose=0, callbacks=[resumed])
    assert resumed.history["iterations"] == [8, 9, 10, 11, 12]
    np.testing.assert_allclose(resumed.history["lr"], core_lrs(7, 5, **arguments), rtol=1e-15)
    assert weight(loaded) == sgd_weights(core_lrs(0, 12, **arguments))[-1]


def test_callback_state_dict_round_trip():
    clr = CyclicLR(base_lr=0.1, max_lr=0.3, step_size=2.0)
    model = one_weight_model(0.5)
    model.fit(*ones(3), batch_size=2, verbose=0, callbacks=[clr])
    clr.reset(max_lr=0.2)
    state = json.loads(json.dumps(clr.state_dict()))
    other = CyclicLR(base_lr=0.1, max_lr=0.3, step_size=2.0)
    other.load_state_dict(state, plan="saved")  # the reset changed the plan: adopt it
    assert other.history == clr.history and other.clr() == clr.clr() and other.max_lr == 0.2


def test_reset_before_fit_starts_a_new_cycle_on_a_trained_model():
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 4.0}
    model = one_weight_model(0.5)
    model.optimizer.iterations.assign(7)
    clr = CyclicLR(**arguments)
    clr.reset()
    model.fit(*ones(3), batch_size=2, verbose=0, callbacks=[clr])
    assert clr.history["iterations"] == [8, 9, 10]
    np.testing.assert_array_equal(clr.history["lr"], core_lrs(0, 3, **arguments))
