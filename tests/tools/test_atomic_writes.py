"""Nothing saved is lost: a write that fails half-way (a full disk) leaves the old file whole and no
temporary behind, for history exports and figures."""

import builtins
import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time

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


@pytest.mark.parametrize("name", ["lr.png", "lr.svg", "lr.pdf"])
def test_a_failed_figure_leaves_the_old_file(tmp_path, full_disk, name):
    pytest.importorskip("matplotlib")
    from clr_tools.plot import plot_schedule

    path = tmp_path / name
    plot_schedule(CyclicSchedule(step_size=10), 100, path=path)
    good = path.read_bytes()
    full_disk()
    with pytest.raises(OSError, match="No space left"):
        plot_schedule(CyclicSchedule(step_size=20), 100, path=path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == [name]


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


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "history.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    text = history(3).to_csv(fifo)
    reader.join(timeout=30)
    assert received == [text] and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["history.csv"]


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path):
    (tmp_path / "data").mkdir()
    real = tmp_path / "data" / "history.csv"
    real.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(os.path.join("data", "history.csv"))  # relative, as `ln -s` makes them
    text = history(3).to_csv(link)
    assert link.is_symlink() and real.read_text() == text
    dangling = tmp_path / "next.json"
    dangling.symlink_to(tmp_path / "data" / "next.json")
    history(2).to_json(dangling)
    assert dangling.is_symlink() and History.from_json((tmp_path / "data" / "next.json").read_text()) == history(2)
    assert sorted(os.listdir(tmp_path / "data")) == ["history.csv", "next.json"]


def writes_through(path):
    """Whether an export writes `path` through; asked first, so that a broken export never replaces /dev/null."""
    from clr_core._files import _replaceable

    return _replaceable(path) is None


def test_dev_null_stays_a_device(tmp_path):
    assert writes_through("/dev/null")
    before = os.stat("/dev/null")
    history(3).to_csv("/dev/null")
    history(3).to_json("/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not [name for name in os.listdir("/dev") if name.startswith(".null.")]


def test_dev_null_stays_a_device_under_a_figure(tmp_path):
    pytest.importorskip("matplotlib")
    from clr_tools.plot import plot_schedule

    assert writes_through("/dev/null")
    plot_schedule(CyclicSchedule(step_size=10), 100, path="/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("redirect", ["pipe", "file"])
def test_dev_stdout_is_written_through(tmp_path, redirect):
    """A regular file behind /dev/stdout is not replaced: the process's later output stays in it."""
    assert writes_through("/dev/stdout")
    script = ("from clr_core import History\nh = History()\nh.add_step(1, 0.5)\nprint('before', flush=True)\n"
              "h.to_csv('/dev/stdout')\nprint('after')\n")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    if redirect == "pipe":
        output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                                check=True).stdout
    else:
        log = tmp_path / "log.txt"
        with open(log, "a") as file:
            subprocess.run([sys.executable, "-c", script], stdout=file, env=env, check=True)
        output = log.read_text()
    assert output.endswith("iterations,lr\n1,0.5\nafter\n")


def test_the_next_write_removes_a_killed_writers_temporary_but_not_a_live_one(tmp_path):
    path = tmp_path / "history.csv"
    ready = tmp_path / "ready"
    script = ("import os, pathlib, sys, time\nfrom clr_core.extend import atomic_path\n"
              "with atomic_path(sys.argv[1]) as temporary:\n"
              "    pathlib.Path(temporary).write_text('half')\n"
              "    pathlib.Path(sys.argv[2]).write_text(temporary)\n    time.sleep(60)\n")
    writers = []
    for _ in range(2):
        ready.unlink(missing_ok=True)
        writers.append(subprocess.Popen([sys.executable, "-c", script, str(path), str(ready)],
                                        env={**os.environ, "PYTHONPATH": os.getcwd()}))
        while not ready.exists() or not ready.read_text():
            time.sleep(0.05)
    killed, live = writers
    killed.send_signal(signal.SIGTERM)
    killed.wait(timeout=30)
    try:
        assert len([name for name in os.listdir(tmp_path) if name.endswith(".clr.tmp")]) == 2
        history(2).to_csv(path)
        left = [name for name in os.listdir(tmp_path) if name.endswith(".clr.tmp")]
        assert left == [os.path.basename(ready.read_text())]  # the live writer's, still being written
    finally:
        live.kill()
        live.wait(timeout=30)
    history(2).to_csv(path)  # SIGKILL too: the lock goes with the process
    assert sorted(os.listdir(tmp_path)) == ["history.csv", "ready"]


def test_an_empty_name_is_not_a_file_name():
    with pytest.raises(ValueError, match="the output must be a file name"):
        history(2).to_csv("")
