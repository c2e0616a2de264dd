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
from clr_core.extend import Batches, adaptive_optimizer
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


CLIFF = 10 ** (-1 + math.sqrt(0.15))  # where valley_loss is back at 2, its level before the fall: lr 0.244


def test_suggestions_on_a_known_curve():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(test)
    result = test.result()
    base_lr, max_lr = result.suggest_bounds()
    # the cliff, read on the trend (smoothing over a tenth of the points rounds the parabola a little)
    assert CLIFF / 8 / 1.05 < max_lr < CLIFF / 8 * 1.05
    assert base_lr == pytest.approx(max_lr / 4)
    # smoothing over 0.8 decades rounds the sharp bottom at 1e-1, which moves its lowest point a little earlier
    assert 0.06 < result.lr_at_minimum() < 0.11
    assert result.suggest_lr("minimum/10") == pytest.approx(result.lr_at_minimum() / 10)
    assert 1e-4 <= result.suggest_lr("steepest") <= 1e-1  # the fall is a straight line on log(lr)
    assert 1e-3 < result.suggest_lr("valley") < 1e-1


def test_no_suggestion_without_a_reason():
    flat = RangeTest(RangeSweep(1e-3, 1.0, num_iter=50))
    run(flat, lambda lr: 1.0)
    with pytest.raises(ValueError, match=r"the smoothed loss fell only 0.0% of its starting level \(less than 5%\) "
                                         r"between lr 0.00409 and 1: the test saw no learning. Check that the targets"):
        flat.result().suggest_bounds()
    short = RangeTest(RangeSweep(1e-3, 1.0, num_iter=4))
    run(short)
    with pytest.raises(ValueError, match="recorded 4 finite loss values after the first 0 steps; at least 5"):
        short.result().suggest_lr()
    exploding = RangeTest(RangeSweep(1e-3, 1.0, num_iter=100), beta=0.5)
    run(exploding, lambda lr: 1.0 + 1e3 * lr)  # worse from the first step on
    assert exploding.result().stopped_early
    with pytest.raises(ValueError, match=r"the smoothed loss only rose from the first lr read \(0.00152\) until the "
                                         r"sweep stopped at lr 0.00756: the sweep diverged at once; lower start_lr"):
        exploding.result().suggest_bounds()


def test_a_flat_loss_that_diverges_later_is_no_learning_not_a_divergence_at_once():
    test = RangeTest(RangeSweep(1e-3, 1.0, num_iter=100), beta=0.5)
    run(test, lambda lr: 1.0 + 1e3 * lr**2)  # flat to 1e-2, then blowing up: nothing was ever learned
    assert test.result().stopped_early
    with pytest.raises(ValueError) as caught:
        test.result().suggest_bounds()
    message = str(caught.value)
    assert message.startswith("the smoothed loss fell only 0.0% of its starting level (less than 5%) between lr "
                              "0.00201 and 0.0614: the test saw no learning, and it diverged at lr 0.0614. Check")
    assert "diverged at once" not in message


def test_a_small_fall_is_no_learning_and_a_modest_one_warns():
    def dip(depth: float):
        return lambda lr: valley_loss(lr) if valley_loss(lr) > 2.0 else 2.0 - depth * (2.0 - valley_loss(lr)) / 1.5

    # the loss falls from 2 by 2% and 4%, then blows up; the trend's rounded valley is a little shallower
    for depth, share in ((0.04, "1.8%"), (0.08, "3.7%")):
        test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
        run(test, dip(depth))
        with pytest.raises(ValueError, match=f"the smoothed loss fell only {share} of its starting level .* the test "
                                             f"saw no learning"):
            test.result().suggest_bounds()
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(test, dip(0.16))  # 8%: a suggestion, with a caveat
    with pytest.warns(RangeTestWarning, match=r"fell only 7.4% of its starting level: the test saw little learning"):
        base_lr, max_lr = test.result().suggest_bounds()
    assert base_lr == pytest.approx(max_lr / 4) and max_lr < 1.0


