"""The LR range test's core: the sweep, smoothing, early stop and suggestions, on known curves."""

import gc
import math
import random
import warnings
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clr_core import (
    RangeSweep,
    RangeTest,
    RangeTestWarning,
    ScheduleState,
    schedule_from_config,
    schedule_to_config,
)
from clr_core.extend import Batches
from tests.errors import raised


def valley_loss(lr: float) -> float:
    """A textbook curve on log10(lr): flat at 2 below 1e-4, falling to 0.5 at 1e-1, then blowing up."""
    x = math.log10(lr)
    if x < -4:
        return 2.0
    if x < -1:
        return 2.0 - 1.5 * (x + 4) / 3
    return 0.5 + 10 * (x + 1) ** 2


def run(test: RangeTest, curve=valley_loss) -> None:
    while not test.done:
        test.record(curve(test.lr))


def test_exponential_and_linear_sweeps_hit_both_ends():
    for sweep in ("exponential", "linear"):
        schedule = RangeSweep(1e-5, 1.0, num_iter=11, sweep=sweep)
        assert schedule.lr_at(0) == pytest.approx(1e-5) and schedule.lr_at(10) == pytest.approx(1.0)
        assert schedule.lr_at(50) == pytest.approx(1.0)
    assert RangeSweep(1.0, 100.0, num_iter=3).lr_at(1) == pytest.approx(10.0)
    assert RangeSweep(1.0, 3.0, num_iter=3, sweep="linear").lr_at(1) == 2.0


def test_a_sweep_is_a_schedule_that_saves_and_steps_like_any_other():
    sweep = RangeSweep(1e-3, 1.0, num_iter=4)
    assert schedule_from_config(schedule_to_config(sweep)) == sweep
    state = ScheduleState(sweep)
    assert [state.step() for _ in range(3)] == pytest.approx([1e-2, 1e-1, 1.0])


@given(st.floats(0.01, 100), st.floats(0.0, 0.999))
def test_bias_corrected_smoothing_of_a_constant_loss_is_that_constant(loss, beta):
    test = RangeTest(RangeSweep(1e-3, 1.0, num_iter=20), beta=beta)
    run(test, lambda lr: loss)
    assert test.result().smoothed == pytest.approx([loss] * 20, rel=1e-9)


def test_the_test_stops_when_the_loss_diverges_or_is_not_finite():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=200), beta=0.5)
    run(test)
    result = test.result()
    assert result.stopped_early and result.lrs[-1] < 10.0 and len(result.lrs) < 200
    nan_test = RangeTest(RangeSweep(1e-3, 1.0, num_iter=10))
    assert nan_test.record(1.0) and not nan_test.record(math.nan)
    assert nan_test.done and nan_test.result().stopped_early
    with pytest.raises(RuntimeError, match="the range test is over"):
        nan_test.record(1.0)


def test_suggestions_on_a_known_curve():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(test)
    result = test.result()
    base_lr, max_lr = result.suggest_bounds()
    assert 1e-4 / 1.3 < base_lr < 1e-4 * 1.3  # the straight fall on log(lr), followed back to the plateau
    # within 5% of the fall from the minimum at 1e-1 is 10 ** -1.15 = 0.071; smoothing over a tenth of the
    # points (0.7 decades here) rounds the sharp bottom, which moves that point a little earlier
    assert 0.04 < max_lr < 0.1
    assert 0.06 < result.lr_at_minimum() < 0.11  # the same rounding: the rise after it is steeper
    assert result.suggest_lr("minimum/10") == pytest.approx(result.lr_at_minimum() / 10)
    assert 1e-4 <= result.suggest_lr("steepest") <= 1e-1  # the fall is a straight line on log(lr)
    assert 1e-3 < result.suggest_lr("valley") < 1e-1


def test_no_suggestion_without_a_reason():
    flat = RangeTest(RangeSweep(1e-3, 1.0, num_iter=50))
    run(flat, lambda lr: 1.0)
    with pytest.raises(ValueError, match="the smoothed loss never fell by more than its noise"):
        flat.result().suggest_bounds()
    short = RangeTest(RangeSweep(1e-3, 1.0, num_iter=4))
    run(short)
    with pytest.raises(ValueError, match="recorded 4 finite loss values after the first 0 steps; at least 5"):
        short.result().suggest_lr()
    exploding = RangeTest(RangeSweep(1e-3, 1.0, num_iter=100), beta=0.5)
    run(exploding, lambda lr: 1.0 + 1e3 * lr**2)
    assert exploding.result().stopped_early
    with pytest.raises(ValueError, match="the smoothed loss only rose .* the sweep diverged at once; lower start_lr"):
        exploding.result().suggest_bounds()


