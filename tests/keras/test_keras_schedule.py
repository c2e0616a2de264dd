"""CyclicLRSchedule: the core's numbers at every step (huge ones included), in the compiled step, saved."""

import json
import math

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from clr_core import CyclicSchedule, exp_range  # noqa: E402
from clr_keras import KERAS_OPS, CyclicLRSchedule  # noqa: E402
from tests.core.reference import reference_lr  # noqa: E402
from tests.hypothesis_profiles import examples  # noqa: E402

from .keras_helpers import core_lrs, one_weight_model, ones, sgd_weights, weight  # noqa: E402

MODES = [
    {"mode": "triangular"},
    {"mode": "triangular2"},
    {"mode": "exp_range", "gamma": 0.99994},
    {"scale_fn": exp_range(0.999), "scale_mode": "iterations"},
    {"scale_fn": lambda s: 1 / (5 ** (s * 0.0001)), "scale_mode": "iterations"},
    {"scale_fn": lambda s: 0.5 * (1 + keras.ops.sin(s * math.pi / 2.0)), "scale_mode": "cycle"},
]
HUGE = [10**9 + k for k in (0, 1, 2, 999, 1000, 1001, 2000)] + [2**40 + k for k in (0, 1, 2, 3, 4097)] + [
    2**24 + 1, 2**31 + 5, 2**52 + 3, 2**53 - 1]  # the last: the largest iteration the core accepts


def float64_lr(schedule: CyclicLRSchedule, steps) -> np.ndarray:
    """The schedule's float64 value before the final cast, from int64 steps."""
    tensor = keras.ops.convert_to_tensor(np.asarray(steps, dtype=np.int64))
    return keras.ops.convert_to_numpy(schedule.schedule.evaluate(KERAS_OPS.to_float(tensor), KERAS_OPS))


def scalar_core(arguments, steps):
    """The core on Python ints, one at a time (the custom functions' scalar path)."""
    core = CyclicSchedule(**{**arguments, "scale_fn": _scalar(arguments.get("scale_fn"))})
    return np.array([core.lr_at(int(step)) for step in steps])


def _scalar(fn):
    if fn is None or not callable(fn) or fn.__class__.__module__.startswith("clr_core"):
        return fn
    return lambda s: float(keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(s, "float64"))))


@pytest.mark.parametrize("arguments", MODES, ids=lambda a: a.get("mode", "custom"))
def test_schedule_equals_core_at_small_and_huge_steps(arguments):
    arguments = {"base_lr": 0.001, "max_lr": 0.006, "step_size": 1000.0, **arguments}
    schedule = CyclicLRSchedule(**arguments)
    steps = list(range(0, 4100, 7)) + HUGE
    expected = scalar_core(arguments, steps)
    np.testing.assert_allclose(float64_lr(schedule, steps), expected, rtol=1e-12, atol=0)
    cast = keras.ops.convert_to_numpy(schedule(keras.ops.convert_to_tensor(np.array(steps, dtype=np.int64))))
    assert cast.dtype == np.float32
    np.testing.assert_allclose(cast, expected.astype(np.float32), rtol=1e-7, atol=0)


def test_golden_table_at_a_huge_step():
    schedule = CyclicLRSchedule(base_lr=1.0, max_lr=5.0, step_size=4)
    start = 2**40  # a whole number of cycles: the table starts over
    got = [float(schedule(start + k)) for k in range(10)]
    assert got == [1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0, 2.0, 1.0, 2.0]


def test_steps_past_2_to_the_24_stay_distinct_unlike_float32():
    schedule = CyclicLRSchedule(base_lr=0.0, max_lr=1.0, step_size=4)
    step = 2**24 + 1
    assert float(np.float32(step)) == 2**24  # what a float32 cast of the counter would see
    assert float(schedule(step)) == 0.25 != float(schedule(2**24))