def test_a_loss_still_falling_at_end_lr_warns_that_max_lr_is_a_lower_bound():
    test = RangeTest(RangeSweep(1e-6, 1e-2, num_iter=200))
    run(test)
    with pytest.warns(RangeTestWarning, match=r"never climbed back near its starting level before the end of the sweep "
                                              r"\(lr 0.01\): max_lr is a lower bound; raise end_lr"):
        base_lr, max_lr = test.result().suggest_bounds()
    assert (base_lr, max_lr) == pytest.approx((1e-2 / 32, 1e-2 / 8))  # the last lr read stands in for the cliff


def test_a_loss_already_falling_at_start_lr_warns_that_the_bounds_may_be_too_low():
    test = RangeTest(RangeSweep(1e-3, 10.0, num_iter=200))
    run(test)
    with pytest.warns(RangeTestWarning, match="already improving where it was first read .* lower start_lr"):
        base_lr, max_lr = test.result().suggest_bounds()
    # its start level is the loss at the first lr read, below the plateau at 2: the cliff comes earlier
    assert max_lr < CLIFF / 8 and base_lr == pytest.approx(max_lr / 4)


def test_one_batch_of_loss_zero_at_the_end_of_the_sweep_is_not_taken_for_the_best():
    """A linear model at huge lrs: past the cliff each batch is either separated (loss ~0) or badly wrong, and
    the sweep may end on a loss of 0. The trend's last point is that one raw value (the window shrinks at the
    ends), below the valley: read as the best, it once made the wild losses the noise, and the whole fall
    "no learning"."""
    steps = iter(range(150))

    def loss(lr):
        k = next(steps)
        return 0.0 if k == 149 else valley_loss(lr) if lr < 1.0 else (1e-3 if k % 2 else 8.0)

    result = RangeTest(RangeSweep(1e-6, 10.0, num_iter=150), beta=0.0, diverge_factor=1e9).run(loss)
    assert result.losses[-1] == 0.0 and not result.stopped_early
    base_lr, max_lr = result.suggest_bounds()
    assert CLIFF / 8 / 1.5 < max_lr < CLIFF / 8 * 1.5 and base_lr == pytest.approx(max_lr / 4)


def test_a_second_dip_after_the_blow_up_is_not_taken_for_the_best():
    def curve(lr: float) -> float:  # the textbook valley, a blow-up to 3, then a deeper dip at huge lrs
        x = math.log10(lr)
        return valley_loss(lr) if x < -0.5 else 3.0 if x < 0 else max(0.1, 3.0 - 3 * x)

    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), diverge_factor=1e9)
    run(test, curve)
    assert min(test.result().losses[-20:]) < 0.5  # the later dip is deeper than the valley
    base_lr, max_lr = test.result().suggest_bounds()
    assert CLIFF / 8 / 1.1 < max_lr < CLIFF / 8 * 1.1 and base_lr == pytest.approx(max_lr / 4)


def test_a_model_that_dies_past_the_valley_gives_its_cliff_where_it_died_not_where_its_loss_blows_up():
    def dying(lr: float) -> float:
        x = math.log10(lr)
        if x < -4:
            return 1.6  # a fresh model, worse than a constant guess
        if x < -2:
            return 1.6 - 1.3 * (x + 4) / 2  # learning, down to 0.3 at 1e-2
        if x < -1:
            return 0.3 + 1.2 * (x + 2)  # dying, to the loss of a constant guess, 1.5, at 1e-1
        return 1.5 + (10 * (x - 1) ** 2 if x > 1 else 0.0)  # dead for two decades, then blowing up

    test = RangeTest(RangeSweep(1e-6, 100.0, num_iter=300), diverge_factor=1e9)
    run(test, dying)
    max_lr = test.result().suggest_bounds()[1]
    # an eighth of the lr where it died (the trend's smoothing spreads the kink), not of the blow-up past 10
    assert 0.1 / 8 < max_lr < 0.1 / 8 * 2.5


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
        assert max(bases) / min(bases) <= 1.5 and max(maxima) / min(maxima) <= 1.5, bounds
        assert all(0.5 / 8 / 1.5 < top < 0.5 / 8 * 1.5 for top in maxima), bounds  # it diverges past lr 0.5


