"""The Word2Vec trainer end to end: API, threads, input paths, quality."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from w2v import Word2Vec
from w2v._train import Worker

SAMPLE = Path(__file__).resolve().parents[1] / "w2v" / "data" / "austen.txt.xz"


def planted_corpus(n_topics=4, words_per_topic=12, n_sentences=3000, length=12, seed=0):
    """Sentences each drawn from one topic's private vocabulary."""
    rng = np.random.default_rng(seed)
    topics = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(n_topics)]
    sentences = []
    for _ in range(n_sentences):
        t = rng.integers(n_topics)
        sentences.append([topics[t][i] for i in rng.integers(words_per_topic, size=length)])
    return topics, sentences


def topic_separation(model, topics):
    """Mean cosine within topics minus mean cosine across topics."""
    kv = model.wv
    vecs = {w: kv.get_vector(w, norm=True) for topic in topics for w in topic}
    within, across = [], []
    for a, ta in enumerate(topics):
        for b, tb in enumerate(topics):
            sims = [float(vecs[x] @ vecs[y]) for x in ta for y in tb if x != y]
            (within if a == b else across).extend(sims)
    return np.mean(within) - np.mean(across)


@pytest.mark.parametrize("sg,hs,negative,shared", [
    (1, 0, 5, False), (0, 0, 5, False), (1, 1, 0, False), (0, 1, 0, False), (1, 1, 3, False),
    (1, 0, 5, True)])
def test_planted_topics_recovered_multithreaded(sg, hs, negative, shared):
    topics, sentences = planted_corpus()
    model = Word2Vec(sentences, vector_size=16, window=3, min_count=1, sg=sg, hs=hs,
                     negative=negative, workers=2, epochs=5, sample=0, seed=3,
                     alpha=0.025 if sg else 0.05, shared_negatives=shared)
    sep = topic_separation(model, topics)
    assert sep > 0.3, f"topics not separated: within-minus-across cosine {sep:.3f}"


def test_corpus_file_and_iterable_paths(tmp_path):
    topics, sentences = planted_corpus(n_sentences=2000)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    m_file = Word2Vec(corpus_file=str(path), vector_size=16, min_count=1, sg=1, workers=2,
                      epochs=3, seed=5)
    m_iter = Word2Vec(sentences, vector_size=16, min_count=1, sg=1, workers=2, epochs=3, seed=5)
    assert m_file.corpus_count == m_iter.corpus_count == 2000
    assert m_file.corpus_total_words == m_iter.corpus_total_words == 2000 * 12
    assert m_file.wv.index_to_key == m_iter.wv.index_to_key
    for m in (m_file, m_iter):
        assert topic_separation(m, topics) > 0.3


def test_single_worker_is_bit_reproducible(tmp_path):
    _, sentences = planted_corpus(n_sentences=500)
    kw = dict(vector_size=12, min_count=1, workers=1, epochs=2, seed=7, sg=1, hs=1, negative=2)
    a = Word2Vec(sentences, **kw).wv.vectors
    b = Word2Vec(sentences, **kw).wv.vectors
    assert np.array_equal(a, b)
    c = Word2Vec(sentences, **dict(kw, seed=8)).wv.vectors
    assert not np.array_equal(a, c)


def test_reproducible_across_processes_and_hash_seeds(tmp_path):
    _, sentences = planted_corpus(n_sentences=300)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    script = (
        "import sys, numpy as np\n"
        "from w2v import Word2Vec\n"
        "m = Word2Vec(corpus_file=sys.argv[1], vector_size=8, min_count=1, workers=1, epochs=2, seed=11)\n"
        "np.save(sys.argv[2], m.wv.vectors)\n"
    )
    outs = []
    for i, hashseed in enumerate(["0", "12345"]):
        out = tmp_path / f"v{i}.npy"
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        subprocess.run([sys.executable, "-c", script, str(path), str(out)], check=True, env=env)
        outs.append(np.load(out))
    assert np.array_equal(outs[0], outs[1])


