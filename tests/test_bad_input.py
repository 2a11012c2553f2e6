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
