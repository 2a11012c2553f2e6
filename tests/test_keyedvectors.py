"""KeyedVectors: lookups, similarity queries against a brute-force numpy reference,
per-key attributes, norms cache, native save/load and the atomic write helpers."""
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from w2v import _io
from w2v.keyedvectors import KeyedVectors

N, DIM = 300, 16


def make_kv(n=N, dim=DIM, seed=0, counts=True):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n)]
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return KeyedVectors.from_arrays(keys, vectors, counts=np.arange(n, 0, -1) * 10 if counts else None)


KV = make_kv()


def reference_scores(kv, positive, negative, restrict_vocab=None):
    """float64 brute force: cosine of every key with the normalised weighted mean of unit
    vectors (raw vectors for array items), as documented for most_similar."""
    V = kv.vectors.astype(np.float64)
    norms = np.linalg.norm(V, axis=1)
    mean, total, exclude = np.zeros(V.shape[1]), 0.0, set()
    for items, sign in ((positive, 1.0), (negative, -1.0)):
        for item in items:
            if isinstance(item, np.ndarray):
                mean += sign * item
            else:
                i = kv.key_to_index[item]
                exclude.add(i)
                mean += sign * V[i] / norms[i]
            total += 1
    mean /= total
    mean /= np.linalg.norm(mean)
    end = restrict_vocab or len(V)
    return V[:end] @ mean / norms[:end], exclude


def check_ranking(kv, result, scores, exclude, topn):
    """`result` is a valid top-`topn` of `scores`: right values, descending, nothing
    excluded, and no better candidate left out (up to float32 rounding)."""
    allowed = [i for i in range(len(scores)) if i not in exclude]
    assert len(result) == min(topn, len(allowed))
    got_idx = [kv.key_to_index[k] for k, _ in result]
    got = np.array([s for _, s in result])
    assert not set(got_idx) & exclude
    np.testing.assert_allclose(got, scores[got_idx], atol=1e-5)
    assert np.all(np.diff(got) <= 1e-6), "results not in descending order"
    best = np.sort(scores[allowed])[::-1][:topn]
    np.testing.assert_allclose(got, best, atol=1e-5)


keys_st = st.lists(st.integers(0, N - 1), min_size=0, max_size=4, unique=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pos=keys_st, neg=keys_st, topn=st.integers(1, 20),
       restrict=st.one_of(st.none(), st.integers(30, N)), with_vector=st.booleans())
def test_most_similar_matches_bruteforce(pos, neg, topn, restrict, with_vector):
    positive = [f"w{i}" for i in pos]
    negative = [f"w{i}" for i in neg if i not in pos]
    if with_vector:
        positive.append(np.random.default_rng(len(pos)).standard_normal(DIM).astype(np.float32))
    if not positive and not negative:
        positive = ["w0"]
    result = KV.most_similar(positive=positive, negative=negative, topn=topn, restrict_vocab=restrict)
    scores, exclude = reference_scores(KV, positive, negative, restrict)
    check_ranking(KV, result, scores, exclude, topn)


def test_most_similar_topn_none_returns_all_scores():
    scores, _ = reference_scores(KV, ["w1", "w2"], ["w3"])
    got = KV.most_similar(positive=["w1", "w2"], negative=["w3"], topn=None)
    assert got.shape == (N,)
    np.testing.assert_allclose(got, scores, atol=1e-5)
    got = KV.most_similar("w1", topn=None, restrict_vocab=50)
    assert got.shape == (50,)
    np.testing.assert_allclose(got, reference_scores(KV, ["w1"], [], 50)[0], atol=1e-5)
    assert KV.most_similar("w1", topn=0) == []


def test_single_key_and_vector_shorthands():
    assert KV.most_similar("w5", topn=5) == KV.most_similar(positive=["w5"], topn=5)
    assert KV.similar_by_word("w5", topn=5) == KV.most_similar(positive=["w5"], topn=5)
    vec = KV["w5"]
    by_vec = KV.similar_by_vector(vec, topn=6)
    assert by_vec[0][0] == "w5" and by_vec[0][1] == pytest.approx(1.0, abs=1e-6)
    assert [k for k, _ in by_vec[1:]] == [k for k, _ in KV.most_similar("w5", topn=5)]
    # (key, weight) pairs weight the mean like gensim
    weighted = KV.most_similar(positive=[("w1", 2.0), "w2"], topn=5)
    scores, exclude = reference_scores(KV, ["w1", "w1", "w2"], [])
    check_ranking(KV, weighted, scores, exclude, 5)


