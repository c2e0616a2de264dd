"""`History`: the classic dict of lists, exported to CSV and JSON and restored."""

import csv
import io
import json

import pytest

from clr_core import History
from tests.errors import raised


def sample() -> History:
    history = History()
    history.add_step(1, 0.1, loss=2.0)
    history.add_step(2, 0.2)
    history.add_step(3, 0.3)
    history.add_metrics(3, loss=1.0, accuracy=0.75)
    return history


def test_it_is_a_dict_of_lists_like_the_classic_callbacks():
    history = sample()
    assert isinstance(history, dict)
    assert list(history) == ["lr", "iterations", "loss", "accuracy"]
    assert history["lr"] == [0.1, 0.2, 0.3] and history["iterations"] == [1, 2, 3]
    assert json.loads(json.dumps(history.to_dict())) == dict(history) == history.to_dict()


def test_csv_puts_each_value_on_the_row_of_its_iteration(tmp_path):
    path = tmp_path / "history.csv"
    sample().to_csv(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert rows == [
        {"iterations": "1", "lr": "0.1", "loss": "2.0", "accuracy": ""},
        {"iterations": "2", "lr": "0.2", "loss": "", "accuracy": ""},
        {"iterations": "3", "lr": "0.3", "loss": "1.0", "accuracy": "0.75"},
    ]


def test_json_round_trip_through_a_file_and_through_text(tmp_path):
    original = sample()
    path = tmp_path / "history.json"
    text = original.to_json(path)
    for restored in (History.from_json(path), History.from_json(text)):
        assert restored == original and restored.at("loss") == [1, 3]
        assert restored.to_csv() == original.to_csv()


def test_load_state_dict_replaces_everything():
    history = History()
    history.add_step(1, 9.0, other=1.0)
    history.load_state_dict(sample().state_dict())
    assert history == sample() and "other" not in history


def test_misaligned_state_is_refused():
    state = json.loads(sample().to_json())  # the readable layout of to_json (the state format 1 layout)
    state["at"]["loss"] = [1]
    with pytest.raises(ValueError, match="history 'loss' has 2 values but 1 iterations"):
        History.from_state_dict(state)


def test_iterations_is_not_a_metric_name():
    with pytest.raises(ValueError, match="'iterations' is recorded by the history itself"):
        History().add_metrics(1, iterations=3)


def test_csv_columns_start_with_iterations_and_lr_whatever_was_logged_first():
    history = History()
    history.add_metrics(0, loss=3.0)
    history.add_step(1, 0.1, loss=2.0)
    assert history.to_csv().splitlines()[0] == "iterations,lr,loss"


@pytest.mark.parametrize("keep", [True, False, 3, 200])
def test_extend_records_what_add_step_would(keep):
    import numpy as np

    stepped, extended = History(keep=keep), History(keep=keep)
    for history in (stepped, extended):
        history.add_step(1, 0.5, loss=1.0)
    for k in range(2, 302):
        stepped.add_step(k, k / 1000, loss=1.0 / k, accuracy=k / 302)
    extended.extend(iterations=np.arange(2, 302), lr=[k / 1000 for k in range(2, 302)],
                    loss=tuple(1.0 / k for k in range(2, 302)), accuracy=np.arange(2, 302) / 302)
    assert extended == stepped and extended.to_csv() == stepped.to_csv()
    assert extended.state_dict() == stepped.state_dict()
    for history in (stepped, extended):
        history.add_step(400, 0.1, loss=0.0)
    assert extended.to_csv() == stepped.to_csv() and History.from_state_dict(extended.state_dict()) == extended


@pytest.mark.parametrize(("arguments", "expected"), [
    ({"iterations": [3, 4], "lr": [0.1]}, (ValueError, "history.extend 'lr' must have one value per iteration (2), "
                                                       "got 1")),
    ({"iterations": [3, 4], "lr": [0.1, float("nan")]}, (ValueError, "history 'lr' must hold finite learning "
                                                                     "rates >= 0, got nan")),
    ({"iterations": [4, 3], "lr": [0.1, 0.2]}, (ValueError, "history 'iterations' must increase (one entry per "
                                                            "step), got [4, 3]")),
    ({"iterations": [2, 3], "lr": [0.1, 0.2]}, (ValueError, "iteration must increase from step to step (the "
                                                            "latest recorded is 2), got 2")),
    ({"iterations": [3, 2**53 + 1], "lr": [0.1, 0.2]}, (ValueError, "history 'iterations' entry must be an int "
                                                                    "in [0, 2**53], got 9007199254740993")),
    ({"iterations": [3, 4.0], "lr": [0.1, 0.2]}, (TypeError, "history 'iterations' entry must be an int >= 0, got "
                                                             "float 4.0")),
    ({"iterations": [3, 4], "lr": [0.1, 0.2], "loss": "ab"}, (TypeError, "history.extend 'loss' must be a sequence "
                                                                         "of numbers, got str")),
])
def test_extend_refuses_what_the_loader_refuses_and_records_nothing(arguments, expected):
    history = History()
    history.add_step(2, 0.5, loss=1.0)
    before = history.state_dict()
    assert raised(history.extend, **arguments) == expected
    assert history.state_dict() == before
