"""gensim interop: gensim-saved files read without running their code, gensim objects
in and out, and the gensim methods w2v adds, each checked side by side with gensim 4.4."""
import contextlib
import os
import pickle
import random
import subprocess
import sys
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from gensim.models import KeyedVectors as GKeyedVectors
from gensim.models import Word2Vec as GWord2Vec

from w2v.gensim_compat import RestrictedUnpickler, load_gensim
from w2v.keyedvectors import KeyedVectors
from w2v.word2vec import NoVocabularyError, Word2Vec

from helpers import w2v


def assert_same_neighbours(ours, theirs):
    """Same words in the same order, similarities within float tolerance (pytest.approx
    compares no nested sequences since pytest 9.1)."""
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert [s for _, s in ours] == pytest.approx([s for _, s in theirs])


def corpus(n=300, seed=0):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(40)]
    weights = [1.0 / (i + 1) for i in range(40)]
    return [rng.choices(words, weights, k=rng.randint(3, 12)) for _ in range(n)]


SENTENCES = corpus()
CONFIGS = {
    "sg_ns_hs": dict(sg=1, hs=1, negative=5),
    "cbow_hs": dict(sg=0, hs=1, negative=0),
    "cbow_ns": dict(sg=0, hs=0, negative=3, ns_exponent=0.5),
}


def gensim_model(config, **kw):
    return GWord2Vec(SENTENCES, vector_size=12, window=3, min_count=2, workers=1, epochs=3,
                     seed=7, **{**CONFIGS[config], **kw})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """gensim 4.4 files: each config with arrays inline and beside the pickle."""
    d = tmp_path_factory.mktemp("gensim")
    out = {}
    for config in CONFIGS:
        g = gensim_model(config)
        for layout, sep in (("inline", 10 * 1024**2), ("sep", 10)):
            path = d / f"{config}-{layout}.model"
            g.save(str(path), sep_limit=sep)
            out[config, layout] = (g, path)
        kv_path = d / f"{config}.kv"
        g.wv.save(str(kv_path), sep_limit=10)
        out[config, "kv"] = (g, kv_path)
    return out


def assert_same_vocab_vectors(ours, theirs):
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    np.testing.assert_array_equal(ours.expandos["count"], theirs.expandos["count"])


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("layout", ["inline", "sep"])
def test_word2vec_load_reads_gensim_4_model(saved, config, layout):
    g, path = saved[config, layout]
    if layout == "sep":
        assert (path.parent / (path.name + ".wv.vectors.npy")).exists()
    m = Word2Vec.load(path)
    assert_same_vocab_vectors(m.wv, g.wv)
    for name in ("syn1neg", "syn1"):
        if getattr(g, name, None) is not None and (g.negative if name == "syn1neg" else g.hs):
            np.testing.assert_array_equal(getattr(m, name), getattr(g, name))
    for name in ("sg", "hs", "negative", "window", "vector_size", "epochs", "min_count",
                 "sample", "alpha", "min_alpha", "ns_exponent", "cbow_mean", "corpus_count",
                 "corpus_total_words"):
        assert getattr(m, name) == getattr(g, name), name
    assert_same_neighbours(m.wv.most_similar("w3", topn=5), g.wv.most_similar("w3", topn=5))
    if g.hs:     # gensim's Huffman tree is kept: syn1 rows mean the same nodes
        for w in ("w0", "w5", "w30"):
            np.testing.assert_array_equal(m.wv.get_vecattr(w, "code"), g.wv.get_vecattr(w, "code"))
            np.testing.assert_array_equal(m.wv.get_vecattr(w, "point"), g.wv.get_vecattr(w, "point"))


