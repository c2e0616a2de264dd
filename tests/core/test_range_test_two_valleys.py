"""Rule 10 of the range test: two valleys far apart are told, and the bounds come from the first (the safer)."""

import math
import warnings

import pytest

from clr_core import RangeSweep, RangeTest, RangeTestWarning


def two_valleys(first_at: float, second_at: float, second_depth: float = 1.8):
    """Flat at 2, a valley of depth 0.8 at `first_at`, back up to 2.5, a valley of `second_depth` at `second_at`."""
    a, b = math.log10(first_at), math.log10(second_at)

    def curve(lr: float) -> float:
        x = math.log10(lr)
        if x < a:
            return 2.0 - 0.8 * max(0.0, 1 - (a - x))  # falls over the decade before the first valley
        if x < (a + b) / 2:
            return 1.2 + 1.3 * (x - a) / ((b - a) / 2)  # up to 2.5 half-way between the valleys
        if x < b:
            return 2.5 - (0.5 + second_depth) * (x - (a + b) / 2) / ((b - a) / 2)
        return 2.0 - second_depth + 20 * (x - b) ** 2  # then blows up

    return curve


def read(curve):
    test = RangeTest(RangeSweep(1e-7, 10.0, num_iter=400), beta=0.0)
    test.run(curve)
    result = test.result()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RangeTestWarning)
        bounds = result.suggest_bounds()
    return bounds, [str(warning.message) for warning in caught if "two valleys" in str(warning.message)]


def test_two_valleys_decades_apart_are_told_and_the_first_gives_the_bounds():
    bounds, told = read(two_valleys(1e-5, 1e-2))
    assert len(told) == 1
    message = told[0]
    first = float(message.split("the first, at lr ")[1].split(",")[0])
    second = float(message.split("lies at lr ")[1].split(",")[0])
    assert first == pytest.approx(1e-5, rel=0.1) and second == pytest.approx(1e-2, rel=0.1)
    assert "normalise the inputs or raise start_lr past" in message
    # the same curve without the second valley (it blows up after the bump) gives the same bounds
    first_only = two_valleys(1e-5, 1e-2, second_depth=-0.5)
    assert bounds == read(first_only)[0]
    cliff = bounds[1] * 8  # max_lr = cliff / 8: the cliff lies on the rise after the first valley
    assert 1e-5 < cliff < 10 ** -3.5


@pytest.mark.parametrize("second_at, depth", [
    (5e-5, 1.8),   # deeper, but only 5x further: one broad valley with a bump, not two far apart
    (1e-2, 0.7),   # far apart, but not deeper than the first (depth 0.8)
])
def test_a_second_valley_close_by_or_shallower_is_not_told(second_at, depth):
    _, told = read(two_valleys(1e-5, second_at, depth))
    assert told == []


def test_one_valley_is_not_told():
    from tests.core.test_range_test import valley_loss

    assert read(valley_loss)[1] == []