def test_initialization_and_output_arrays():
    _, sentences = planted_corpus(n_sentences=50)
    model = Word2Vec(vector_size=20, min_count=1, hs=1, negative=5, seed=1)
    model.build_vocab(sentences)
    v = model.wv.vectors
    assert v.dtype == np.float32 and v.shape == (48, 20)
    assert v.min() >= -0.5 / 20 and v.max() < 0.5 / 20
    assert np.abs(v).mean() > 0.1 / 20  # really spread over the interval
    assert not model.syn1neg.any() and not model.syn1.any()
    assert model.syn1neg.shape == model.syn1.shape == (48, 20)


def test_loss_reported_and_decreasing():
    _, sentences = planted_corpus(n_sentences=1500)
    for sg, hs, negative in [(1, 0, 5), (0, 1, 0), (0, 1, 5)]:
        model = Word2Vec(sentences, vector_size=16, min_count=1, sg=sg, hs=hs, negative=negative,
                         workers=2, epochs=4, compute_loss=True, seed=2)
        losses = model.epoch_losses
        assert len(losses) == 4 and all(np.isfinite(losses)) and losses[0] > 0
        assert losses[-1] < losses[0], f"loss did not decrease: {losses}"
        assert model.get_latest_training_loss() == pytest.approx(sum(losses))


def test_callbacks_and_epoch_logging(caplog):
    _, sentences = planted_corpus(n_sentences=200)
    calls = []

    class Recorder:
        def on_train_begin(self, model):
            calls.append("train_begin")

        def on_epoch_begin(self, model):
            calls.append("epoch_begin")

        def on_epoch_end(self, model):
            calls.append("epoch_end")

        def on_train_end(self, model):
            calls.append("train_end")

    with caplog.at_level(logging.INFO, logger="w2v.word2vec"):
        Word2Vec(sentences, min_count=1, epochs=2, workers=1, callbacks=[Recorder()],
                 compute_loss=True)
    assert calls == ["train_begin", "epoch_begin", "epoch_end", "epoch_begin", "epoch_end",
                     "train_end"]
    epoch_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("EPOCH")]
    assert len(epoch_lines) == 2 and "words/s" in epoch_lines[0] and "loss" in epoch_lines[0]


def test_train_requires_corpus_size_and_vocab():
    _, sentences = planted_corpus(n_sentences=20)
    model = Word2Vec(min_count=1)
    with pytest.raises(RuntimeError, match="build the vocabulary"):
        model.train(sentences, total_examples=20, epochs=1)
    model.build_vocab(sentences)
    with pytest.raises(ValueError, match="total_examples"):
        model.train(sentences, epochs=1)
    model.train(sentences, total_examples=model.corpus_count, epochs=1)


@pytest.mark.parametrize("kwargs,match", [
    (dict(vector_size=0), "vector_size"), (dict(window=0), "window"),
    (dict(negative=-1), "negative"), (dict(hs=0, negative=0), "nothing to train"),
    (dict(alpha=0), "alpha"), (dict(min_alpha=1.0), "min_alpha"), (dict(sample=-1), "sample"),
    (dict(epochs=0), "epochs"), (dict(workers=0), "workers"),
    (dict(ns_exponent=float("nan")), "ns_exponent"), (dict(sigmoid="fast"), "sigmoid"),
    (dict(shared_negatives=True, sg=0), "shared_negatives"),
    (dict(shared_negatives=True, sg=1, hs=1), "shared_negatives"),
])
def test_bad_parameters_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Word2Vec(**kwargs)