def test_a_loss_still_falling_at_end_lr_warns_that_max_lr_is_a_lower_bound():
    test = RangeTest(RangeSweep(1e-6, 1e-2, num_iter=200))
    run(test)
    with pytest.warns(RangeTestWarning, match=r"still improving at the end of the sweep \(lr 0.01\): max_lr is a "
                                              r"lower bound; raise end_lr"):
        base_lr, max_lr = test.result().suggest_bounds()
    assert 1e-4 / 1.3 < base_lr < 1e-4 * 1.3 and max_lr > 5e-3


def test_a_loss_already_falling_at_start_lr_warns_and_base_lr_is_near_the_first_lr_read():
    test = RangeTest(RangeSweep(1e-3, 10.0, num_iter=200))
    run(test)
    with pytest.warns(RangeTestWarning, match="already improving where it was first read .* lower start_lr"):
        base_lr, _ = test.result().suggest_bounds()
    lrs = test.result().lrs  # 190 points read, a window of 19: the onset is within it, past the start window
    assert lrs[10] <= base_lr * (1 + 1e-12) and base_lr <= lrs[10 + 19]


def test_a_second_dip_after_the_blow_up_is_not_taken_for_the_best():
    def curve(lr: float) -> float:  # the textbook valley, a blow-up to 1.5, then a deeper dip at huge lrs
        x = math.log10(lr)
        return valley_loss(lr) if x < -0.6 else max(0.1, 2.1 - 2 * (x + 0.6))

    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), diverge_factor=1e9)
    run(test, curve)
    assert min(test.result().losses[-20:]) < 0.5  # the later dip is deeper than the valley
    base_lr, max_lr = test.result().suggest_bounds()
    assert 1e-4 / 1.3 < base_lr < 1e-4 * 1.3 and 0.03 < max_lr < 0.1  # the valley at 1e-1, rounded


def noisy_quadratic(start_lr: float, seed: int, num_iter: int = 200, noisy_first: int = 6) -> RangeTest:
    """SGD on 0.5 * h * |w|**2 in 8 dimensions, gradient noise, 10% batch noise on the loss, and the first
    `noisy_first` batches 6x too high (a fresh model's odd first batches): the loss starts to fall when
    h * (sum of lrs so far) nears 0.05, i.e. near lr 1e-3, and diverges past lr 2 / h = 0.5."""
    rng = random.Random(seed)
    weights, h = [3.0] * 8, 4.0
    test = RangeTest(RangeSweep(start_lr, 10.0, num_iter))

    def step(lr: float) -> float:
        loss = sum(0.5 * h * w * w for w in weights) / len(weights) * (1 + 0.1 * rng.gauss(0, 1))
        if len(test.result().lrs) < noisy_first:
            loss *= 6
        for k, w in enumerate(weights):
            weights[k] = w - lr * (h * w + rng.gauss(0, 0.5))
        return loss

    test.run(step)
    return test


def test_bounds_ignore_noisy_first_batches_and_do_not_move_with_start_lr():
    for seed in range(3):
        bounds = {start: noisy_quadratic(start, seed).result().suggest_bounds() for start in (1e-7, 1e-6, 1e-5)}
        bases, maxima = [b for b, _ in bounds.values()], [m for _, m in bounds.values()]
        assert max(bases) / min(bases) <= 2 and max(maxima) / min(maxima) <= 2, bounds
        assert all(5e-4 < base < 3e-3 for base in bases), bounds  # where the fall really starts, not start_lr
        assert all(0.02 < top < 0.5 for top in maxima), bounds


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 100), min_size=5, max_size=120), st.floats(1e-7, 1e-2))
def test_bounds_are_ordered_inside_the_sweep_or_refused_with_a_reason(losses, start_lr):
    test = RangeTest(RangeSweep(start_lr, start_lr * 1e5, num_iter=len(losses)), diverge_factor=1e9)
    for loss in losses:
        test.record(loss)
    result = test.result()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RangeTestWarning)
        try:
            base_lr, max_lr = result.suggest_bounds()
        except ValueError as reason:
            assert "noise" in str(reason) or "diverged at once" in str(reason) or "at least 5" in str(reason)
            return
    first_read = result.lrs[min(10, len(losses) // 5)]
    assert start_lr < first_read <= base_lr * (1 + 1e-12) and base_lr <= max_lr <= start_lr * 1e5 * (1 + 1e-9)
    assert base_lr <= max_lr / 3 * (1 + 1e-12) or base_lr == pytest.approx(first_read)


def accuracy_curve(lr: float) -> float:
    """Smith's accuracy curve: 0.1 below 1e-4, rising to 0.9 at 1e-2, flat to 1e-1, falling after."""
    x = math.log10(lr)
    return 0.1 if x < -4 else 0.1 + 0.4 * (x + 4) if x < -2 else 0.9 if x < -1 else max(0.1, 0.9 - (x + 1))


def test_the_accuracy_method_reads_bounds_from_a_metric_evaluated_every_k_steps():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=301))
    seen = []
    lrs = []

    def train_step(lr: float) -> float:
        lrs.append(lr)
        return 2.0

    def evaluate():
        return {"val_accuracy": accuracy_curve(lrs[-1]), "val_loss": 1 - accuracy_curve(lrs[-1])}

    result = test.run(train_step, on_step=lambda steps, lr, loss: seen.append((steps, lr, loss)), evaluate=evaluate,
                      eval_every=3)
    assert seen == [(k + 1, lr, 2.0) for k, lr in enumerate(result.lrs)]
    assert result.metric_steps == list(range(2, 301, 3)) + [300]
    base_lr, max_lr = result.suggest_bounds(metric="val_accuracy")
    assert 1e-4 / 1.5 < base_lr < 1e-4 * 1.5 and 7e-3 < max_lr < 1.2e-2  # 95% of the rise: 10 ** -2.1
    assert result.suggest_bounds(metric="val_loss") == pytest.approx((base_lr, max_lr))  # lower is better
    with pytest.raises(ValueError, match="the smoothed loss never fell"):
        result.suggest_bounds()  # the training loss was flat
    with pytest.raises(ValueError, match=r"metric must be one of \['val_accuracy', 'val_loss'\] .* got 'acc'"):
        result.suggest_bounds(metric="acc")


