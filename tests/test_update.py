"""Continued training (issue 15, part A): vocabulary updates and per-word learning-rate
factors (``vectors_lockf``), side by side with gensim 4 where it defines the behaviour."""
import numpy as np
import pytest

from w2v import Word2Vec
from w2v.cli import main
from w2v.keyedvectors import KeyedVectors
from w2v.vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP

import reference as ref
from helpers import make_corpus, make_inputs
from test_kernels import ARCHS, OBJECTIVES, SHARED, assert_same, run_both, simd  # noqa: F401 (fixture)

gensim_w2v = pytest.importorskip("gensim.models.word2vec")
gensim_kv = pytest.importorskip("gensim.models.keyedvectors")


def zipf_corpus(seed, n, V, offset=0):
    rng = np.random.default_rng(seed)
    return [[f"w{int(x) % V + offset}" for x in rng.zipf(1.4, size=rng.integers(2, 14))]
            for _ in range(n)]


OLD = zipf_corpus(0, 400, 70)
NEW = zipf_corpus(1, 300, 110, offset=30)   # shares w30..w69 with OLD, brings w70..w139


def both(**params):
    """A gensim and a w2v model with the same parameters, vocabulary built and trained on OLD."""
    params = dict(vector_size=8, min_count=3, workers=1, seed=1, **params)
    g, w = gensim_w2v.Word2Vec(**params), Word2Vec(**params)
    for m in (g, w):
        m.build_vocab(OLD)
        m.train(OLD, total_examples=m.corpus_count, epochs=1)
    return g, w


def assert_same_vocab(g, w, n_first):
    """Same words, counts and corpus sizes; the first vocabulary's ``n_first`` words in
    the same set (equal counts are ordered otherwise by w2v), the added ones in the
    same order."""
    assert set(w.wv.index_to_key[:n_first]) == set(g.wv.index_to_key[:n_first])
    assert w.wv.index_to_key[n_first:] == g.wv.index_to_key[n_first:]
    assert {k: w.wv.get_vecattr(k, "count") for k in w.wv.index_to_key} == \
        {k: g.wv.get_vecattr(k, "count") for k in g.wv.index_to_key}
    assert (w.corpus_count, w.corpus_total_words) == (g.corpus_count, g.corpus_total_words)


# ---------------------------------------------------------------- vocabulary update

@pytest.mark.parametrize("objective", [dict(hs=0, negative=5), dict(hs=1, negative=0),
                                       dict(hs=1, negative=3)])
def test_update_matches_gensim_and_keeps_old_rows(objective):
    g, w = both(**objective)
    n_old = len(w.wv)
    assert_same_vocab(g, w, n_old)
    old = {name: getattr(w, name).copy() for name in ("syn1neg", "syn1")
           if getattr(w, name) is not None}
    old["vectors"] = w.wv.vectors.copy()
    g.build_vocab(NEW, update=True)
    w.build_vocab(NEW, update=True)
    assert len(w.wv) > n_old
    assert_same_vocab(g, w, n_old)
    assert np.array_equal(w.wv.vectors[:n_old], old.pop("vectors"))
    for name, before in old.items():
        after = getattr(w, name)
        assert after.shape == w.wv.vectors.shape
        assert np.array_equal(after[:n_old], before)
        assert not after[n_old:].any()                 # new output rows start at zero
    new_rows = w.wv.vectors[n_old:].copy()
    bound = 0.5 / w.vector_size
    assert np.all(np.abs(new_rows) <= bound) and np.unique(new_rows).size == new_rows.size
    # the new words train
    w.train(NEW, total_examples=w.corpus_count, epochs=2)
    assert not np.array_equal(w.wv.vectors[n_old:], new_rows)
    assert np.isfinite(w.wv.vectors).all()


def test_update_rules_match_gensim():
    """min_count, max_final_vocab and trim_rule judge the new counts alone (gensim)."""
    def rule(word, count, min_count):
        return RULE_KEEP if word.endswith("7") else RULE_DISCARD if word.endswith("3") else RULE_DEFAULT
    for params, kwargs in [(dict(), {}), (dict(max_final_vocab=40), {}),
                           (dict(), dict(trim_rule=rule))]:
        g, w = both(**params)
        n_old = len(w.wv)
        g.build_vocab(NEW, update=True, **kwargs)
        w.build_vocab(NEW, update=True, **kwargs)
        assert_same_vocab(g, w, n_old)


