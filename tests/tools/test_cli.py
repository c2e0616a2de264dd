"""The `clr` command line, run as a user runs it: the installed console script."""

import pathlib
import shutil
import subprocess
import sys

import pytest

from tests.tools.conftest import PNG_SIGNATURE, assert_png

pytest.importorskip("matplotlib")


def clr(*arguments, **kwargs):
    command = shutil.which("clr", path=str(__import__("pathlib").Path(sys.executable).parent)) or "clr"
    return subprocess.run([command, *arguments], capture_output=True, text=True, **kwargs)


def test_plot_writes_the_png_it_names(tmp_path):
    output = tmp_path / "lr.png"
    result = clr("plot", "--mode", "exp_range", "--gamma", "0.999", "--base-lr", "1e-3", "--max-lr", "6e-3",
                 "--step-size", "200", "--iterations", "2000", "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {output}"
    assert_png(output)


def test_plot_accepts_a_custom_scale_function_by_import_path(tmp_path):
    output = tmp_path / "custom.png"
    result = clr("plot", "--scale-fn", "tests.core.scale_fns:halve_each_cycle", "--iterations", "100",
                 "--step-size", "10", "-o", str(output), cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert result.returncode == 0, result.stderr
    assert_png(output)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--max-lr", "-1"], "clr plot: error: max_lr must be a finite number >= 0, got -1.0"),
    (["--mode", "cosine"], "argument --mode: invalid choice: 'cosine'"),
    (["--scale-fn", "nowhere:f"], "clr plot: error: scale_fn import path 'nowhere:f' cannot be loaded"),
])
def test_bad_arguments_exit_2_with_a_clear_message(arguments, message, tmp_path):
    result = clr("plot", *arguments, "-o", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "x.png").exists()


def assert_one_line_error(result, command="plot"):
    """Failed with a non-zero status and one line `clr <command>: error: ...` on stderr, no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"clr {command}: error: "), result.stderr
    return lines[0]


SCALES = """
def overflowing(s):
    return 10.0 ** (s * 400)

def negative(s):
    return -1.0

def broken(s):
    return 1 / 0
