"""Module-level scale functions the Keras tests save by import path or by Keras registered name.

Both are written with arithmetic only, so they also run on tensors inside a compiled train step.
"""

import pytest

keras = pytest.importorskip("keras")


def halve_each_cycle(s):
    """``triangular2`` written by hand: a custom per-cycle policy."""
    return 0.5 ** (s - 1.0)


@keras.saving.register_keras_serializable(package="clr_tests")
def slow_decay(s):
    """The classic notebook's custom per-iteration policy, ``1 / 5**(s * 1e-4)``, registered with Keras."""
    return 1.0 / (5.0 ** (s * 0.0001))
