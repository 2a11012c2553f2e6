"""Interrupts and crashes: Ctrl-C, kill -9 with checkpoints, resume."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from w2v.keyedvectors import KeyedVectors

from helpers import ENV, SAMPLE, one_line_error, w2v

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


# ------------------------------------------------------------------ checkpoints that fail
def _small_model(corpus_path, epochs=3):
    from w2v import Word2Vec
    model = Word2Vec(vector_size=8, window=2, min_count=3, epochs=epochs, workers=1)
    model.build_vocab(corpus_file=str(corpus_path))
    return model


@pytest.fixture
def text_corpus(tmp_path):
    path = tmp_path / "c.txt"
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    path.write_text("\n".join(" ".join(rng.choice(words, size=10)) for _ in range(400)) + "\n")
    return path


def test_unusable_checkpoint_path_is_refused_before_training(tmp_path, text_corpus):
    model = _small_model(text_corpus)

    class NoEpoch:
        def on_epoch_begin(self, _model):
            raise AssertionError("training started")

    def train(ck):
        model.train(corpus_file=str(text_corpus), total_words=model.corpus_total_words,
                    epochs=model.epochs, checkpoint=ck, callbacks=[NoEpoch()])

    in_the_way = tmp_path / "file"
    in_the_way.write_bytes(b"precious")
    with pytest.raises(ValueError, match="a file is in the way"):
        train(in_the_way)
    assert in_the_way.read_bytes() == b"precious"
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    with pytest.raises(ValueError, match="holds files but no model.json"):
        train(folder)
    assert (folder / "thesis.tex").read_text() == "precious"
    with pytest.raises(FileNotFoundError, match="parent folder does not exist"):
        train(tmp_path / "missing" / "ck")
    # the command line refuses it before scanning the corpus
    from helpers import w2v
    res = w2v("train", str(text_corpus), "-o", "v.bin", "--checkpoint", str(folder), cwd=tmp_path)
    assert res.rc == 1 and "holds files but no model.json" in res.err
    assert "scanning" not in res.out + res.err and not (tmp_path / "v.bin").exists()


def test_failed_checkpoint_write_warns_and_training_goes_on(tmp_path, text_corpus):
    """The second checkpoint fails (a file-size limit: the write gets EFBIG, as a full disk
    gets ENOSPC): a warning, training finishes, the first checkpoint is left intact."""
    import resource

    from w2v import Word2Vec
    model = _small_model(text_corpus, epochs=4)
    ck = tmp_path / "ck"
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    class LimitAfterFirstCheckpoint:
        epochs = 0

        def on_epoch_end(self, _model):
            self.epochs += 1
            if self.epochs == 2:    # after the first checkpoint was written
                resource.setrlimit(resource.RLIMIT_FSIZE, (512, old_limit[1]))

        def on_train_end(self, _model):
            resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)

    try:
        with pytest.warns(RuntimeWarning) as caught:
            model.train(corpus_file=str(text_corpus), total_words=model.corpus_total_words,
                        epochs=model.epochs, checkpoint=ck,
                        callbacks=[LimitAfterFirstCheckpoint()])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2, messages       # after epochs 2 and 3
    assert f"could not be written to {ck}" in messages[0]
    assert "File too large" in messages[0] and "after epoch 1" in messages[0]
    assert model.training_state is None and model.words_done > 0    # trained to the end
    saved = Word2Vec.load(ck)
    assert saved.training_state.epoch == 1


# ------------------------------------------------------------------ --resume mistakes
def _cli_checkpoint(tmp_path):
    """An unfinished run's checkpoint: after epoch 1 of 2 (the last epoch writes none)."""
    ck = tmp_path / "ck"
    res = w2v("train", str(SAMPLE), *TRAIN, "--epochs", "2", "-o", "x.bin", "--checkpoint",
              str(ck), "--quiet", cwd=tmp_path)
    assert res.rc == 0, res.err
    return ck


def test_resume_refuses_conflicting_options_and_accepts_equal_ones(tmp_path):
    ck = _cli_checkpoint(tmp_path)
    for flags, expected in [(["--size", "300"], "--size 300 given, the checkpoint has --size 16"),
                            (["--cbow"], "--cbow given, the checkpoint has --sg"),
                            (["--threads", "2"], "--threads 2 given, the checkpoint has --threads 1"),
                            (["--epochs", "3"], "--epochs 3 given, the checkpoint has --epochs 2"),
                            (["--min-alpha", "0.001"],
                             "--min-alpha 0.001 given, the checkpoint has --min-alpha 0.0001")]:
        res = w2v("train", str(SAMPLE), "-o", "out.bin", "--resume", str(ck), *flags,
                  cwd=tmp_path)
        line = one_line_error(res)
        assert expected in line and str(ck) in line, line
        assert not (tmp_path / "out.bin").exists()
    res = w2v("train", str(SAMPLE), "-o", "out.bin", "--resume", str(ck), *TRAIN,
              "--epochs", "2", "--quiet", cwd=tmp_path)
    assert res.rc == 0, res.err
    assert (tmp_path / "out.bin").exists()


def test_resume_on_something_else_says_what_it_is(tmp_path):
    from gensim.models import Word2Vec as GensimWord2Vec
    pickled = tmp_path / "gensim.model"
    GensimWord2Vec([["a", "b"]] * 5, vector_size=4, min_count=1).save(str(pickled))
    (tmp_path / "empty").mkdir()
    (tmp_path / "v.txt").write_text("1 2\nword 0.5 0.25\n")
    cases = {"v.txt": "is a word2vec vectors file (vectors only: no vocabulary counts",
             "empty": "is a folder without model.json",
             "nope": "no such file or folder"}
    for name, expected in cases.items():
        res = w2v("train", str(SAMPLE), "-o", "out.bin", "--resume", str(tmp_path / name),
                  cwd=tmp_path)
        line = one_line_error(res)
        assert expected in line and name in line, line
        assert "expected a folder written by Word2Vec.save or as a training checkpoint" in line
    # a gensim model is read, but it is no checkpoint
    res = w2v("train", str(SAMPLE), "-o", "out.bin", "--resume", str(pickled), cwd=tmp_path)
    line = one_line_error(res)
    assert f"{pickled} is a gensim model file, not a w2v checkpoint" in line, line


# ------------------------------------------------------------------ full disk
def test_write_errors_name_the_file(tmp_path):
    """write() errors carry no file name (ENOSPC, EFBIG): the saves add the target's."""
    import resource

    from w2v.keyedvectors import KeyedVectors
    kv = KeyedVectors.from_arrays([f"w{i}" for i in range(1000)],
                                  np.ones((1000, 64), dtype=np.float32))
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    errors = {}
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, old_limit[1]))
        for name, save in [("v.bin", lambda p: kv.save_word2vec_format(p, binary=True)),
                           ("kv", kv.save)]:
            with pytest.raises(OSError) as info:
                save(tmp_path / name)
            errors[name] = info.value
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    for name, error in errors.items():
        assert str(tmp_path / name) in str(error), error
    assert sorted(os.listdir(tmp_path)) == []      # no temporaries left
