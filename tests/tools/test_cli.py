"""The `clr` command line, run as a user runs it: the installed console script."""

import shutil
import subprocess
import sys

import pytest

from tests.tools.conftest import assert_png

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
