"""CyclicLR(cycle_momentum=True): every optimizer step applies its own momentum, in real `fit` runs.

The one-weight model of `keras_helpers` has a gradient of exactly 1 at every step, so the weight after each
step follows a recurrence of the step's lr and momentum that the tests compute by hand (SGD), or by applying
the optimizer eagerly one step at a time with the step's momentum set as a plain float (every other
optimizer): Keras reads a float attribute afresh at each eager call, an independent path to the same numbers.
"""

import json

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

from clr_core import Anneal, OneCycle  # noqa: E402
from clr_keras import CyclicLR  # noqa: E402
from clr_keras.momentum import StepMomentum  # noqa: E402

from . import keras_helpers as helpers  # noqa: E402
from .keras_helpers import (  # noqa: E402
    WeightProbe,
    core_lrs,
    ones,
    sgd_momentum_weights,
    unit_gradient_loss,
    weight,
)

ARGUMENTS = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 4.0}
BETA_1 = ("Adam", "AdamW", "Adamax", "Nadam")


def model_with(optimizer: keras.optimizers.Optimizer, steps_per_execution: int = 1) -> keras.Model:
    """The one-weight model (``y = w * x``, ``w = 0``, d loss / d w = 1) with `optimizer`."""
    model = keras.Sequential([keras.Input((1,)),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer, loss=unit_gradient_loss, steps_per_execution=steps_per_execution)
    return model


def core_momentums(start: int, count: int, base: float = 0.8, top: float = 0.9, **arguments) -> np.ndarray:
    """The core's momentum for cycle iterations ``start, ..., start + count - 1`` (default: `ARGUMENTS`)."""
    return helpers.core_momentums(start, count, base, top, **(arguments or ARGUMENTS))


def eager_weights(optimizer: keras.optimizers.Optimizer, names, lrs, momentums) -> np.ndarray:
    """The weight after each step of `optimizer` applied eagerly, one gradient of 1 at a time, with each
    step's lr and momentum set as plain floats before it."""
    variable = keras.Variable(np.zeros((1, 1), "float32"))
    out = []
    for lr, momentum in zip(lrs, momentums):
        optimizer.learning_rate = float(lr)
        for name in names:
            setattr(optimizer, name, float(np.float32(momentum)))
        optimizer.apply([keras.ops.ones((1, 1))], [variable])
        out.append(float(variable[0, 0]))
    return np.array(out)


def call_ends(steps: int, spe: int, epochs: int = 1) -> list[int]:
    """The steps (0-based) after which a batch hook runs: the last step of each call of the train function."""
    ends = [min(start + spe, steps) - 1 for start in range(0, steps, spe)]
    return [epoch * steps + end for epoch in range(epochs) for end in ends]


class MomentumProbe(keras.callbacks.Callback):
    """Before each batch (``steps_per_execution=1``): the value the optimizer's attributes give that step."""

    def __init__(self, names) -> None:
        super().__init__()
        self.names = names
        self.values: dict[str, list[float]] = {name: [] for name in names}

    def on_train_batch_begin(self, batch, logs=None):
        for name in self.names:
            self.values[name].append(float(getattr(self.model.optimizer, name)))


@pytest.mark.parametrize(("spe", "nesterov"), [(1, False), (3, False), (3, True)])
def test_sgd_applies_each_steps_own_momentum(spe, nesterov):
    model = model_with(keras.optimizers.SGD(0.5, momentum=0.5, nesterov=nesterov), spe)
    probe = WeightProbe()
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    model.fit(*ones(10), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr, probe])
    lrs, momentums = core_lrs(0, 20, **ARGUMENTS), core_momentums(0, 20)
    expected = sgd_momentum_weights(lrs, momentums, nesterov)
    np.testing.assert_array_equal(probe.weights, expected[call_ends(10, spe, epochs=2)])
    np.testing.assert_array_equal(clr.history["momentum"], momentums)
    assert clr.history.at("momentum") == clr.history["iterations"] == list(range(1, 21))
    assert momentums.min() == pytest.approx(0.8) and momentums[0] == 0.9  # the full range is used
    constant = sgd_momentum_weights(lrs, np.full(20, 0.5), nesterov)  # what the optimizer's own 0.5 gives
    assert not np.array_equal(constant[-1:], expected[-1:])
    assert model.optimizer.momentum == 0.5 and type(model.optimizer.momentum) is float  # its own float again