def test_most_similar_cosmul_matches_bruteforce():
    V = KV.vectors.astype(np.float64)
    unit = V / np.linalg.norm(V, axis=1, keepdims=True)
    shifted = lambda w: (1 + unit @ unit[KV.key_to_index[w]]) / 2  # noqa: E731
    scores = shifted("w1") * shifted("w2") / (shifted("w3") + 1e-6)
    result = KV.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"], topn=10)
    check_ranking(KV, result, scores, {1, 2, 3}, 10)
    all_scores = KV.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"], topn=None)
    np.testing.assert_allclose(all_scores, scores, rtol=1e-5)
    restricted = KV.most_similar_cosmul(positive=["w1"], topn=5, restrict_vocab=40)
    assert all(KV.key_to_index[k] < 40 for k, _ in restricted)
    with pytest.raises(ValueError):
        KV.most_similar_cosmul(negative=["w1"])


def test_pairwise_similarities_match_numpy():
    V = KV.vectors.astype(np.float64)
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    v = {k: V[KV.key_to_index[k]] for k in ("w1", "w2", "w3", "w4")}
    assert KV.similarity("w1", "w2") == pytest.approx(cos(v["w1"], v["w2"]), abs=1e-6)
    assert isinstance(KV.similarity("w1", "w2"), float)
    assert KV.distance("w1", "w2") == pytest.approx(1 - cos(v["w1"], v["w2"]), abs=1e-6)
    assert KV.n_similarity(["w1", "w2"], ["w3", "w4"]) == pytest.approx(
        cos(v["w1"] + v["w2"], v["w3"] + v["w4"]), abs=1e-6)
    np.testing.assert_allclose(KV.distances("w1", ["w2", "w3"]),
                               [1 - cos(v["w1"], v["w2"]), 1 - cos(v["w1"], v["w3"])], atol=1e-6)
    all_d = KV.distances("w1")
    assert all_d.shape == (N,) and all_d[1] == pytest.approx(0, abs=1e-6)
    # rank = 1 + number of keys strictly closer, the key itself not counted
    expected_rank = 1 + int(np.sum(all_d < all_d[2])) - 1
    assert KV.rank("w1", "w2") == expected_rank
    assert KV.most_similar_to_given("w1", ["w2", "w3"]) in ("w2", "w3")


def test_doesnt_match_picks_the_outlier():
    rng = np.random.default_rng(3)
    base = rng.standard_normal(8)
    vectors = np.vstack([base + 0.05 * rng.standard_normal(8) for _ in range(4)] + [-base])
    kv = KeyedVectors.from_arrays(["a", "b", "c", "d", "odd"], vectors.astype(np.float32))
    assert kv.doesnt_match(["a", "odd", "b", "c"]) == "odd"
    assert kv.doesnt_match(["a", "odd", "missing"]) in ("a", "odd")   # unknown word ignored
    with pytest.raises(ValueError):
        kv.doesnt_match(["missing"])


@pytest.mark.parametrize("call", [
    lambda kv: kv["xyz"],
    lambda kv: kv[["w1", "xyz"]],
    lambda kv: kv.get_vector("xyz"),
    lambda kv: kv.get_index("xyz"),
    lambda kv: kv.most_similar(positive=["w1", "xyz"]),
    lambda kv: kv.most_similar(negative=["xyz"]),
    lambda kv: kv.most_similar_cosmul(positive=["xyz"]),
    lambda kv: kv.similarity("w1", "xyz"),
    lambda kv: kv.n_similarity(["w1"], ["xyz"]),
    lambda kv: kv.distances("xyz"),
    lambda kv: kv.get_vecattr("xyz", "count"),
])
def test_missing_key_raises_keyerror_naming_it(call):
    with pytest.raises(KeyError, match="Key 'xyz' not present in vocabulary"):
        call(KV)


def test_lookups_and_containers():
    assert len(KV) == N and "w7" in KV and "nope" not in KV
    assert KV.get_index("w7") == 7 and KV.get_index("nope", default=-1) == -1
    assert KV.has_index_for("w7") and not KV.has_index_for("nope")
    np.testing.assert_array_equal(KV["w7"], KV.vectors[7])
    np.testing.assert_array_equal(KV[["w7", "w2"]], KV.vectors[[7, 2]])
    assert KV[[]].shape == (0, DIM)
    # an int that is not a key is a row number (gensim)
    np.testing.assert_array_equal(KV[3], KV.vectors[3])
    unit = KV.get_vector("w7", norm=True)
    assert np.linalg.norm(unit) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError):
        KV.get_vector("w7")[0] = 1.0          # read-only view protects the norms cache
    assert str(KV) == f"KeyedVectors<vector_size={DIM}, {N} keys>"