def test_the_uncertainty_of_the_bounds_comes_from_the_trends_noise():
    clean = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(clean)
    result = clean.result()
    (base_low, base_high), (max_low, max_high) = result.bounds_uncertainty()
    assert (base_low, max_low) == pytest.approx(result.suggest_bounds())  # no noise: no width
    assert (base_high, max_high) == pytest.approx(result.suggest_bounds())
    rng = random.Random(0)
    noisy = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0, diverge_factor=1e9)
    run(noisy, lambda lr: valley_loss(lr) * (1 + 0.1 * rng.gauss(0, 1)))
    result = noisy.result()
    base_lr, max_lr = result.suggest_bounds()
    (base_low, base_high), (max_low, max_high) = result.bounds_uncertainty()
    assert max_low < max_lr < max_high < 2 * max_low  # a band around the bound, from one sweep's noise
    assert max_low / 1.5 < CLIFF / 8 < max_high * 1.5
    assert (base_low, base_high) == pytest.approx((max_low / 4, max_high / 4))
    with pytest.raises(ValueError, match="the test saw no learning"):
        RangeTest(RangeSweep(1e-3, 1.0, num_iter=50)).run(lambda lr: 1.0).bounds_uncertainty()


def logistic_regression(labels: str, seed: int) -> RangeTest:
    """A real training loop in plain Python: SGD on a logistic regression over 5 features, batches of 16, with
    the true labels (a linear rule) or random ones (nothing to learn but the class prior)."""
    rng = random.Random(seed)
    examples = [[rng.gauss(0, 1) for _ in range(5)] for _ in range(512)]
    targets = [float(sum(x) > 0) if labels == "true" else float(rng.random() < 0.5) for x in examples]
    weights = [rng.gauss(0, 0.1) for _ in range(6)]
    test = RangeTest(RangeSweep(1e-5, 100.0, num_iter=200))

    def step(lr: float) -> float:
        batch = rng.sample(range(512), 16)
        loss, gradient = 0.0, [0.0] * 6
        for k in batch:
            z = max(-30.0, min(30.0, weights[5] + sum(w * x for w, x in zip(weights, examples[k]))))
            p = 1 / (1 + math.exp(-z))
            loss -= math.log(p if targets[k] else 1 - p) if 1e-12 < p < 1 - 1e-12 else -30.0
            for j, x in enumerate([*examples[k], 1.0]):
                gradient[j] += (p - targets[k]) * x
        for j in range(6):
            weights[j] -= lr * gradient[j] / len(batch)
        return loss / len(batch)

    test.run(step)
    return test


def test_random_labels_are_told_as_no_learning_and_true_labels_give_bounds():
    for seed in range(3):
        with pytest.raises(ValueError, match=r"the smoothed loss fell only \d+\.\d% of its starting level .* the test "
                                             r"saw no learning"):
            logistic_regression("random", seed).result().suggest_bounds()
        with warnings.catch_warnings():
            warnings.simplefilter("error", RangeTestWarning)  # a clear fall: no caveat either
            base_lr, max_lr = logistic_regression("true", seed).result().suggest_bounds()
        assert 0.1 < max_lr < 100 / 8 and base_lr == pytest.approx(max_lr / 4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 100), min_size=5, max_size=120), st.floats(1e-7, 1e-2))
