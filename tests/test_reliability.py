"""Interrupts and crashes: Ctrl-C, kill -9 with checkpoints, resume."""
import os
import signal
import subprocess
import sys
import time

import numpy as np

from w2v.keyedvectors import KeyedVectors

from helpers import ENV, SAMPLE, w2v

TRAIN = ["--sg", "--size", "16", "--window", "3", "--negative", "3", "--threads", "1",
         "--min-count", "3"]


def _default_sigint():
    # a shell running this suite in the background may have set SIGINT to
    # "ignore", which children inherit: give the child the default back
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args, cwd):
    return subprocess.Popen([sys.executable, "-m", "w2v", *args], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_default_sigint)


def _wait_for(path, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_kill_9_then_resume_equals_uninterrupted_run(tmp_path):
    """A run killed with SIGKILL after its first checkpoint, resumed with
    --resume, writes exactly the vectors of an uninterrupted run (one thread)."""
    args = ["train", str(SAMPLE), *TRAIN, "--epochs", "4", "--quiet"]
    full = w2v(*args, "-o", "full.bin", cwd=tmp_path)
    assert full.rc == 0, full.err

    ck = tmp_path / "ck"
    proc = _start([*args, "-o", "out.bin", "--checkpoint", str(ck)], tmp_path)
    _wait_for(ck / "model.json", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "out.bin").exists()

    resumed = w2v("train", str(SAMPLE), "-o", "out.bin", "--resume", str(ck), cwd=tmp_path)
    assert resumed.rc == 0, resumed.err
    a = KeyedVectors.load_word2vec_format(tmp_path / "full.bin", binary=True)
    b = KeyedVectors.load_word2vec_format(tmp_path / "out.bin", binary=True)
    assert a.index_to_key == b.index_to_key
    assert np.array_equal(a.vectors, b.vectors)


def test_resume_needs_an_unfinished_checkpoint(tmp_path):
    model_dir = tmp_path / "m"
    done = w2v("train", str(SAMPLE), *TRAIN, "--epochs", "1", "--quiet", "-o", str(model_dir),
               "--format", "native", cwd=tmp_path)
    assert done.rc == 0, done.err
    res = w2v("train", str(SAMPLE), "-o", "x.bin", "--resume", str(model_dir), cwd=tmp_path)
    assert res.rc == 1 and "no unfinished training" in res.err and "Traceback" not in res.err


def test_sigint_stops_quickly_and_keeps_existing_output(tmp_path):
    out = tmp_path / "out.bin"
    out.write_bytes(b"previous result")
    proc = _start(["train", str(SAMPLE), *TRAIN, "--epochs", "200", "-o", str(out)], tmp_path)
    # wait until training runs (the progress reporter logs in non-tty mode)
    deadline = time.monotonic() + 60
    err = b""
    while b"training" not in err:
        assert time.monotonic() < deadline and proc.poll() is None, err
        err += os.read(proc.stderr.fileno(), 4096)
    time.sleep(0.5)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    err += proc.communicate(timeout=60)[1]     # keep draining stderr while it stops
    elapsed = time.monotonic() - t0
    assert proc.returncode == 130, err
    assert elapsed < 2.0, f"took {elapsed:.2f}s to stop"
    assert out.read_bytes() == b"previous result"
    assert b"Traceback" not in err
    assert not [p for p in tmp_path.iterdir() if p.name != "out.bin"], list(tmp_path.iterdir())