def test_counts_are_an_int64_array():
    kv = make_kv(n=20)
    assert kv.expandos["count"].dtype == np.int64
    assert kv.get_vecattr("w0", "count") == 200
    kv.set_vecattr("w3", "count", 7)
    assert kv.get_vecattr("w3", "count") == 7 and kv.expandos["count"][3] == 7
    kv.set_vecattr("w3", "score", 0.5)
    assert kv.expandos["score"].dtype == np.float64 and kv.get_vecattr("w3", "score") == 0.5
    with pytest.raises(KeyError):
        kv.get_vecattr("w3", "unknown_attr")
    kv.sort_by_descending_frequency()
    assert kv.index_to_key[-1] == "w3" and kv.get_vecattr("w3", "count") == 7
    np.testing.assert_array_equal(kv["w3"], make_kv(n=20)["w3"])


def test_norms_cache_invalidation():
    kv = make_kv(n=10)
    kv.fill_norms()
    cached = kv.norms
    kv.fill_norms()
    assert kv.norms is cached                                # cached, not recomputed
    kv.vectors[0] *= 3                                       # in-place write: caller's job...
    assert kv.norms[0] == pytest.approx(cached[0])
    kv.fill_norms(force=True)                                # ...to refresh
    assert kv.norms[0] == pytest.approx(3 * cached[0], rel=1e-6)
    kv.vectors = kv.vectors * 2                              # assignment drops the cache
    assert kv.norms is None
    assert kv.similar_by_vector(kv.vectors[4], topn=1)[0][0] == "w4"


def test_construction_and_adding():
    with pytest.raises(ValueError, match="duplicate key"):
        KeyedVectors.from_arrays(["a", "b", "a"], np.zeros((3, 2)))
    with pytest.raises(ValueError):
        KeyedVectors.from_arrays(["a"], np.zeros((2, 2)))
    kv = KeyedVectors(4, count=2)
    assert kv.vectors.shape == (2, 4) and kv.vectors.dtype == np.float32
    assert kv.add_vector("a", np.ones(4)) == 0
    assert kv.add_vector("b", np.full(4, 2.0)) == 1
    assert kv.add_vector("c", np.full(4, 3.0)) == 2              # grows past the preallocation
    assert kv.index_to_key == ["a", "b", "c"] and kv["c"][0] == 3.0
    kv.add_vectors(["c", "d"], np.array([[9.0] * 4, [4.0] * 4]))
    assert kv["c"][0] == 3.0 and kv["d"][0] == 4.0                 # existing kept
    kv.add_vectors(["c"], np.array([[9.0] * 4]), replace=True)
    assert kv["c"][0] == 9.0 and len(kv) == 4
    kv["e"] = np.full(4, 5.0)
    assert kv["e"][0] == 5.0 and kv.get_index("e") == 4


# ---------------------------------------------------------------------- native save / load
odd_keys = st.one_of(
    st.text(min_size=1, max_size=8),
    st.binary(min_size=1, max_size=6).map(lambda b: b.decode("utf8", "surrogateescape")),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(odd_keys, min_size=0, max_size=12, unique=True), seed=st.integers(0, 100))
def test_native_roundtrip_is_exact(tmp_path_factory, keys, seed):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(keys), 5)).astype(np.float32)
    kv = KeyedVectors.from_arrays(keys, vectors, counts=rng.integers(0, 2**40, len(keys)))
    path = tmp_path_factory.mktemp("native") / "model.kv"
    kv.save(path)
    for mmap in (None, "r"):
        back = KeyedVectors.load(path, mmap=mmap)
        assert back.index_to_key == keys
        assert back.key_to_index == kv.key_to_index
        np.testing.assert_array_equal(back.vectors, vectors)
        assert back.vectors.dtype == np.float32 and back.vector_size == 5
        np.testing.assert_array_equal(back.expandos["count"], kv.expandos["count"])


def test_native_mmap_is_readonly_and_queries_work(tmp_path):
    KV.save(tmp_path / "kv")
    back = KeyedVectors.load(tmp_path / "kv", mmap="r")
    assert isinstance(back.vectors, np.memmap)
    with pytest.raises(ValueError):
        back.vectors[0, 0] = 1
    assert back.most_similar("w1", topn=5) == KV.most_similar("w1", topn=5)
    assert sorted(os.listdir(tmp_path / "kv")) == ["counts.npy", "keyedvectors.json", "vectors.npy"]
    meta = json.loads((tmp_path / "kv" / "keyedvectors.json").read_text())
    assert meta["format_version"] == 1 and meta["vector_size"] == DIM and meta["keys"][:2] == ["w0", "w1"]