def test_bounds_step_back_from_a_cliff_inside_the_sweep_or_are_refused_with_a_reason(losses, start_lr):
    test = RangeTest(RangeSweep(start_lr, start_lr * 1e5, num_iter=len(losses)), diverge_factor=1e9)
    for loss in losses:
        test.record(loss)
    result = test.result()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RangeTestWarning)
        try:
            base_lr, max_lr = result.suggest_bounds()
            (base_low, base_high), (max_low, max_high) = result.bounds_uncertainty()
        except ValueError as reason:
            assert "saw no learning" in str(reason) or "diverged at once" in str(reason) or "at least 5" in str(reason)
            return
    first_read = result.lrs[min(10, len(losses) // 5)]
    # the cliff lies between the first and the last lr read; the bounds step back from it by 8 and 32
    assert first_read / 8 * (1 - 1e-9) <= max_lr <= result.lrs[-1] / 8 * (1 + 1e-9)
    assert base_lr == pytest.approx(max_lr / 4)
    assert max_low <= max_lr <= max_high and base_low <= base_lr <= base_high


def accuracy_curve(lr: float) -> float:
    """Smith's accuracy curve: 0.1 below 1e-4, rising to 0.9 at 1e-2, flat to 1e-1, back at 0.1 at 10**-0.2,
    then 0 (a diverged model predicts one class)."""
    x = math.log10(lr)
    return 0.1 if x < -4 else 0.1 + 0.4 * (x + 4) if x < -2 else 0.9 if x < -1 else max(0.0, 0.9 - (x + 1))


def accuracy_method(training_loss, accuracy=accuracy_curve) -> tuple[RangeTest, list]:
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=301), diverge_factor=1e9)
    seen = []
    lrs = []

    def train_step(lr: float) -> float:
        lrs.append(lr)
        return training_loss(lr)

    def evaluate():
        return {"val_accuracy": accuracy(lrs[-1]), "val_loss": 1 - accuracy(lrs[-1])}

    test.run(train_step, on_step=lambda steps, lr, loss: seen.append((steps, lr, loss)), evaluate=evaluate,
             eval_every=3)
    return test, seen


def test_the_accuracy_method_reads_bounds_from_a_metric_evaluated_every_k_steps():
    def training_loss(lr: float) -> float:
        return valley_loss(lr / 10)  # its cliff at 2.0, past the accuracy's

    test, seen = accuracy_method(training_loss)
    result = test.result()
    assert seen == [(k + 1, lr, training_loss(lr)) for k, lr in enumerate(result.lrs)]
    assert result.metric_steps == list(range(2, 301, 3)) + [300]
    base_lr, max_lr = result.suggest_bounds(metric="val_accuracy")
    # the accuracy has given back 90% of its rise (down to 0.18) at 10 ** -0.28, before the training loss's cliff
    assert 10**-0.28 / 8 / 1.1 < max_lr < 10**-0.28 / 8 * 1.1 and base_lr == pytest.approx(max_lr / 4)
    assert result.suggest_bounds(metric="val_loss") == pytest.approx((base_lr, max_lr))  # lower is better
    assert result.bounds_uncertainty(metric="val_accuracy")[1][0] == pytest.approx(max_lr)  # no noise, no width
    earlier = accuracy_method(valley_loss)[0].result()  # the training loss's cliff at 0.2 comes first
    assert earlier.suggest_bounds(metric="val_accuracy") == pytest.approx(earlier.suggest_bounds())
    assert earlier.bounds_uncertainty(metric="val_accuracy") == earlier.bounds_uncertainty()
    with pytest.raises(ValueError, match=r"metric must be one of \['val_accuracy', 'val_loss'\] .* got 'acc'"):
        result.suggest_bounds(metric="acc")


