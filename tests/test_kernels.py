"""The training kernels against tests/reference.py, plus gradients, determinism,
errors, interruption and validation."""
import threading

import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck, strategies as st

from w2v import _train
from w2v._train import Model, Progress, Worker

import reference as ref
from helpers import copies, make_corpus, make_inputs, train_then_stop

ARCHS = {"sg": dict(sg=1), "cbow_mean": dict(sg=0, cbow_mean=1), "cbow_sum": dict(sg=0, cbow_mean=0)}
OBJECTIVES = {"ns": dict(hs=0, negative=3), "hs": dict(hs=1, negative=0), "both": dict(hs=1, negative=2)}
SHARED = dict(sg=1, hs=0, shared_negatives=True)
SIMD_PATHS = ["baseline", "avx2+fma", "avx512"]
SIMD_RUN, SIMD_SKIPPED = set(), set()  # reported at the end of the run (conftest.py)


@pytest.fixture(params=SIMD_PATHS)
def simd(request):
    """Run the test on one instruction-set copy of the kernels (skipped where the
    CPU lacks it); the reference follows its FMA rounding."""
    if request.param not in _train.simd_paths():
        SIMD_SKIPPED.add(request.param)
        pytest.skip(f"this machine cannot run the {request.param} kernels")
    SIMD_RUN.add(request.param)
    previous = _train.set_simd_path(request.param)
    yield request.param
    _train.set_simd_path(previous)


def run_both(arrays, params, ids, *, seed=7, progress=(0, 0.025, 0.0001), max_sentence_length=10000,
             report_every=10000, calls=1, **worker_kw):
    """Train the kernel and the reference on private copies; return both states."""
    kern_arrays, ref_arrays = copies(arrays), copies(arrays)
    model = Model(*kern_arrays.values(), **params)
    worker = Worker(model, seed, max_sentence_length=max_sentence_length, report_every=report_every,
                    **worker_kw)
    rmodel = ref.RefModel(*ref_arrays.values(), **params, fma=_train.fused_multiply_add())
    rworker = ref.RefWorker(seed, max_sentence_length, report_every)
    k_counts, r_counts = [], []
    kp, rp = Progress(*progress), ref.RefProgress(*progress)
    for _ in range(calls):
        k_counts.append(worker.train(ids, kp))
        r_counts.append(ref.train_stream(rmodel, rworker, rp, ids))
    return (kern_arrays, worker, kp, k_counts), (ref_arrays, rworker, rp, r_counts)


