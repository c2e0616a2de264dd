"""A torch checkpoint is data: loading a scheduler's state never imports a function, and another function
(same name, other code) is refused."""

import io

import pytest

torch = pytest.importorskip("torch")

from clr_core import CyclicSchedule  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402
from tests.side_effects import SideEffectModule  # noqa: E402

from .clr_torch_helpers import group_lrs, make_optimizer  # noqa: E402


def checkpoint(scheduler):
    """The state after torch.save and torch.load(weights_only=True), as a user's checkpoint holds it."""
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def stepped(scheduler, steps=3):
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
    return scheduler


def test_a_checkpoint_naming_an_import_path_is_refused_and_imports_nothing(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = SideEffectModule(tmp_path)
    saved = checkpoint(stepped(CyclicLR(make_optimizer(), step_size=4.0)))
    saved["schedule_state"]["schedules"][0]["description"]["scale_fn"] = {"import_path": module.path}
    scheduler = CyclicLR(make_optimizer(), step_size=4.0)
    before, lrs = scheduler.state_dict(), group_lrs(scheduler.optimizer)
    with pytest.raises(ValueError, match="a state dict never brings a function"):
        scheduler.load_state_dict(saved)
    module.assert_not_imported()
    assert scheduler.state_dict() == before and group_lrs(scheduler.optimizer) == lrs


def test_another_lambda_is_refused_and_the_same_one_resumes():
    saved = checkpoint(stepped(CyclicLR(make_optimizer(), step_size=4.0, scale_fn=lambda s: 0.5)))
    other = CyclicLR(make_optimizer(), step_size=4.0, scale_fn=lambda s: 0.9)
    with pytest.raises(ValueError, match="its code differs"):
        other.load_state_dict(saved)
    same = CyclicLR(make_optimizer(), step_size=4.0, scale_fn=lambda s: 0.5)
    same.load_state_dict(saved)
    expected = CyclicSchedule(step_size=4.0, scale_fn=lambda s: 0.5).lr_at(3)
    assert group_lrs(same.optimizer) == [expected]


@pytest.mark.parametrize("format_value", [True, 1.0, "1"])
def test_a_format_that_only_equals_one_is_refused(format_value):
    saved = checkpoint(stepped(CyclicLR(make_optimizer(), step_size=4.0)))
    saved["format"] = format_value
    with pytest.raises(ValueError, match="state_dict must come from clr_torch.CyclicLR.state_dict"):
        CyclicLR(make_optimizer(), step_size=4.0).load_state_dict(saved)
