"""`History`: the classic dict of lists, exported to CSV and JSON and restored."""

import csv
import io
import json

import pytest

from clr_core import History


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