@pytest.mark.parametrize("optimizer", ["RMSprop", *BETA_1])
def test_every_optimizer_applies_each_steps_own_momentum(optimizer):
    """The compiled step (``steps_per_execution=2``) updates the weight as the optimizer applied eagerly
    with each step's lr and momentum set as floats."""
    options = {"momentum": 0.5} if optimizer == "RMSprop" else {}
    names = ("momentum",) if optimizer == "RMSprop" else ("beta_1",)
    model = model_with(getattr(keras.optimizers, optimizer)(0.5, **options), steps_per_execution=2)
    probe = WeightProbe()
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    model.fit(*ones(12), batch_size=2, verbose=0, shuffle=False, callbacks=[clr, probe])
    lrs, momentums = core_lrs(0, 12, **ARGUMENTS), core_momentums(0, 12)
    expected = eager_weights(getattr(keras.optimizers, optimizer)(0.5, **options), names, lrs, momentums)
    np.testing.assert_allclose(probe.weights, expected[call_ends(12, 2)], rtol=2e-6, atol=1e-7)
    constant = eager_weights(getattr(keras.optimizers, optimizer)(0.5, **options), names, lrs, np.full(12, 0.9))
    assert abs(constant[-1] - expected[-1]) > 1e-4 * abs(expected[-1])  # the cycle makes a difference
    np.testing.assert_array_equal(clr.history["momentum"], momentums)
    for name in names:
        assert getattr(model.optimizer, name) == options.get(name, 0.9) and not isinstance(
            getattr(model.optimizer, name), StepMomentum)


@pytest.mark.parametrize(("optimizer", "names"), [("Lion", ("beta_1",)), ("Lamb", ("beta_1",)),
                                                 ("Muon", ("momentum", "adam_beta_1"))])
def test_a_probe_reads_each_steps_momentum(optimizer, names):
    """The update of one weight by Lion, Lamb or Muon hardly depends on the momentum (a sign, a trust ratio,
    an orthogonalisation): read what their attributes give each step instead."""
    model = model_with(getattr(keras.optimizers, optimizer)(0.01))
    probe = MomentumProbe(names)
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True, base_momentum=0.85, max_momentum=0.95)
    model.fit(*ones(10), batch_size=2, verbose=0, shuffle=False, callbacks=[clr, probe])
    expected = np.float32(core_momentums(0, 10, 0.85, 0.95))
    for name in names:
        np.testing.assert_array_equal(np.float32(probe.values[name]), expected)
    assert type(getattr(model.optimizer, names[0])) is float


def test_one_cycle_brings_its_own_momentum():
    core = OneCycle(max_lr=0.1, total_steps=12)
    model = model_with(keras.optimizers.SGD(0.5, momentum=0.9), steps_per_execution=4)
    clr = CyclicLR(schedule=core, cycle_momentum=True, base_momentum=0.85, max_momentum=0.95)
    model.fit(*ones(12), batch_size=2, verbose=0, callbacks=[clr])
    lrs, momentums = core.lr_at(np.arange(12)), core.momentum(0.85, 0.95).lr_at(np.arange(12))
    assert momentums[0] == 0.95 and momentums.min() < 0.851  # down while the lr rises, and back
    np.testing.assert_array_equal(clr.history["momentum"], momentums)
    assert weight(model) == sgd_momentum_weights(lrs, momentums)[-1]