"""


@pytest.mark.parametrize(("arguments", "message"), [
    (["-o", "{tmp}/no/such/folder/lr.png"], "cannot write '{tmp}/no/such/folder/lr.png': the folder "
                                            "'{tmp}/no/such/folder' does not exist"),
    (["-o", "{tmp}"], "cannot write '{tmp}': it is a folder; give a file name"),
    (["--iterations", str(2**63)], "argument --iterations: must be between 1 and 10000000, got 9223372036854775808"),
    (["--iterations", "0"], "argument --iterations: must be between 1 and 10000000, got 0"),
    (["--iterations", "1e9"], "argument --iterations: must be a whole number, got '1e9'"),
    (["--scale-fn", "scales:overflowing"], "OverflowError"),
    (["--scale-fn", "scales:negative"], "scale_fn returned -1.0 for s=1.0; it must return a number in [0, 1]"),
    (["--scale-fn", "scales:broken"], "ZeroDivisionError: division by zero"),
    (["--no-such-option"], "unrecognized arguments: --no-such-option"),
])
def test_every_failure_is_one_line_without_a_traceback(arguments, message, tmp_path):
    (tmp_path / "scales.py").write_text(SCALES)
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    output = [] if "-o" in arguments else ["-o", str(tmp_path / "lr.png")]
    result = clr("plot", "--iterations", "50", "--step-size", "10", *arguments, *output, cwd=str(tmp_path))
    assert message.replace("{tmp}", str(tmp_path)) in assert_one_line_error(result)
    assert not (tmp_path / "lr.png").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) in (["scales.py"], ["__pycache__", "scales.py"])


def test_a_missing_optional_package_names_the_extra_to_install(tmp_path):
    program = ("import sys; sys.modules['numpy'] = None; sys.modules['matplotlib'] = None; "
               "from clr_tools.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", program, "plot", "-o", str(tmp_path / "lr.png")],
                            capture_output=True, text=True)
    line = assert_one_line_error(result)
    assert line.endswith('pip install "clr-cyclical[plot]"')


def test_a_missing_command_is_one_line_too():
    result = clr()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["clr: error: the following arguments are required: command"]


def test_the_version_and_the_help_need_no_extra():
    """On a bare install (no numpy, no matplotlib, no framework) --version and --help still answer."""
    import clr_core

    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in ("numpy", "matplotlib", "torch", "keras",
                                                                    "sklearn", "jax", "tensorflow"))
    program = f"import sys; {blocked}; from clr_tools.cli import main; sys.exit(main(sys.argv[1:]))"
    for arguments, expected in ((["--version"], f"clr {clr_core.__version__}"), (["--help"], "usage: clr"),
                                (["plot", "--help"], "usage: clr plot"), (["demo", "--help"], "[demo] extra")):
        result = subprocess.run([sys.executable, "-c", program, *arguments], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert expected in " ".join(result.stdout.split())


def test_a_missing_package_of_the_demo_names_the_demo_extra(tmp_path):
    program = ("import sys; sys.modules['torch'] = None; sys.modules['keras'] = None; "
               "from clr_tools.cli import main; sys.exit(main(sys.argv[1:]))")
    for framework, extra in (("torch", "demo"), ("keras", "demo,keras")):
        result = subprocess.run([sys.executable, "-c", program, "demo", "--framework", framework, "--output",
                                 str(tmp_path / "out")], capture_output=True, text=True)
        line = assert_one_line_error(result, "demo")
        assert line.endswith(f'pip install "clr-cyclical[{extra}]"')


def svg_texts(path):
    """The root tag and the texts matplotlib drew (it writes each text as a comment beside its glyphs)."""
    import re
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.parse(path).getroot()
    return root.tag, re.findall(r"<!-- (.*?) -->", pathlib.Path(path).read_text())


def assert_pdf(path):
    data = pathlib.Path(path).read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and len(data) > 1000


def test_the_format_follows_the_suffix(tmp_path):
    for name in ("lr.svg", "lr.pdf", "lr.PNG", "lr"):
        result = clr("plot", "--iterations", "100", "--step-size", "10", "-o", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
    assert svg_texts(tmp_path / "lr.svg")[0] == "{http://www.w3.org/2000/svg}svg"
    assert_pdf(tmp_path / "lr.pdf")
    assert_png(tmp_path / "lr.PNG")
    assert_png(tmp_path / "lr")
    result = clr("plot", "--iterations", "100", "--format", "pdf", "-o", str(tmp_path / "picture.img"))
    assert result.returncode == 0, result.stderr
    assert_pdf(tmp_path / "picture.img")


def test_an_unknown_suffix_or_an_empty_name_is_refused_before_any_work(tmp_path):
    (tmp_path / "scales.py").write_text("def f(s):\n    raise SystemExit('ran')\n")
    result = clr("plot", "--scale-fn", "scales:f", "-o", str(tmp_path / "lr.jpg"), cwd=str(tmp_path))
    assert assert_one_line_error(result) == (
        f"clr plot: error: cannot tell the format of '{tmp_path}/lr.jpg': its suffix '.jpg' is not one of .png, "
        f".svg, .pdf; name one of them, or give the format (--format, format=)")
    assert assert_one_line_error(clr("plot", "-o", "")) == "clr plot: error: output must be a file name, got ''"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["scales.py"]


def test_each_kind_by_flags_and_its_title(tmp_path):
    runs = {
        "cyclic": (["--mode", "triangular2", "--step-size", "50"], "CyclicSchedule 'triangular2': 0.001 to 0.006"),
        "one": (["--kind", "one_cycle", "--max-lr", "0.1", "--total-steps", "300"], "OneCycle: 4e-07 to 0.1"),
        "restarts": (["--kind", "cosine_restarts", "--period", "100", "--min-lr", "0.01", "--max-lr", "0.5"],
                     "CosineRestarts: 0.01 to 0.5"),
        "warm": (["--warmup-steps", "20", "--step-size", "50"], "Anneal then CyclicSchedule 'triangular': 0 to 0.006"),
        "wsd": (["--kind", "wsd", "--max-lr", "0.01", "--warmup-steps", "30", "--decay-steps", "60", "--shape",
                 "linear", "--steps-per-epoch", "30"], "WSD: 0 to 0.01"),
    }
    for name, (arguments, title) in runs.items():
        result = clr("plot", *arguments, "--iterations", "300", "-o", str(tmp_path / f"{name}.svg"))
        assert result.returncode == 0, result.stderr
        assert title in svg_texts(tmp_path / f"{name}.svg")[1]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--kind", "one_cycle", "--step-size", "3"], "--step-size does not apply to --kind one_cycle"),
    (["--kind", "cosine_restarts"], "--kind cosine_restarts needs --period"),
    (["--kind", "wsd"], "--kind wsd needs --decay-steps"),
    (["--kind", "wsd", "--decay-steps", "9", "--warmup-steps", "2.5"],
     "warmup_steps must be an int >= 0, got float 2.5"),
    (["--config", "x.json", "--max-lr", "1"], "--max-lr describes a schedule by flags; it cannot go with a file "
                                              "(--config, --history or --range-test)"),
    (["--metric", "acc"], "--metric goes with --range-test"),
    (["--range-test", "r.json", "--steps-per-epoch", "5"], "--range-test draws the loss against the lr: "
                                                           "--iterations and --steps-per-epoch do not apply"),
    (["--config", "a.json", "--history", "b.csv"], "argument --history: not allowed with argument --config"),
])
def test_flags_that_do_not_fit_are_refused(arguments, message, tmp_path):
    result = clr("plot", *arguments, "-o", str(tmp_path / "lr.png"))
    assert assert_one_line_error(result) == f"clr plot: error: {message}"


def test_a_config_of_any_kind_is_drawn_and_loaded_safely(tmp_path):
    import json

    from clr_core import CosineRestarts, CyclicSchedule, Join, OneCycle, schedule_to_config, warmup

    schedule = Join([warmup(OneCycle(0.1, total_steps=200), steps=20), CosineRestarts(0.05, period=100)],
                    boundaries=[220])
    (tmp_path / "schedule.json").write_text(json.dumps(schedule_to_config(schedule)))
    result = clr("plot", "--config", str(tmp_path / "schedule.json"), "--iterations", "500", "-o",
                 str(tmp_path / "lr.svg"))
    assert result.returncode == 0, result.stderr
    assert "Anneal then OneCycle then CosineRestarts: 0 to 0.1" in svg_texts(tmp_path / "lr.svg")[1]
    custom = schedule_to_config(CyclicSchedule())
    custom["config"]["scale_fn"] = {"import_path": "planted:f"}
    (tmp_path / "planted.py").write_text("open('imported', 'w').close()\ndef f(s):\n    return 1.0\n")
    (tmp_path / "custom.json").write_text(json.dumps(custom))
    result = clr("plot", "--config", "custom.json", "-o", "custom.png", cwd=str(tmp_path))
    assert "scale_fn import path 'planted:f' was not imported" in assert_one_line_error(result)
    assert not (tmp_path / "imported").exists() and not (tmp_path / "custom.png").exists()


def test_a_saved_history_is_drawn_from_json_and_from_csv(tmp_path):
    from clr_core import CyclicSchedule, ScheduleState

    state = ScheduleState(CyclicSchedule(step_size=10))
    for k in range(60):
        state.step(loss=1 / (k + 1))
        if k % 5 == 4:
            state.history.add_metrics(state.total_iterations, val_accuracy=k / 60)
    state.history.to_json(tmp_path / "history.json")
    state.history.to_csv(tmp_path / "history.csv")
    for name in ("history.json", "history.csv"):
        result = clr("plot", "--history", str(tmp_path / name), "--steps-per-epoch", "20", "-o",
                     str(tmp_path / f"{name}.svg"))
        assert result.returncode == 0, result.stderr
        texts = svg_texts(tmp_path / f"{name}.svg")[1]
        assert {"learning rate", "loss", "val_accuracy", "epoch (20 steps each)"} <= set(texts)
    (tmp_path / "bad.csv").write_text("iteration,lr\n1,0.1\n")
    result = clr("plot", "--history", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "bad.png"))
    assert assert_one_line_error(result) == (
        f"clr plot: error: history '{tmp_path}/bad.csv' is neither JSON nor the CSV History.to_csv writes (its "
        f"first column must be 'iterations')")


def test_a_saved_range_test_is_drawn(tmp_path):
    import math

    from clr_core import RangeSweep, RangeTest

    test = RangeTest(RangeSweep(1e-7, 1.0, num_iter=100), beta=0.0)
    while not test.done:
        test.record(2 - 1.5 * min(1.0, max(0.0, (math.log10(test.lr) + 4) / 3)))
    test.result().to_json(tmp_path / "range.json")
    result = clr("plot", "--range-test", str(tmp_path / "range.json"), "-o", str(tmp_path / "range.svg"))
    assert result.returncode == 0, result.stderr
    texts = svg_texts(tmp_path / "range.svg")[1]
    assert f"LR range test: {tmp_path}/range.json" in texts
    assert any(text.startswith("suggested bounds") for text in texts)


def test_a_pipe_is_written_through_as_png_whatever_its_name(tmp_path):
    import os
    import stat
    import threading

    fifo = tmp_path / "preview.svg"  # a pipe: its name does not choose the format, PNG goes through it
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = clr("plot", "--iterations", "100", "--step-size", "10", "-o", str(fifo), timeout=60)
    reader.join(timeout=30)
    assert result.returncode == 0, result.stderr
    assert received and received[0].startswith(PNG_SIGNATURE) and len(received[0]) > 1000
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_standard_output_gets_the_png_and_the_note_goes_to_stderr():
    command = shutil.which("clr", path=str(pathlib.Path(sys.executable).parent)) or "clr"
    result = subprocess.run([command, "plot", "--iterations", "100", "-o", "/dev/stdout"], capture_output=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(PNG_SIGNATURE) and result.stdout.rstrip().endswith(b"IEND\xaeB`\x82")
    assert result.stderr.decode().strip() == "wrote /dev/stdout"