def test_update_from_freq_matches_gensim():
    g, w = both()
    freq = {"w1": 7, "new_a": 9, "new_b": 2, "new_c": 5}
    n_old = len(w.wv)
    g.build_vocab_from_freq(freq, update=True, corpus_count=12)
    w.build_vocab_from_freq(freq, update=True, corpus_count=12)
    assert w.wv.index_to_key[n_old:] == g.wv.index_to_key[n_old:] == ["new_a", "new_c"]
    assert w.wv.get_vecattr("w1", "count") == g.wv.get_vecattr("w1", "count")
    assert w.corpus_count == g.corpus_count == 12
    assert w.corpus_total_words == sum(freq.values())   # gensim leaves the old value (a difference)


def test_update_needs_a_vocabulary():
    with pytest.raises(RuntimeError, match="never built"):
        Word2Vec(vector_size=4).build_vocab(OLD, update=True)


def test_update_huffman_covers_the_unsorted_vocabulary():
    _, w = both(hs=1, negative=0)
    w.build_vocab(NEW, update=True)
    assert not w.vocab.sorted_vocab        # new words appended after the old ones
    tree = w._tables.huffman
    codes = {tuple(tree.path(i)[0].tolist()) for i in range(len(w.wv))}
    assert len(codes) == len(w.wv)         # one distinct code per word
    paths = sorted(codes)                  # prefix-free: no code starts its successor
    assert not any(b[:len(a)] == a for a, b in zip(paths, paths[1:]))
    # optimal: the same total cost as the tree of the sorted counts
    counts = w.vocab.counts
    lengths = tree.code_lengths()
    sorted_tree = ref.build_huffman(np.sort(counts)[::-1])
    assert int(np.dot(counts, lengths)) == int(np.dot(np.sort(counts)[::-1],
                                                      np.diff(sorted_tree[2])))


def test_update_survives_save_load_and_checkpoints(tmp_path):
    _, w = both(hs=1, negative=2)
    w.build_vocab(NEW, update=True)
    w.save(tmp_path / "m")
    loaded = Word2Vec.load(tmp_path / "m")
    assert loaded.wv.index_to_key == w.wv.index_to_key
    assert np.array_equal(loaded.vocab.counts, w.vocab.counts)
    assert (loaded.corpus_count, loaded.corpus_total_words) == (w.corpus_count, w.corpus_total_words)
    for name in ("keep_thresholds", "alias_prob", "alias_index"):
        assert np.array_equal(getattr(loaded._tables, name), getattr(w._tables, name))
    assert all(np.array_equal(a, b) for a, b in zip(loaded._tables.huffman, w._tables.huffman))
    # a second update of the loaded model, then an interrupted and resumed run
    more = zipf_corpus(2, 100, 40, offset=130)
    for m in (w, loaded):
        m.build_vocab(more, update=True)
    w.train(more, total_examples=w.corpus_count, epochs=3)
    loaded.train(more, total_examples=loaded.corpus_count, epochs=3, checkpoint=tmp_path / "ck")
    resumed = Word2Vec.load(tmp_path / "ck")
    assert resumed.training_state.epoch == 2
    resumed.train(more, resume=True)
    assert np.array_equal(resumed.wv.vectors, loaded.wv.vectors)
    assert np.array_equal(loaded.wv.vectors, w.wv.vectors)   # same seeds, one thread


# ---------------------------------------------------------------- vectors_lockf

def lockf_for(V, seed):
    rng = np.random.default_rng(seed)
    return rng.choice(np.array([0.0, 0.5, 1.0, 2.0], dtype=np.float32), size=V)


@pytest.mark.parametrize("arch", list(ARCHS) + ["shared"])
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_lockf_kernels_match_reference(arch, objective, simd):
    if arch == "shared":
        if objective != "ns":
            pytest.skip("shared negatives train negative sampling only")
        params = dict(SHARED, negative=3)
    else:
        params = dict(**ARCHS[arch], **OBJECTIVES[objective])
    arrays, counts = make_inputs(V=30, d=12, seed=5, sample=0.02)
    ids = make_corpus(counts, 14, seed=6)
    lockf = lockf_for(30, 7)
    params.update(window=3, compute_loss=True, lockf=lockf)
    kern, refr = run_both(arrays, params, ids, progress=(len(ids), 0.05, 0.001), report_every=37)
    assert_same(kern, refr)
    frozen = lockf == 0
    assert np.array_equal(kern[0]["syn0"][frozen], arrays["syn0"][frozen])   # bit for bit
    moved = ~np.all(kern[0]["syn0"] == arrays["syn0"], axis=1)
    seen = np.isin(np.arange(30), ids)
    assert moved[~frozen & seen].mean() > 0.8, moved[~frozen & seen]


