"""Skip-gram with shared negatives (Ji et al. 2016; Model(..., shared_negatives=True)):
the minibatch against float64 maths, validation, failures, threads, and quality
against the classic kernel on a planted-structure corpus.  The step-by-step match
with tests/reference.py is in test_kernels.py (test_shared_negatives_match_*)."""
import threading

import numpy as np
import pytest

from w2v import Word2Vec
from w2v._train import Model, Progress, Worker

import reference as ref
from helpers import (as_sentences, copies, group_precision, make_corpus, make_inputs, planted_groups,
                     train_then_stop)

SHARED = dict(sg=1, hs=0, shared_negatives=True)


def _model(arrays, **kw):
    params = dict(SHARED, negative=4, window=3)
    params.update(kw)
    return Model(*arrays.values(), **params)


@pytest.mark.parametrize("V", [4, 50])
def test_minibatch_is_the_exact_gradient_step(V):
    """One minibatch through the test hook equals the float64 SGD step on the summed
    loss of all (context, output) pairs, both from the rows before the step; V=4
    makes noise words repeat (and hit the centre, then dropped)."""
    d, alpha = 19, 0.05
    arrays, _ = make_inputs(V, d, seed=40)
    before = copies(arrays)
    model = _model(arrays, negative=6, window=3, sigmoid="exact")
    worker = Worker(model, seed=41)
    context, centre = [1, 2, 1, 3 % V, 0, 2], 2 % V
    rng_state = worker.rng_state
    loss = worker._train_centre(context, centre, alpha)

    replay = ref.RefWorker(0)
    replay.rng.state = rng_state
    rmodel = ref.RefModel(*copies(before).values(), sg=1, hs=0, negative=6, window=3)
    noise = ref.draw_noise(rmodel, replay, centre)
    assert worker.rng_state == replay.rng.state          # exactly `negative` draws
    assert centre not in noise
    want_loss, want0, want1 = ref.shared_batch_f64(before["syn0"], before["syn1neg"], context,
                                                   centre, noise, alpha)
    assert loss == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_allclose(arrays["syn0"], want0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arrays["syn1neg"], want1, rtol=1e-5, atol=1e-6)
    # the step moved exactly the rows involved
    moved0 = np.flatnonzero((arrays["syn0"] != before["syn0"]).any(axis=1))
    moved1 = np.flatnonzero((arrays["syn1neg"] != before["syn1neg"]).any(axis=1))
    assert set(moved0) == set(context)
    assert set(moved1) == {centre, *noise}
    # and it went downhill: the same pairs score a lower loss afterwards
    after, _, _ = ref.shared_batch_f64(arrays["syn0"], arrays["syn1neg"], context, centre, noise, 0.0)
    assert after < want_loss


def test_minibatch_gradient_matches_finite_differences():
    """dloss/d(context row) from the kernel's step against central differences of the
    loss the kernel reports (the step is alpha times the gradient at the rows before
    the minibatch, so any alpha shows it; a large one keeps float32 rounding small)."""
    V, d, alpha = 30, 8, 0.5
    arrays, _ = make_inputs(V, d, seed=42)
    saved = copies(arrays)
    model = _model(arrays, negative=5, sigmoid="exact")
    worker = Worker(model, seed=43)
    context, centre = [5, 7, 9], 11

    def step(row5):
        for k in ("syn0", "syn1neg"):
            np.copyto(arrays[k], saved[k])
        arrays["syn0"][5] = row5
        worker.rng_state = 777                        # same noise every call
        return worker._train_centre(context, centre, alpha)

    x = saved["syn0"][5].copy()
    step(x)
    dloss = -(arrays["syn0"][5].astype(np.float64) - x) / alpha
    assert np.linalg.norm(dloss) > 1e-2
    eps = 1e-2
    fd = np.empty(d)
    for i in range(d):
        e = np.zeros(d, np.float32)
        e[i] = eps
        fd[i] = (step(x + e) - step(x - e)) / (2 * eps)
    np.testing.assert_allclose(dloss, fd, rtol=2e-2, atol=2e-3)


def test_validation():
    arrays, _ = make_inputs(V=20, d=8, seed=44)
    for bad in (dict(sg=0), dict(hs=1), dict(negative=0, hs=1)):
        with pytest.raises(ValueError, match="shared_negatives=True needs skip-gram"):
            Model(*arrays.values(), **{**SHARED, "negative": 3, "window": 2, **bad})
    model = _model(arrays)
    assert model.shared_negatives
    assert not Model(*arrays.values(), sg=1, hs=0, negative=3, window=2).shared_negatives
    worker = Worker(model, 1)
    with pytest.raises(ValueError, match="context must hold 1 to 6"):
        worker._train_centre(list(range(7)), 0, 0.025)        # > 2 * window
    with pytest.raises(ValueError, match="context must hold 1 to 3"):
        Worker(model, 1, max_sentence_length=4)._train_centre(list(range(4)), 0, 0.025)
    with pytest.raises(ValueError, match="out of range"):
        worker._train_centre([1, 20], 0, 0.025)
    classic = Worker(Model(*arrays.values(), sg=1, hs=0, negative=3, window=2), 1)
    with pytest.raises(ValueError, match="needs a model with shared_negatives"):
        classic._train_centre([1], 0, 0.025)