def assert_same(kern, refr, rtol=1e-4, atol=1e-6):
    (ka, worker, kp, kc), (ra, rworker, rp, rc) = kern, refr
    assert kc == rc
    assert kp.words_done == rp.words_done
    assert worker.examples == rworker.examples
    # same number of random draws consumed, in the same order
    assert worker.rng_state == rworker.rng.state
    for name in ("syn0", "syn1neg", "syn1"):
        np.testing.assert_allclose(ka[name], ra[name], rtol=rtol, atol=atol, err_msg=name)
    assert worker.loss == pytest.approx(rworker.loss, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("sample", [0.0, 0.02])
@pytest.mark.parametrize("shrink", [True, False])
def test_matches_reference(arch, objective, sample, shrink):
    arrays, counts = make_inputs(V=30, d=12, seed=1, sample=sample)
    ids = make_corpus(counts, 14, seed=2, trailing_eos=False)
    params = dict(**ARCHS[arch], **OBJECTIVES[objective], window=3, shrink_windows=shrink,
                  compute_loss=True, sigmoid="table")
    # alpha decays within the call (report_every << corpus), long sentences are chunked
    kern, refr = run_both(arrays, params, ids, progress=(2 * len(ids), 0.05, 0.001),
                          max_sentence_length=11, report_every=37, calls=2)
    assert_same(kern, refr)
    assert kern[1].loss > 0
    if sample:
        assert kern[3][0][1] < kern[3][0][0]      # subsampling dropped something
    assert not np.array_equal(kern[0]["syn0"], arrays["syn0"])


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_matches_reference_exact_sigmoid(arch, objective):
    arrays, counts = make_inputs(V=25, d=9, seed=3, sample=0.05)
    ids = make_corpus(counts, 10, seed=4)
    params = dict(**ARCHS[arch], **OBJECTIVES[objective], window=4, compute_loss=True, sigmoid="exact")
    kern, refr = run_both(arrays, params, ids, progress=(len(ids), 0.1, 0.01), report_every=50)
    assert_same(kern, refr)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(V=st.integers(1, 40), d=st.integers(1, 40), window=st.integers(1, 6),
       negative=st.integers(0, 6), hs=st.booleans(), sg=st.booleans(), cbow_mean=st.booleans(),
       sample=st.sampled_from([0.0, 1e-2, 0.1]), seed=st.integers(0, 2 ** 64 - 1),
       sigmoid=st.sampled_from(["table", "exact"]), max_len=st.integers(1, 40))
def test_matches_reference_property(V, d, window, negative, hs, sg, cbow_mean, sample, seed,
                                    sigmoid, max_len):
    # d up to 40: every column blocking of csrc/vecops.h w2v_step_rows (16-float
    # chunks, then 8, 4 and single floats) and w2v_dot_block's tails
    if not hs and negative == 0:
        hs = True
    arrays, counts = make_inputs(V, d, seed=seed % 1000, sample=sample)
    ids = make_corpus(counts, 5, seed=seed % 997, max_len=25)
    params = dict(sg=sg, hs=hs, negative=negative, window=window, cbow_mean=cbow_mean,
                  compute_loss=True, sigmoid=sigmoid)
    kern, refr = run_both(arrays, params, ids, seed=seed, progress=(len(ids), 0.05, 0.0),
                          max_sentence_length=max_len, report_every=20)
    assert_same(kern, refr)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_every_simd_path_matches_reference(simd, arch, objective):
    arrays, counts = make_inputs(V=40, d=37, seed=21, sample=0.01)   # d % 8 == 5: every tail path
    ids = make_corpus(counts, 12, seed=22)
    params = dict(**ARCHS[arch], **OBJECTIVES[objective], window=4, compute_loss=True)
    kern, refr = run_both(arrays, params, ids, progress=(len(ids), 0.05, 0.001), report_every=40)
    assert_same(kern, refr)


@pytest.mark.parametrize("sample", [0.0, 0.02])
@pytest.mark.parametrize("shrink", [True, False])
@pytest.mark.parametrize("sigmoid", ["table", "exact"])
def test_shared_negatives_match_reference(simd, sample, shrink, sigmoid):
    arrays, counts = make_inputs(V=30, d=21, seed=31, sample=sample)
    ids = make_corpus(counts, 14, seed=32, trailing_eos=False)
    params = dict(**SHARED, negative=4, window=3, shrink_windows=shrink, compute_loss=True,
                  sigmoid=sigmoid)
    kern, refr = run_both(arrays, params, ids, progress=(2 * len(ids), 0.05, 0.001),
                          max_sentence_length=11, report_every=37, calls=2)
    assert_same(kern, refr)
    assert kern[1].loss > 0
    assert not np.array_equal(kern[0]["syn0"], arrays["syn0"])
    assert not np.array_equal(kern[0]["syn1neg"], arrays["syn1neg"])


VARIANTS = {f"{a}-{o}": {**ARCHS[a], **OBJECTIVES[o]} for a in ARCHS for o in OBJECTIVES}
VARIANTS["shared"] = dict(**SHARED, negative=3)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("private", [(7, 3), (100, 100)])
@pytest.mark.parametrize("sync_every", [1, 37, 10 ** 9])
def test_private_rows_on_one_thread_follow_reference(variant, private, sync_every):
    """A worker training some output rows in its own copy (merged by row +=
    mine - base at each sync and at the end) takes the same steps as one writing
    in place: alone, the merges only add float rounding (exact sigmoid here, so
    a rounding can never move a table index)."""
    V = 30
    arrays, counts = make_inputs(V=V, d=11, seed=41, sample=0.01)
    ids = make_corpus(counts, 14, seed=42)
    params = dict(**VARIANTS[variant], window=3, compute_loss=True, sigmoid="exact")
    kern, refr = run_both(arrays, params, ids, progress=(2 * len(ids), 0.05, 0.001),
                          max_sentence_length=11, report_every=37, calls=2,
                          private_rows=private[0], private_nodes=private[1], sync_every=sync_every)
    ns, hs = params["negative"] > 0, params.get("hs", 0)
    assert kern[1].private_rows == (min(private[0], V) if ns else 0,
                                    min(private[1], V - 1) if hs else 0)
    assert_same(kern, refr, rtol=1e-4, atol=1e-5)
    for name, used in (("syn1neg", ns), ("syn1", hs)):
        # the private rows' steps reached the shared matrix
        assert np.array_equal(kern[0][name], arrays[name]) != used, name


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("d", [11, 16, 100])
def test_padded_rows_train_like_contiguous(simd, variant, d):
    """Weights as rows of a padded, 64-byte-aligned buffer (_train.weight_matrix,
    what Word2Vec allocates) train bit for bit like C-contiguous ones, private
    output rows included; the floats past d are never used nor written (NaN there
    stays NaN and reaches no weight)."""
    V = 40
    arrays, counts = make_inputs(V=V, d=d, seed=43, sample=0.01)
    ids = make_corpus(counts, 30, seed=44)
    params = dict(**VARIANTS[variant], window=3, compute_loss=True)
    results = []
    for layout in ("contiguous", "padded"):
        a = copies(arrays)
        if layout == "padded":
            for name in ("syn0", "syn1neg", "syn1"):
                a[name] = _train.weight_matrix(*a[name].shape, like=a[name])
                assert a[name].ctypes.data % 64 == 0 and a[name].strides[0] % 64 == 0
                assert a[name].strides[0] >= 4 * d
                _padding(a[name])[...] = np.nan
        worker = Worker(Model(*a.values(), **params), 7, private_rows=9, private_nodes=9)
        worker.train(ids, Progress(len(ids), 0.05, 0.001))
        results.append((a, worker.loss))
    (plain, plain_loss), (padded, padded_loss) = results
    assert plain_loss == padded_loss
    for name in ("syn0", "syn1neg", "syn1"):
        assert np.array_equal(plain[name], padded[name]), name
        if padded[name].strides[0] > 4 * d:
            assert np.isnan(_padding(padded[name])).all(), name


def _padding(a):
    """The floats past a.shape[1] in each row of a view a of a C-contiguous buffer."""
    stride = a.strides[0] // 4
    start = (a.ctypes.data - a.base.ctypes.data) // 4
    return a.base[start:start + len(a) * stride].reshape(-1, stride)[:, a.shape[1]:]


def test_weight_matrix_layout():
    for n, d in ((1, 1), (3, 15), (5, 16), (7, 100), (2, 300)):
        w = _train.weight_matrix(n, d)
        assert w.shape == (n, d) and w.dtype == np.float32 and not w.any()
        assert w.ctypes.data % 64 == 0 and w.strides == (4 * (-(-d // 16) * 16), 4)
    like = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(_train.weight_matrix(3, 4, like=like), like)


def test_private_rows_refuse_test_hooks():
    arrays, counts, model = _small_model()
    worker = Worker(model, 1, private_rows=4)
    with pytest.raises(ValueError, match="without private rows"):
        worker._train_example(np.zeros(8, np.float32), 1, 0.025)
    shared = Model(*copies(arrays).values(), **SHARED, negative=2, window=2)
    with pytest.raises(ValueError, match="without private rows"):
        Worker(shared, 1, private_rows=4)._train_centre([1, 2], 3, 0.025)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(V=st.integers(1, 40), d=st.integers(1, 140), window=st.integers(1, 6),
       negative=st.integers(1, 7), sample=st.sampled_from([0.0, 1e-2, 0.1]),
       seed=st.integers(0, 2 ** 64 - 1), sigmoid=st.sampled_from(["table", "exact"]),
       shrink=st.booleans(), max_len=st.integers(1, 40))
def test_shared_negatives_match_reference_property(V, d, window, negative, sample, seed, sigmoid,
                                                   shrink, max_len):
    # tiny V: noise words repeat and equal the centre; max_len 1: contextless chunks;
    # d up to 140: every blocking of csrc/vecops.h w2v_combine_rows (one block up
    # to 104 floats, then 64-float blocks and a last one of 32-60)
    arrays, counts = make_inputs(V, d, seed=seed % 1000, sample=sample)
    ids = make_corpus(counts, 5, seed=seed % 997, max_len=25)
    params = dict(**SHARED, negative=negative, window=window, shrink_windows=shrink,
                  compute_loss=True, sigmoid=sigmoid)
    kern, refr = run_both(arrays, params, ids, seed=seed, progress=(len(ids), 0.05, 0.0),
                          max_sentence_length=max_len, report_every=20)
    assert_same(kern, refr)


def test_simd_paths():
    paths = _train.simd_paths()
    assert paths[0] == "baseline" and set(paths) <= set(SIMD_PATHS)
    assert _train.simd_path() in paths
    current = _train.simd_path()
    try:
        for path in paths:
            assert _train.set_simd_path(path) in paths
            assert _train.simd_path() == path
            # the only arithmetic difference between the copies
            assert _train.fused_multiply_add() == (path != "baseline")
    finally:
        _train.set_simd_path(current)
    assert _train.simd_path() == current
    with pytest.raises(ValueError, match="unknown SIMD path"):
        _train.set_simd_path("sse9")
    for path in set(SIMD_PATHS) - set(paths):
        with pytest.raises(ValueError, match="cannot run"):
            _train.set_simd_path(path)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_gradient_matches_finite_differences(objective):
    V, d = 20, 8
    arrays, _ = make_inputs(V, d, seed=5)
    params = dict(sg=1, **OBJECTIVES[objective], window=2, sigmoid="exact")
    model = Model(*arrays.values(), **params)
    worker = Worker(model, seed=11)
    saved = copies(arrays)
    h = np.random.default_rng(6).normal(0, 0.5, d).astype(np.float32)
    target, alpha = 4, 1e-6

    def loss_and_grad(x):
        for k in ("syn1neg", "syn1"):
            np.copyto(arrays[k], saved[k])        # outputs as before the step
        worker.rng_state = 12345                  # same negatives every call
        return worker._train_example(x, target, alpha)

    loss, grad = loss_and_grad(h)
    dloss = -grad.astype(np.float64) / alpha     # grad is alpha * -dloss/dh
    assert np.linalg.norm(dloss) > 1e-2
    eps = 1e-2
    fd = np.empty(d)
    for i in range(d):
        e = np.zeros(d, np.float32)
        e[i] = eps
        fd[i] = (loss_and_grad(h + e)[0] - loss_and_grad(h - e)[0]) / (2 * eps)
    np.testing.assert_allclose(dloss, fd, rtol=1e-2, atol=2e-3)

    # and the loss itself against float64 maths on the same output rows
    outputs = []
    if params["hs"]:
        lo, hi = saved["hs_offsets"][target], saved["hs_offsets"][target + 1]
        outputs += [(saved["syn1"][p], 1 - c) for p, c in
                    zip(saved["hs_points"][lo:hi], saved["hs_codes"][lo:hi])]
    if params["negative"]:
        rng = ref.SplitMix64(12345)
        outputs.append((saved["syn1neg"][target], 1))
        for _ in range(params["negative"]):
            r = rng.next()
            col = ((r >> 32) * V) >> 32
            noise = col if (r & ref.UINT32_MAX) < saved["alias_prob"][col] else saved["alias_index"][col]
            if noise != target:
                outputs.append((saved["syn1neg"][noise], 0))
    assert loss == pytest.approx(ref.example_loss_f64(h, target, outputs), rel=1e-5)


def _markov_corpus(V, n_sentences, seed, length=20):
    """Sentences from a sparse Markov chain: predictable contexts to learn."""
    rng = np.random.default_rng(seed)
    succ = rng.integers(0, V, size=(V, 3))
    out = []
    for _ in range(n_sentences):
        w = rng.integers(V)
        for _ in range(length):
            out.append(w)
            w = succ[w, rng.integers(3)]
        out.append(-1)
    return np.array(out, dtype=np.int32)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("sigmoid", ["table", "exact"])
def test_loss_decreases_over_epochs(arch, objective, sigmoid):
    V, d = 40, 16
    arrays, _ = make_inputs(V, d, seed=8)
    arrays["syn0"] = ((np.random.default_rng(0).random((V, d)) - 0.5) / d).astype(np.float32)
    arrays["syn1neg"][:] = 0
    arrays["syn1"][:] = 0
    ids = _markov_corpus(V, 100, seed=9)
    model = Model(*arrays.values(), **ARCHS[arch], **OBJECTIVES[objective], window=2,
                  compute_loss=True, sigmoid=sigmoid)
    worker = Worker(model, seed=1)
    per_example = []
    for epoch in range(6):
        worker.reset_loss()
        worker.train(ids, Progress(0, 0.05, 0.05))
        per_example.append(worker.loss / worker.examples)
    assert per_example[-1] < 0.85 * per_example[0], per_example
    assert all(np.isfinite(per_example))


@pytest.mark.parametrize("arch", ARCHS)
def test_single_thread_is_deterministic(arch):
    arrays, counts = make_inputs(V=50, d=16, seed=10, sample=0.01)
    ids = make_corpus(counts, 50, seed=11)
    results = []
    for _ in range(2):
        a = copies(arrays)
        model = Model(*a.values(), **ARCHS[arch], hs=1, negative=4, window=5, compute_loss=True)
        worker = Worker(model, seed=99)
        counts_ = worker.train(ids, Progress(len(ids), 0.025, 0.0001))
        results.append((a, worker.loss, counts_, worker.rng_state))
    (a1, l1, c1, s1), (a2, l2, c2, s2) = results
    for k in a1:
        assert np.array_equal(a1[k], a2[k]), k
    assert (l1, c1, s1) == (l2, c2, s2)
    # a different seed gives a different result
    a3 = copies(arrays)
    Worker(Model(*a3.values(), **ARCHS[arch], hs=1, negative=4, window=5), seed=100).train(
        ids, Progress(len(ids), 0.025, 0.0001))
    assert not np.array_equal(a3["syn0"], a1["syn0"])


def _small_model(**kw):
    arrays, counts = make_inputs(V=20, d=8, seed=12)
    params = dict(sg=1, hs=0, negative=2, window=2)
    params.update(kw)
    return arrays, counts, Model(*arrays.values(), **params)


@pytest.mark.parametrize("bad", [20, 1000, -2, np.iinfo(np.int32).min])
def test_out_of_range_ids_raise(bad):
    arrays, counts, model = _small_model()
    ids = np.array([1, 2, 3, -1, 4, bad, 5, -1], dtype=np.int32)
    with pytest.raises(ValueError, match=f"word id {bad} at position 5"):
        Worker(model, 1).train(ids, Progress(8, 0.025, 0.0001))


def test_stop_requested_before_training():
    arrays, counts, model = _small_model()
    before = copies(arrays)
    p = Progress(100, 0.025, 0.0001)
    p.request_stop()
    assert p.stopped
    assert Worker(model, 1).train(make_corpus(counts, 10, 1), p) == (0, 0)
    for k in before:
        assert np.array_equal(before[k], arrays[k])
    assert p.words_done == 0


@pytest.mark.parametrize("private_rows", [0, 20])
def test_stop_from_another_thread(private_rows):
    arrays, counts, model = _small_model(window=10, negative=20)
    before = copies(arrays)
    ids = np.tile(make_corpus(counts, 1000, 2), 100)      # minutes of work if not stopped
    p = Progress(len(ids), 0.025, 0.0001)
    # private rows synced only when the call returns: a stopped call must still sync
    worker = Worker(model, 1, report_every=100, private_rows=private_rows, sync_every=10 ** 12)

    def second_call():                          # one Worker serves one thread at a time
        with pytest.raises(RuntimeError, match="already training"):
            worker.train(ids, p)

    raw, eff = train_then_stop(lambda: worker.train(ids, p), p, second_call)
    assert 0 < raw < len(ids)
    assert p.words_done == raw
    assert not np.array_equal(arrays["syn1neg"], before["syn1neg"])


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("poison", [np.nan, np.inf])
def test_nonfinite_score_stops(arch, poison):
    arrays, counts = make_inputs(V=20, d=8, seed=13)
    arrays["syn0"][3, 2] = poison
    model = Model(*arrays.values(), **ARCHS[arch], hs=1, negative=2, window=3)
    ids = np.array([3, 4, 5, 6, -1] * 50, dtype=np.int32)
    p = Progress(len(ids), 0.025, 0.0001)
    with pytest.raises(FloatingPointError):
        Worker(model, 1).train(ids, p)
    assert p.nonfinite
    # the other workers see the flag and stop at once
    assert Worker(model, 2).train(ids, p) == (0, 0)


def test_progress_alpha_and_counts():
    p = Progress(1000, 0.025, 0.0005, words_done=250)
    assert p.alpha == pytest.approx(0.025 - (0.025 - 0.0005) * 0.25)
    assert Progress(0, 0.025, 0.0005).alpha == 0.025
    assert Progress(10, 0.025, 0.0005, words_done=50).alpha == pytest.approx(0.0005)
    arrays, counts, model = _small_model()
    ids = make_corpus(counts, 20, 3)
    p = Progress(len(ids), 0.025, 0.0005)
    raw, eff = Worker(model, 1).train(ids, p)
    assert raw == eff == np.count_nonzero(ids >= 0)      # no subsampling
    assert p.words_done == raw
    assert p.alpha == pytest.approx(0.025 - (0.025 - 0.0005) * raw / len(ids))
    assert Worker(model, 1).train(np.zeros(0, np.int32), p) == (0, 0)


@pytest.mark.parametrize("private_rows", [0, 10])
def test_two_threads_share_a_model(private_rows):
    arrays, counts = make_inputs(V=50, d=16, seed=14, sample=0.01)
    before = copies(arrays)
    model = Model(*arrays.values(), sg=0, hs=1, negative=3, window=4)
    ids = make_corpus(counts, 300, 15)
    p = Progress(2 * np.count_nonzero(ids >= 0), 0.025, 0.0001)
    workers = [Worker(model, s, report_every=100, private_rows=private_rows,
                      private_nodes=private_rows, sync_every=500)
               for s in (1, 2)]
    out = [None, None]

    def run(i):
        out[i] = workers[i].train(ids, p)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out[0][0] == out[1][0] == np.count_nonzero(ids >= 0)
    assert p.words_done == out[0][0] + out[1][0]
    # syn1neg's rows 0..9 and syn1's 39..48 (nearest the root) are the private ones
    for name, split in (("syn0", 10), ("syn1neg", 10), ("syn1", 39)):
        assert np.isfinite(arrays[name]).all()
        for rows in (slice(None, split), slice(split, None)):
            assert not np.array_equal(arrays[name][rows], before[name][rows]), (name, rows)


def test_readonly_memmap_stream(tmp_path):
    arrays, counts, model = _small_model()
    ids = make_corpus(counts, 30, 4)
    path = tmp_path / "ids.bin"
    ids.tofile(path)
    mm = np.memmap(path, dtype=np.int32, mode="r")
    a2 = copies(arrays)
    m2 = Model(*a2.values(), sg=1, hs=0, negative=2, window=2)
    assert Worker(model, 5).train(mm, Progress(len(ids), 0.025, 0.0001)) == \
        Worker(m2, 5).train(ids, Progress(len(ids), 0.025, 0.0001))
    assert np.array_equal(arrays["syn0"], a2["syn0"])


def test_worker_bad_args():
    arrays, counts, model = _small_model()
    with pytest.raises(ValueError, match="seed"):
        Worker(model, -1)
    with pytest.raises(ValueError, match="max_sentence_length"):
        Worker(model, 1, max_sentence_length=0)
    with pytest.raises(ValueError, match="private_rows"):
        Worker(model, 1, private_rows=-1)
    with pytest.raises(ValueError, match="private_nodes"):
        Worker(model, 1, private_nodes=-1)
    with pytest.raises(ValueError, match="sync_every"):
        Worker(model, 1, sync_every=0)
    with pytest.raises(ValueError):
        Worker(model, 1).train(np.zeros(3, np.int64), Progress(1, 0.1, 0.1))


def test_model_validation():
    arrays, counts = make_inputs(V=20, d=8, seed=16)
    kw = dict(sg=1, hs=1, negative=2, window=2)

    def build(**changes):
        a = dict(arrays)
        params = dict(kw)
        for k, v in changes.items():
            (a if k in a else params)[k] = v
        return Model(*a.values(), **params)

    build()                                                  # valid
    cases = [
        (dict(syn0=arrays["syn0"].astype(np.float64)), "syn0 must have dtype float32"),
        (dict(syn0=np.asfortranarray(arrays["syn0"])), "syn0 must be C-contiguous"),
        (dict(syn0=np.zeros((20, 16), np.float32)[:, ::2]), "syn0 must be C-contiguous"),
        (dict(syn0=_train.weight_matrix(20, 8)), "same row stride"),   # the others: stride 8
        (dict(syn1neg=arrays["syn1neg"][:10]), r"syn1neg must have shape \(20, 8\)"),
        (dict(syn1neg=None), "syn1neg must be a numpy array"),
        (dict(keep_thresholds=arrays["keep_thresholds"].astype(np.int64)), "keep_thresholds"),
        (dict(alias_index=np.full(20, 20, np.int32)), "alias_index values"),
        (dict(hs_codes=np.full_like(arrays["hs_codes"], 2)), "hs_codes must be 0 or 1"),
        (dict(hs_points=np.full_like(arrays["hs_points"], 19)), "hs_points must index rows"),
        (dict(hs_offsets=arrays["hs_offsets"][::-1].copy()), "hs_offsets"),
        (dict(syn1neg=arrays["syn0"]), "syn0 and syn1neg must not share memory"),
        (dict(negative=-1), "negative must be >= 0"),
        (dict(window=0), "window must be >= 1"),
        (dict(hs=0, negative=0), "nothing to train"),
        (dict(sigmoid="fast"), "sigmoid must be one of"),
    ]
    ro = arrays["syn0"].copy()
    ro.flags.writeable = False
    cases.append((dict(syn0=ro), "syn0 must be writable"))
    for changes, msg in cases:
        with pytest.raises(ValueError, match=msg):
            build(**changes)
    # unused objectives accept None
    Model(arrays["syn0"], arrays["syn1neg"], None, arrays["keep_thresholds"], arrays["alias_prob"],
          arrays["alias_index"], None, None, None, sg=0, hs=0, negative=3, window=2)
    Model(arrays["syn0"], None, arrays["syn1"], arrays["keep_thresholds"], None, None,
          arrays["hs_codes"], arrays["hs_points"], arrays["hs_offsets"], sg=0, hs=1, negative=0, window=2)


def test_reference_helpers_are_valid():
    counts = np.array([50, 20, 20, 9, 5, 3, 1, 1], dtype=np.int64)
    codes, points, offsets = ref.build_huffman(counts)
    paths = {tuple(codes[offsets[w]:offsets[w + 1]]) for w in range(len(counts))}
    assert len(paths) == len(counts)
    for p in paths:                                # prefix-free
        assert not any(q != p and q[:len(p)] == p for q in paths)
    assert points.min() >= 0 and points.max() == len(counts) - 2
    assert all(points[offsets[w]] == len(counts) - 2 for w in range(len(counts)))   # root first
    prob, alias = ref.build_alias(counts ** 0.75)
    np.testing.assert_allclose(ref.alias_distribution(prob, alias),
                               counts ** 0.75 / (counts ** 0.75).sum(), atol=1e-9)
    thr = ref.keep_thresholds(counts, 0.01)
    assert thr[0] < thr[-1] == ref.UINT32_MAX