def test_native_keeps_int_keys_float64_and_extra_attrs(tmp_path):
    kv = KeyedVectors.from_arrays([5, 7, "x"], np.eye(3), counts=[3, 2, 1])
    kv.set_vecattr("x", "weight", 0.25)
    kv.save(tmp_path / "kv")
    back = KeyedVectors.load(tmp_path / "kv")
    assert back.index_to_key == [5, 7, "x"] and back.vectors.dtype == np.float64
    assert back.get_vecattr("x", "weight") == 0.25 and back.get_vecattr(7, "count") == 2


def test_native_load_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="not a readable gensim file"):
        (tmp_path / "file").write_bytes(b"\x80\x04pickle")     # a damaged pickle
        KeyedVectors.load(tmp_path / "file")
    with pytest.raises(ValueError, match="neither a w2v KeyedVectors directory"):
        (tmp_path / "file").write_bytes(b"plain text")
        KeyedVectors.load(tmp_path / "file")
    make_kv(n=4).save(tmp_path / "kv")
    meta_path = tmp_path / "kv" / "keyedvectors.json"
    good = meta_path.read_text()
    for bad in ["{", "[]", good.replace('"format_version": 1', '"format_version": 99'),
                good.replace('"w1"', '"w0"'), good.replace('"vector_size": 16', '"vector_size": 3'),
                good.replace('"vectors.npy"', '"../vectors.npy"')]:
        meta_path.write_text(bad)
        with pytest.raises(ValueError, match="keyedvectors.json"):
            KeyedVectors.load(tmp_path / "kv")
    meta_path.write_text(good)
    # an object array would need pickle: refused
    np.save(tmp_path / "kv" / "vectors.npy", np.array([object()] * 4), allow_pickle=True)
    with pytest.raises(ValueError, match="vectors.npy"):
        KeyedVectors.load(tmp_path / "kv")
    kv = make_kv(n=3)
    kv.set_vecattr("w1", "label", "text")       # object attribute: cannot be saved without pickle
    with pytest.raises(ValueError, match="without pickle"):
        kv.save(tmp_path / "kv2")
    assert not (tmp_path / "kv2").exists()


def test_interrupted_native_save_keeps_previous(tmp_path, monkeypatch):
    path = tmp_path / "kv"
    old = make_kv(n=10, seed=1)
    old.save(path)
    real_save = np.save
    calls = []

    def failing_save(file, arr, **kw):
        calls.append(file)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real_save(file, arr, **kw)

    monkeypatch.setattr(np, "save", failing_save)
    with pytest.raises(OSError, match="simulated"):
        make_kv(n=50, seed=2).save(path)
    monkeypatch.undo()
    back = KeyedVectors.load(path)
    np.testing.assert_array_equal(back.vectors, old.vectors)
    assert os.listdir(tmp_path) == ["kv"]                # temporary directory cleaned up
    # and a save that completes replaces it, through both swap strategies
    for exchange in (True, False):
        if not exchange:
            monkeypatch.setattr(_io, "_exchange", lambda a, b: False)
        new = make_kv(n=7, seed=3 + exchange)
        new.save(path)
        np.testing.assert_array_equal(KeyedVectors.load(path).vectors, new.vectors)
        assert os.listdir(tmp_path) == ["kv"]


def test_atomic_write_keeps_previous_file_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_bytes(b"previous")
    os.chmod(target, 0o640)
    with pytest.raises(RuntimeError):
        with _io.atomic_write(target) as f:
            f.write(b"partial new content")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["out.txt"]
    with _io.atomic_write(target, "w") as f:
        f.write("new \u00e9")
    assert target.read_text(encoding="utf-8") == "new \u00e9"
    assert os.stat(target).st_mode & 0o777 == 0o640          # permissions of the replaced file kept
    with _io.atomic_write(tmp_path / "fresh") as f:
        f.write(b"x")
    assert os.stat(tmp_path / "fresh").st_mode & 0o777 == 0o666 & ~_io._UMASK


def test_atomic_directory_replaces_a_file_and_cleans_up(tmp_path):
    target = tmp_path / "thing"
    target.write_bytes(b"old file")
    with pytest.raises(KeyError):
        with _io.atomic_directory(target) as tmp:
            (open(os.path.join(tmp, "a"), "wb")).close()
            raise KeyError("boom")
    assert target.read_bytes() == b"old file" and os.listdir(tmp_path) == ["thing"]
    with _io.atomic_directory(target) as tmp:
        with open(os.path.join(tmp, "a"), "wb") as f:
            f.write(b"new")
    assert (target / "a").read_bytes() == b"new" and os.listdir(tmp_path) == ["thing"]
