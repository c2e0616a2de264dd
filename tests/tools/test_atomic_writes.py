"""Nothing saved is lost: a write that fails half-way (a full disk) leaves the old file whole and no
temporary behind, for history exports and figures."""

import builtins
import errno
import io
import os

import pytest

from clr_core import CyclicSchedule, History, ScheduleState


class FullDisk:
    """A file whose `write` stores half of what it is given, then fails as a full disk does."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        self.file.write(data[: len(data) // 2])
        self.file.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    """From now on, every file opened for writing under `tmp_path` runs out of space."""
    real_open = builtins.open

    def open_on_a_full_disk(file, mode="r", *args, **kwargs):
        opened = real_open(file, mode, *args, **kwargs)
        inside = isinstance(file, (str, os.PathLike)) and os.path.abspath(file).startswith(str(tmp_path))
        return FullDisk(opened) if inside and any(flag in mode for flag in "wax") else opened

    return lambda: monkeypatch.setattr(builtins, "open", open_on_a_full_disk)


def history(steps):
    state = ScheduleState(CyclicSchedule(step_size=3.0))
    for k in range(steps):
        state.step(loss=1.0 / (k + 1))
    return state.history


@pytest.mark.parametrize("export", ["to_json", "to_csv"])
def test_a_failed_history_export_leaves_the_old_file(tmp_path, full_disk, export):
    path = tmp_path / f"history.{export[3:]}"
    good = getattr(history(5), export)(path)
    full_disk()
    with pytest.raises(OSError, match="No space left"):
        getattr(history(50), export)(path)
    assert path.read_text(encoding="utf-8") == good
    assert sorted(os.listdir(tmp_path)) == [path.name]  # no temporary left behind
    if export == "to_json":
        assert History.from_json(path) == history(5)


def test_a_failed_figure_leaves_the_old_png(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from clr_tools.plot import plot_schedule

    path = tmp_path / "lr.png"
    plot_schedule(CyclicSchedule(step_size=10), 100, path=path)
    good = path.read_bytes()

    real_print_png = FigureCanvasAgg.print_png

    def print_png_on_a_full_disk(self, target, **options):
        if isinstance(target, io.BytesIO):  # matplotlib's dry run to lay the figure out: not the file
            return real_print_png(self, target)
        with open(target, "wb") as file:
            file.write(good[:100])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FigureCanvasAgg, "print_png", print_png_on_a_full_disk)
    with pytest.raises(OSError, match="No space left"):
        plot_schedule(CyclicSchedule(step_size=20), 100, path=path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["lr.png"]


def test_a_new_file_gets_the_usual_permissions_and_an_old_one_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    try:
        history(2).to_csv(tmp_path / "new.csv")
        kept = tmp_path / "kept.csv"
        kept.write_text("old")
        kept.chmod(0o600)
        history(2).to_csv(kept)
    finally:
        os.umask(umask)
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o644
    assert kept.stat().st_mode & 0o777 == 0o600 and kept.read_text().startswith("iterations")


def test_a_folder_is_not_a_file_name(tmp_path):
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        history(2).to_json(tmp_path)
