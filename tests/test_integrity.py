"""Integrity under concurrency and odd input: loads that race saves, scratch folders and
signals, training on the corpus the vocabulary was built from, the token length cap."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from w2v import _io, _scan
from w2v.corpus import MAX_TOKEN_BYTES, Corpus, cap_token, count_words
from w2v.keyedvectors import KeyedVectors
from w2v.word2vec import Word2Vec


# ------------------------------------------------------------------ torn loads

_SAVER = """
import sys
import numpy as np
from w2v.word2vec import Word2Vec
path, until = sys.argv[1], float(sys.argv[2])
import time
words = {f"w{i}": 10 + i for i in range(200)}
model = Word2Vec(vector_size=64, min_count=1, workers=1, hs=1, negative=3)
model.build_vocab_from_freq(words)
n = 0
while time.time() < until:
    n += 1
    model.wv.vectors[:] = n
    model.syn1neg[:] = n
    model.syn1[:] = n
    model.words_done = n
    model.save(path)
"""


def _consistent(model):
    n = model.words_done
    return (bool(np.all(model.wv.vectors == n)) and bool(np.all(model.syn1neg == n))
            and bool(np.all(model.syn1 == n)))


@pytest.mark.parametrize("mmap", [None, "r"])
def test_a_load_racing_saves_sees_one_save(tmp_path, mmap):
    """A saver process replaces the model directory in a loop; every load must hold the
    arrays and metadata of one save (before: 7 of 56 loads mixed two saves)."""
    path = tmp_path / "model"
    first = Word2Vec(vector_size=64, min_count=1, workers=1, hs=1, negative=3)
    first.build_vocab_from_freq({f"w{i}": 10 + i for i in range(200)})
    first.wv.vectors[:] = 0
    first.save(path)
    until = time.time() + 4.0
    saver = subprocess.Popen([sys.executable, "-c", _SAVER, str(path), str(until)])
    loads, torn, seen = 0, 0, set()
    try:
        while time.time() < until - 0.5:
            model = Word2Vec.load(path, mmap=mmap)
            loads += 1
            seen.add(model.words_done)
            torn += not _consistent(model)
            kv = KeyedVectors.load(path, mmap=mmap)
            torn += not (np.all(kv.vectors == kv.vectors[0, 0]))
    finally:
        saver.wait()
    assert saver.returncode == 0
    assert len(seen) > 3, f"the saver and the loader hardly overlapped: saves seen {sorted(seen)}"
    assert torn == 0, f"{torn} of {2 * loads} loads mixed files of two saves"


def test_memory_mapped_load_reads_the_open_save(tmp_path):
    """mmap='r' keeps working after the directory it came from is replaced and deleted."""
    path = tmp_path / "kv"
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3), np.float32))
    kv.save(path)
    loaded = KeyedVectors.load(path, mmap="r")
    assert isinstance(loaded.vectors, np.memmap) and not loaded.vectors.flags.writeable
    KeyedVectors.from_arrays(["a", "b"], np.zeros((2, 3), np.float32)).save(path)
    assert np.all(loaded.vectors == 1)
    assert np.all(KeyedVectors.load(path, mmap="r").vectors == 0)


def test_saved_directory_retries_only_when_replaced(tmp_path):
    """A file missing from a directory nobody replaces is an error, not a retry loop."""
    path = tmp_path / "kv"
    KeyedVectors.from_arrays(["a"], np.ones((1, 2), np.float32)).save(path)
    os.unlink(path / "vectors.npy")
    calls = []

    def read(saved):
        calls.append(saved)
        return saved.load_npy("vectors.npy")

    with pytest.raises(FileNotFoundError):
        _io.read_directory(path, read)
    assert len(calls) == 1


# ------------------------------------------------------------------ scratch folders, signals

def _corpus_file(path, lines=400):
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]
    rng = np.random.default_rng(3)
    path.write_text("\n".join(" ".join(rng.choice(words, 12)) for _ in range(lines)) + "\n")
    return path


def test_cache_dir_parameter_places_and_names_the_id_cache(tmp_path):
    corpus = _corpus_file(tmp_path / "c.txt")
    cache = tmp_path / "cache"
    cache.mkdir()
    model = Word2Vec(vector_size=8, min_count=1, workers=1, epochs=1, cache_dir=cache)
    model.build_vocab(corpus_file=str(corpus))
    model.train(corpus_file=str(corpus), total_words=model.corpus_total_words, epochs=1)
    (entry,) = os.listdir(cache)
    assert entry.startswith(f"w2v-cache-{_io._host()}-{os.getpid()}-"), entry
    assert os.listdir(cache / entry) == ["ids.i32"]
    del model
    import gc
    gc.collect()
    assert os.listdir(cache) == [], "the id cache outlived its model"


def test_full_cache_folder_fails_before_encoding(tmp_path, monkeypatch):
    corpus = _corpus_file(tmp_path / "c.txt")
    cache = tmp_path / "cache"
    cache.mkdir()
    model = Word2Vec(vector_size=8, min_count=1, workers=1, epochs=1, cache_dir=cache)
    model.build_vocab(corpus_file=str(corpus))
    real = _io.shutil.disk_usage
    monkeypatch.setattr(_io.shutil, "disk_usage",
                        lambda p: real(p)._replace(free=1000))
    with pytest.raises(OSError) as err:
        model.train(corpus_file=str(corpus), total_words=model.corpus_total_words, epochs=1)
    msg = str(err.value)
    ids = model.vocab.retained_words + model.vocab.n_sentences
    assert str(cache) in msg and "1000 bytes free" in msg and f"{ids:,} ids" in msg, msg
    assert "RAM" in msg, msg
    assert os.listdir(cache) == [], "nothing may be written when the space is short"


def test_sigterm_stops_training_removes_cache_and_exits_143(tmp_path):
    from helpers import ENV
    corpus = _corpus_file(tmp_path / "c.txt", lines=4000)
    cache = tmp_path / "cache"
    cache.mkdir()
    out = tmp_path / "out.bin"
    out.write_bytes(b"previous result")
    proc = subprocess.Popen(
        [sys.executable, "-m", "w2v", "train", str(corpus), "-o", str(out), "--min-count", "1",
         "--size", "8", "--threads", "1", "--epochs", "100000", "--cache-dir", str(cache)],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(p.is_dir() and os.listdir(p) for p in cache.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
        time.sleep(0.05)
    time.sleep(0.5)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == 143, err
    assert "terminated (SIGTERM)" in err and "Traceback" not in err, err
    assert out.read_bytes() == b"previous result"
    assert os.listdir(cache) == [], os.listdir(cache)


# ------------------------------------------------------------------ corpus identity

def _trained_vocab(corpus, **kw):
    model = Word2Vec(vector_size=8, min_count=1, workers=1, epochs=2, **kw)
    model.build_vocab(corpus_file=str(corpus))
    return model


def test_training_on_a_truncated_corpus_is_refused(tmp_path):
    corpus = _corpus_file(tmp_path / "c.txt")
    model = _trained_vocab(corpus)
    data = corpus.read_bytes()
    corpus.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="has changed since the vocabulary") as err:
        model.train(corpus_file=str(corpus), total_words=model.corpus_total_words, epochs=2)
    assert str(corpus) in str(err.value)


def test_training_on_another_file_warns_and_trains_as_gensim(tmp_path):
    """gensim trains a corpus_file other than the vocabulary's (a vocabulary built on a
    larger corpus, training on a part of it): so does w2v, warning with both names,
    the schedule following the total given."""
    corpus = _corpus_file(tmp_path / "all.txt")
    part = tmp_path / "part.txt"
    part.write_text("".join(corpus.read_text().splitlines(keepends=True)[:200]))
    model = _trained_vocab(corpus)
    before = model.wv.vectors.copy()
    part_words = len(part.read_text().split())
    with pytest.warns(UserWarning, match="is not the corpus of") as record:
        model.train(corpus_file=str(part), total_words=part_words, epochs=2)
    message = str(record[0].message)
    assert str(part) in message and str(corpus) in message, message
    assert model.words_done == 2 * part_words
    assert not np.array_equal(model.wv.vectors, before)


def test_training_on_a_same_size_edit_is_refused_by_the_word_count(tmp_path):
    corpus = _corpus_file(tmp_path / "c.txt", lines=20000)     # > 2 x 64 KiB
    model = _trained_vocab(corpus)
    data = bytearray(corpus.read_bytes())
    middle = len(data) // 2
    at = data.index(b" ", middle)
    data[at] = ord("x")                # two tokens become one, the size stays
    corpus.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="now holds"):
        model.train(corpus_file=str(corpus), total_words=model.corpus_total_words, epochs=2)


def test_resume_on_another_corpus_is_refused(tmp_path):
    from helpers import SAMPLE, w2v
    tiny = _corpus_file(tmp_path / "tiny.txt", lines=50)
    ck = tmp_path / "ck"
    model = Word2Vec(vector_size=8, min_count=3, workers=1, epochs=3)
    model.build_vocab(corpus_file=str(SAMPLE))
    model.training_state = None
    from w2v.training import TrainingPlan
    model.training_state = TrainingPlan.fresh(model.vocab, epochs=3, start_alpha=0.025,
                                              end_alpha=0.0001, total_words=model.corpus_total_words
                                              ).at_epoch(1, 0, [])
    model.save(ck)
    res = w2v("train", str(tiny), "-o", "x.bin", "--resume", str(ck), cwd=tmp_path)
    assert res.rc == 1, (res.rc, res.err)
    assert str(tiny) in res.err and "austen.txt.xz" in res.err, res.err
    assert not (tmp_path / "x.bin").exists()
    # the right corpus is accepted, wherever it is now
    copy = tmp_path / "copy.txt.xz"
    copy.write_bytes(SAMPLE.read_bytes())
    loaded = Word2Vec.load(ck)
    loaded.train(corpus_file=str(copy), resume=True)


def test_fingerprint_survives_save_and_old_models_still_load(tmp_path):
    import json
    corpus = _corpus_file(tmp_path / "c.txt")
    model = _trained_vocab(corpus)
    model.save(tmp_path / "m")
    loaded = Word2Vec.load(tmp_path / "m")
    assert loaded.corpus_fingerprint == model.corpus_fingerprint
    assert loaded.corpus_fingerprint["words"] == model.corpus_total_words
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    del meta["state"]["corpus"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    old = Word2Vec.load(tmp_path / "m")
    assert old.corpus_fingerprint is None
    corpus.write_text("other words entirely\n" * 10)
    with pytest.warns(RuntimeWarning, match="read 30 words, but train.. was told 4,800"):
        old.train(corpus_file=str(corpus), total_words=old.corpus_total_words, epochs=1)


def test_iterable_corpus_of_another_size_warns_as_gensim(tmp_path):
    sentences = [["a", "b", "c", "d"]] * 50
    model = Word2Vec(vector_size=8, min_count=1, workers=1, epochs=2)
    model.build_vocab(sentences)
    with pytest.warns(RuntimeWarning, match="read 40 words, but train.. was told 200 per epoch"):
        model.train(sentences[:10], total_examples=model.corpus_count, epochs=2)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.train(sentences, total_examples=model.corpus_count, epochs=2)


# ------------------------------------------------------------------ token length

def _capped(data):
    return data[:_scan.token_len(data)]


def test_token_cap_cuts_at_a_character_boundary():
    assert MAX_TOKEN_BYTES == 1000
    assert _capped(b"a" * 1500) == b"a" * 1000
    assert _capped(b"a" * 1000) == b"a" * 1000
    e = "\u00e9".encode()            # 2 bytes
    assert _capped(b"a" * 999 + e * 5) == b"a" * 999
    assert _capped(b"a" * 998 + e * 5) == b"a" * 998 + e
    euro = "\u20ac".encode()         # 3 bytes
    assert _capped(b"a" * 998 + euro * 2) == b"a" * 998
    assert _capped(b"\x80" * 1200) == b"\x80" * 1000     # not UTF-8: cut at the cap
    for tok in ["x" * 2000, "\u00e9" * 700, "a" + "\u20ac" * 400, "\udcff" * 1100]:
        b = tok.encode("utf-8", "surrogateescape")
        assert cap_token(tok).encode("utf-8", "surrogateescape") == _capped(b)


def test_a_file_of_nul_bytes_stays_small_and_saves_loadable_vectors(tmp_path):
    """4 MB without whitespace: one token cut to MAX_TOKEN_BYTES, the scanner's partial
    buffer stays at MAX_TOKEN_BYTES + 1 bytes, and the .bin written loads back."""
    path = tmp_path / "nul.txt"
    with open(path, "wb") as f:
        f.write(b"word other word\n")
        f.write(b"\0" * (4 << 20))
        f.write(b" word\n")
    scanner, table = _scan.Scanner(), _scan.VocabTable()
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 16)
            if not block:
                break
            scanner.count(table, block)
            assert scanner.partial_len <= MAX_TOKEN_BYTES + 1
    scanner.count(table, b"", 0, True)
    assert table.word_bytes() == [b"word", b"other", b"\0" * MAX_TOKEN_BYTES]
    counts = count_words(Corpus(str(path)), workers=2)
    assert dict(zip(counts.words, counts.counts.tolist())) == {
        "word": 3, "other": 1, "\0" * MAX_TOKEN_BYTES: 1}
    model = Word2Vec(corpus_file=str(path), vector_size=8, min_count=1, workers=2, epochs=1)
    model.wv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    back = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    assert back.index_to_key == model.wv.index_to_key
    assert np.array_equal(back.vectors, model.wv.vectors)


def test_python_file_reader_and_iterables_apply_the_same_cap(tmp_path):
    import tracemalloc
    path = tmp_path / "long.txt"
    long_token = "\u00e9" * 3000
    with open(path, "wb") as f:
        f.write(b"a b\n")
        f.write(b"\0" * (4 << 20))
        f.write(b"\nc " + long_token.encode() + b" d\n")
    tracemalloc.start()
    try:
        sentences = list(Corpus(str(path), block_size=1 << 14))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"reading 4 MB of NULs peaked at {peak} bytes"
    capped = "\u00e9" * (MAX_TOKEN_BYTES // 2)
    assert sentences == [["a", "b"], ["\0" * MAX_TOKEN_BYTES], ["c", capped, "d"]]
    counts = count_words(Corpus(str(path)))
    assert set(counts.words) == {"a", "b", "\0" * MAX_TOKEN_BYTES, "c", capped, "d"}
    iterable = list(Corpus([["c", long_token], [b"\xff" * 2000]]))
    assert iterable == [["c", capped], ["\udcff" * MAX_TOKEN_BYTES]]


def test_phrases_file_tokenizer_applies_the_same_cap(tmp_path):
    from w2v.phrases import Phrases
    path = tmp_path / "p.txt"
    long_token = b"\xc3\xa9" * 600                      # 1200 bytes of UTF-8
    with open(path, "wb") as f:
        f.write(b"new york is big\n" * 20)
        f.write(b"\0" * (2 << 20) + b" " + long_token + b"\n")
    phrases = Phrases(corpus_file=str(path), min_count=1, threshold=0.1)
    vocab = phrases.vocab
    assert "\0" * MAX_TOKEN_BYTES in vocab and "\u00e9" * (MAX_TOKEN_BYTES // 2) in vocab
    assert max(len(w.encode("utf-8", "surrogateescape")) for w in vocab) <= 2 * MAX_TOKEN_BYTES + 1
    counts = count_words(Corpus(str(path)))
    assert {w for w in vocab if "_" not in w} == set(counts.words)
    out = tmp_path / "out.txt"
    phrases.freeze().apply_file(str(path), str(out))
    last = out.read_bytes().splitlines()[-1].split(b" ")
    assert [len(t) for t in last] in ([MAX_TOKEN_BYTES, MAX_TOKEN_BYTES],
                                      [2 * MAX_TOKEN_BYTES + 1])     # joined as a phrase
