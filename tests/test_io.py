"""Temporaries of w2v._io: a process killed mid-save leaves nothing behind for
good, and a live writer's files are never touched."""
import os
import signal
import subprocess
import sys
import time

from w2v import _io


def _dead_pid():
    """The pid of a process that has exited (and been reaped)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_killed_save_leaves_temporaries_that_the_next_save_removes(tmp_path):
    target = tmp_path / "model"
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", f"""
import os, time
from w2v._io import atomic_directory
with atomic_directory({str(target)!r}) as tmp:
    with open(os.path.join(tmp, "big.npy"), "wb") as f:
        f.write(b"x" * 100000)
    open({str(ready)!r}, "w").close()
    time.sleep(60)
"""])
    try:
        for _ in range(600):
            if ready.exists():
                break
            time.sleep(0.05)
        assert ready.exists(), "the child never started its save"
        left = [n for n in os.listdir(tmp_path) if n.startswith(".model.")]
        assert len(left) == 1, left
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert (tmp_path / left[0]).is_dir(), "kill -9 should leave the temporary directory"
    with _io.atomic_directory(target) as tmp:
        open(os.path.join(tmp, "a"), "w").close()
    assert sorted(os.listdir(tmp_path)) == ["model", "ready"]
    assert os.listdir(target) == ["a"]


def test_live_writers_temporaries_are_kept(tmp_path):
    host = _io._host()
    live = tmp_path / f".out.bin.{host}-{os.getppid()}-abc123.tmp"
    dead = tmp_path / f".out.bin.{host}-{_dead_pid()}-def456.tmp"
    dead_old = tmp_path / f".out.bin.{host}-{_dead_pid()}-xyz.tmp.old"
    other_host = tmp_path / f".out.bin.{host}x-{_dead_pid()}-ghi789.tmp"
    other_target = tmp_path / f".out.bin.x.{host}-{_dead_pid()}-jkl.tmp"
    for p in (live, dead, other_host, other_target):
        p.write_bytes(b"partial")
    dead_old.mkdir()
    with _io.atomic_write(tmp_path / "out.bin") as f:
        f.write(b"done")
    names = set(os.listdir(tmp_path))
    assert live.name in names and other_host.name in names and other_target.name in names
    assert dead.name not in names and dead_old.name not in names
    assert (tmp_path / "out.bin").read_bytes() == b"done"


def test_scratch_directories_of_dead_processes_are_removed(tmp_path):
    host = _io._host()
    stale = tmp_path / f"w2v-cache-{host}-{_dead_pid()}-q1w2e3"
    stale.mkdir()
    (stale / "ids.i32").write_bytes(b"\0" * 64)
    mine = _io.temporary_directory(str(tmp_path), "w2v-cache-")
    assert os.path.isdir(mine)
    assert not stale.exists()
    again = _io.temporary_directory(str(tmp_path), "w2v-cache-")
    assert os.path.isdir(mine) and os.path.isdir(again), "a live process's directory was removed"
