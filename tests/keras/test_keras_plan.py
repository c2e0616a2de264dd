"""The range test's plan on Keras (`from_range_test` on both faces) and explicit plans on resume (``plan=``)."""

import warnings

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

from clr_core import OneCycle, RangeSweep, RangeTest  # noqa: E402
from clr_keras import CyclicLR, CyclicLRSchedule  # noqa: E402
from tests.core.test_range_test import run  # noqa: E402
from tests.errors import raised  # noqa: E402

from .keras_helpers import one_weight_model, ones, sgd_weights, weight  # noqa: E402

SHORT = OneCycle(0.1, total_steps=100)
LONG = OneCycle(0.1, total_steps=200)


@pytest.fixture(scope="module")
def result():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(test)
    return test.result()


def test_the_callback_runs_the_plan_and_ends_at_base_lr(result):
    clr = CyclicLR.from_range_test(result, epochs=4, steps_per_epoch=5)
    schedule = result.schedule(epochs=4, steps_per_epoch=5)
    assert clr.schedule == schedule
    model = one_weight_model(0.5)
    model.fit(*ones(5), batch_size=2, epochs=4, verbose=0, shuffle=False, callbacks=[clr])
    lrs = schedule.lr_at(np.arange(20))
    np.testing.assert_array_equal(clr.history["lr"], lrs)
    assert weight(model) == sgd_weights(lrs)[-1]
    assert clr.clr() == pytest.approx(result.suggest_bounds()[0], rel=1e-12)


def test_the_schedule_runs_the_one_cycle_plan_and_the_callback_its_momentum(result):
    schedule = CyclicLRSchedule.from_range_test(result, epochs=2, steps_per_epoch=5, mode="one_cycle")
    plan = result.schedule(epochs=2, steps_per_epoch=5, mode="one_cycle")
    assert schedule.schedule == plan
    model = one_weight_model(schedule)
    model.fit(*ones(5), batch_size=2, epochs=2, verbose=0, shuffle=False)
    assert weight(model) == sgd_weights(plan.lr_at(np.arange(10)))[-1]
    clr = CyclicLR.from_range_test(result, epochs=2, steps_per_epoch=5, mode="one_cycle", cycle_momentum=True)
    assert (clr.base_momentum, clr.max_momentum) == (0.85, 0.95)  # OneCycleLR's, as on every face


def test_anything_but_a_range_test_result_is_refused():
    for face in (CyclicLR, CyclicLRSchedule):
        assert raised(face.from_range_test, (1e-3, 1e-2), epochs=4, steps_per_epoch=5) == (
            TypeError, "result must be a clr_core.RangeTestResult (what clr_keras.range_test returns), got tuple")


def stepped(schedule, steps, **kwargs):
    clr = CyclicLR(schedule=schedule, **kwargs)
    for _ in range(steps):
        clr.state.step()
    return clr


def test_a_changed_plan_warns_naming_both_and_plan_chooses_silently():
    saved = stepped(SHORT, 60).state_dict()
    clr = CyclicLR(schedule=LONG)
    with pytest.warns(UserWarning) as caught:
        clr.load_state_dict(saved)
    assert len(caught) == 1 and "saved OneCycle(max_lr=0.1, total_steps=100," in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        saved_plan, current = CyclicLR(schedule=LONG), CyclicLR(schedule=LONG, cycle_momentum=True)
        saved_plan.load_state_dict(saved, plan="saved")
        current.load_state_dict(stepped(SHORT, 60, cycle_momentum=True, base_momentum=0.5,
                                        max_momentum=0.6).state_dict(), plan="current")
    assert saved_plan.schedule == SHORT and saved_plan.clr() == SHORT.lr_at(60)
    assert current.schedule == LONG and current.clr() == LONG.lr_at(60) and current.trn_iterations == 60
    assert (current.base_momentum, current.max_momentum) == (0.85, 0.95)  # its own bounds too
    assert raised(current.load_state_dict, saved, plan="mine") == (
        ValueError, "plan must be one of 'saved', 'current', got 'mine'")