@pytest.mark.parametrize("params", [dict(sg=1, negative=5), dict(sg=0, hs=1, negative=0),
                                    dict(sg=1, negative=5, shared_negatives=True)])
def test_frozen_rows_bit_identical_with_threads(params):
    w = Word2Vec(vector_size=16, min_count=2, workers=2, seed=3, **params)
    w.build_vocab(OLD)
    rng = np.random.default_rng(0)
    frozen = rng.random(len(w.wv)) < 0.3
    frozen[:3] = True                     # the most frequent words (private rows) too
    w.wv.vectors_lockf = np.where(frozen, 0, 1).astype(np.float32)
    before = w.wv.vectors.copy()
    w.train(OLD, total_examples=w.corpus_count, epochs=3)
    assert np.array_equal(w.wv.vectors[frozen], before[frozen])
    assert not np.any(np.all(w.wv.vectors[~frozen] == before[~frozen], axis=1))


def test_lockf_of_ones_changes_nothing():
    runs = []
    for lockf in (None, np.ones(1, np.float32), "full"):
        w = Word2Vec(vector_size=10, min_count=2, workers=1, seed=4, sg=1, hs=1)
        w.build_vocab(OLD)
        if lockf is not None:
            w.wv.vectors_lockf = np.ones(len(w.wv), np.float32) if lockf == "full" else lockf
        w.train(OLD, total_examples=w.corpus_count, epochs=2)
        runs.append(w.wv.vectors)
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])


def test_lockf_checked_and_saved(tmp_path):
    w = Word2Vec(vector_size=6, min_count=2, workers=1)
    w.build_vocab(OLD)
    w.wv.vectors_lockf = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match="vectors_lockf holds 3 values"):
        w.train(OLD, total_examples=w.corpus_count, epochs=1)
    w.wv.vectors_lockf = lockf_for(len(w.wv), 1)
    w.save(tmp_path / "m")
    assert np.array_equal(Word2Vec.load(tmp_path / "m").wv.vectors_lockf, w.wv.vectors_lockf)
    w.wv.vectors_lockf = np.float32(0.5) * np.ones(1, np.float32)   # one shared factor
    w.save(tmp_path / "m2")
    assert np.array_equal(Word2Vec.load(tmp_path / "m2").wv.vectors_lockf, [0.5])


@pytest.mark.parametrize("binary", [False, True])
def test_intersect_word2vec_format_matches_gensim(tmp_path, binary):
    rng = np.random.default_rng(9)
    keys = [f"w{i}" for i in range(0, 120, 3)] + ["unknown1", "unknown2"]
    other = gensim_kv.KeyedVectors(8)
    other.add_vectors(keys, rng.standard_normal((len(keys), 8)).astype(np.float32))
    text, path = str(tmp_path / "pre.txt"), str(tmp_path / ("pre.bin" if binary else "pre.txt"))
    other.save_word2vec_format(text)
    other.save_word2vec_format(path, binary=binary)
    g, w = both()
    g.wv.vectors_lockf = np.ones(len(g.wv), dtype=np.float32)   # gensim needs one per word
    # gensim 4.4 reads binary files with np.fromstring, which numpy 2 removed: text only
    g.wv.intersect_word2vec_format(text, lockf=0.0)
    before = w.wv.vectors.copy()
    merged = w.wv.intersect_word2vec_format(path, lockf=0.0, binary=binary)
    shared = [k for k in keys if k in w.wv.key_to_index]
    assert merged == len(shared) > 5
    lockf = w.wv.vectors_lockf
    assert np.array_equal(lockf, g.wv.vectors_lockf[[g.wv.get_index(k) for k in w.wv.index_to_key]])
    assert np.array_equal(w.wv[shared], g.wv[shared])
    assert np.array_equal(w.wv.vectors[lockf == 1], before[lockf == 1])
    before = w.wv.vectors.copy()
    w.train(OLD, total_examples=w.corpus_count, epochs=2)
    assert np.array_equal(w.wv.vectors[lockf == 0], before[lockf == 0])
    assert not np.any(np.all(w.wv.vectors[lockf == 1] == before[lockf == 1], axis=1))
    with pytest.raises(ValueError, match="incompatible vector size"):
        KeyedVectors.from_arrays(["w1"], np.zeros((1, 5))).intersect_word2vec_format(path, binary=binary)