def test_nonfinite_score_stops_before_updating():
    arrays, _ = make_inputs(V=20, d=8, seed=45)
    arrays["syn0"][3, 2] = np.nan
    before = copies(arrays)
    model = _model(arrays)
    assert np.isnan(Worker(model, 1)._train_centre([3, 4], 5, 0.025))
    for k in before:
        np.testing.assert_array_equal(arrays[k], before[k])     # nothing updated
    ids = np.array([3, 4, 5, 6, -1] * 50, dtype=np.int32)
    p = Progress(len(ids), 0.025, 0.0001)
    with pytest.raises(FloatingPointError):
        Worker(model, 1).train(ids, p)
    assert p.nonfinite


def test_stop_requests_are_honoured():
    arrays, counts = make_inputs(V=20, d=8, seed=50)
    before = copies(arrays)
    model = _model(arrays, window=10, negative=20)
    p = Progress(100, 0.025, 0.0001)
    p.request_stop()
    assert Worker(model, 1).train(make_corpus(counts, 10, 1), p) == (0, 0)
    for k in before:
        np.testing.assert_array_equal(arrays[k], before[k])
    ids = np.tile(make_corpus(counts, 1000, 2), 100)      # minutes of work if not stopped
    p = Progress(len(ids), 0.025, 0.0001)
    worker = Worker(model, 1, report_every=100)
    raw, _ = train_then_stop(lambda: worker.train(ids, p), p)
    assert 0 < raw < len(ids)


def test_examples_counted_like_skip_gram_pairs():
    """Worker.examples counts (context, centre) pairs, as the classic kernel does."""
    arrays, counts = make_inputs(V=30, d=8, seed=46)
    ids = make_corpus(counts, 40, seed=47)
    kw = dict(sg=1, hs=0, negative=3, window=4, shrink_windows=False)
    classic = Worker(Model(*copies(arrays).values(), **kw), 5)
    shared = Worker(Model(*copies(arrays).values(), **kw, shared_negatives=True), 5)
    classic.train(ids, Progress(0, 0.025, 0.025))
    shared.train(ids, Progress(0, 0.025, 0.025))
    assert shared.examples == classic.examples > 0


def test_two_threads_share_a_model():
    arrays, counts = make_inputs(V=50, d=16, seed=48, sample=0.01)
    model = _model(arrays, negative=5, window=4)
    ids = make_corpus(counts, 300, 49)
    p = Progress(2 * np.count_nonzero(ids >= 0), 0.025, 0.0001)
    workers = [Worker(model, s, report_every=100) for s in (1, 2)]
    out = [None, None]
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, workers[i].train(ids, p)))
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out[0][0] == out[1][0] == np.count_nonzero(ids >= 0)
    assert p.words_done == out[0][0] + out[1][0]
    assert np.isfinite(arrays["syn0"]).all() and np.isfinite(arrays["syn1neg"]).all()


# ------------------------------------------------------------------ quality

def train_planted(shared, ids, counts, epochs=3, d=24, seed=3):
    V = len(counts)
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((V, d)) - 0.5) / d).astype(np.float32)
    syn1neg = np.zeros((V, d), np.float32)
    prob, alias = ref.build_alias(np.maximum(counts, 1) ** 0.75)
    model = Model(syn0, syn1neg, None, ref.keep_thresholds(np.maximum(counts, 1), 0.0), prob, alias,
                  None, None, None, sg=1, hs=0, negative=5, window=4, shared_negatives=shared)
    worker = Worker(model, seed)
    total = epochs * int(np.count_nonzero(ids >= 0))
    p = Progress(total, 0.025, 0.0001)
    for _ in range(epochs):
        worker.train(ids, p)
    return syn0


def test_shared_negatives_recover_planted_structure_like_classic():
    ids, counts, group = planted_groups()
    chance = 1.0 / (group.max() + 1)
    precision = {shared: np.mean([group_precision(train_planted(shared, ids, counts, seed=s), group)
                                  for s in (3, 4, 5, 6)])
                 for shared in (False, True)}
    assert precision[False] > 0.8, f"classic kernel: group precision {precision[False]:.3f}"
    assert precision[True] >= precision[False] - 0.03, (
        f"shared negatives: group precision {precision[True]:.3f} vs classic "
        f"{precision[False]:.3f} (chance {chance:.3f})")


def test_word2vec_accepts_shared_negatives():
    ids, counts, group = planted_groups(stay=0.7)
    sentences = as_sentences(ids)
    model = Word2Vec(sentences, vector_size=24, window=4, min_count=1, sg=1, hs=0, negative=5,
                     workers=2, epochs=5, sample=0, seed=3, shared_negatives=True)
    vectors = np.stack([model.wv.get_vector(f"w{i}") for i in range(len(counts))])
    precision = group_precision(vectors, group)
    assert precision > 0.9, f"group precision {precision:.3f}"
    with pytest.raises(ValueError, match="shared_negatives"):
        Word2Vec(sentences, sg=0, shared_negatives=True, min_count=1)