@pytest.mark.parametrize("config", CONFIGS)
def test_keyedvectors_load_reads_gensim_kv_and_model(saved, config):
    g, kv_path = saved[config, "kv"]
    assert_same_vocab_vectors(KeyedVectors.load(kv_path), g.wv)
    assert_same_vocab_vectors(KeyedVectors.load(saved[config, "inline"][1]), g.wv)
    with pytest.raises(ValueError, match="not a Word2Vec model"):
        Word2Vec.load(kv_path)


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 5])
def test_every_pickle_protocol_reads(tmp_path, protocol):
    g = gensim_model("cbow_ns")
    with open(tmp_path / "p.kv", "wb") as f:
        pickle.dump(g.wv, f, protocol=protocol)
    assert_same_vocab_vectors(KeyedVectors.load(tmp_path / "p.kv"), g.wv)


def test_compressed_names_as_gensim_writes_them(tmp_path):
    """gensim 4 under a .gz name: a plain pickle with .npz side files; gensim 3
    (smart_open): a gzip-compressed pickle."""
    import gzip
    g = gensim_model("sg_ns_hs")
    g.save(str(tmp_path / "m.model.gz"), sep_limit=10)
    assert (tmp_path / "m.model.gz.wv.vectors.npz").exists()
    m = Word2Vec.load(tmp_path / "m.model.gz")
    assert_same_vocab_vectors(m.wv, g.wv)
    np.testing.assert_array_equal(m.syn1, g.syn1)
    g = gensim_model("sg_ns_hs")       # not saved yet: no side-file list in its state
    with gzip.open(tmp_path / "kv.gz", "wb") as f:
        pickle.dump(g.wv, f, protocol=2)
    assert_same_vocab_vectors(KeyedVectors.load(tmp_path / "kv.gz"), g.wv)


def test_converted_model_trains_on_and_survives_a_native_save(saved, tmp_path):
    g, path = saved["sg_ns_hs", "sep"]
    m = Word2Vec.load(path)
    before = m.score(SENTENCES[:20])
    m.save(tmp_path / "native")
    back = Word2Vec.load(tmp_path / "native")
    np.testing.assert_array_equal(back.score(SENTENCES[:20]), before)
    np.testing.assert_array_equal(back.wv.get_vecattr("w7", "point"), g.wv.get_vecattr("w7", "point"))
    back.train(SENTENCES, total_examples=back.corpus_count, epochs=1)
    assert not np.array_equal(back.wv.vectors, g.wv.vectors)
    assert np.isfinite(back.wv.vectors).all()


def test_cli_convert(saved, tmp_path):
    _, path = saved["cbow_ns", "sep"]
    res = w2v("convert", str(path), str(tmp_path / "out"), cwd=tmp_path)
    assert res.rc == 0, res.err
    assert "Word2Vec" in res.err
    g = saved["cbow_ns", "sep"][0]
    assert_same_vocab_vectors(Word2Vec.load(tmp_path / "out").wv, g.wv)
    res = w2v("convert", str(saved["cbow_ns", "kv"][1]), str(tmp_path / "kv"), cwd=tmp_path)
    assert res.rc == 0, res.err
    assert_same_vocab_vectors(KeyedVectors.load(tmp_path / "kv"), g.wv)


def test_cli_reads_gensim_files_directly(saved, tmp_path):
    """info / similar / export take a gensim .model or .kv as they take a w2v folder."""
    g, model_path = saved["sg_ns_hs", "sep"]
    kv_path = saved["sg_ns_hs", "kv"][1]
    res = w2v("info", str(model_path), cwd=tmp_path)
    assert res.rc == 0, res.err
    assert "gensim model or KeyedVectors" in res.out and "skip-gram" in res.out
    assert "not recorded in gensim files" in res.out      # not a made-up 0 words trained
    assert f"{len(g.wv):,}" in res.out
    res = w2v("info", str(kv_path), cwd=tmp_path)
    assert res.rc == 0, res.err
    assert "gensim model or KeyedVectors" in res.out and "skip-gram" not in res.out
    for path in (model_path, kv_path):
        res = w2v("similar", str(path), "w1", "--topn", "3", cwd=tmp_path)
        assert res.rc == 0, res.err
        assert [line.split()[1] for line in res.out.split("\n")[-4:-1]] == \
            [w for w, _ in g.wv.most_similar("w1", topn=3)]
    res = w2v("export", str(kv_path), "-o", "v.txt", "--format", "text", cwd=tmp_path)
    assert res.rc == 0, res.err
    back = GKeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert back.index_to_key == g.wv.index_to_key
    # --init takes them too: the shared words start (and with --freeze stay) at gensim's vectors
    (tmp_path / "c.txt").write_text("\n".join(" ".join(s) for s in SENTENCES[:100]))
    res = w2v("train", "c.txt", "-o", "init.txt", "--init", str(kv_path), "--freeze",
              "--size", "12", "--min-count", "1", "--epochs", "1", "--threads", "1", cwd=tmp_path)
    assert res.rc == 0, res.err
    ours = KeyedVectors.load_word2vec_format(tmp_path / "init.txt")
    shared = [k for k in ours.index_to_key if k in g.wv.key_to_index]
    assert len(shared) > 10
    np.testing.assert_allclose(ours[shared], g.wv[shared], rtol=1e-5)   # the text format rounds


