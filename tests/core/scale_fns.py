"""Module-level scale functions that configs can name by import path (``tests.core.scale_fns:...``)."""

import math


def halve_each_cycle(s: float) -> float:
    return 0.5 ** (s - 1)


def slow_decay(s: float) -> float:
    return math.exp(-s / 1000.0)


def also_halve_each_cycle(s: float) -> float:
    return 0.5 ** (s - 1)


def negative_factor(s: float) -> float:
    return -0.5


def factor_above_one(s: float) -> float:
    return 2.0
