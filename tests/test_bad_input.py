"""Bad corpus input: clear errors naming the file, or correct training, never a crash."""
import bz2
import gzip
import lzma

import numpy as np
import pytest

from w2v import Word2Vec
from w2v.corpus import MAX_TOKEN_BYTES

from helpers import one_line_error, w2v

BAD_CORPORA = {
    # name: (file content, expected error fragment)
    "empty.txt": (b"", "the corpus is empty"),
    "blank.txt": (b"\n\n  \r\n\t\n", "the corpus is empty"),
    "rare.txt": (b"a b c d e f\n" * 2, "vocabulary is empty: 12 words seen, none with count >= min_count=5"),
}


@pytest.mark.parametrize("name", sorted(BAD_CORPORA))
def test_bad_corpus_api_and_cli(tmp_path, name):
    content, expected = BAD_CORPORA[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        Word2Vec(corpus_file=str(path))
    assert expected in str(info.value) and str(path) in str(info.value)
    line = one_line_error(w2v("train", str(path), "-o", "out.bin", "--quiet", cwd=tmp_path))
    assert expected in line and name in line
    assert not (tmp_path / "out.bin").exists()


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Word2Vec(corpus_file=str(tmp_path / "nope.txt"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        Word2Vec(corpus_file=str(tmp_path / "empty"))
    for target in ("nope.txt", "empty"):
        line = one_line_error(w2v("train", str(tmp_path / target), "-o", "o.bin", "--quiet",
                                cwd=tmp_path))
        assert target in line


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
def test_truncated_compressed_corpus_names_file_and_position(tmp_path, kind):
    text = b"the quick brown fox jumps over the lazy dog\n" * 20000
    packed = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](text)
    path = tmp_path / f"c.{kind}"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError) as info:
        Word2Vec(corpus_file=str(path), min_count=1)
    msg = str(info.value)
    assert str(path) in msg and "decompressed bytes" in msg
    line = one_line_error(w2v("train", str(path), "-o", "o.bin", "--min-count", "1", "--quiet",
                                cwd=tmp_path))
    assert f"c.{kind}" in line


def test_binary_junk_and_nul_bytes_train_as_bytes(tmp_path):
    rng = np.random.default_rng(0)
    junk = rng.integers(0, 256, size=200_000, dtype=np.uint8).tobytes()
    words = b" ".join([b"alpha\x00beta", b"\xff\xfe", b"gamma"] * 3000)
    path = tmp_path / "junk.bin"
    path.write_bytes(junk + b"\n" + words + b"\n")
    model = Word2Vec(corpus_file=str(path), min_count=5, vector_size=8, epochs=1, workers=2)
    assert "alpha\x00beta" in model.wv.key_to_index
    assert "\udcff\udcfe" in model.wv.key_to_index     # invalid UTF-8 kept losslessly
    assert np.isfinite(model.wv.vectors).all()


def test_line_endings_and_giant_token(tmp_path):
    body = "one two three four\r\n" * 50 + "one two three four\r" * 50 + "one two three four\n" * 50
    giant = "x" * (1 << 20)
    path = tmp_path / "crlf.txt"
    path.write_text(body + giant + " one two\n")
    model = Word2Vec(corpus_file=str(path), min_count=1, vector_size=8, epochs=1, workers=1)
    assert model.corpus_count == 151
    # a token is cut to its first MAX_TOKEN_BYTES bytes (ARCHITECTURE.md "Tokens")
    assert set(model.wv.index_to_key) == {"one", "two", "three", "four", giant[:MAX_TOKEN_BYTES]}
    assert model.corpus_total_words == 600 + 3


# ------------------------------------------------------------------ vectors files that lie
@pytest.mark.parametrize("binary", [False, True])
def test_header_count_smaller_than_the_records_warns_and_reads_as_gensim(tmp_path, binary):
    from gensim.models import KeyedVectors as GensimKeyedVectors

    from w2v.keyedvectors import KeyedVectors
    full = KeyedVectors.from_arrays(["a", "b", "c"], np.arange(9, dtype=np.float32).reshape(3, 3))
    path = tmp_path / ("v.bin" if binary else "v.txt")
    full.save_word2vec_format(path, binary=binary)
    data = path.read_bytes()
    path.write_bytes(b"2 3\n" + data[data.index(b"\n") + 1:])
    with pytest.warns(UserWarning, match=rf"{path}: the header announces 2 vectors but more "
                                         rf"records follow them; read the first 2"):
        kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    theirs = GensimKeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == theirs.index_to_key == ["a", "b"]
    assert np.array_equal(kv.vectors, theirs.vectors)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(KeyedVectors.load_word2vec_format(path, binary=binary, limit=2)) == 2
        full.save_word2vec_format(path, binary=binary)
        assert len(KeyedVectors.load_word2vec_format(path, binary=binary)) == 3


def test_npy_header_claiming_a_huge_shape_is_a_value_error(tmp_path):
    from w2v import Word2Vec
    from w2v.keyedvectors import KeyedVectors
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 4), dtype=np.float32))
    kv.save(tmp_path / "kv")
    vectors = tmp_path / "kv" / "vectors.npy"
    data = vectors.read_bytes()
    head_end = data.index(b"\n") + 1
    # (2, 4) -> (2000000000000, 4), 12 bytes of the header's padding dropped: same length
    header = data[:head_end].replace(b"(2, 4)", b"(2000000000000, 4)", 1)
    vectors.write_bytes(header.replace(b" " * 12 + b"\n", b"\n") + data[head_end:])
    with pytest.raises(ValueError, match=r"vectors.npy: the header claims a float32 array of "
                                         r"shape \(2000000000000, 4\) \(32,000,000,000,000 bytes\)"):
        KeyedVectors.load(tmp_path / "kv")
    model = Word2Vec([["a", "b"]] * 10, vector_size=4, min_count=1, epochs=1, workers=1)
    model.save(tmp_path / "m")
    syn1neg = tmp_path / "m" / "syn1neg.npy"
    data = syn1neg.read_bytes()
    syn1neg.write_bytes(data[:-8])        # truncated: one row short
    with pytest.raises(ValueError, match=r"syn1neg.npy: the header claims .* but only 24 bytes"):
        Word2Vec.load(tmp_path / "m")