def test_history_and_logs_hold_the_momentum_of_every_step():
    model = model_with(keras.optimizers.Adam(0.5), steps_per_execution=3)
    probe = WeightProbe()
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    fit = model.fit(*ones(7), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr, probe])
    momentums = core_momentums(0, 14)
    assert clr.history["momentum"] == momentums.tolist()  # one entry per step, not per call
    assert len(clr.history["loss"]) == 6 and clr.history["iterations"] == list(range(1, 15))
    assert [logs["momentum"] for logs in probe.batch_logs] == momentums[call_ends(7, 3, epochs=2)].tolist()
    assert fit.history["momentum"] == [momentums[6], momentums[13]]
    assert clr.momentum() == core_momentums(14, 1)[0] and clr.clr() == core_lrs(14, 1, **ARGUMENTS)[0]
    assert "momentum" not in CyclicLR().history and CyclicLR().momentum() is None


def test_reset_during_training_mirrors_the_new_bounds():
    model = model_with(keras.optimizers.SGD(0.5, momentum=0.9), steps_per_execution=2)
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)

    class Reset(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:
                clr._reset(new_max_lr=0.03)

    model.fit(*ones(8), batch_size=2, verbose=0, shuffle=False, callbacks=[clr, Reset()])
    new = {**ARGUMENTS, "max_lr": 0.03}
    lrs = np.concatenate([core_lrs(0, 4, **ARGUMENTS), core_lrs(0, 4, **new)])
    momentums = np.concatenate([core_momentums(0, 4), core_momentums(0, 4, **new)])
    np.testing.assert_array_equal(clr.history["momentum"], momentums)
    # lrs 0.01, 0.015, 0.02, 0.025 mirrored over the new range [0.01, 0.03], not the old [0.01, 0.05]
    np.testing.assert_allclose(momentums[4:], [0.9, 0.875, 0.85, 0.825], rtol=1e-15)
    assert weight(model) == sgd_momentum_weights(lrs, momentums)[-1]


def test_later_fits_with_and_without_cycling_each_get_their_own_momentum():
    """After training the optimizer runs at its own float; a later fit with cycling cycles again, also after a
    fit in between made Keras trace the step anew with the floats in place (for another batch size, with a
    batch dimension of any size that the next fit would reuse)."""
    model = model_with(keras.optimizers.SGD(0.5, momentum=0.5))
    model.fit(*ones(2), batch_size=2, verbose=0)  # traced before any callback: with the float
    first = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    model.fit(*ones(4), batch_size=2, verbose=0, shuffle=False, callbacks=[first])
    model.fit(*ones(3, batch_size=3), batch_size=3, verbose=0)  # no callback, another shape: traced again
    second = CyclicLR(**ARGUMENTS, cycle_momentum=True)  # continues the optimizer's step counter: 9
    model.fit(*ones(4, batch_size=4), batch_size=4, verbose=0, shuffle=False, callbacks=[second])
    model.fit(*ones(2), batch_size=2, verbose=0, callbacks=[CyclicLR(**ARGUMENTS)])  # no momentum cycling
    lrs = np.concatenate([[0.5] * 2, core_lrs(2, 4, **ARGUMENTS), [core_lrs(6, 1, **ARGUMENTS)[0]] * 3,
                          core_lrs(9, 4, **ARGUMENTS), core_lrs(13, 2, **ARGUMENTS)])
    momentums = np.concatenate([[0.5] * 2, core_momentums(2, 4), [0.5] * 3, core_momentums(9, 4), [0.5] * 2])
    assert second.history["iterations"] == [10, 11, 12, 13]
    np.testing.assert_array_equal(second.history["momentum"], core_momentums(9, 4))
    assert weight(model) == sgd_momentum_weights(lrs, momentums)[-1]


def test_a_training_stopped_by_an_error_leaves_no_cycle_behind():
    model = model_with(keras.optimizers.SGD(0.5, momentum=0.5))

    class Crash(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        model.fit(*ones(4), batch_size=2, verbose=0, callbacks=[CyclicLR(**ARGUMENTS, cycle_momentum=True),
                                                                 Crash()])
    assert isinstance(model.optimizer.momentum, StepMomentum)  # on_train_end never ran
    assert json.loads(json.dumps(model.optimizer.get_config()))["momentum"] == 0.5
    clr = CyclicLR(**ARGUMENTS)  # the lr alone: the optimizer's own momentum from the next step on
    model.fit(*ones(3), batch_size=2, verbose=0, callbacks=[clr])
    assert type(model.optimizer.momentum) is float and "get_config" not in vars(model.optimizer)
    lrs = np.concatenate([core_lrs(0, 2, **ARGUMENTS), core_lrs(2, 3, **ARGUMENTS)])
    momentums = np.concatenate([core_momentums(0, 2), [0.5] * 3])
    assert weight(model) == sgd_momentum_weights(lrs, momentums)[-1]


def test_a_model_saved_during_or_after_training_loads_with_the_float_momentum(tmp_path):
    model = model_with(keras.optimizers.Adam(0.5, beta_1=0.85))
    seen = []

    class Save(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            assert isinstance(self.model.optimizer.beta_1, StepMomentum)  # the cycle is driving it now
            seen.append(json.loads(json.dumps(self.model.optimizer.get_config()))["beta_1"])
            self.model.save(tmp_path / "during.keras")

    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    model.fit(*ones(3), batch_size=2, epochs=2, verbose=0, callbacks=[clr, Save()])
    model.save(tmp_path / "after.keras")
    assert seen == [0.85, 0.85]
    for name in ("during.keras", "after.keras"):
        loaded = keras.saving.load_model(tmp_path / name)
        assert type(loaded.optimizer.beta_1) is float and loaded.optimizer.beta_1 == 0.85
    assert type(model.optimizer.beta_1) is float and "get_config" not in vars(model.optimizer)
    loaded.fit(*ones(1), batch_size=2, verbose=0)  # an ordinary model
    resumed = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    loaded.fit(*ones(2), batch_size=2, verbose=0, callbacks=[resumed])
    assert resumed.history["momentum"] == core_momentums(7, 2).tolist()


def test_loss_scale_optimizer():
    model = model_with(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.5, momentum=0.5)))
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    model.fit(*ones(6), batch_size=2, verbose=0, callbacks=[clr])
    assert weight(model) == sgd_momentum_weights(core_lrs(0, 6, **ARGUMENTS), core_momentums(0, 6))[-1]
    assert model.optimizer.inner_optimizer.momentum == 0.5


INSTEAD = ("use SGD(momentum=0.9), RMSprop(momentum=0.9) or the Adam family (Adam, AdamW, Adamax, Nadam, Lamb, "
           "Lion), or cycle_momentum=False")
REFUSED = [
    (lambda: keras.optimizers.Adagrad(0.1), f"cycle_momentum=True cannot cycle the momentum of Adagrad: it keeps "
     f"none that its step reads at every step (it has no momentum or beta_1 of Keras' built-in optimizers); "
     f"{INSTEAD}"),
    (lambda: keras.optimizers.Adadelta(0.1), "cycle_momentum=True cannot cycle the momentum of Adadelta"),
    (lambda: keras.optimizers.Ftrl(0.1), "cycle_momentum=True cannot cycle the momentum of Ftrl"),
    (lambda: keras.optimizers.Adafactor(0.1), "cycle_momentum=True cannot cycle the momentum of Adafactor"),
    (lambda: keras.optimizers.SGD(0.1), "cycle_momentum=True needs a momentum to cycle, but SGD was built with "
     "momentum=0.0, so its step keeps no velocity; build it with a momentum > 0 (e.g. "
     "keras.optimizers.SGD(learning_rate, momentum=0.9)), or use cycle_momentum=False"),
    (lambda: keras.optimizers.RMSprop(0.1), "cycle_momentum=True needs a momentum to cycle, but RMSprop was "
     "built with momentum=0.0"),
    (lambda: keras.optimizers.ScheduleFreeAdamW(0.1), "cycle_momentum=True cannot cycle ScheduleFreeAdamW's "
     "beta_1: it weighs an average that each step recovers with the current beta_1, so a beta_1 that changes "
     "between steps would corrupt it; use cycle_momentum=False with ScheduleFreeAdamW (it needs no "
     "schedule), or AdamW to cycle beta_1"),
]


@pytest.mark.parametrize(("make", "message"), REFUSED,
                         ids=["Adagrad", "Adadelta", "Ftrl", "Adafactor", "SGD", "RMSprop", "ScheduleFreeAdamW"])
def test_optimizers_without_a_momentum_to_cycle_are_refused_when_training_starts(make, message):
    model = model_with(make())
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    with pytest.raises(ValueError) as error:
        model.fit(*ones(2), batch_size=2, verbose=0, callbacks=[clr])
    assert str(error.value).startswith(message)
    assert not hasattr(model.optimizer, "_clr_lr_table")  # refused before anything was changed
    model.fit(*ones(2), batch_size=2, verbose=0, callbacks=[CyclicLR(**ARGUMENTS)])  # the lr alone: fine


class NoRange(Anneal):
    """A user kind that does not say its lr range (`lr_range` hidden)."""

    lr_range = None


BAD = [
    ({"base_momentum": 1.0}, ValueError, "base_momentum must be a finite number in [0, 1), got 1.0"),
    ({"base_momentum": -0.1}, ValueError, "base_momentum must be a finite number in [0, 1), got -0.1"),
    ({"max_momentum": float("nan")}, ValueError, "max_momentum must be a finite number in [0, 1), got nan"),
    ({"base_momentum": 0.9, "max_momentum": 0.8}, ValueError, "max_momentum must be >= base_momentum (0.9), got 0.8"),
    ({"base_momentum": "0.8"}, TypeError, "base_momentum must be a real number (int or float), got str '0.8'"),
    ({"cycle_momentum": 1}, TypeError, "cycle_momentum must be True or False, got int 1"),
    ({"schedule": NoRange(0.1, 0.01, 10.0)}, TypeError, "cycle_momentum=True: momentum_for cannot tell the lr "
     "range of a NoRange: give the kind an lr_range() method returning (lowest lr, highest lr), or build "
     "Mirrored(schedule, lr_low, lr_high, base_momentum, max_momentum) yourself"),
]


@pytest.mark.parametrize(("arguments", "error", "message"), BAD, ids=[str(case[0]) for case in BAD])
def test_bad_momentum_arguments_are_refused_at_construction(arguments, error, message):
    with pytest.raises(error) as raised:
        CyclicLR(**{"cycle_momentum": True, **arguments})
    assert str(raised.value) == message  # pinned: the wording users see


def test_momentum_arguments_are_keyword_only_with_every_faces_defaults():
    import inspect

    from clr_core.extend import face_state

    parameters = inspect.signature(CyclicLR).parameters
    for name, default in (("cycle_momentum", False), ("base_momentum", None), ("max_momentum", None)):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY and parameters[name].default == default
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    assert clr.momentum_schedule.lr_at(0) == 0.9 and clr.momentum_schedule.lr_at(4) == pytest.approx(0.8)
    one_cycle = CyclicLR(schedule=OneCycle(max_lr=0.1, total_steps=12), cycle_momentum=True)
    torch_face = face_state(OneCycle(max_lr=0.1, total_steps=12), cycle_momentum=True)
    assert (one_cycle.base_momentum, one_cycle.max_momentum) == (0.85, 0.95) == torch_face.momentum_bounds[0]


def test_momentum_bounds_are_in_the_state_and_resume():
    saved = CyclicLR(**ARGUMENTS, cycle_momentum=True, base_momentum=0.6, max_momentum=0.7)
    resumed = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    resumed.load_state_dict(saved.state_dict())
    assert (resumed.base_momentum, resumed.max_momentum) == (0.6, 0.7)
    assert resumed.momentum() == saved.momentum() == 0.7
