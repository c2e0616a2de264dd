"""The demo's data: scikit-learn's handwritten digits (shipped inside the package, nothing downloaded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Digits:
    """Standardised 8x8 digit images as float32 rows, split once into training and validation sets."""

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any

    @property
    def features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def classes(self) -> int:
        return 10


def load_digits(validation_fraction: float = 0.2, split_seed: int = 0) -> Digits:
    """Load, shuffle with `split_seed`, split, and standardise with the training set's statistics."""
    import numpy as np

    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as error:
        raise ImportError("the demo needs scikit-learn for its data: pip install 'clr-cyclical[demo]'") from error
    images, labels = sklearn_digits(return_X_y=True)
    order = np.random.default_rng(split_seed).permutation(len(labels))
    images, labels = images[order].astype(np.float32), labels[order].astype(np.int64)
    split = int(len(labels) * (1 - validation_fraction))
    mean, std = images[:split].mean(axis=0), images[:split].std(axis=0) + 1e-6
    images = (images - mean) / std
    return Digits(images[:split], labels[:split], images[split:], labels[split:])