def test_metrics_must_keep_their_names_and_follow_a_step():
    test = RangeTest(RangeSweep(1e-3, 1.0, num_iter=10))
    with pytest.raises(RuntimeError, match="record a step before its metrics"):
        test.record_metrics({"val_accuracy": 0.5})
    test.record(1.0)
    test.record_metrics({"val_accuracy": 0.5})
    with pytest.raises(RuntimeError, match="step 0 already has its metrics"):
        test.record_metrics({"val_accuracy": 0.5})
    test.record(1.0)
    with pytest.raises(ValueError, match=r"same metrics \['val_accuracy'\], got \['accuracy'\]"):
        test.record_metrics({"accuracy": 0.5})
    with pytest.raises(ValueError, match="eval_every must be an int >= 1, got 0"):
        test.run(lambda lr: 1.0, evaluate=dict, eval_every=0)


def test_batches_are_read_again_when_exhausted_and_never_kept():
    class Loader:
        """Re-iterable, like a DataLoader: each pass makes its batches as they are asked for."""

        def __iter__(self):
            return (Batch(k) for k in range(3))

    class Batch:
        def __init__(self, k: int) -> None:
            self.k = k

    batches = Batches(Loader())
    handed = [batches.next() for _ in range(7)]
    assert [batch.k for batch in handed] == [0, 1, 2, 0, 1, 2, 0]
    alive = weakref.ref(handed[-1])
    del handed
    gc.collect()
    assert alive() is None  # nothing in Batches holds the batch it handed out (itertools.cycle would)
    once = Batches(iter([1, 2]))
    assert [once.next(), once.next()] == [1, 2]
    with pytest.raises(ValueError, match="data ran out after 2 batches and gave none when iterated again"):
        once.next()
    with pytest.raises(ValueError, match=r"data must hold at least one batch, got an empty iterable \(list\)"):
        Batches([]).next()
    with pytest.raises(TypeError, match="data must be an iterable of batches .* got int"):
        Batches(3)


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"start_lr": 0}, ValueError, "start_lr must be a finite number > 0, got 0"),
    ({"start_lr": 1.0, "end_lr": 0.5}, ValueError, "end_lr must be > start_lr (1.0), got 0.5"),
    ({"num_iter": 1}, ValueError, "num_iter must be an int >= 2, got 1"),
    ({"num_iter": 10.5}, TypeError, "num_iter must be an int >= 2, got float 10.5"),
    ({"sweep": "log"}, ValueError, "sweep must be one of 'exponential', 'linear', got 'log'"),
])
def test_bad_sweeps_are_refused(arguments, error, message):
    assert raised(RangeSweep, **arguments) == (error, message)


def test_bad_test_settings_are_refused():
    with pytest.raises(ValueError, match=r"beta must be a finite number in \[0, 1\), got 1.0"):
        RangeTest(RangeSweep(), beta=1.0)
    with pytest.raises(ValueError, match="diverge_factor must be a finite number > 1, got 1"):
        RangeTest(RangeSweep(), diverge_factor=1)
    with pytest.raises(ValueError, match="method must be one of 'steepest', 'valley', 'minimum/10'"):
        RangeTest(RangeSweep()).result().suggest_lr("best")
