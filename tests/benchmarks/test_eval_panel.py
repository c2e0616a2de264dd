"""The evaluation panel's problems still build and train (the evaluation itself is not run here: minutes).

`make eval-range-test` and other evaluations read `benchmarks/eval_panel.py`; a renamed argument or a broken
model would otherwise show only when someone runs them. Each problem trains 10 steps in torch here.
"""

import math
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import eval_panel


def test_the_panel_is_six_problems_of_different_kinds_beside_the_known_four():
    panel, known = eval_panel.panel(), eval_panel.known()
    assert len(panel) == 6 and len(known) == 4
    assert len({problem.architecture for problem in panel}) >= 5
    assert not {problem.name for problem in panel} & {problem.name for problem in known}
    assert all(len(problem.grid) == 8 for problem in panel + known)


@pytest.mark.parametrize("problem", eval_panel.panel() + eval_panel.known(), ids=lambda problem: problem.name)
def test_every_problem_trains_in_torch(problem):
    scores = eval_panel.TorchSide().train(problem, 0, lambda step: problem.grid[2], eval_panel.EVAL_EVERY)
    assert len(scores) == 1 and math.isfinite(scores[0])
