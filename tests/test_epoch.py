"""One epoch over an id cache file by an OpenMP team (w2v._train.train_epoch_file,
csrc/epoch.c), and how Word2Vec uses it."""
import warnings

import numpy as np
import pytest

from w2v import Word2Vec, _buildinfo
from w2v._train import Model, Progress, Worker, epoch_parallel, train_epoch_file

from helpers import copies, make_corpus, make_inputs, train_then_stop


def _cache(tmp_path, ids):
    path = tmp_path / "ids.i32"
    ids.tofile(path)
    return path


def _bounds(ids, every):
    """Chunk offsets cut after the sentence end that follows every `every` ids."""
    ends = np.flatnonzero(ids == -1) + 1
    cuts, last = [0], 0
    for e in ends:
        if e - last >= every:
            cuts.append(e)
            last = e
    if cuts[-1] != len(ids):
        cuts.append(len(ids))
    return np.array(cuts, dtype=np.int64)


def test_openmp_matches_the_build():
    assert epoch_parallel() == _buildinfo.openmp_enabled()


@pytest.mark.parametrize("n_workers", [1, 2, 3])
def test_every_chunk_is_trained_once(tmp_path, n_workers):
    arrays, counts = make_inputs(V=40, d=8, seed=1)
    model = Model(*arrays.values(), sg=1, hs=1, negative=3, window=3)
    ids = make_corpus(counts, 400, 2)
    bounds = _bounds(ids, 100)
    assert len(bounds) > 10
    workers = [Worker(model, seed=i) for i in range(n_workers)]
    p = Progress(np.count_nonzero(ids >= 0), 0.025, 0.0001)
    with open(_cache(tmp_path, ids), "rb") as f:
        raw, eff, team = train_epoch_file(workers, p, f.fileno(), bounds)
    assert raw == eff == np.count_nonzero(ids >= 0)      # no subsampling: every word once
    assert p.words_done == raw
    assert team == (n_workers if epoch_parallel() else 1)
    assert sum(w.examples for w in workers) > 0
    assert np.isfinite(arrays["syn0"]).all()


def test_one_worker_equals_worker_train(tmp_path):
    """With one worker the chunks are trained in order: the same as one
    Worker.train call per chunk, bit for bit."""
    arrays, counts = make_inputs(V=30, d=8, seed=3, sample=0.05)
    ids = make_corpus(counts, 200, 4)
    bounds = _bounds(ids, 50)
    a1, a2 = copies(arrays), copies(arrays)
    params = dict(sg=0, hs=1, negative=2, window=4)
    w1 = Worker(Model(*a1.values(), **params), seed=9)
    p1 = Progress(len(ids), 0.025, 0.0001)
    with open(_cache(tmp_path, ids), "rb") as f:
        raw, eff, _ = train_epoch_file([w1], p1, f.fileno(), bounds)
    w2 = Worker(Model(*a2.values(), **params), seed=9)
    p2 = Progress(len(ids), 0.025, 0.0001)
    counts2 = [w2.train(ids[a:b], p2) for a, b in zip(bounds[:-1], bounds[1:])]
    assert (raw, eff) == tuple(map(sum, zip(*counts2)))
    assert w1.rng_state == w2.rng_state
    for name in ("syn0", "syn1neg", "syn1"):
        assert np.array_equal(a1[name], a2[name]), name


def test_bad_id_names_its_position(tmp_path):
    arrays, counts = make_inputs(V=20, d=8, seed=5)
    model = Model(*arrays.values(), sg=1, hs=0, negative=2, window=2)
    ids = make_corpus(counts, 100, 6)
    pos = len(ids) - 7
    ids[pos] = 999
    with open(_cache(tmp_path, ids), "rb") as f:
        with pytest.raises(ValueError, match=f"position {pos} is outside"):
            train_epoch_file([Worker(model, 1), Worker(model, 2)],
                             Progress(len(ids), 0.025, 0.0001), f.fileno(), _bounds(ids, 30),
                             path="my cache")


def test_truncated_file_is_an_oserror(tmp_path):
    arrays, counts = make_inputs(V=20, d=8, seed=7)
    model = Model(*arrays.values(), sg=1, hs=0, negative=2, window=2)
    ids = make_corpus(counts, 100, 8)
    bounds = _bounds(ids, 30)
    path = _cache(tmp_path, ids[:len(ids) // 2])
    with open(path, "rb") as f:
        with pytest.raises(OSError, match="ended early"):
            train_epoch_file([Worker(model, 1)], Progress(len(ids), 0.025, 0.0001), f.fileno(),
                             bounds, path=str(path))


def test_bad_arguments(tmp_path):
    arrays, counts = make_inputs(V=20, d=8, seed=9)
    m1 = Model(*copies(arrays).values(), sg=1, hs=0, negative=2, window=2)
    m2 = Model(*copies(arrays).values(), sg=1, hs=0, negative=2, window=2)
    p = Progress(10, 0.025, 0.0001)
    with pytest.raises(ValueError, match="at least one"):
        train_epoch_file([], p, 0, [0, 0])
    with pytest.raises(ValueError, match="same Model"):
        train_epoch_file([Worker(m1, 1), Worker(m2, 1)], p, 0, [0, 0])
    w = Worker(m1, 1)
    with pytest.raises(ValueError, match="only once"):
        train_epoch_file([w, w], p, 0, [0, 0])
    with pytest.raises(ValueError, match="non-decreasing"):
        train_epoch_file([Worker(m1, 1)], p, 0, [5, 2])


def test_stop_from_another_thread(tmp_path):
    arrays, counts = make_inputs(V=20, d=8, seed=10)
    model = Model(*arrays.values(), sg=1, hs=0, negative=20, window=10)
    ids = np.tile(make_corpus(counts, 1000, 11), 100)      # minutes of work if not stopped
    p = Progress(len(ids), 0.025, 0.0001)
    workers = [Worker(model, 1, report_every=100), Worker(model, 2, report_every=100)]

    def busy_worker():
        with pytest.raises(RuntimeError, match="already training"):
            workers[0].train(ids, p)

    with open(_cache(tmp_path, ids), "rb") as f:
        raw, eff, _ = train_then_stop(
            lambda: train_epoch_file(workers, p, f.fileno(), _bounds(ids, 5000)), p, busy_worker)
    assert 0 < raw < np.count_nonzero(ids >= 0)


def test_word2vec_warns_without_openmp(tmp_path, monkeypatch):
    """A build without OpenMP trains corpus files on one thread and says so."""
    import w2v.word2vec as w2v_word2vec
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 50)
    monkeypatch.setattr(w2v_word2vec, "epoch_parallel", lambda: False)
    with pytest.warns(RuntimeWarning, match="without OpenMP.*1 thread, not workers=2"):
        Word2Vec(corpus_file=str(corpus), vector_size=8, min_count=1, workers=2, epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")         # one worker, or an iterable: nothing to say
        Word2Vec(corpus_file=str(corpus), vector_size=8, min_count=1, workers=1, epochs=1)
        Word2Vec(sentences=[["a", "b", "c"]] * 20, vector_size=8, min_count=1, workers=2,
                 epochs=1)