def test_a_metrics_rise_and_fall_before_the_training_loss_falls_is_noise_not_its_valley():
    def bumped(lr: float) -> float:  # up 0.05 and back between 10**-5.7 and 1e-5, while the loss is flat
        x = math.log10(lr)
        return 0.1 + 0.05 * math.sin(math.pi * (x + 5.7) / 0.7) if -5.7 < x < -5 else accuracy_curve(lr)

    result = accuracy_method(lambda lr: valley_loss(lr / 10), bumped)[0].result()  # the loss falls from lr 1e-3
    for metric in ("val_accuracy", "val_loss"):
        max_lr = result.suggest_bounds(metric=metric)[1]
        # read from the real rise, as without the bump: its cliff at 10 ** -0.28 (not 8 times below 1e-5)
        assert 10**-0.28 / 8 / 1.1 < max_lr < 10**-0.28 / 8 * 1.1

    def lagging(lr: float) -> float:  # the same bump, then flat at 0.1 until the rise from 1e-2 to 1e-1
        x = math.log10(lr)
        return bumped(lr) if x < -5 else 0.1 if x < -2 else 0.1 + 0.8 * (x + 2) if x < -1 else accuracy_curve(lr)

    # the loss falls from 1e-4 (half its fall by 10 ** -2.5), the accuracy only from 1e-2: flat at 0.1 after the
    # bump is not "back where the bump's fall started", and the loss's cliff, at 0.2, comes first
    result = accuracy_method(valley_loss, lagging)[0].result()
    for metric in ("val_accuracy", "val_loss"):
        assert result.suggest_bounds(metric=metric) == pytest.approx(result.suggest_bounds())


def test_a_metric_is_not_read_when_the_training_loss_learned_nothing():
    result = accuracy_method(lambda lr: 2.0)[0].result()
    for metric in (None, "val_accuracy", "val_loss"):
        with pytest.raises(ValueError, match="the smoothed loss fell only 0.0% of its starting level .* the test saw "
                                             "no learning"):
            result.suggest_bounds(metric=metric)


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


def test_an_adaptive_optimizers_bounds_step_back_four_times_further_from_the_same_cliff():
    plain = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    adaptive = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0, adaptive=True)
    run(plain)
    run(adaptive)
    assert not plain.result().adaptive and adaptive.result().adaptive
    (base, top), (adaptive_base, adaptive_top) = plain.result().suggest_bounds(), adaptive.result().suggest_bounds()
    assert adaptive_top == pytest.approx(top / 4) and adaptive_base == pytest.approx(base / 4)
    assert CLIFF / 32 / 1.05 < adaptive_top < CLIFF / 32 * 1.05
    (low, high), (top_low, top_high) = adaptive.result().bounds_uncertainty()
    assert top_low <= adaptive_top <= top_high and low <= adaptive_base <= high and top_high < top


@pytest.mark.parametrize(("names", "adaptive"), [
    (["Adam"], True), (["AdamW"], True), (["NAdam"], True), (["RAdam"], True), (["Adamax"], True),
    (["SparseAdam"], True), (["RMSprop"], True), (["Adagrad"], True), (["Adadelta"], True), (["Adafactor"], True),
    (["Lion"], True), (["Lamb"], True), (["FusedLAMB"], True), (["Ftrl"], True), (["Prodigy"], True),
    (["AdamWScheduleFree"], True), (["ScheduleFreeAdamW"], True), (["AdamW8bit"], True),
    (["Adan"], True),
    (["MyOptimizer", "Adam", "Optimizer"], True),
    (["SGD", "Optimizer"], False), (["ASGD"], False), (["LBFGS"], False), (["Rprop"], False), (["Muon"], False),
    (["SGDScheduleFree"], False), ([], False),
])
def test_adaptive_optimizers_are_told_by_their_class_names(names, adaptive):
    assert adaptive_optimizer(names) is adaptive


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
    assert raised(RangeTest, RangeSweep(), adaptive="yes") == (
        TypeError, "adaptive must be True or False, got str 'yes'")
    with pytest.raises(ValueError, match="method must be one of 'steepest', 'valley', 'minimum/10'"):
        RangeTest(RangeSweep()).result().suggest_lr("best")