def test_both_corpora_rejected(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c\n")
    with pytest.raises(ValueError, match="not both"):
        Word2Vec([["a", "b"]], corpus_file=str(path))


def test_empty_vocabulary_message():
    with pytest.raises(ValueError, match="vocabulary is empty"):
        Word2Vec([["a", "b"], ["c"]], min_count=5)


def test_quality_on_bundled_sample():
    """Austen's novels: family words cluster (a real-text quality check)."""
    model = Word2Vec(corpus_file=str(SAMPLE), vector_size=50, window=5, min_count=5, sg=0,
                     negative=5, epochs=5, workers=2, seed=1, alpha=0.05)
    kv = model.wv
    pairs = [("sister", "brother"), ("mother", "father"), ("he", "she"), ("morning", "evening"),
             ("happy", "glad")]
    related = np.mean([kv.similarity(a, b) for a, b in pairs])
    unrelated = np.mean([kv.similarity(a, b) for a, b in [
        ("sister", "morning"), ("father", "evening"), ("happy", "brother"), ("she", "glad")]])
    assert related > unrelated + 0.4, f"mean cosine: related {related:.3f}, unrelated {unrelated:.3f}"
    top = [w for w, _ in kv.most_similar("sister", topn=10)]
    family = {"brother", "mother", "father", "daughter", "aunt", "cousin", "niece", "sisters",
              "husband", "wife", "son", "uncle", "friend"}
    assert len(family & set(top)) >= 3, f"neighbours of 'sister': {top}"


def test_save_load_continue_training_exactly(tmp_path):
    _, sentences = planted_corpus(n_sentences=400)
    kw = dict(vector_size=12, min_count=1, workers=1, seed=4, sg=1, hs=1, negative=3, epochs=1)
    a = Word2Vec(sentences, **kw)
    a.save(tmp_path / "m")
    b = Word2Vec.load(tmp_path / "m")
    assert b.wv.index_to_key == a.wv.index_to_key
    assert np.array_equal(b.wv.vectors, a.wv.vectors)
    assert np.array_equal(b.syn1neg, a.syn1neg) and np.array_equal(b.syn1, a.syn1)
    assert (b.corpus_count, b.corpus_total_words) == (a.corpus_count, a.corpus_total_words)
    for m in (a, b):
        m.train(sentences, total_examples=m.corpus_count, epochs=2)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert np.array_equal(a.syn1neg, b.syn1neg)


def _row_aligned(a):
    return a.ctypes.data % 64 == 0 and a.strides[0] % 64 == 0


def test_weights_in_the_kernels_row_layout(tmp_path):
    """Every weight matrix Word2Vec makes (new vocabulary, vocabulary update, load)
    has 64-byte-aligned rows; a C-contiguous wv.vectors assigned over them (as
    gensim code may do) is trained too, after one copy into the same layout."""
    _, sentences = planted_corpus(n_sentences=300)
    kw = dict(vector_size=20, min_count=1, workers=1, seed=4, sg=1, hs=1, negative=3, epochs=1)
    a = Word2Vec(sentences, **kw)
    for array in (a.wv.vectors, a.syn1neg, a.syn1):
        assert _row_aligned(array) and array.shape == (48, 20)
    a.save(tmp_path / "m")
    b = Word2Vec.load(tmp_path / "m")
    assert all(_row_aligned(x) for x in (b.wv.vectors, b.syn1neg, b.syn1))
    assert np.array_equal(np.load(tmp_path / "m" / "vectors.npy"), a.wv.vectors)
    b.build_vocab([["brand", "new", "words"] * 3], update=True)
    assert len(b.wv) == 51 and all(_row_aligned(x) for x in (b.wv.vectors, b.syn1neg, b.syn1))
    assert np.array_equal(b.wv.vectors[:48], a.wv.vectors)
    c = Word2Vec(sentences, **kw)
    plain = np.ascontiguousarray(c.wv.vectors)
    c.wv.vectors = plain
    c.train(sentences, total_examples=c.corpus_count, epochs=1)
    a.train(sentences, total_examples=a.corpus_count, epochs=1)
    assert _row_aligned(c.wv.vectors) and np.array_equal(c.wv.vectors, a.wv.vectors)
    assert np.array_equal(c.syn1neg, a.syn1neg)


def test_load_mmap_then_train(tmp_path):
    _, sentences = planted_corpus(n_sentences=200)
    a = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=1)
    a.save(tmp_path / "m")
    b = Word2Vec.load(tmp_path / "m", mmap="r")
    assert isinstance(b.wv.vectors, np.memmap) and not b.wv.vectors.flags.writeable
    assert b.wv.most_similar(a.wv.index_to_key[0], topn=3)
    b.train(sentences, total_examples=b.corpus_count, epochs=1)
    assert not np.array_equal(b.wv.vectors, a.wv.vectors)
    assert np.array_equal(np.load(tmp_path / "m" / "vectors.npy"), a.wv.vectors)  # file untouched