# ---------------------------------------------------------------- command line

def test_cli_update_and_init_freeze(tmp_path, capsys):
    c1, c2 = tmp_path / "c1.txt", tmp_path / "c2.txt"
    c1.write_text("\n".join(" ".join(s) for s in OLD))
    c2.write_text("\n".join(" ".join(s) for s in NEW))
    common = ["--size", "8", "--threads", "1", "--epochs", "1", "--min-count", "3", "--quiet"]
    assert main(["train", str(c1), "-o", str(tmp_path / "m1")] + common) == 0
    first = Word2Vec.load(tmp_path / "m1")
    assert main(["train", str(c2), "-o", str(tmp_path / "m2"), "--update", str(tmp_path / "m1"),
                 "--quiet"]) == 0
    second = Word2Vec.load(tmp_path / "m2")
    assert second.wv.index_to_key[:len(first.wv)] == first.wv.index_to_key
    assert len(second.wv) > len(first.wv)
    # the model's shape cannot change: a conflicting option is refused, not ignored
    capsys.readouterr()
    assert main(["train", str(c2), "-o", str(tmp_path / "m3"), "--update", str(tmp_path / "m1"),
                 "--size", "16", "--window", "5", "--cbow", "--quiet"]) != 0
    err = capsys.readouterr().err
    assert "--size 16 given, the model has --size 8" in err
    assert "--window" not in err and "--cbow" not in err      # the same values as the model's
    assert not (tmp_path / "m3").exists()
    # this run's options apply
    assert main(["train", str(c2), "-o", str(tmp_path / "m4"), "--update", str(tmp_path / "m1"),
                 "--epochs", "3", "--threads", "2", "--alpha", "0.01", "--quiet"]) == 0
    fourth = Word2Vec.load(tmp_path / "m4")
    assert (fourth.epochs, fourth.workers, fourth.alpha, fourth.vector_size) == (3, 2, 0.01, 8)

    assert main(["train", str(c1), "-o", str(tmp_path / "v1.bin")] + common) == 0
    assert main(["train", str(c2), "-o", str(tmp_path / "v2.bin"), "--init",
                 str(tmp_path / "v1.bin"), "--freeze"] + common) == 0
    v1 = KeyedVectors.load_word2vec_format(tmp_path / "v1.bin", binary=True)
    v2 = KeyedVectors.load_word2vec_format(tmp_path / "v2.bin", binary=True)
    shared = [k for k in v2.index_to_key if k in v1.key_to_index]
    assert len(shared) > 10 and np.array_equal(v2[shared], v1[shared])
    only_new = [k for k in v2.index_to_key if k not in v1.key_to_index]
    assert only_new and not np.all(np.abs(v2[only_new]) <= 0.5 / 8)   # these trained

    with pytest.raises(SystemExit):
        main(["train", str(c2), "-o", str(tmp_path / "x.bin"), "--freeze"] + common)
    assert "--freeze needs --init" in capsys.readouterr().err


def test_update_in_gensims_three_steps():
    """scan_vocab, prepare_vocab(update=True), prepare_weights(update=True): the same
    model as build_vocab(update=True), and gensim's prepare_vocab report."""
    g, w = both(hs=1)
    _, steps = both(hs=1)
    n_old = len(w.wv)
    w.build_vocab(NEW, update=True)
    g.corpus_total_words, g.corpus_count = g.scan_vocab(NEW)   # as gensim's build_vocab does
    steps.scan_vocab(NEW)
    expected = g.prepare_vocab(update=True)
    report = steps.prepare_vocab(update=True)
    g.prepare_weights(update=True)
    steps.prepare_weights(update=True)
    assert report == expected
    assert_same_vocab(g, steps, n_old)
    assert steps.wv.index_to_key == w.wv.index_to_key
    assert np.array_equal(steps.wv.vectors, w.wv.vectors)
    assert np.array_equal(steps.syn1, w.syn1)
    assert np.array_equal(steps.wv.vectors_lockf, w.wv.vectors_lockf)
