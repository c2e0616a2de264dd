"""The range test tells a sweep that learned nothing, on real torch training (random labels), and only that.

The no-learning guard must fire when the labels are random (the model can learn only the class prior) and
must not fire on the same data with its true labels, under SGD and Adam, for the loss and the validation
accuracy; "diverged at once" is said only when the sweep really did.
"""

import numpy as np
import pytest

from clr_tools.demo.data import load_digits

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def sweep(digits, labels: str, optimizer: str, seed: int, start_lr: float = 1e-5):
    from clr_torch import range_test

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    y = digits.y_train if labels == "true" else np.random.default_rng(seed).permutation(digits.y_train)
    y_val = digits.y_val if labels == "true" else np.random.default_rng(seed + 1).permutation(digits.y_val)
    x, y = torch.from_numpy(digits.x_train), torch.from_numpy(y)
    batches = [(x[k:k + 32], y[k:k + 32]) for k in range(0, len(y) - 31, 32)]
    kind = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    options = {"momentum": 0.9} if optimizer == "sgd" else {}

    def accuracy(output, target):
        return (output.argmax(dim=1) == target).float().mean()

    return range_test(model, kind(model.parameters(), lr=0.01, **options), torch.nn.functional.cross_entropy,
                      batches, start_lr=start_lr, end_lr=10.0, num_iter=120, eval_every=5,
                      metrics={"accuracy": accuracy},
                      validation_data=[(torch.from_numpy(digits.x_val), torch.from_numpy(y_val))])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_random_labels_are_told_as_no_learning_and_true_labels_are_not(digits, optimizer):
    for seed in range(2):
        noise = sweep(digits, "random", optimizer, seed)
        for metric in (None, "val_accuracy"):
            with pytest.raises(ValueError, match=r"the smoothed loss fell only \d+\.\d% of its starting level \(less "
                                                 r"than 5%\) .* the test saw no learning") as caught:
                noise.suggest_bounds(metric=metric)
            assert "diverged at once" not in str(caught.value)
        learned = sweep(digits, "true", optimizer, seed)
        for metric in (None, "val_accuracy"):
            base_lr, max_lr = learned.suggest_bounds(metric=metric)
            assert 1e-5 < base_lr == pytest.approx(max_lr / 4) and max_lr < 10.0 / 8 * 1.000001


def test_diverged_at_once_only_when_it_did(digits):
    result = sweep(digits, "true", "sgd", 0, start_lr=3.0)  # already far past where SGD is stable
    assert result.stopped_early
    with pytest.raises(ValueError, match="the sweep diverged at once; lower start_lr"):
        result.suggest_bounds()