def test_load_rejects_non_model(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(ValueError, match="not a saved w2v Word2Vec model"):
        Word2Vec.load(tmp_path / "x")
    (tmp_path / "x" / "model.json").write_text("{not json")
    with pytest.raises(ValueError, match="model.json"):
        Word2Vec.load(tmp_path / "x")


def test_progress_callback():
    _, sentences = planted_corpus(n_sentences=300)
    seen = []
    model = Word2Vec(min_count=1, workers=2, compute_loss=True)
    model.build_vocab(sentences)
    model.train(sentences, total_examples=model.corpus_count, epochs=3, progress=seen.append)
    assert [p.epoch for p in seen][-1] == 3 and len(seen) >= 3
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0, abs=0.02)
    assert all(p.loss is not None and p.loss > 0 for p in seen)
    assert seen[-1].alpha < model.alpha


def test_build_vocab_from_freq():
    model = Word2Vec(min_count=2, vector_size=4)
    model.build_vocab_from_freq({"a": 5, "b": 1, "c": 7}, corpus_count=3)
    assert model.wv.index_to_key == ["c", "a"] and model.corpus_total_words == 13
    model.train([["a", "c", "a"]] * 3, total_examples=3, epochs=1)


class _Crash(Exception):
    pass


def test_checkpoint_and_resume_continue_exactly(tmp_path):
    """A run killed after epoch 2 and resumed from its checkpoint ends exactly
    where the uninterrupted run ends (one worker: same RNG streams, same schedule)."""
    _, sentences = planted_corpus(n_sentences=300)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    kw = dict(vector_size=8, min_count=1, workers=1, seed=3, sg=1, epochs=4)

    full = Word2Vec(**kw)
    full.build_vocab(corpus_file=str(path))
    full.train(corpus_file=str(path), total_words=full.corpus_total_words, epochs=4,
               checkpoint=str(tmp_path / "ck_full"))
    assert full.training_state is None

    class CrashAfterEpoch2:
        epochs = 0

        def on_epoch_end(self, model):
            self.epochs += 1
            if self.epochs == 2:
                raise _Crash

    crashed = Word2Vec(**kw)
    crashed.build_vocab(corpus_file=str(path))
    with pytest.raises(_Crash):
        crashed.train(corpus_file=str(path), total_words=crashed.corpus_total_words, epochs=4,
                      checkpoint=str(tmp_path / "ck"), callbacks=[CrashAfterEpoch2()])
    # the crash came before the epoch-2 checkpoint: the epoch-1 one is on disk
    resumed = Word2Vec.load(tmp_path / "ck")
    assert resumed.training_state.epoch == 1
    alpha_at_checkpoint = kw.get("alpha", 0.025) - (0.025 - 0.0001) * 0.25
    epochs_run = []
    resumed.train(corpus_file=str(path), resume=True,
                  callbacks=[type("R", (), {"on_epoch_begin": lambda s, m: epochs_run.append(1)})()],
                  progress=lambda p: epochs_run.append(p.alpha))
    assert epochs_run.count(1) == 3, "resumed run must train epochs 2..4 only"
    first_alpha = [a for a in epochs_run if a != 1][0]
    assert first_alpha < alpha_at_checkpoint + 1e-3
    assert resumed.training_state is None
    assert np.array_equal(resumed.wv.vectors, full.wv.vectors)
    assert resumed.words_done == full.words_done == 4 * full.corpus_total_words   # epoch 1 counted


def test_resume_without_checkpoint_state_is_an_error():
    model = Word2Vec([["a", "b"]] * 5, min_count=1, epochs=1)
    with pytest.raises(ValueError, match="no interrupted training"):
        model.train([["a", "b"]] * 5, resume=True)


