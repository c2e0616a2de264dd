"""The torch range test on the user's own step: `batch_loss` on dict batches, gradient accumulation, AMP with
a step the GradScaler skips, param groups that keep their ratios, and batches it cannot read.

Applied lrs are proved by their effect: one scalar weight, a loss ``w * c`` with a known constant gradient
``c``, plain SGD, so a step moves ``w`` by exactly ``lr * c``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from clr_core import RangeSweep
from tests.errors import raised

torch = pytest.importorskip("torch")

from clr_torch import range_test  # noqa: E402


class Scalar(torch.nn.Module):
    """One weight per group; ``model(c)`` is the loss ``sum_g w_g * c`` (+ 10, so it stays positive)."""

    def __init__(self, groups: int = 1, dtype: Any = None) -> None:
        super().__init__()
        dtype = torch.float64 if dtype is None else dtype  # exact moves, but for the GradScaler (float32)
        self.weights = torch.nn.ParameterList(torch.nn.Parameter(torch.tensor(1.0, dtype=dtype)) for _ in range(groups))

    def forward(self, c: Any) -> Any:
        return sum(w * c for w in self.weights) + 10.0


class Moves:
    """Records each weight's move at every real optimizer step (the hooks run only when the step runs)."""

    def __init__(self, model: Scalar, optimizer: Any) -> None:
        self.steps: list[list[float]] = []
        self._before: list[float] = []
        optimizer.register_step_pre_hook(lambda *_: self._start(model))
        optimizer.register_step_post_hook(lambda *_: self._end(model))

    def _start(self, model: Scalar) -> None:
        self._before = [float(w.detach()) for w in model.weights]

    def _end(self, model: Scalar) -> None:
        self.steps.append([before - float(w.detach()) for before, w in zip(self._before, model.weights)])


class Counted:
    """A list of batches that counts the batches handed out."""

    def __init__(self, batches: list[Any]) -> None:
        self.batches, self.given = batches, 0

    def __iter__(self) -> Any:
        for batch in self.batches:
            self.given += 1
            yield batch


def sweep_lrs(start: float, end: float, num_iter: int) -> list[float]:
    sweep = RangeSweep(start, end, num_iter)
    return [sweep.lr_at(k) for k in range(num_iter)]


# --- batch_loss: dict batches, a model that computes its own loss -------------------------------------------

