"""Phrases: the same phrases, scores, vocabulary and phrased text as gensim 4.

Each check runs gensim's Phrases and ours on the same small corpus (the first
paragraphs of the bundled Austen sample, or made-up sentences for the corner
cases) and compares everything gensim exposes, in order.
"""
import gzip
import json
import lzma
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

gensim_phrases = pytest.importorskip("gensim.models.phrases")
from gensim.models.word2vec import LineSentence  # noqa: E402

from w2v import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phrases  # noqa: E402
from w2v.phrases import phrase_corpus_file  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "w2v" / "data" / "austen.txt.xz"
GP = gensim_phrases.Phrases


@pytest.fixture(scope="module")
def austen_lines():
    with lzma.open(SAMPLE, "rt", encoding="utf-8") as f:
        return [next(f) for _ in range(1000)]


@pytest.fixture(scope="module")
def austen(austen_lines):
    return [line.split() for line in austen_lines if line.split()]


def my_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    return bigram_count / (worda_count + wordb_count) * 100.0


CONFIGS = [
    dict(min_count=3, threshold=5.0),
    dict(min_count=2, threshold=0.3, scoring="npmi"),
    dict(min_count=3, threshold=3.0, connector_words=ENGLISH_CONNECTOR_WORDS),
    dict(min_count=2, threshold=0.2, scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS),
    dict(min_count=2, threshold=2.0, max_vocab_size=5000),       # prunes many times
    dict(min_count=2, threshold=1.0, scoring=my_scorer),
]


def assert_same_model(g, w):
    assert w.corpus_word_count == g.corpus_word_count
    assert w.min_reduce == g.min_reduce
    assert list(w.vocab.items()) == list(g.vocab.items())
    ge, we = g.export_phrases(), w.export_phrases()
    assert ge, "the corpus should give phrases"
    assert list(we.items()) == list(ge.items())      # same phrases, scores (exact), order


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()
                                                              if k != "connector_words")
                         + (",connectors" if "connector_words" in kw else ""))
def test_same_as_gensim(austen, kw):
    g, w = GP(austen, **kw), Phrases(austen, **kw)
    assert_same_model(g, w)
    gf, wf = g.freeze(), w.freeze()
    assert wf.phrasegrams == gf.phrasegrams
    sample = austen[:300]
    assert [wf[s] for s in sample] == [gf[s] for s in sample]
    assert [w[s] for s in sample] == [g[s] for s in sample]
    assert list(wf[sample]) == list(gf[sample])
    assert wf.find_phrases(sample) == gf.find_phrases(sample)
    assert w.find_phrases(sample) == g.find_phrases(sample)
    assert sum(len(a) != len(b) for a, b in zip(wf[sample], sample)) > 10, "phrases were joined"


