"""A range test's result saved as JSON and read back: the same result, and nothing but checked plain data."""

import dataclasses
import json
import math
import pathlib

import pytest

from clr_core import RangeSweep, RangeTest, RangeTestResult
from clr_core.range_test import saving
from tests.errors import raised


def swept(points=80, diverge=False):
    test = RangeTest(RangeSweep(1e-7, 1.0, num_iter=points))
    losses = iter(range(points))

    def step(lr):
        k = next(losses)
        return math.inf if diverge and k == points - 5 else 2 - 1.5 * min(1.0, max(0.0, (math.log10(lr) + 4) / 3))

    return test.run(step, evaluate=lambda: {"val_accuracy": 0.5}, eval_every=7)


def test_a_result_round_trips_through_text_and_through_a_file(tmp_path):
    result = swept()
    assert RangeTestResult.from_json(result.to_json()) == result
    result.to_json(tmp_path / "range.json")
    again = RangeTestResult.from_json(tmp_path / "range.json")
    assert again == result and again.suggest_bounds() == result.suggest_bounds()
    assert again.metrics["val_accuracy"] == result.metrics["val_accuracy"] and len(again.metric_steps) > 3


def test_a_diverged_sweep_keeps_its_non_finite_losses():
    result = swept(diverge=True)
    again = RangeTestResult.from_json(result.to_json())
    assert again.stopped_early and math.isinf(again.losses[-1]) and again.lrs == result.lrs
    assert [math.isnan(value) for value in again.smoothed] == [math.isnan(value) for value in result.smoothed]


def test_every_field_of_the_result_is_saved():
    """A field added to RangeTestResult but not to the saved form fails here, not silently on load."""
    saved = json.loads(swept().to_json())
    assert set(saved) - {"format", "version"} == {field.name for field in dataclasses.fields(RangeTestResult)}


def test_an_adaptive_sweep_stays_adaptive_and_a_version_1_file_reads_as_the_sgd_sweep_it_was():
    result = dataclasses.replace(swept(), adaptive=True)
    again = RangeTestResult.from_json(result.to_json())
    assert again.adaptive and again.suggest_bounds() == result.suggest_bounds()
    old = json.loads(swept().to_json())
    del old["adaptive"]
    old["version"] = 1
    assert RangeTestResult.from_json(json.dumps(old)) == swept()


def test_a_string_is_text_never_a_file_name():
    assert raised(RangeTestResult.from_json, "range.json") == (
        ValueError, "a saved range test must be JSON text (to read a file, pass a path object: pathlib.Path(name)): "
                    "Expecting value: line 1 column 1 (char 0)")
    assert raised(RangeTestResult.from_json, b"{}") == (
        TypeError, "source must be JSON text (a str) or a path object, got bytes")


def edited(**changes):
    data = json.loads(swept(points=20).to_json())
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(("text", "error", "message"), [
    ("[]", ValueError, "not a saved range test: expected a JSON object with \"format\": 'clr-range-test'"),
    (edited(extra=1), ValueError, "saved range test has an unknown key 'extra' (allowed: format, version, lrs, "
                                  "losses, smoothed, stopped_early, metric_steps, metrics, group_ratios, adaptive)"),
    (edited(version=3), ValueError, "saved range test 'version' must be 1 or 2, got 3"),
    (edited(version=True), ValueError, "saved range test 'version' must be 1 or 2, got True"),
    (edited(version=1), ValueError, "saved range test has an unknown key 'adaptive' (allowed: format, version, lrs, "
                                    "losses, smoothed, stopped_early, metric_steps, metrics, group_ratios)"),
    (edited(adaptive=1), TypeError, "saved range test 'adaptive' must be true or false, got int"),
    (edited(lrs=[1e-3] * 19 + [-1.0]), ValueError, "saved range test 'lrs' must hold finite numbers > 0"),
    (edited(losses=[1.0]), ValueError, "saved range test 'losses' must have one entry per lr (20), got 1"),
    (edited(losses="1,2"), TypeError, "saved range test 'losses' must be a list of numbers, got str"),
    (edited(losses=[True] * 20), TypeError, "saved range test 'losses' must hold numbers, got bool True"),
    (edited(smoothed=[[1.0]] * 20), TypeError, "saved range test 'smoothed' must hold numbers, got list [1.0]"),
    (edited(stopped_early=0), TypeError, "saved range test 'stopped_early' must be true or false, got int"),
    (edited(metric_steps=[3, 3]), ValueError, "saved range test 'metric_steps' must increase within [0, 20)"),
    (edited(metric_steps=[1.5]), TypeError, "saved range test 'metric_steps' must be a list of whole numbers"),
    (edited(metrics={"acc": [1.0]}), ValueError, "saved range test metrics['acc'] must have one entry per metric "
                                                 "step (3), got 1"),
    (edited(group_ratios=[1.0, 0.0]), ValueError, "saved range test 'group_ratios' must hold one finite number > 0 "
                                                  "per param group"),
    (edited(group_ratios=[]), ValueError, "saved range test 'group_ratios' must hold one finite number > 0 per "
                                          "param group"),
    ("[" * 100_000, ValueError, None),
    ('{"format": "clr-range-test", "lrs": [1e999999]}', ValueError, None),
])
def test_anything_a_save_cannot_have_written_is_refused_by_name(text, error, message):
    kind, said = raised(RangeTestResult.from_json, text)
    assert kind is error
    if message is not None:
        assert said == message
    else:
        assert said.startswith("saved range test") or said.startswith("a saved range test must be JSON text")


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    monkeypatch.setattr(saving, "MAX_CHARACTERS", 100)
    path = pathlib.Path(tmp_path / "big.json")
    path.write_text(" " * 1000 + "{}")
    assert raised(RangeTestResult.from_json, path) == (
        ValueError, "a saved range test holds at most 100 characters, got more")
