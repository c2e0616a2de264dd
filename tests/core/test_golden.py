"""Golden per-step tables small enough to check by hand (base_lr 1, max_lr 5, step_size 4 unless said)."""

import pytest

from clr_core import CyclicSchedule, ScheduleState

TABLES = {
    "triangular": [1, 2, 3, 4, 5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3, 2, 1],
    "triangular2": [1, 2, 3, 4, 5, 4, 3, 2, 1, 1.5, 2, 2.5, 3, 2.5, 2, 1.5, 1, 1.25, 1.5],
}


@pytest.mark.parametrize("mode", sorted(TABLES))
def test_cycle_modes_follow_the_hand_table(mode):
    schedule = CyclicSchedule(base_lr=1, max_lr=5, step_size=4, mode=mode)
    assert [schedule.lr_at(i) for i in range(len(TABLES[mode]))] == TABLES[mode]


def test_exp_range_scales_by_gamma_to_the_iteration():
    # step_size 2: heights 0, .5, 1, .5, 0, .5, ...; factor 0.5**i
    schedule = CyclicSchedule(base_lr=1, max_lr=5, step_size=2, mode="exp_range", gamma=0.5)
    assert [schedule.lr_at(i) for i in range(6)] == [1, 1 + 4 * 0.5 * 0.5, 1 + 4 * 0.25, 1 + 4 * 0.5 * 0.125,
                                                    1, 1 + 4 * 0.5 * 0.5**5]


def test_asymmetric_cycle_rises_in_step_size_and_falls_in_step_size_down():
    schedule = CyclicSchedule(base_lr=0, max_lr=4, step_size=2, step_size_down=4)
    assert [schedule.lr_at(i) for i in range(8)] == [0, 2, 4, 3, 2, 1, 0, 2]


def test_exp_range_restarts_after_reset_because_scale_fn_receives_cycle_iterations():
    state = ScheduleState(CyclicSchedule(base_lr=1, max_lr=5, step_size=2, mode="exp_range", gamma=0.5))
    lrs = [state.lr] + [state.step() for _ in range(2)]
    state.reset()
    lrs += [state.lr] + [state.step() for _ in range(2)]
    assert lrs == [1, 2, 2, 1, 2, 2]
    assert state.history["iterations"] == [1, 2, 3, 4]
    assert state.history["lr"] == [1, 2, 1, 2]


@pytest.mark.parametrize(("scale_mode", "expected"),
                         [("cycle", [1.0, 1.0, 2.0, 2.0]), ("iterations", [0.0, 3.0, 4.0, 7.0])])
def test_what_a_custom_scale_fn_receives(scale_mode, expected):
    received = []

    def spy(s):
        received.append(s)
        return 1.0

    schedule = CyclicSchedule(step_size=2, scale_fn=spy, scale_mode=scale_mode)
    for i in (0, 3, 4, 7):
        schedule.lr_at(i)
    assert received == expected
    assert all(type(s) is float for s in received)


def test_table_near_one_billion_iterations():
    # 10**9 is exactly 250000 cycles of 4000 iterations.
    triangular = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=2000)
    triangular2 = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=2000, mode="triangular2")
    at = [10**9, 10**9 + 1, 10**9 + 1000, 10**9 + 2000, 10**9 + 3999]
    assert [triangular.lr_at(i) for i in at] == pytest.approx(
        [0.001, 0.001 + 0.005 / 2000, 0.0035, 0.006, 0.001 + 0.005 / 2000], rel=1e-12)
    # cycle 250001: the amplitude has underflowed to 0, and nothing overflowed on the way.
    assert [triangular2.lr_at(i) for i in at] == [0.001] * len(at)
    assert triangular2.lr_at(2**52) == 0.001