def test_model_too_large_for_memory_is_refused_up_front():
    model = Word2Vec(vector_size=10**6, min_count=1, hs=1)
    words = {f"w{i}": 10 for i in range(10**5)}   # 3 x 10^5 x 10^6 floats: 1.2 PB
    with pytest.raises(MemoryError, match="GiB"):
        model.build_vocab_from_freq(words)


@pytest.mark.parametrize("sg,workers", [(0, 1), (1, 2)])
def test_huge_alpha_raises_naming_epoch_and_alpha(sg, workers):
    """alpha=1e30 overflows float32 within the first sentences: training stops with a
    FloatingPointError that names the epoch and the learning rate, not with NaN vectors."""
    _, sentences = planted_corpus(n_sentences=300)
    with pytest.raises(FloatingPointError,
                       match=r"training diverged in epoch 1: .*alpha=1e\+30 is probably too large"):
        Word2Vec(sentences, min_count=1, alpha=1e30, min_alpha=1e29, sg=sg, workers=workers, epochs=2)


def test_hostile_model_json_only_raises_value_error(tmp_path):
    """Fuzz: mutated model.json files load or raise ValueError, nothing else."""
    import json
    import shutil
    from hypothesis import HealthCheck, given, settings, strategies as st

    _, sentences = planted_corpus(n_sentences=50)
    Word2Vec(sentences, vector_size=4, min_count=1, epochs=1, workers=1, hs=1).save(tmp_path / "m")
    original = (tmp_path / "m" / "model.json").read_bytes()
    meta = json.loads(original)
    junk = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(),
                     st.text(max_size=5), st.lists(st.integers(), max_size=3),
                     st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    paths = [("params", k) for k in meta["params"]] + [("state", k) for k in meta["state"]] \
        + [("vocab", k) for k in meta["vocab"]] + [("format_version",)]

    @settings(max_examples=int(os.environ.get("W2V_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data):
        target = tmp_path / "fuzz"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(tmp_path / "m", target)
        if data.draw(st.booleans()):
            raw = bytearray(original)
            cut = data.draw(st.integers(0, len(raw)))
            raw = raw[:cut] if data.draw(st.booleans()) else raw
            for _ in range(data.draw(st.integers(0, 4))):
                if raw:
                    raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
            (target / "model.json").write_bytes(bytes(raw))
        else:
            m = json.loads(original)
            where = data.draw(st.sampled_from(paths))
            node = m
            for key in where[:-1]:
                node = node[key]
            node[where[-1]] = data.draw(junk)
            (target / "model.json").write_text(json.dumps(m))
        try:
            Word2Vec.load(target)
        except ValueError:
            pass

    check()


@pytest.mark.parametrize("sg,workers,private", [(1, 2, True), (0, 2, False), (1, 1, False)])
def test_private_output_rows_only_for_multithreaded_skipgram(monkeypatch, sg, workers, private):
    """Skip-gram with several workers trains its hottest output rows in per-worker
    copies (csrc/train.h, "Private output rows"); CBOW and one worker write in place.
    (This small vocabulary gets copies only with the vocabulary floor lifted:
    tests/test_small_vocab.py checks the floor.)"""
    import w2v.word2vec as w2v_module
    monkeypatch.setattr(w2v_module, "_PRIVATE_MIN_VOCAB", 0)
    made = []

    def recording_worker(*args, **kwargs):
        made.append(kwargs)
        return Worker(*args, **kwargs)

    monkeypatch.setattr(w2v_module, "Worker", recording_worker)
    topics, sentences = planted_corpus(n_sentences=200)
    Word2Vec(sentences, vector_size=16, min_count=1, sg=sg, hs=1, negative=2, workers=workers,
             epochs=1)
    assert len(made) == workers
    for kw in made:
        assert (kw["private_rows"] > 0, kw["private_nodes"] > 0) == (private, private)


# --------------------------------------------------- gensim 4 argument names
_GENSIM_METHODS = ("__init__", "build_vocab", "build_vocab_from_freq", "train")


@pytest.mark.parametrize("call", [
    lambda m, s: Word2Vec(s, size=8, min_count=1),                      # gensim 3's name
    lambda m, s: Word2Vec(vector_sizee=8),
    lambda m, s: m.build_vocab(s, min_countt=1),
    lambda m, s: m.build_vocab_from_freq({"a": 3}, bogus=True),
    lambda m, s: m.train(s, total_examples=len(s), iter=3),             # gensim 3's name
    lambda m, s: m.train(s, total_examples=len(s), epoch=3),
])
def test_unknown_keyword_argument_raises_type_error(call):
    _, sentences = planted_corpus(n_sentences=20)
    model = Word2Vec(vector_size=4, min_count=1, workers=1)
    model.build_vocab(sentences)
    before = model.wv.vectors.copy()
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        call(model, sentences)
    assert np.array_equal(model.wv.vectors, before), "a refused call must not train"


def test_every_gensim_4_argument_is_implemented_or_listed_as_ignored():
    """gensim 4's signatures: each name is a parameter of ours, and the ignored list
    holds only real gensim names (build_vocab's **kwargs go to prepare_vocab)."""
    import inspect
    gensim_models = pytest.importorskip("gensim.models")
    from w2v.word2vec import GENSIM_IGNORED

    def names(function):
        return {name for name, p in inspect.signature(function).parameters.items()
                if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)} - {"self"}

    theirs_by_method = {m: names(getattr(gensim_models.Word2Vec, m)) for m in _GENSIM_METHODS}
    theirs_by_method["build_vocab"] |= names(gensim_models.Word2Vec.prepare_vocab) - {"update"}
    assert set(GENSIM_IGNORED) <= set(_GENSIM_METHODS)
    for method, theirs in theirs_by_method.items():
        ours = inspect.signature(getattr(Word2Vec, method))
        assert not [p for p in ours.parameters.values() if p.kind == p.VAR_KEYWORD], \
            f"{method} must not swallow unknown arguments"
        missing = theirs - set(ours.parameters)
        assert not missing, f"gensim 4 {method} arguments w2v does not take: {sorted(missing)}"
        ignored = set(GENSIM_IGNORED.get(method, ()))
        assert ignored <= theirs, f"{method}: not gensim names: {sorted(ignored - theirs)}"
        doc = inspect.getdoc(Word2Vec if method == "__init__" else getattr(Word2Vec, method))
        for name in ignored:
            assert f"``{name}``" in doc, f"{method}'s docstring does not mention {name}"


_IGNORED_VALUES = {"hashfxn": lambda word: 0, "null_word": 1, "comment": "a note",
                   "progress_per": 1, "keep_raw_vocab": True, "word_count": 12345,
                   "report_delay": 0.001}


@pytest.mark.parametrize("method,name", [(m, n) for m in _GENSIM_METHODS
                                         for n in __import__("w2v.word2vec", fromlist=["_"])
                                         .GENSIM_IGNORED.get(m, ())])
def test_ignored_gensim_argument_is_accepted_and_changes_nothing(method, name):
    _, sentences = planted_corpus(n_sentences=100)
    kw = dict(vector_size=8, min_count=1, workers=1, seed=5, epochs=2)
    freq = {"a": 30, "b": 20, "c": 10}

    def run(extra):
        model = Word2Vec(**kw, **(extra if method == "__init__" else {}))
        if method == "build_vocab_from_freq":
            model.build_vocab_from_freq(freq, **extra)
            data = [["a", "b", "c", "a"]] * 30
        else:
            model.build_vocab(sentences, **(extra if method == "build_vocab" else {}))
            data = sentences
        model.train(data, total_examples=len(data), epochs=2,
                    **(extra if method == "train" else {}))
        return model.wv.vectors

    with_it, without = run({name: _IGNORED_VALUES[name]}), run({})
    assert np.array_equal(with_it, without), f"{method}({name}=...) changed the vectors"


def test_build_vocab_min_count_and_sample_replace_the_models():
    _, sentences = planted_corpus(n_sentences=100)
    sentences = sentences + [["rare"]]
    model = Word2Vec(vector_size=4, min_count=1, sample=0.0, workers=1)
    model.build_vocab(sentences)
    assert "rare" in model.wv.key_to_index
    assert model._tables.keep_thresholds.min() == 2**32 - 1, "sample=0 keeps every word"
    model.build_vocab(sentences, min_count=2, sample=1e-2)
    assert (model.min_count, model.sample) == (2, 1e-2)
    assert "rare" not in model.wv.key_to_index
    assert model._tables.keep_thresholds.min() < 2**32 - 1, "sample=1e-2 must subsample"
    with pytest.raises(ValueError, match="sample must be >= 0"):
        model.build_vocab(sentences, min_count=7, sample=-1)
    assert (model.min_count, model.sample) == (2, 1e-2), "a refused call keeps the old values"
    with pytest.raises(NotImplementedError, match="dry_run"):
        model.build_vocab(sentences, dry_run=True)


# ------------------------------------------------------ training plan (checkpoints)
def test_training_plan_json_round_trip_and_checkpoint_on_disk(tmp_path):
    import json
    from w2v.training import TrainingPlan
    plan = TrainingPlan(epochs=5, start_alpha=0.025, end_alpha=1e-4, total_words=1234.5,
                        epoch=3, words_done=2000, rng_states=(0, 2**64 - 1, 17))
    assert TrainingPlan.from_json(json.loads(json.dumps(plan.to_json()))) == plan

    _, sentences = planted_corpus(n_sentences=100)
    model = Word2Vec(vector_size=4, min_count=1, workers=2, epochs=3)
    model.build_vocab(sentences)
    model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs,
                checkpoint=str(tmp_path / "ck"))
    saved = Word2Vec.load(tmp_path / "ck").training_state
    assert isinstance(saved, TrainingPlan)
    assert (saved.epoch, saved.epochs, len(saved.rng_states)) == (2, 3, 2)
    assert 0 < saved.words_done < saved.schedule_words(model.vocab)
    assert saved.schedule_words(model.vocab) == round(model.vocab.retained_words * 3)


_GOOD_STATE = {"epoch": 1, "epochs": 3, "words_done": 10, "total_words": 100.0,
               "start_alpha": 0.025, "end_alpha": 0.0001, "rng_states": [1, 2]}


@pytest.mark.parametrize("field,value", [
    ("epoch", 0), ("epoch", 3), ("epoch", -1), ("epoch", 1.0), ("epoch", True), ("epoch", "1"),
    ("epochs", 0), ("epochs", None),
    ("words_done", -5), ("words_done", 2**63), ("words_done", 0.5),
    ("total_words", -1.0), ("total_words", float("nan")), ("total_words", 10**400),
    ("total_words", 1e300), ("total_words", "100"),
    ("start_alpha", 0.0), ("start_alpha", float("inf")), ("start_alpha", False),
    ("end_alpha", -1e-9), ("end_alpha", 0.5),
    ("rng_states", [2**64]), ("rng_states", [-1]), ("rng_states", "12"), ("rng_states", [1.5]),
    ("bogus", 1),
])
def test_training_plan_refuses_hostile_field_naming_it(field, value):
    from w2v.training import TrainingPlan
    state = dict(_GOOD_STATE, **{field: value})
    with pytest.raises(ValueError, match=field):
        TrainingPlan.from_json(state)
    missing = {k: v for k, v in _GOOD_STATE.items() if k != field}
    if field in ("epoch", "words_done"):
        with pytest.raises(ValueError, match=field):
            TrainingPlan.from_json(missing)


def test_load_refuses_a_checkpoint_with_a_hostile_training_state(tmp_path):
    import json
    _, sentences = planted_corpus(n_sentences=100)
    model = Word2Vec(vector_size=4, min_count=1, workers=1, epochs=3)
    model.build_vocab(sentences)
    model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs,
                checkpoint=str(tmp_path / "ck"))
    meta_path = tmp_path / "ck" / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["state"]["training_state"]["words_done"] = -3
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="training_state: words_done must be an integer"):
        Word2Vec.load(tmp_path / "ck")