@settings(max_examples=int(os.environ.get("W2V_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(which=st.sampled_from([("sg_ns_hs", "inline"), ("cbow_hs", "kv")]),
       ops=st.lists(st.tuples(st.sampled_from(["set", "cut", "truncate"]),
                              st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                    min_size=1, max_size=4))
def test_mutated_gensim_files_load_or_raise_valueerror(saved, tmp_path_factory, which, ops):
    """Damaged gensim files (the frame lengths of protocol 4 included) give a ValueError
    naming the file, never OverflowError, MemoryError or a crash."""
    raw = bytearray(saved[which][1].read_bytes())
    for op, where, value in ops:
        pos = int(where * len(raw))
        if op == "set":
            raw[pos] = value
        elif op == "cut":
            del raw[pos:pos + value]
        else:
            del raw[pos:]
        if len(raw) < 2:
            raw = bytearray(b"\x80\x04")
    raw[:2] = b"\x80\x04"             # still taken for a gensim file
    path = tmp_path_factory.mktemp("fuzz") / saved[which][1].name
    path.write_bytes(bytes(raw))
    for load in (KeyedVectors.load, Word2Vec.load):
        try:
            load(path)
        except ValueError as e:
            assert str(path) in str(e)


# ------------------------------------------------------------------ hostile pickles
class _Run:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _hostile_payloads(marker):
    cmd = f"touch {marker}"
    code = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": _Run(os.system, cmd),
        "subprocess.Popen": _Run(subprocess.Popen, ["touch", str(marker)]),
        "subprocess.check_call": _Run(subprocess.check_call, ["touch", str(marker)]),
        "builtins.eval": _Run(eval, code),
        "builtins.exec": _Run(exec, code),
        "builtins.getattr": _Run(getattr, "text", "upper"),
        "importlib": _Run(__import__("importlib").import_module, "os"),
    }


@pytest.mark.parametrize("name", list(_hostile_payloads("x")))
@pytest.mark.parametrize("where", ["root", "nested"])
def test_hostile_pickle_runs_nothing(tmp_path, name, where):
    marker = tmp_path / "ran"
    payload = _hostile_payloads(marker)[name]
    obj = payload if where == "root" else {"wv": {"vectors": np.zeros((2, 2)), "evil": payload}}
    path = tmp_path / "evil.model"
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2 if where == "root" else 4)
    for load in (Word2Vec.load, KeyedVectors.load, load_gensim):
        with pytest.raises(ValueError, match="refused"):
            load(path)
    assert not marker.exists(), f"{name}: the pickle ran code"


def test_hostile_global_inside_gensim_model_state_is_refused(tmp_path):
    """A real gensim model file with an os.system call spliced into its state."""
    marker = tmp_path / "ran"
    g = gensim_model("cbow_ns")
    g.comment = _Run(os.system, f"touch {marker}")
    path = tmp_path / "m.model"
    g.save(str(path))
    with pytest.raises(ValueError, match="refused to load posix.system|refused to load os.system"):
        Word2Vec.load(path)
    assert not marker.exists()


def test_restricted_unpickler_only_stubs_gensim_classes():
    import io
    data = pickle.dumps(GKeyedVectors(4, count=0), protocol=4)
    root = RestrictedUnpickler(io.BytesIO(data)).load()
    assert root.qualname == "gensim.models.keyedvectors.KeyedVectors"
    assert not hasattr(root, "most_similar") and root.get("vector_size") == 4


def test_side_file_names_cannot_leave_the_folder(tmp_path, saved):
    """'__numpys' comes from the file: a name with a path in it is refused."""
    g = gensim_model("cbow_ns")
    g.wv.__dict__["__numpys"] = ["../../etc/passwd"]
    with open(tmp_path / "m.kv", "wb") as f:
        pickle.dump(g.wv, f, protocol=4)
    with pytest.raises(ValueError, match="bad attribute name"):
        KeyedVectors.load(tmp_path / "m.kv")


# ------------------------------------------------------------------ gensim < 4 layouts, by hand
@contextlib.contextmanager
def fake_gensim_classes(spec):
    """Classes that pickle under gensim's old module and class names: {"mod.Class": cls}."""
    saved = {}
    try:
        for qual, cls in spec.items():
            module, name = qual.rsplit(".", 1)
            saved.setdefault(module, sys.modules.get(module))
            fake = sys.modules.get(module) if isinstance(sys.modules.get(module), types.ModuleType) \
                and getattr(sys.modules.get(module), "__fake__", False) else None
            if fake is None:
                fake = types.ModuleType(module)
                fake.__fake__ = True
                sys.modules[module] = fake
            cls.__module__, cls.__qualname__, cls.__name__ = module, name, name
            setattr(fake, name, cls)
        yield
    finally:
        for module, original in saved.items():
            if original is None:
                sys.modules.pop(module, None)
            else:
                sys.modules[module] = original


def _old_layout(g, version):
    """A gensim 3.x or 1.x object tree holding g's data, as those versions laid it out."""
    class W2V: pass          # noqa: E701
    class KV: pass           # noqa: E701
    class Vocab: pass        # noqa: E701
    class Helper: pass       # noqa: E701
    class Helper2: pass      # noqa: E701
    vocab = {}
    for i, w in enumerate(g.wv.index_to_key):
        v = Vocab()
        v.__dict__.update(count=int(g.wv.get_vecattr(w, "count")), index=i,
                          sample_int=int(g.wv.get_vecattr(w, "sample_int")),
                          code=g.wv.get_vecattr(w, "code"), point=g.wv.get_vecattr(w, "point"))
        vocab[w] = v
    model, wv = W2V(), KV()
    common = dict(sg=g.sg, hs=g.hs, negative=g.negative, window=g.window, alpha=g.alpha,
                  min_alpha=g.min_alpha, cbow_mean=g.cbow_mean, corpus_count=g.corpus_count,
                  workers=1, hashfxn=hash)
    if version == 3:
        names = {"gensim.models.word2vec.Word2Vec": W2V,
                 "gensim.models.keyedvectors.Word2VecKeyedVectors": KV,
                 "gensim.models.keyedvectors.Vocab": Vocab,
                 "gensim.models.word2vec.Word2VecVocab": Helper,
                 "gensim.models.word2vec.Word2VecTrainables": Helper2}
        wv.__dict__.update(vectors=g.wv.vectors, vocab=vocab, index2word=list(g.wv.index_to_key),
                           vector_size=g.vector_size, vectors_norm=None)
        voc, train = Helper(), Helper2()
        voc.__dict__.update(min_count=g.min_count, sample=g.sample, max_vocab_size=None,
                            sorted_vocab=1, ns_exponent=g.ns_exponent)
        train.__dict__.update(syn1neg=g.syn1neg, syn1=g.syn1, layer1_size=g.vector_size, seed=g.seed)
        model.__dict__.update(wv=wv, vocabulary=voc, trainables=train, epochs=g.epochs, **common)
    else:   # 1.x / 2.x: syn0, index2word, iter, the output weights on the model
        names = {"gensim.models.word2vec.Word2Vec": W2V,
                 "gensim.models.keyedvectors.KeyedVectors": KV,
                 "gensim.models.word2vec.Vocab": Vocab}
        wv.__dict__.update(syn0=g.wv.vectors, vocab=vocab, index2word=list(g.wv.index_to_key))
        model.__dict__.update(wv=wv, syn1neg=g.syn1neg, syn1=g.syn1, iter=g.epochs,
                              min_count=g.min_count, sample=g.sample, seed=g.seed,
                              vector_size=g.vector_size, **common)
    return model, names


@pytest.mark.parametrize("version", [3, 1])
@pytest.mark.parametrize("separate", [False, True])
def test_word2vec_load_reads_older_gensim_layouts(tmp_path, version, separate):
    g = gensim_model("sg_ns_hs")
    model, names = _old_layout(g, version)
    path = tmp_path / "old.model"
    if separate:        # gensim 1-3 SaveLoad: the big arrays beside the pickle
        arrays = "vectors" if version == 3 else "syn0"
        np.save(f"{path}.wv.{arrays}.npy", model.wv.__dict__.pop(arrays))
        model.wv.__dict__.update({"__numpys": [arrays], "__scipys": [], "__ignoreds": [],
                                  "__recursive_saveloads": []})
        model.__dict__.update({"__numpys": [], "__scipys": [], "__ignoreds": [],
                               "__recursive_saveloads": ["wv"]})
    with fake_gensim_classes(names):
        with open(path, "wb") as f:
            pickle.dump(model, f, protocol=2)
    m = Word2Vec.load(path)
    assert_same_vocab_vectors(m.wv, g.wv)
    np.testing.assert_array_equal(m.syn1neg, g.syn1neg)
    np.testing.assert_array_equal(m.syn1, g.syn1)
    assert (m.epochs, m.min_count, m.sample, m.window, m.sg) == (g.epochs, g.min_count, g.sample,
                                                                 g.window, g.sg)
    np.testing.assert_allclose(m.score(SENTENCES[:10]), g.score(SENTENCES[:10]), rtol=1e-4)
    kv = KeyedVectors.load(path)
    assert_same_vocab_vectors(kv, g.wv)


# ------------------------------------------------------------------ gensim objects
def test_to_gensim_and_from_gensim():
    g = gensim_model("cbow_ns")
    ours = KeyedVectors.from_gensim(g.wv)
    assert_same_vocab_vectors(ours, g.wv)
    assert ours.vectors is not g.wv.vectors
    back = ours.to_gensim()
    assert isinstance(back, GKeyedVectors)
    hs = Word2Vec(SENTENCES, vector_size=4, min_count=2, hs=1, negative=0, workers=1, epochs=1)
    np.testing.assert_array_equal(hs.wv.to_gensim().get_vecattr("w3", "point"),
                                  hs.wv.get_vecattr("w3", "point"))
    assert_same_vocab_vectors(back, g.wv)
    assert back.most_similar("w2", topn=5) == g.wv.most_similar("w2", topn=5)
    assert back.evaluate_word_pairs is not None and back.get_vecattr("w1", "count") == \
        g.wv.get_vecattr("w1", "count")


# ------------------------------------------------------------------ methods, side by side
def test_vectors_for_all_and_relative_cosine_similarity_match_gensim():
    g = gensim_model("cbow_ns")
    ours = KeyedVectors.from_gensim(g.wv)
    keys = ["w3", "missing", "w1", "w3", 5, "w20"]
    for copy in (False, True):
        a, b = ours.vectors_for_all(keys, copy_vecattrs=copy), g.wv.vectors_for_all(keys, copy_vecattrs=copy)
        assert a.index_to_key == b.index_to_key
        np.testing.assert_array_equal(a.vectors, b.vectors)
        np.testing.assert_array_equal(a.expandos["count"], b.expandos["count"])
    assert ours.vectors_for_all(keys, allow_inference=False).index_to_key == \
        g.wv.vectors_for_all(keys, allow_inference=False).index_to_key
    for wa, wb in (("w0", "w1"), ("w5", "w9"), ("w2", "w30")):
        assert ours.relative_cosine_similarity(wa, wb) == pytest.approx(
            g.wv.relative_cosine_similarity(wa, wb), rel=1e-6)


def test_predict_output_word_matches_gensim(saved):
    for config in ("sg_ns_hs", "cbow_ns"):
        g, path = saved[config, "sep"]
        m = Word2Vec.load(path)
        for context in (["w1", "w2"], ["w5", "unknown", "w9", "w11"], [3, "w0"]):
            ours, theirs = m.predict_output_word(context, topn=7), g.predict_output_word(context, topn=7)
            assert [w for w, _ in ours] == [w for w, _ in theirs]
            np.testing.assert_allclose([p for _, p in ours], [p for _, p in theirs], rtol=1e-5)
        assert m.predict_output_word(["nope"]) is None
    with pytest.raises(RuntimeError, match="negative sampling"):
        Word2Vec.load(saved["cbow_hs", "inline"][1]).predict_output_word(["w1"])


@pytest.mark.parametrize("config", ["sg_ns_hs", "cbow_hs"])
def test_score_matches_gensim(saved, config):
    g, path = saved[config, "inline"]
    m = Word2Vec.load(path)
    test = corpus(40, seed=3) + [["w1", "unknown", "w2"], ["w4"], []]
    ours, theirs = m.score(test, total_sentences=len(test)), g.score(test, total_sentences=len(test))
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    assert len(m.score(test, total_sentences=5)) == 5
    with pytest.raises(RuntimeError, match="hierarchical softmax"):
        Word2Vec.load(saved["cbow_ns", "inline"][1]).score(test)


def test_huffman_code_point_vecattrs_match_gensim_without_ties():
    """Counts 3**i leave no ties to break (each is above the sum of all smaller ones):
    w2v's tree is gensim's."""
    sentences = [[f"w{i}"] * 9 for i in range(1, 10) for _ in range(3 ** i // 9 + 1)]
    ours = Word2Vec(sentences, vector_size=4, min_count=1, hs=1, negative=0, workers=1, epochs=1)
    theirs = GWord2Vec(sentences, vector_size=4, min_count=1, hs=1, negative=0, workers=1, epochs=1)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert "code" not in ours.wv.expandos       # made on first use: ~200 MB per million words
    assert ours.wv.expandos["point"].shape == (len(ours.wv),) and "code" in ours.wv.expandos
    for w in ours.wv.index_to_key:
        np.testing.assert_array_equal(ours.wv.get_vecattr(w, "code"), theirs.wv.get_vecattr(w, "code"))
        np.testing.assert_array_equal(ours.wv.get_vecattr(w, "point"), theirs.wv.get_vecattr(w, "point"))
    assert ours.wv.get_vecattr("w1", "point").dtype == np.uint32


def test_scan_and_prepare_vocab_match_gensim():
    kw = dict(vector_size=8, min_count=3, max_final_vocab=20, sample=1e-2, workers=1)
    ours, theirs = Word2Vec(**kw), GWord2Vec(**kw)
    assert ours.scan_vocab(SENTENCES) == theirs.scan_vocab(SENTENCES)
    assert ours.raw_vocab == dict(theirs.raw_vocab)
    dry = ours.prepare_vocab(dry_run=True)
    assert ours.vocab is None
    report, theirs_report = ours.prepare_vocab(), theirs.prepare_vocab()
    assert report == dry
    for key in ("drop_unique", "retain_total", "downsample_unique", "downsample_total",
                "num_retained_words"):
        assert report[key] == theirs_report[key], key
    assert ours.effective_min_count == theirs.effective_min_count
    theirs.prepare_weights()
    assert sorted(ours.wv.index_to_key) == sorted(theirs.wv.index_to_key)
    assert ours.raw_vocab == {} and ours.corpus_count == len(SENTENCES)
    ours.train(SENTENCES, total_examples=ours.corpus_count, epochs=1)


def test_reset_from_takes_the_vocabulary_and_fresh_weights():
    a = Word2Vec(SENTENCES, vector_size=8, min_count=2, workers=1, epochs=2, seed=3)
    fresh = Word2Vec(vector_size=8, min_count=2, workers=1, seed=3)
    fresh.build_vocab(SENTENCES)
    b = Word2Vec(vector_size=8, min_count=5, workers=1, seed=3, window=2)
    b.reset_from(a)
    assert b.wv.index_to_key == a.wv.index_to_key and b.corpus_count == a.corpus_count
    np.testing.assert_array_equal(b.wv.vectors, fresh.wv.vectors)
    assert b.window == 2 and not np.array_equal(b.wv.vectors, a.wv.vectors)


def test_gensim_exceptions():
    sentences = SENTENCES[:50]
    for cls in (Word2Vec, GWord2Vec):
        model = cls(vector_size=4, min_count=1, workers=1)
        with pytest.raises(RuntimeError, match="build.*vocabulary"):
            model.train(sentences, total_examples=50, epochs=1)
        model.build_vocab(sentences)
        with pytest.raises(ValueError, match="explicit epochs"):
            model.train(sentences, total_examples=50)
    with pytest.raises(ValueError):     # NoVocabularyError is also a ValueError
        Word2Vec(vector_size=4).train(sentences, total_examples=50, epochs=1)
    assert issubclass(NoVocabularyError, RuntimeError)
    with pytest.raises(TypeError, match="token lists"):
        Word2Vec(["a sentence as one string", "another"], min_count=1)
    model = Word2Vec(vector_size=4, min_count=1, workers=1)
    model.build_vocab(sentences)
    with pytest.raises(TypeError, match="token lists"):
        model.train(["w1 w2 w3"], total_examples=1, epochs=1)


def test_save_accepts_gensim_arguments(tmp_path):
    m = Word2Vec(SENTENCES, vector_size=4, min_count=2, workers=1, epochs=1)
    m.save(tmp_path / "m", sep_limit=10, separately=["syn1neg"], ignore=frozenset(), pickle_protocol=4)
    m.wv.save(tmp_path / "kv", sep_limit=10)
    np.testing.assert_array_equal(Word2Vec.load(tmp_path / "m").wv.vectors, m.wv.vectors)
    np.testing.assert_array_equal(KeyedVectors.load(tmp_path / "kv").vectors, m.wv.vectors)


# ------------------------------------------------------------------ a real client: DeepWalk
def deepwalk_walks(n_groups=4, group_size=12, walks_per_node=10, walk_length=20, seed=0):
    """Random walks on a graph of dense groups joined by a few bridges, nodes as str."""
    rng = random.Random(seed)
    nodes = range(n_groups * group_size)
    adj = {v: set() for v in nodes}
    for v in nodes:
        for u in nodes:
            if u != v and u // group_size == v // group_size and rng.random() < 0.6:
                adj[v].add(u)
                adj[u].add(v)
    for gi in range(n_groups):      # one bridge to the next group
        a, b = gi * group_size, ((gi + 1) % n_groups) * group_size + 1
        adj[a].add(b)
        adj[b].add(a)
    walks = []
    for _ in range(walks_per_node):
        order = list(nodes)
        rng.shuffle(order)
        for start in order:
            walk = [start]
            while len(walk) < walk_length:
                walk.append(rng.choice(sorted(adj[walk[-1]])))
            walks.append([str(v) for v in walk])
    return walks, group_size


def test_deepwalk_client_pattern_matches_gensim():
    walks, group_size = deepwalk_walks()
    kw = dict(vector_size=16, window=5, min_count=0, sg=1, hs=1, negative=0, workers=1,
              epochs=5, seed=1)
    ours, theirs = Word2Vec(walks, **kw), GWord2Vec(walks, **kw)
    # equal counts may be ordered differently (gensim puts the word seen last first)
    assert sorted(ours.wv.index_to_key) == sorted(theirs.wv.index_to_key)
    assert {w: ours.wv.get_vecattr(w, "count") for w in ours.wv.index_to_key} == \
        {w: theirs.wv.get_vecattr(w, "count") for w in theirs.wv.index_to_key}
    assert ours.corpus_count == theirs.corpus_count == len(walks)

    def purity(wv):
        hits = [int(n) // group_size == int(node) // group_size
                for node in wv.index_to_key for n, _ in wv.most_similar(node, topn=5)]
        return float(np.mean(hits))

    ours_purity, theirs_purity = purity(ours.wv), purity(theirs.wv)
    assert ours_purity >= 0.9 and ours_purity >= theirs_purity - 0.05, (ours_purity, theirs_purity)
    overlap = np.mean([len({n for n, _ in ours.wv.most_similar(v, topn=10)}
                           & {n for n, _ in theirs.wv.most_similar(v, topn=10)}) / 10
                       for v in ours.wv.index_to_key])
    assert overlap >= 0.5, overlap
    emb = np.stack([ours.wv[str(v)] for v in range(len(ours.wv))])   # the usual export
    assert emb.shape == (len(ours.wv), 16)
    g_from_ours = ours.wv.to_gensim()
    assert_same_neighbours(g_from_ours.most_similar("0", topn=3), ours.wv.most_similar("0", topn=3))


@pytest.mark.parametrize("max_vocab_size", [5, 12, 25])
def test_max_vocab_rule_gensim_counts_as_gensim(max_vocab_size):
    sentences = corpus(200, seed=5)
    kw = dict(vector_size=4, min_count=1, max_vocab_size=max_vocab_size, workers=1)
    theirs = GWord2Vec(**kw)
    theirs.scan_vocab(sentences)
    ours = Word2Vec(**kw, max_vocab_rule="gensim")
    ours.scan_vocab(sentences)
    assert ours.raw_vocab == dict(theirs.raw_vocab)
    default = Word2Vec(**kw)
    default.scan_vocab(sentences)
    assert len(default.raw_vocab) <= max_vocab_size      # word2vec.c's rule: never over the bound
    # build_vocab with the gensim rule: gensim's vocabulary and counts
    theirs.prepare_vocab()
    ours = Word2Vec(**kw, max_vocab_rule="gensim")
    ours.build_vocab(sentences)
    assert {w: ours.wv.get_vecattr(w, "count") for w in ours.wv.index_to_key} == \
        {w: theirs.wv.get_vecattr(w, "count") for w in theirs.wv.index_to_key}


def test_max_vocab_rule_is_saved_and_older_saves_default_to_word2vec(tmp_path):
    import json
    m = Word2Vec(SENTENCES, vector_size=4, min_count=1, max_vocab_size=30, max_vocab_rule="gensim",
                 workers=1, epochs=1)
    m.save(tmp_path / "m")
    assert Word2Vec.load(tmp_path / "m").max_vocab_rule == "gensim"
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text())
    del meta["params"]["max_vocab_rule"]
    meta_path.write_text(json.dumps(meta))
    assert Word2Vec.load(tmp_path / "m").max_vocab_rule == "word2vec"
    with pytest.raises(ValueError, match="max_vocab_rule"):
        Word2Vec(max_vocab_rule="fasttext")


@pytest.mark.parametrize("damage", ["no_vectors", "window_list", "counts_missing", "bad_point"])
def test_damaged_gensim_state_is_a_value_error(tmp_path, damage):
    g = gensim_model("sg_ns_hs")
    model, names = _old_layout(g, 3)
    if damage == "no_vectors":
        del model.wv.vectors
    elif damage == "window_list":
        model.window = [1, 2]
    elif damage == "counts_missing":
        for entry in model.wv.vocab.values():
            del entry.count
    else:
        next(iter(model.wv.vocab.values())).point = np.array([10**6], dtype=np.uint32)
    with fake_gensim_classes(names):
        with open(tmp_path / "bad.model", "wb") as f:
            pickle.dump(model, f, protocol=2)
    with pytest.raises(ValueError, match="bad.model"):
        Word2Vec.load(tmp_path / "bad.model")