def test_corpus_file_and_workers_same_counts(austen_lines, austen, tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("".join(austen_lines))
    kw = dict(min_count=2, threshold=2.0, connector_words=ENGLISH_CONNECTOR_WORDS)
    g = GP(LineSentence(str(path)), **kw)
    for w in (Phrases(corpus_file=str(path), workers=3, **kw),
              Phrases(austen, workers=3, **kw)):
        assert w.corpus_word_count == g.corpus_word_count
        assert w.vocab == g.vocab                  # order may differ across threads
        assert w.export_phrases() == g.export_phrases()
    gz = tmp_path / "c.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    w = Phrases(corpus_file=[str(gz)], workers=2, **kw)
    assert list(w.vocab.items()) == list(g.vocab.items())   # one stream keeps the order


def test_add_vocab_merges_and_prunes_as_gensim(austen):
    kw = dict(min_count=2, threshold=1.0, max_vocab_size=8000)
    g, w = GP(austen[:400], **kw), Phrases(austen[:400], **kw)
    for part in (austen[400:700], [], austen[700:900]):
        g.add_vocab(part)
        w.add_vocab(part)
        assert_same_model(g, w)


def test_tokens_holding_the_delimiter_and_trigrams(austen):
    # a second pass sees joined tokens: gensim splits them on the delimiter when
    # exporting, which gives trigram scores from the pieces; ours must agree
    kw = dict(min_count=2, threshold=1.0)
    g1, w1 = GP(austen, **kw).freeze(), Phrases(austen, **kw).freeze()
    g_text, w_text = list(g1[austen]), list(w1[austen])
    assert w_text == g_text
    g2, w2 = GP(g_text, **kw), Phrases(w_text, **kw)
    assert_same_model(g2, w2)
    assert any(p.count("_") >= 2 for p in w2.export_phrases())
    odd = [["a_b", "c", "a", "b_c", "x__y", "_", "x", "y"]] * 5 + [["a", "b", "c", "x", "y"]] * 5
    assert_same_model(GP(odd, min_count=1, threshold=0.01), Phrases(odd, min_count=1, threshold=0.01))


def test_workers_and_add_vocab_without_connectors(austen_lines, austen, tmp_path):
    # without connector words a pair is counted under its two words' indices and
    # turned into its joined string only when something reads the table: the
    # thread tables merge on indices, and add_vocab keeps gensim's order
    path = tmp_path / "c.txt"
    path.write_text("".join(austen_lines))
    kw = dict(min_count=2, threshold=2.0)
    g = GP(LineSentence(str(path)), **kw)
    for workers in (2, 3):
        for w in (Phrases(corpus_file=str(path), workers=workers, **kw),
                  Phrases(austen, workers=workers, **kw)):
            assert len(w._learner) == len(g.vocab)
            assert w.export_phrases() == g.export_phrases()
            assert w.vocab == g.vocab                  # order may differ across threads
    g, w = GP(austen[:300], **kw), Phrases(austen[:300], **kw)
    for part in (austen[300:600], [], austen[600:]):
        g.add_vocab(part)
        w.add_vocab(part)
        assert len(w._learner) == len(g.vocab)
        assert list(w.export_phrases().items()) == list(g.export_phrases().items())
    assert_same_model(g, w)


@pytest.mark.parametrize("max_vocab_size", [40000000, 3000])
def test_tokens_holding_the_delimiter_with_workers(austen, max_vocab_size):
    # tokens that are also joined pairs ("of_the" and "of" "the"; "a_b" "c" and
    # "a" "b_c") count as one entry, as in gensim, whatever thread saw them
    odd = [s[:1] + ["_".join(s[1:3])] + s[3:] if k % 3 == 0 else s
           for k, s in enumerate(austen)]
    odd += [["new_york", "city"], ["new", "york_city"], ["new", "york", "city"]] * 4
    kw = dict(min_count=2, threshold=1.0, max_vocab_size=max_vocab_size)
    g = GP(odd, **kw)
    assert_same_model(g, Phrases(odd, **kw))
    g2, w2 = GP(odd[:200], **kw), Phrases(odd[:200], **kw)
    g2.add_vocab(odd[200:])
    w2.add_vocab(odd[200:])                # merges a table holding joined strings
    assert_same_model(g2, w2)
    if max_vocab_size < 10 * len(g.vocab):
        return   # threads prune their own tables by max_vocab_size // workers (documented)
    for workers in (2, 3):
        w = Phrases(odd, workers=workers, **kw)
        assert w.vocab == g.vocab
        assert w.export_phrases() == g.export_phrases()


def test_reading_the_table_mid_sentence_changes_nothing():
    # a sentence longer than one queue of words (4096) cut between two blocks,
    # with the table read (pairs joined into strings) at the cut
    from w2v import _phrases
    words = [b"a", b"b", b"c", b"a_b", b"d"]
    # the word before the cut ("b") has another index once pairs are strings
    line = b"d " + b" ".join(words[(k * k) % 5] for k in range(6000)) + b"\n"
    text = b"x_y a b\n" + line + line
    cut = len(b"x_y a b\n") + len(line) + 9000

    def learner():
        return _phrases.Learner(_phrases.Table(), b"_", 0, 10000)

    whole = learner()
    whole.learn_block(text, -1, True)
    parts = learner()
    parts.learn_block(text[:cut])
    assert len(parts.words()) == len(parts)
    parts.learn_block(text[cut:], -1, True)
    assert parts.words() == whole.words()
    assert parts.counts().tolist() == whole.counts().tolist()
    sents = [s.split() for s in text.decode().splitlines()]
    g = GP(sents, min_count=1, threshold=1.0)
    assert dict(zip([w.decode() for w in whole.words()], whole.counts().tolist())) == g.vocab


def test_unicode_and_bytes_tokens():
    sents = [["naïve", "café", "au", "lait", "naïve", "café"]] * 6
    g, w = GP(sents, min_count=1, threshold=0.1), Phrases(sents, min_count=1, threshold=0.1)
    assert_same_model(g, w)
    wb = Phrases([[t.encode() for t in s] for s in sents], min_count=1, threshold=0.1)
    assert wb.export_phrases() == w.export_phrases()
    assert w.freeze()[sents[0]] == g.freeze()[sents[0]]


def test_apply_file_matches_gensim(austen_lines, tmp_path):
    path = tmp_path / "c.txt"
    text = "".join(austen_lines)
    long_line = " ".join(["new", "york"] * 12000)        # cut at 10,000 tokens, like LineSentence
    path.write_text(text + "\n\n" + long_line + "\r\nnew york\n")
    kw = dict(min_count=2, threshold=2.0, connector_words=ENGLISH_CONNECTOR_WORDS)
    gf = GP(LineSentence(str(path)), **kw).freeze()
    wf = Phrases(corpus_file=str(path), **kw).freeze()
    assert wf.phrasegrams == gf.phrasegrams
    expected = []
    with open(path) as f:
        for line in f:
            toks = line.split()
            if toks:
                expected.append(" ".join(t for i in range(0, len(toks), 10000)
                                         for t in gf[toks[i:i + 10000]]))
    for workers in (1, 3):
        out = tmp_path / f"out{workers}.txt"
        made = wf.apply_file(str(path), str(out), workers=workers)
        assert out.read_text().split("\n") == expected + [""]
        assert "_" not in text
        assert made == sum("_" in t for t in " ".join(expected).split())
    applier = wf.byte_applier()                        # blocks cut anywhere
    data, pieces = path.read_bytes(), []
    for i in range(0, len(data), 777):
        pieces.append(applier.apply_block(data[i:i + 777]))
    pieces.append(applier.apply_block(b"", 0, True))
    assert b"".join(pieces).decode().split("\n") == expected + [""]
    xz = tmp_path / "c.xz"
    xz.write_bytes(lzma.compress(path.read_bytes()))
    wf.apply_file(str(xz), str(tmp_path / "outxz.txt"), workers=2)
    assert (tmp_path / "outxz.txt").read_text().split("\n") == expected + [""]


def test_phrase_corpus_file_two_passes(austen_lines, tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("".join(austen_lines))
    kw = dict(min_count=2, threshold=1.0)
    models = phrase_corpus_file(str(path), str(tmp_path / "out.txt"), passes=2, workers=2, **kw)
    g1 = GP(LineSentence(str(path)), **kw).freeze()
    once = [g1[s] for s in LineSentence(str(path))]
    g2 = GP(once, **kw).freeze()
    twice = [" ".join(g2[s]) for s in once]
    assert [m.phrasegrams for m in models] == [g1.phrasegrams, g2.phrasegrams]
    assert (tmp_path / "out.txt").read_text().splitlines() == twice
    assert any(t.count("_") >= 2 for line in twice for t in line.split())
    assert sorted(os.listdir(tmp_path)) == ["c.txt", "out.txt"]     # no temporary left


def test_save_load_round_trip(austen, tmp_path):
    kw = dict(min_count=2, threshold=0.2, scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS)
    w = Phrases(austen, **kw)
    w.save(tmp_path / "p")
    meta = json.loads((tmp_path / "p" / "phrases.json").read_text())
    assert meta["class"] == "Phrases" and meta["scoring"] == "npmi"
    with np.load(tmp_path / "p" / "arrays.npz", allow_pickle=False) as z:
        assert sorted(z.files) == ["bytes", "counts", "lengths"]
    back = Phrases.load(tmp_path / "p")
    assert isinstance(back, Phrases)
    assert list(back.vocab.items()) == list(w.vocab.items())
    assert back.export_phrases() == w.export_phrases()
    assert back.connector_words == w.connector_words
    back.add_vocab(austen[:50])
    w.add_vocab(austen[:50])
    assert back.export_phrases() == w.export_phrases()
    f = w.freeze()
    f.save(tmp_path / "f")
    fb = Phrases.load(tmp_path / "f")
    assert isinstance(fb, FrozenPhrases)
    assert list(fb.phrasegrams.items()) == list(f.phrasegrams.items())
    assert [fb[s] for s in austen[:100]] == [f[s] for s in austen[:100]]
    c = Phrases(austen, scoring=my_scorer)
    c.save(tmp_path / "c")
    assert Phrases.load(tmp_path / "c").scoring is my_scorer
    with pytest.raises(ValueError, match="cannot save scoring function"):
        Phrases(austen, scoring=lambda worda_count, wordb_count, bigram_count, len_vocab,
                min_count, corpus_word_count: 1.0).save(tmp_path / "lambda")
    assert not (tmp_path / "lambda").exists()


def test_bad_input(austen, tmp_path):
    with pytest.raises(ValueError, match="min_count"):
        Phrases(min_count=0)
    with pytest.raises(ValueError, match="positive"):
        Phrases(threshold=0)
    with pytest.raises(ValueError, match="between -1 and 1"):
        Phrases(threshold=2, scoring="npmi")
    with pytest.raises(ValueError, match="unknown scoring"):
        Phrases(scoring="pmi")
    with pytest.raises(ValueError, match="missing expected parameters"):
        Phrases(scoring=lambda a, b: 0)
    with pytest.raises(ValueError, match="delimiter"):
        Phrases(delimiter="")
    with pytest.raises(TypeError, match="lists of tokens"):
        Phrases(["a line of text", "another"])
    with pytest.raises(TypeError, match="corpus_file"):
        Phrases("corpus.txt")
    with pytest.raises(FileNotFoundError):
        Phrases(corpus_file=str(tmp_path / "missing.txt"))
    with pytest.raises(ValueError, match="workers"):
        Phrases(austen, workers=0)
    bad = tmp_path / "bad.xz"
    bad.write_bytes(lzma.compress(b"new york " * 1000)[:-20])
    with pytest.raises(ValueError, match="corrupt"):
        Phrases(corpus_file=str(bad))
    f = Phrases(austen, min_count=2, threshold=1.0).freeze()
    out = tmp_path / "out.txt"
    out.write_text("previous\n")
    with pytest.raises(ValueError, match="corrupt"):
        f.apply_file(str(bad), str(out))
    assert out.read_text() == "previous\n"           # left as it was
    src = tmp_path / "src.txt"
    src.write_text("new york\n")
    with pytest.raises(ValueError, match="must not be one of the input"):
        f.apply_file(str(src), str(src))
    with pytest.raises(FileNotFoundError, match="phrases.json"):
        Phrases.load(tmp_path)


# ------------------------------------------------------------------ wiring into training

def _city_corpus(n_lines=3000, seed=0):
    """Lines of random filler words with "new york" / "los angeles" planted in them."""
    rng = np.random.default_rng(seed)
    filler = [f"w{i}" for i in range(300)]
    lines = []
    for _ in range(n_lines):
        toks = list(rng.choice(filler, size=int(rng.integers(3, 25))))
        for city in (["new", "york"], ["los", "angeles"], ["bank", "of", "america"]):
            if rng.random() < 0.3:
                at = int(rng.integers(0, len(toks) + 1))
                toks[at:at] = city
        sep = "\t" if rng.random() < 0.1 else " "
        lines.append(sep.join(toks))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    path = folder / "c.txt"
    path.write_text(_city_corpus())
    frozen = Phrases(corpus_file=str(path), min_count=5, threshold=1.0,
                     connector_words=ENGLISH_CONNECTOR_WORDS).freeze()
    assert {"new_york", "los_angeles", "bank_of_america"} <= set(frozen.phrasegrams)
    return path, frozen


def _vocab(model):
    return (list(model.wv.index_to_key), model.wv.expandos["count"].tolist(),
            model.corpus_count, model.corpus_total_words)


W2V_KW = dict(vector_size=16, min_count=5, epochs=1, seed=3)


def test_word2vec_phrases_on_the_fly_same_vocab_as_phrased_file(city, tmp_path):
    from w2v import Word2Vec
    path, frozen = city
    assert path.stat().st_size > 2 * (1 << 16)          # big enough to be cut into ranges
    phrased = tmp_path / "phrased.txt"
    frozen.apply_file(str(path), str(phrased))
    expected = _vocab(Word2Vec(corpus_file=str(phrased), workers=1, **W2V_KW))
    for workers in (1, 3):
        model = Word2Vec(corpus_file=str(path), phrases=frozen, workers=workers, **W2V_KW)
        assert _vocab(model) == expected
        for word in ("new_york", "los_angeles", "bank_of_america"):
            assert word in model.wv and np.abs(model.wv[word]).sum() > 0
        assert model._cache[1].n_tokens == sum(expected[1])   # the cache was phrased too
    # the same corpus without phrases: no joined tokens
    plain = Word2Vec(corpus_file=str(path), workers=2, **W2V_KW)
    assert "new_york" not in plain.wv and "york" in plain.wv


def test_word2vec_phrases_iterable_and_build_vocab_train(city):
    from w2v import Word2Vec
    path, frozen = city
    sentences = [line.split() for line in path.read_text().splitlines()]
    expected = _vocab(Word2Vec(sentences=frozen.apply_sentences(sentences), workers=2, **W2V_KW))
    model = Word2Vec(sentences=sentences, phrases=frozen, workers=2, **W2V_KW)
    assert _vocab(model) == expected
    model2 = Word2Vec(workers=2, **W2V_KW)
    model2.build_vocab(corpus_file=str(path), phrases=[frozen])
    assert _vocab(model2) == expected                        # file and iterable agree
    eff, raw = model2.train(corpus_file=str(path), total_examples=model2.corpus_count, epochs=1)
    assert raw == expected[3]
    assert model2.phrases == (frozen,)


def test_corpus_phrases_file_and_iterable_agree_with_cut_lines(city):
    from w2v.corpus import Corpus
    path, frozen = city
    sentences = [line.split() for line in path.read_text().splitlines()]
    for msl in (7, 10000):
        from_file = list(Corpus(str(path), max_sentence_length=msl, phrases=frozen))
        from_list = list(Corpus(sentences, max_sentence_length=msl, phrases=frozen))
        assert from_file == from_list
        assert max(map(len, from_file)) <= msl
        assert sum(s.count("new_york") for s in from_file) > 500
    with pytest.raises(TypeError, match="FrozenPhrases"):
        Corpus(str(path), phrases=["not a model"])


def test_word2vec_phrases_two_passes_and_save_load(city, tmp_path):
    from w2v import Word2Vec
    path, _ = city
    out = tmp_path / "out.txt"
    models = phrase_corpus_file(str(path), str(out), passes=2, min_count=5, threshold=1.0)
    expected = _vocab(Word2Vec(corpus_file=str(out), workers=2, **W2V_KW))
    model = Word2Vec(corpus_file=str(path), phrases=models, workers=2, **W2V_KW)
    assert _vocab(model) == expected
    model.save(str(tmp_path / "m"))
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["phrases"] == ["phrases0", "phrases1"]
    loaded = Word2Vec.load(str(tmp_path / "m"))
    assert [p.phrasegrams for p in loaded.phrases] == [p.phrasegrams for p in models]
    before = loaded.wv["new_york"].copy()
    loaded.train(corpus_file=str(path), total_examples=loaded.corpus_count, epochs=1)
    assert loaded.train_count == 2 and not np.array_equal(before, loaded.wv["new_york"])
    # a model saved without phrases records none
    Word2Vec(corpus_file=str(out), workers=1, **W2V_KW).save(str(tmp_path / "m2"))
    assert json.loads((tmp_path / "m2" / "model.json").read_text())["phrases"] == []
    assert Word2Vec.load(str(tmp_path / "m2")).phrases == ()


# ------------------------------------------------------------------ the w2v command

def test_cli_phrases_writes_the_phrased_corpus(city, tmp_path):
    from helpers import one_line_error, w2v
    path, _ = city
    out = tmp_path / "phrased.txt"
    res = w2v("phrases", str(path), "-o", str(out), "--min-count", "5", "--threshold", "1",
              "--connector-words", "english", "--passes", "2", "--threads", "2", cwd=tmp_path)
    assert res.rc == 0, res
    assert res.out == ""
    assert "pass 1:" in res.err and "pass 2:" in res.err and f"wrote {out}" in res.err
    models = phrase_corpus_file(str(path), str(tmp_path / "lib.txt"), passes=2, min_count=5,
                                threshold=1.0, connector_words=ENGLISH_CONNECTOR_WORDS)
    assert out.read_text() == (tmp_path / "lib.txt").read_text()
    assert "bank_of_america" in out.read_text().split()
    assert f"pass 1: {len(models[0].phrasegrams):,} phrases" in res.err
    quiet = w2v("phrases", str(path), "-o", str(tmp_path / "q.txt"), "--quiet", cwd=tmp_path)
    assert quiet.rc == 0 and quiet.err == "" and quiet.out == ""
    # usage errors: exit status 2; a missing corpus: one line, exit status 1
    for bad in (["--passes", "0"], ["--scoring", "pmi"], ["--threshold", "2", "--scoring", "npmi"]):
        res = w2v("phrases", str(path), "-o", str(tmp_path / "x.txt"), *bad, cwd=tmp_path)
        assert res.rc == 2 and "usage:" in res.err, (bad, res)
    res = w2v("phrases", str(path), cwd=tmp_path)
    assert res.rc == 2 and "-o/--output" in res.err
    assert "no-such.txt" in one_line_error(w2v("phrases", "no-such.txt", "-o",
                                               str(tmp_path / "x.txt"), cwd=tmp_path))
    assert not (tmp_path / "x.txt").exists()


def test_cli_train_with_phrases(city, tmp_path):
    from helpers import w2v
    from w2v import Word2Vec
    path, _ = city
    res = w2v("train", str(path), "-o", str(tmp_path / "m"), "--format", "native", "--phrases",
              "1", "--size", "8", "--epochs", "1", "--threads", "2", "--min-count", "5",
              cwd=tmp_path)
    assert res.rc == 0, res
    assert "phrases: " in res.err
    model = Word2Vec.load(str(tmp_path / "m"))
    assert "new_york" in model.wv and "los_angeles" in model.wv
    assert len(model.phrases) == 1
    frozen = Phrases(corpus_file=str(path)).freeze()      # the command's defaults
    assert model.phrases[0].phrasegrams == frozen.phrasegrams
    out = tmp_path / "phrased.txt"
    frozen.apply_file(str(path), str(out))
    assert _vocab(model) == _vocab(Word2Vec(corpus_file=str(out), vector_size=8, epochs=1,
                                            workers=1))
    res = w2v("train", str(path), "-o", str(tmp_path / "x.bin"), "--phrases", "-1", cwd=tmp_path)
    assert res.rc == 2 and "--phrases" in res.err


_TOKENS = ["a", "b", "c", "d", "e", "a_b", "b_c", "_", "a__b", "c_", "_d", "x"]


@settings(max_examples=int(os.environ.get("W2V_FUZZ_EXAMPLES", "150")), deadline=None)
@given(sentences=st.lists(st.lists(st.sampled_from(_TOKENS), max_size=12), min_size=1,
                          max_size=40),
       cut=st.integers(0, 40), max_vocab_size=st.sampled_from([40000000, 60, 25, 8]),
       min_count=st.integers(1, 3), plain=st.booleans())
def test_counting_by_index_is_counting_strings(sentences, cut, max_vocab_size, min_count, plain):
    # pairs counted by index, turned into strings later, merged on indices or as
    # strings: always gensim's vocabulary (order included), pruning and phrases;
    # plain: no token holds the delimiter (the tables stay pure)
    if plain:
        sentences = [[t for t in s if "_" not in t] for s in sentences]
    kw = dict(min_count=min_count, threshold=0.001, max_vocab_size=max_vocab_size)
    g, w = GP(sentences[:cut], **kw), Phrases(sentences[:cut], **kw)
    g.add_vocab(sentences[cut:])
    w.add_vocab(sentences[cut:])
    assert list(w.vocab.items()) == list(g.vocab.items())
    assert (w.min_reduce, w.corpus_word_count) == (g.min_reduce, g.corpus_word_count)
    assert list(w.export_phrases().items()) == list(g.export_phrases().items())
    w2 = Phrases(sentences[:cut], **kw)              # the same, read before the merge
    len(w2.vocab)
    w2.add_vocab(sentences[cut:])
    assert list(w2.export_phrases().items()) == list(g.export_phrases().items())
    if max_vocab_size > 1000:                        # threads do not prune
        w3 = Phrases(sentences, workers=3, **kw)
        g3 = GP(sentences, **kw)
        assert w3.vocab == g3.vocab
        assert w3.export_phrases() == g3.export_phrases()