def test_schedule_in_a_compiled_function_with_an_int64_counter():
    schedule = CyclicLRSchedule(base_lr=0.001, max_lr=0.006, step_size=2000.0, mode="exp_range", gamma=0.9999)
    counter = keras.Variable(0, dtype="int64", trainable=False)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        read = tf.function(lambda: schedule(counter))
    else:
        read = lambda: schedule(counter)  # noqa: E731
    for step in (0, 1999, 2000, 10**9 + 17, 2**40 + 3):
        counter.assign(step)
        expected = CyclicSchedule(0.001, 0.006, 2000.0, "exp_range", 0.9999).lr_at(step)
        assert float(read()) == pytest.approx(np.float32(expected), rel=1e-7, abs=0)


@settings(max_examples=examples(60))
@given(
    base_lr=st.floats(0.0, 1.0, allow_subnormal=False),  # TensorFlow flushes subnormal floats to zero
    span=st.floats(0.0, 1.0, allow_subnormal=False),
    step_size=st.floats(0.5, 1e6),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.5, 1.0, exclude_min=True),
    step=st.one_of(st.integers(0, 10**6), st.integers(0, 2**53 - 1)),  # the core's range: [0, 2**53)
)
def test_property_schedule_equals_core(base_lr, span, step_size, mode, gamma, step):
    arguments = {"base_lr": base_lr, "max_lr": base_lr + span, "step_size": step_size, "mode": mode,
                 "gamma": gamma}
    schedule = CyclicLRSchedule(**arguments)
    expected = CyclicSchedule(**arguments).lr_at(step)
    got = float(float64_lr(schedule, [step])[0])
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert base_lr * (1 - 1e-12) <= got <= arguments["max_lr"] * (1 + 1e-12)


def test_from_2_to_the_53_on_the_graph_rounds_the_step_and_stays_within_the_bounds():
    # The core refuses these iterations; a graph cannot raise, and an int64 counter may hold them (2**53 steps
    # take 285 years at 1 us each). The float64 cast rounds the step to the nearest float (ties to even), and
    # the schedule gives that step's exact rate, inside [base_lr, max_lr], never NaN: what docs/keras.md says.
    steps = [2**53, 2**53 + 1, 2**53 + 2, 2**53 + 3, 2**60 + 999, 2**63 - 1]
    rounded = [int(np.float64(step)) for step in steps]
    assert rounded[:4] == [2**53, 2**53, 2**53 + 2, 2**53 + 4]
    triangular = CyclicLRSchedule(base_lr=0.0, max_lr=1.0, step_size=4)
    assert list(float64_lr(triangular, steps)) == [reference_lr(step, 0.0, 1.0, 4) for step in rounded]
    assert list(float64_lr(triangular, steps)) == [0.0, 0.0, 0.5, 1.0, 0.0, 0.0]  # unrounded: 0.25 at +1, 0.75 at +3
    for arguments in MODES + [{"waveform": "cosine", "step_size_down": 1234.5}]:
        schedule = CyclicLRSchedule(**{"base_lr": 0.001, "max_lr": 0.006, "step_size": 1000.0, **arguments})
        lrs = float64_lr(schedule, steps)
        assert np.all((lrs >= 0.001) & (lrs <= 0.006)), (arguments, lrs)
        cast = keras.ops.convert_to_numpy(schedule(keras.ops.convert_to_tensor(np.array(steps, dtype=np.int64))))
        np.testing.assert_array_equal(cast, lrs.astype(np.float32))


@pytest.mark.parametrize("spe", [1, 4])
def test_every_step_applies_its_own_rate(spe):
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0, "mode": "triangular2"}
    model = one_weight_model(CyclicLRSchedule(**arguments), steps_per_execution=spe)
    x, y = ones(10)
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, shuffle=False)
    assert int(model.optimizer.iterations) == 20
    assert weight(model) == sgd_weights(core_lrs(0, 20, **arguments))[-1]


