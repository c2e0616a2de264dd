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