class SelfLoss(torch.nn.Module):
    """A Hugging Face style model: keyword inputs, and its output carries the loss."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))

    def forward(self, features: Any, labels: Any = None) -> dict[str, Any]:
        output = self.net(features)
        loss = None if labels is None else torch.nn.functional.mse_loss(output, labels)
        return {"logits": output, "loss": loss}


def regression(seed: int, count: int) -> list[tuple[Any, Any]]:
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        x = torch.randn(16, 4, generator=generator)
        out.append((x, x.sum(dim=1, keepdim=True).sin()))
    return out


def test_batch_loss_on_dict_batches_gives_the_curve_of_loss_fn_on_the_same_data() -> None:
    pairs, validation = regression(0, 6), regression(1, 2)
    torch.manual_seed(0)
    model = SelfLoss()
    before = copy.deepcopy(model.state_dict())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    common = {"start_lr": 1e-3, "end_lr": 10.0, "num_iter": 40, "eval_every": 5}

    def mse_of_logits(output: Any, target: Any) -> Any:
        return torch.nn.functional.mse_loss(output["logits"], target)

    by_pairs = range_test(model, optimizer, mse_of_logits, pairs, validation_data=validation, **common)
    dicts = [{"features": x, "labels": y} for x, y in pairs]
    by_dicts = range_test(model, optimizer, None, dicts, batch_loss=lambda model, batch: model(**batch)["loss"],
                          validation_data=[{"features": x, "labels": y} for x, y in validation], **common)
    assert by_dicts.lrs == by_pairs.lrs and by_dicts.losses == by_pairs.losses
    # equal-sized validation batches: the equal weights of batch_loss give the size-weighted mean
    assert by_dicts.metrics["val_loss"] == pytest.approx(by_pairs.metrics["val_loss"], rel=1e-12)
    assert by_dicts.metric_steps == by_pairs.metric_steps and len(by_pairs.metric_steps) >= 4
    assert all(torch.equal(model.state_dict()[key], value) for key, value in before.items())


def test_the_optimizers_class_tells_whether_it_is_adaptive_and_adaptive_decides_instead() -> None:
    pairs = regression(0, 8)
    common: dict[str, Any] = {"start_lr": 1e-6, "end_lr": 100.0, "num_iter": 100}

    def sweep(optimizer_class: Any, **options: Any) -> Any:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
        return range_test(model, optimizer_class(model.parameters()), torch.nn.functional.mse_loss, pairs,
                          **common, **options)

    assert [sweep(kind).adaptive for kind in (torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop,
                                              torch.optim.Adagrad, torch.optim.SGD)] == [True] * 4 + [False]
    told, overridden = sweep(torch.optim.Adam), sweep(torch.optim.Adam, adaptive=False)
    assert told.losses == overridden.losses and not overridden.adaptive  # the same sweep, read as SGD's
    assert told.suggest_bounds()[1] == pytest.approx(overridden.suggest_bounds()[1] / 4)
    assert sweep(torch.optim.SGD, adaptive=True).adaptive

    class Wrapper(torch.optim.Optimizer):  # as Accelerate's AcceleratedOptimizer: the real one inside
        def __init__(self, params: Any) -> None:
            self.optimizer = torch.optim.Adam(params)
            self.param_groups, self.defaults, self.state = self.optimizer.param_groups, {}, self.optimizer.state

        def step(self, closure: Any = None) -> Any:
            return self.optimizer.step(closure)

        def zero_grad(self, set_to_none: bool = True) -> None:
            self.optimizer.zero_grad(set_to_none)

        def state_dict(self) -> Any:
            return self.optimizer.state_dict()

        def load_state_dict(self, state_dict: Any) -> None:
            self.optimizer.load_state_dict(state_dict)

    assert sweep(Wrapper).adaptive and sweep(Wrapper).losses == told.losses


def test_batches_the_runner_cannot_read_are_refused_by_name_and_leave_everything_as_it_was() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = copy.deepcopy(model.state_dict())
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    mse = torch.nn.functional.mse_loss
    dicts = [{"input_ids": x, "labels": y}]
    assert raised(range_test, model, optimizer, mse, dicts, num_iter=5) == (
        TypeError, "data must give (x, y) batches for loss_fn(model(x), y), got a dict batch with keys "
                   "['input_ids', 'labels']: for any other batch pass batch_loss=lambda model, batch: <its loss> "
                   "and None as loss_fn")
    assert raised(range_test, model, optimizer, mse, [(x, y, y)], num_iter=5) == (
        TypeError, "data must give (x, y) batches for loss_fn(model(x), y), got a tuple batch of 3 items: for any "
                   "other batch pass batch_loss=lambda model, batch: <its loss> and None as loss_fn")
    assert raised(range_test, model, optimizer, mse, [(x, y)], num_iter=5, validation_data=[x]) == (
        TypeError, "validation_data must give (x, y) batches for loss_fn(model(x), y), got a Tensor batch: for any "
                   "other batch pass batch_loss=lambda model, batch: <its loss> and None as loss_fn")
    assert raised(range_test, model, optimizer, None, [(x, y)], num_iter=5) == (
        TypeError, "range_test needs loss_fn (loss_fn(model(x), y) on (x, y) batches) or batch_loss "
                   "(batch_loss(model, batch) on any batch), got neither")
    assert raised(range_test, model, optimizer, mse, [(x, y)], batch_loss=lambda m, b: mse(m(b[0]), b[1])) == (
        ValueError, "pass loss_fn or batch_loss, not both: with batch_loss, pass None as loss_fn")
    assert raised(range_test, model, optimizer, None, [(x, y)], num_iter=5, batch_loss=lambda m, b: m(b[0])) == (
        TypeError, "batch_loss must return the batch's loss as a scalar tensor, got a tensor of shape (8, 1)")
    assert raised(range_test, model, optimizer, lambda output, target: 1.0, [(x, y)], num_iter=5) == (
        TypeError, "loss_fn must return the batch's loss as a scalar tensor, got float")
    assert raised(range_test, model, optimizer, None, [(x, y)], batch_loss=lambda m, b: mse(m(b[0]), b[1]),
                  validation_data=[(x, y)], metrics={"mae": lambda o, t: (o - t).abs().mean()}) == (
        ValueError, "metrics read metric(model(x), y), which batch_loss does not give: with batch_loss, read the "
                    "validation loss (result.metrics['val_loss'])")
    assert raised(range_test, model, optimizer, mse, [(x, y)], accumulation_steps=0) == (
        ValueError, "accumulation_steps must be an int >= 1, got 0")
    assert raised(range_test, model, optimizer, mse, [(x, y)], scaler=object()) == (
        TypeError, "scaler must be a torch.amp.GradScaler or None, got object")
    assert raised(range_test, model, optimizer, mse, [(x, y)], autocast="bf16") == (
        TypeError, "autocast must be a torch.autocast(...) or None, got str")
    frozen = torch.optim.SGD([{"params": [model.weight], "lr": 0.0}, {"params": [model.bias], "lr": 0.1}])
    assert raised(range_test, model, frozen, mse, [(x, y)]) == (
        ValueError, "optimizer.param_groups[0]['lr'] must be a finite lr > 0 (the other param groups keep their "
                    "ratio to it through the sweep), got 0.0")
    assert all(torch.equal(model.state_dict()[key], value) for key, value in before.items())
    assert [group["lr"] for group in optimizer.param_groups] == [0.1]


# --- accumulation: one point is k batches and one optimizer step ----------------------------------------------

def test_accumulation_takes_one_optimizer_step_per_point_over_k_batches_at_the_sweep_lr() -> None:
    k, num_iter = 3, 8
    constants = [1.0, 2.0, 6.0]  # each step's k batches: the step follows their mean gradient, 3.0
    data = Counted([torch.tensor(c, dtype=torch.float64) for c in constants])
    model = Scalar()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    moves = Moves(model, optimizer)
    result = range_test(model, optimizer, None, data, batch_loss=lambda model, c: model(c), start_lr=1e-3,
                        end_lr=1e-1, num_iter=num_iter, accumulation_steps=k)
    expected = sweep_lrs(1e-3, 1e-1, num_iter)
    assert result.lrs == expected
    assert data.given == k * num_iter and len(moves.steps) == num_iter  # k batches, one step per point
    assert [move[0] / 3.0 for move in moves.steps] == pytest.approx(expected, rel=1e-9)
    # each point's loss is the mean of its k batches' losses, taken before the step
    weight = 1.0
    for lr, loss in zip(expected, result.losses):
        assert loss == pytest.approx(weight * 3.0 + 10.0, rel=1e-6)
        weight -= lr * 3.0


# --- AMP: autocast, and a step the GradScaler skips is no point -----------------------------------------------

def test_a_step_the_grad_scaler_skips_is_no_point_and_the_same_lr_runs_on_the_next_batch() -> None:
    # A scale of 2**127 overflows float32 at a gradient of 3 (3 * 2**127 > 3.4e38): the scaler skips the
    # first step and backs off to 2**126, where 3 fits and 300 (the sixth batch) overflows again.
    constants = [3.0] * 5 + [300.0] + [3.0] * 10
    data = Counted([torch.tensor(c) for c in constants])
    model = Scalar(dtype=torch.float32)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    moves = Moves(model, optimizer)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 127)
    num_iter = 10
    result = range_test(model, optimizer, None, data, batch_loss=lambda model, c: model(c), start_lr=1e-3,
                        end_lr=1e-1, num_iter=num_iter, scaler=scaler)
    expected = sweep_lrs(1e-3, 1e-1, num_iter)
    assert result.lrs == expected and len(result.losses) == num_iter and not result.stopped_early
    assert data.given == num_iter + 2 and len(moves.steps) == num_iter  # two skipped, ten applied
    assert [move[0] / 3.0 for move in moves.steps] == pytest.approx(expected, rel=1e-3)  # float32 moves
    assert scaler.get_scale() == 2.0 ** 127  # restored, as the model and the optimizer


def test_gradients_that_overflow_at_every_scale_stop_the_test_as_divergence_after_max_skips() -> None:
    from clr_torch.range_test import MAX_SKIPS

    data = Counted([torch.tensor(3.0)])
    model = Scalar(dtype=torch.float32)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    moves = Moves(model, optimizer)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 127, backoff_factor=0.9999)  # never backs off enough
    result = range_test(model, optimizer, None, data, batch_loss=lambda model, c: model(c), num_iter=10, scaler=scaler)
    assert result.stopped_early and result.losses == [math.inf] and result.lrs == [1e-7]
    assert data.given == MAX_SKIPS and moves.steps == []


def test_every_loss_runs_under_the_users_autocast_in_training_and_evaluation() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []

    def batch_loss(model: Any, batch: Any) -> Any:
        output = model(batch[0])
        seen.append((output.dtype, torch.is_grad_enabled()))
        return torch.nn.functional.mse_loss(output.float(), batch[1])

    data = regression(0, 2)
    range_test(model, optimizer, None, data, batch_loss=batch_loss, num_iter=4, validation_data=data[:1],
               eval_every=2, autocast=torch.autocast("cpu", dtype=torch.bfloat16))
    assert seen == [(torch.bfloat16, True)] * 2 + [(torch.bfloat16, False)] + [(torch.bfloat16, True)] * 2 + \
        [(torch.bfloat16, False)]
    assert not torch.is_autocast_enabled("cpu")  # left as it was
    assert model(data[0][0]).dtype == torch.float32


# --- param groups keep their ratios --------------------------------------------------------------------------

def test_each_param_group_runs_at_its_own_starting_lr_times_the_sweep_factor() -> None:
    model = Scalar(groups=3)
    optimizer = torch.optim.SGD([{"params": [model.weights[0]], "lr": 0.2},  # the head
                                 {"params": [model.weights[1]], "lr": 0.02},  # a backbone at a tenth
                                 {"params": [model.weights[2]], "lr": torch.tensor(0.05, dtype=torch.float64)}])
    held = optimizer.param_groups[2]["lr"]
    moves = Moves(model, optimizer)
    num_iter = 6
    data = [torch.tensor(2.0, dtype=torch.float64)]
    result = range_test(model, optimizer, None, data, batch_loss=lambda model, c: model(c), start_lr=1e-3,
                        end_lr=1e-1, num_iter=num_iter)
    expected = sweep_lrs(1e-3, 1e-1, num_iter)
    assert result.group_ratios == pytest.approx([1.0, 0.1, 0.25], rel=1e-6)
    for lr, move in zip(expected, moves.steps):
        assert [m / 2.0 for m in move] == pytest.approx([lr * ratio for ratio in result.group_ratios], rel=1e-9)
    assert [float(group["lr"]) for group in optimizer.param_groups] == pytest.approx([0.2, 0.02, 0.05], rel=1e-7)
    assert optimizer.param_groups[2]["lr"] is held


def test_the_result_gives_each_param_groups_bounds(digits: Any) -> None:
    torch.manual_seed(0)
    backbone = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU())
    head = torch.nn.Linear(32, 10)
    model = torch.nn.Sequential(backbone, head)
    optimizer = torch.optim.SGD([{"params": head.parameters(), "lr": 1e-2},
                                 {"params": backbone.parameters(), "lr": 1e-3}], momentum=0.9)
    x, y = torch.from_numpy(digits.x_train), torch.from_numpy(digits.y_train)
    batches = [(x[k:k + 32], y[k:k + 32]) for k in range(0, len(y), 32)]
    result = range_test(model, optimizer, torch.nn.functional.cross_entropy, batches, start_lr=1e-4,
                        end_lr=10.0, num_iter=120)
    base_lr, max_lr = result.suggest_bounds()
    (head_base, head_max), (backbone_base, backbone_max) = result.suggest_group_bounds()
    assert (head_base, head_max) == (base_lr, max_lr)
    assert (backbone_base, backbone_max) == pytest.approx((base_lr / 10, max_lr / 10), rel=1e-12)


@pytest.fixture(scope="module")
def digits() -> Any:
    pytest.importorskip("sklearn")
    from clr_tools.demo.data import load_digits

    return load_digits()