def test_fmod_is_exact_for_huge_counters_and_fractional_periods():
    steps = np.array([2**40 + 7, 10**9 + 3, 2**52 + 5], dtype=np.int64)
    got = keras.ops.convert_to_numpy(KERAS_OPS.fmod(KERAS_OPS.to_float(steps), 4001.37))
    assert list(got) == [math.fmod(float(s), 4001.37) for s in steps]


def test_numpy_scale_fn_works_eagerly_and_fails_clearly_when_compiled():
    sine = lambda s: 0.5 * (1 + np.sin(s * np.pi / 2.0))  # noqa: E731 - the classic notebook's policy
    schedule = CyclicLRSchedule(scale_fn=sine, step_size=2)
    expected = CyclicSchedule(scale_fn=sine, step_size=2).lr_at(np.arange(12))
    np.testing.assert_allclose([float(schedule(step)) for step in range(12)], expected, rtol=1e-6)
    if keras.backend.backend() != "tensorflow":
        pytest.skip("only TensorFlow compiles the step into a graph here")
    import tensorflow as tf

    with pytest.raises(TypeError, match=r"scale_fn .*<lambda> cannot run on a tensor inside the compiled "
                                        r"train step .*keras\.ops.*or use the clr_keras\.CyclicLR callback"):
        tf.function(lambda: schedule(keras.ops.convert_to_tensor(3)))()


def test_xla_compiled_step():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("jit_compile here means XLA on TensorFlow")
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 2.0, "mode": "exp_range", "gamma": 0.9}
    model = one_weight_model(CyclicLRSchedule(**arguments), jit_compile=True)
    x, y = ones(6)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert weight(model) == pytest.approx(sgd_weights(core_lrs(0, 6, **arguments))[-1], rel=1e-6)


def other_kinds():
    """The core's other schedule kinds (skipped while the core has none of them)."""
    import clr_core

    if not hasattr(clr_core, "OneCycle"):
        return []
    return [
        clr_core.OneCycle(max_lr=0.1, total_steps=50, three_phase=True),
        clr_core.CosineRestarts(max_lr=0.1, period=7, period_mult=2.0, min_lr=0.001, decay=0.9, cycles=3),
        clr_core.Join([clr_core.Anneal(0.0, 0.1, 5), CyclicSchedule(0.01, 0.1, 4, waveform="cosine")],
                      boundaries=[5], length=60, after="repeat"),
    ]


@pytest.mark.parametrize("core", other_kinds(), ids=lambda schedule: schedule.kind)
def test_any_core_schedule_kind_runs_in_the_graph_and_saves(core):
    schedule = CyclicLRSchedule(schedule=core)
    steps = np.arange(0, 130)
    np.testing.assert_allclose(float64_lr(schedule, steps), core.lr_at(steps), rtol=1e-12, atol=1e-15)
    config = json.loads(json.dumps(schedule.get_config()))
    assert config == {"schedule": {"kind": core.kind, "config": core.to_config()}}
    rebuilt = CyclicLRSchedule.from_config(config)
    np.testing.assert_array_equal(float64_lr(rebuilt, steps), float64_lr(schedule, steps))



def test_a_bound_above_floatx_is_refused_when_built():
    """max_lr=1e39 is a finite float64 the core accepts; a float32 optimizer would receive inf."""
    from tests.errors import raised

    assert keras.backend.floatx() == "float32"
    assert raised(CyclicLRSchedule, base_lr=0.001, max_lr=1e39) == (ValueError, (
        "CyclicLRSchedule computes in float32, which holds values up to 3.4028234663852886e+38, but this "
        "CyclicSchedule reaches 1e+39 (its max_lr, or its highest bound); scale the bounds into float32's range"))
    assert float(CyclicLRSchedule(base_lr=0.001, max_lr=3e38, step_size=2)(2)) == pytest.approx(3e38, rel=2**-23)
