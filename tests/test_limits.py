"""Sizes and counts that reach the C layer, memory, and the errors that say so early:
every parameter range-checked before any work, naming the parameter and the bound."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from w2v import Word2Vec
from w2v import word2vec as w2v_module
from w2v.word2vec import PARAM_LIMITS

from helpers import ENV, one_line_error, w2v

WORDS = "the quick brown fox jumps over the lazy dog and the cat sat on the mat".split()
SMALL = dict(vector_size=8, window=2, min_count=1, epochs=1, workers=1)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.txt"
    rng = np.random.default_rng(0)
    path.write_text("\n".join(" ".join(rng.choice(WORDS, size=12)) for _ in range(300)) + "\n")
    return path


def _run_python(code, cwd):
    """Run code in a fresh interpreter: a crash (SIGSEGV, abort) shows as a signal."""
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=120)


# ------------------------------------------------------------------ parameter ranges
@pytest.mark.parametrize("name", sorted(PARAM_LIMITS))
def test_each_limit_is_checked_at_construction_naming_parameter_and_bound(name):
    high = PARAM_LIMITS[name]
    with pytest.raises(ValueError) as info:
        Word2Vec(**{name: high + 1})
    assert name in str(info.value) and f"{high:,}" in str(info.value)


@pytest.mark.parametrize("name, value", [("window", float("inf")), ("negative", "many"),
                                         ("vector_size", None), ("alpha", "fast"),
                                         ("seed", -1)])
def test_values_that_are_no_integer_or_out_of_range_name_the_parameter(name, value):
    with pytest.raises(ValueError, match=name):
        Word2Vec(**{name: value})


def test_huge_negative_fails_before_the_corpus_is_read(corpus):
    # formerly: a full scan, then OverflowError "value too large to convert to int"
    class Unread:
        def __iter__(self):
            raise AssertionError("the corpus was read before the parameters were checked")
    with pytest.raises(ValueError, match=r"negative must be <= 1,048,576, got 3,000,000,000"):
        Word2Vec(sentences=Unread(), negative=3_000_000_000)
    with pytest.raises(ValueError, match="window"):
        Word2Vec(corpus_file=str(corpus), window=1e20)


def test_huge_max_sentence_length_is_refused_not_a_crash(tmp_path, corpus):
    """2**62 overflowed the per-thread buffer size in the C worker set-up: SIGSEGV."""
    res = _run_python(f"from w2v import Word2Vec\n"
                      f"Word2Vec(corpus_file={str(corpus)!r}, vector_size=8, min_count=1, "
                      f"workers=1, max_sentence_length=2**62)", tmp_path)
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    assert "ValueError: max_sentence_length must be <= 16,777,216" in res.stderr


def _checkpoint(tmp_path, corpus, **params):
    """A checkpoint after epoch 1 of 2 (its model.json as a dict, and its path)."""
    model = Word2Vec(**{**SMALL, "epochs": 2, **params})
    model.build_vocab(corpus_file=str(corpus))
    ck = tmp_path / "ck"
    model.train(corpus_file=str(corpus), total_words=model.corpus_total_words,
                epochs=model.epochs, checkpoint=ck)
    return ck, json.loads((ck / "model.json").read_text())


@pytest.mark.parametrize("name, value", [("max_sentence_length", 2**62), ("workers", 10**7),
                                         ("negative", 3_000_000_000), ("epochs", 10**12)])
def test_absurd_values_in_a_checkpoint_are_refused_at_load(tmp_path, corpus, name, value):
    ck, meta = _checkpoint(tmp_path, corpus)
    if name == "epochs":     # the schedule's: training would never end
        meta["state"]["training_state"][name] = value
    else:
        meta["params"][name] = value
    (ck / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=rf"{ck}: damaged or incompatible model: .*{name} must be "
                                         rf"(<=|an integer in \[1, 2147483647\])"):
        Word2Vec.load(ck)
    out = tmp_path / "out.bin"
    res = w2v("train", str(corpus), "-o", str(out), "--resume", str(ck), cwd=tmp_path)
    assert res.rc == 1 and name in one_line_error(res), (res.rc, res.err[-2000:])
    assert not out.exists()


def test_cli_threads_bound_is_a_usage_error(tmp_path, corpus):
    res = w2v("train", str(corpus), "-o", "o.bin", "--threads", "100000", cwd=tmp_path)
    assert res.rc == 2 and "workers must be <= 1,024, got 100,000" in res.err
    assert "Thread creation failed" not in res.err
    res = w2v("train", str(corpus), "-o", "o.bin", "--negative", "3000000000", cwd=tmp_path)
    assert res.rc == 2 and "negative must be <= 1,048,576" in res.err
    assert "scanning" not in res.err        # refused before the corpus scan
    res = w2v("vocab", str(corpus), "--threads", "100000", cwd=tmp_path)
    assert res.rc == 1 and "workers must be in [1, 1024], got 100000" in res.err


# ------------------------------------------------------------------ memory
def test_memory_check_counts_thread_buffers_and_uses_available_memory(monkeypatch, corpus):
    # the weights are tiny: only the 4 threads' sentence and chunk buffers (132 MiB each)
    # make it too large
    monkeypatch.setattr(w2v_module, "_available_memory", lambda: (100 << 20, "test"))
    with pytest.raises(MemoryError) as info:
        Word2Vec(corpus_file=str(corpus), **{**SMALL, "workers": 4},
                 max_sentence_length=1 << 24)
    msg = str(info.value)
    assert "only 0.1 GiB of memory is available (test)" in msg
    assert "buffers of 4 threads 0.52 GiB" in msg
    assert "max_final_vocab" in msg and "vector_size" in msg and "min_count" in msg
    model = Word2Vec(corpus_file=str(corpus), **SMALL)       # the same corpus fits
    assert len(model.wv) == len(set(WORDS))


def test_issue_figures_ten_million_words_of_300_dims_do_not_fit_23_5_gib(monkeypatch):
    # the weights alone (22.4 GiB) passed the old check against 23.5 GiB of RAM
    monkeypatch.setattr(w2v_module, "_available_memory", lambda: (int(23.5 * 2**30), "test"))
    parts = w2v_module._memory_needed(10_000_000, 300, 2, workers=2, max_sentence_length=10000,
                                      hs=0, sg=0)
    assert parts["weights"] / 2**30 == pytest.approx(22.35, abs=0.01)
    with pytest.raises(MemoryError, match=r"needs about 24\.\d GiB"):
        w2v_module._check_memory(10_000_000, 300, 2, workers=2, max_sentence_length=10000,
                                 hs=0, sg=0)


def test_available_memory_reads_meminfo_and_a_cgroup_limit(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemFree:         1000000 kB\n"
                       "MemAvailable:   20000000 kB\n")
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    assert w2v_module._available_memory(meminfo, cgroup) == (20000000 * 1024, "MemAvailable")
    (cgroup / "memory.max").write_text("8589934592\n")
    (cgroup / "memory.current").write_text("1073741824\n")
    assert w2v_module._available_memory(meminfo, cgroup) == (7 << 30, "the cgroup memory limit")
    (cgroup / "memory.max").write_text("max\n")
    assert w2v_module._available_memory(meminfo, cgroup)[1] == "MemAvailable"
    have, source = w2v_module._available_memory(tmp_path / "nope", tmp_path / "nope")
    assert source == "free physical memory" and have > 0


def test_cli_keeps_the_memory_advice(tmp_path):
    # 200k distinct words of 2**20 dimensions: about 1.6 TB, more than any test machine
    path = tmp_path / "many.txt"
    path.write_text("\n".join(" ".join(f"w{i}" for i in range(j, j + 1000))
                              for j in range(0, 200_000, 1000)) + "\n")
    res = w2v("train", str(path), "-o", "o.bin", "--size", str(1 << 20), "--min-count", "1",
              "--threads", "1", "--quiet", cwd=tmp_path)
    line = one_line_error(res)
    assert res.rc == 1 and "out of memory: training needs about" in line, res.err[-2000:]
    assert "lower vector_size" in line and "GiB" in line


# ------------------------------------------------------------------ sizes where C allocates
_KERNEL_SETUP = """
import numpy as np, os, sys
sys.path.insert(0, {tests!r})
from helpers import make_inputs
from w2v._train import Model, Progress, Worker, train_epoch_file
arrays, counts = make_inputs(50, 8, seed=0)
model = Model(**arrays, sg=1, hs=1, negative=3, window=2)
"""


def _kernel_script(body):
    return _KERNEL_SETUP.format(tests=os.path.dirname(__file__)) + body


def test_worker_buffer_size_that_overflows_is_a_memory_error_not_a_crash(tmp_path):
    """2**62 ids x 4 bytes wrapped to 0 in the C worker set-up: a short buffer, then
    heap corruption ("corrupted size vs. prev_size") or SIGSEGV once it trained."""
    res = _run_python(_kernel_script(
        "w = Worker(model, seed=1, max_sentence_length=2**62)\n"
        "ids = np.tile(np.r_[np.arange(20, dtype=np.int32), -1], 200)\n"
        "w.train(ids, Progress(len(ids), 0.025, 0.0001))\n"), tmp_path)
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    assert "MemoryError: cannot allocate the worker's buffers (max_sentence_length=" \
           "4611686018427387904 ids" in res.stderr


def test_sizes_beyond_the_c_types_are_value_errors():
    from helpers import make_inputs

    from w2v._train import Model, Worker
    arrays, _ = make_inputs(50, 8, seed=0)
    for name in ("negative", "window"):
        kw = dict(sg=1, hs=1, negative=3, window=2)
        kw[name] = 2**31
        with pytest.raises(ValueError, match=rf"{name} must be <= 1073741823, got 2147483648"):
            Model(**arrays, **kw)
    model = Model(**arrays, sg=1, hs=1, negative=3, window=2)
    with pytest.raises(ValueError, match="max_sentence_length must be <= 9223372036854775807"):
        Worker(model, seed=1, max_sentence_length=2**63)
    with pytest.raises(ValueError, match="max_sentence_length must be >= 1"):
        Worker(model, seed=1, max_sentence_length=0)


def test_chunk_bounds_too_large_to_address_are_refused_not_a_crash(tmp_path):
    ids = tmp_path / "ids.i32"
    np.tile(np.r_[np.arange(20, dtype=np.int32), -1], 200).tofile(ids)
    res = _run_python(_kernel_script(
        f"fd = os.open({str(ids)!r}, os.O_RDONLY)\n"
        "train_epoch_file([Worker(model, seed=1)], Progress(4200, 0.025, 0.0001), fd,\n"
        "                 np.array([0, 2**62], dtype=np.int64), path='ids.i32')\n"), tmp_path)
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    assert "ValueError: chunk bounds out of range for ids.i32" in res.stderr
