"""The problems `eval_methods.py` trains on: the range test's panel (`eval_panel.panel()`) and one more.

The added problem has unnormalised inputs, as raw sensor or tabular data often come: 20 features, each
scaled by ``10**U(-1, 3)`` and shifted, three classes, the panel's MLP. It is the case in which a range
test's curve can show two valleys decades apart.
"""

from __future__ import annotations

import numpy as np
from eval_panel import Problem, _split, panel


def unnormalised() -> Problem:
    """Three classes from 20 features spread over four decades of scale, not standardised."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=2000, n_features=20, n_informative=8, n_classes=3, random_state=4)
    rng = np.random.default_rng(4)
    scale = 10 ** rng.uniform(-1, 3, size=20)
    x = ((x + rng.uniform(0, 5, size=20)) * scale).astype(np.float32)
    return Problem("unnormalised inputs MLP", *_split(x, y, 3, standardise=False), classes=3, architecture="mlp")


def problems() -> list[Problem]:
    """The six problems of the range test's panel and the unnormalised one."""
    return [*panel(), unnormalised()]
