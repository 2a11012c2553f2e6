"""word2vec C formats: exact round trips, header and record variants, invalid UTF-8 words,
gensim interoperability, and hostile input (mutated files never crash, hang or allocate
beyond the file: they load, maybe with a warning, or raise ValueError naming the file)."""
import bz2
import gzip
import os
import struct
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from w2v.keyedvectors import KeyedVectors

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def make_kv(keys, dim=4, seed=0):
    rng = np.random.default_rng(seed)
    return KeyedVectors.from_arrays(keys, rng.standard_normal((len(keys), dim)).astype(np.float32))


def binary_file(words_vectors, header=None, newline=True):
    """Hand-built binary word2vec bytes, independent of the writer under test."""
    dim = len(words_vectors[0][1]) if words_vectors else 3
    out = [header if header is not None else f"{len(words_vectors)} {dim}\n".encode()]
    for word, vec in words_vectors:
        out.append(word + b" " + struct.pack(f"<{len(vec)}f", *vec) + (b"\n" if newline else b""))
    return b"".join(out)


def load(path, **kw):
    return KeyedVectors.load_word2vec_format(str(path), **kw)


# ---------------------------------------------------------------------- round trips
word_st = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"),
            min_size=1, max_size=10),
    # arbitrary bytes without ASCII whitespace, kept losslessly through surrogateescape
    st.binary(min_size=1, max_size=8).map(lambda b: bytes(c for c in b if c not in b" \t\n\r\x0b\x0c") or b"x")
    .map(lambda b: b.decode("utf8", "surrogateescape")),
)
float32_st = st.floats(width=32, allow_nan=False, allow_infinity=False)


@SETTINGS
@given(words=st.lists(word_st, min_size=1, max_size=8, unique=True), data=st.data(), binary=st.booleans())
def test_roundtrip_exact(tmp_path_factory, words, data, binary):
    dim = data.draw(st.integers(1, 5))
    vectors = np.array(data.draw(st.lists(st.lists(float32_st, min_size=dim, max_size=dim),
                                          min_size=len(words), max_size=len(words))), dtype=np.float32)
    kv = KeyedVectors.from_arrays(words, vectors)
    path = tmp_path_factory.mktemp("rt") / "v.w2v"
    kv.save_word2vec_format(path, binary=binary)
    back = load(path, binary=binary, unicode_errors="surrogateescape")
    assert back.index_to_key == words
    # text uses 9 significant digits: enough for float32 to read back bit-exactly
    np.testing.assert_array_equal(back.vectors.view(np.uint32), vectors.view(np.uint32))


def test_text_float64_roundtrip_and_datatype(tmp_path):
    kv = KeyedVectors.from_arrays(["a", "b"], np.array([[1 / 3, np.pi], [1e-300, -2.5]]))
    kv.save_word2vec_format(tmp_path / "v.txt")
    back = load(tmp_path / "v.txt", datatype=np.float64)
    assert back.vectors.dtype == np.float64
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    half = load(tmp_path / "v.txt", datatype=np.float16)
    assert half.vectors.dtype == np.float16


def test_counts_order_fvocab_and_limit(tmp_path):
    kv = KeyedVectors.from_arrays(["rare", "common", "mid"], np.eye(3, dtype=np.float32), counts=[1, 30, 5])
    kv.save_word2vec_format(tmp_path / "v.bin", fvocab=tmp_path / "vocab.txt", binary=True)
    assert (tmp_path / "vocab.txt").read_text() == "common 30\nmid 5\nrare 1\n"
    back = load(tmp_path / "v.bin", binary=True, fvocab=tmp_path / "vocab.txt")
    assert back.index_to_key == ["common", "mid", "rare"]         # by descending count, as gensim
    assert back.expandos["count"].tolist() == [30, 5, 1]
    np.testing.assert_array_equal(back["mid"], kv["mid"])
    first = load(tmp_path / "v.bin", binary=True, limit=2)
    assert first.index_to_key == ["common", "mid"] and first.vectors.shape == (2, 3)
    assert first.expandos["count"].tolist() == [2, 1]              # made up, as gensim
    with pytest.raises(ValueError, match="count"):
        make_kv(["a"]).save_word2vec_format(tmp_path / "x", fvocab=tmp_path / "y")


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open)])
@pytest.mark.parametrize("binary", [True, False])
def test_compressed(tmp_path, suffix, opener, binary):
    kv = make_kv(["a", "b", "c"])
    path = tmp_path / ("v" + suffix)
    kv.save_word2vec_format(path, binary=binary)
    with opener(path, "rb") as f:                                    # really compressed
        assert f.read(4) == b"3 4\n"
    back = load(path, binary=binary)
    np.testing.assert_array_equal(back.vectors, kv.vectors)


def test_save_refuses_unwritable_keys_and_is_atomic(tmp_path):
    path = tmp_path / "v.bin"
    make_kv(["a", "b"]).save_word2vec_format(path, binary=True)
    before = path.read_bytes()
    for bad in (["ok", "two words"], ["ok", "tab\there"], ["ok", ""]):
        with pytest.raises(ValueError, match="whitespace"):
            make_kv(bad).save_word2vec_format(path, binary=True)
    # a key that cannot be encoded fails after the header was written: old file intact
    with pytest.raises(UnicodeEncodeError):
        make_kv(["fine", "\ud800"]).save_word2vec_format(path, binary=True)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["v.bin"]


# ---------------------------------------------------------------------- reading variants
VEC = [(b"alpha", [1.0, 2.0, 3.0]), (b"beta", [-1.5, 0.0, 2.5e-3]), (b"gamma", [7.0, 8.0, 9.0])]


@pytest.mark.parametrize("header", [b"3 3\n", b"3\t3\n", b"3 3  \n", b"3 3\r\n", b" 3 3 \t\r\n"])
@pytest.mark.parametrize("newline", [True, False])
def test_binary_header_and_record_variants(tmp_path, header, newline):
    (tmp_path / "v.bin").write_bytes(binary_file(VEC, header=header, newline=newline))
    kv = load(tmp_path / "v.bin", binary=True)
    assert kv.index_to_key == ["alpha", "beta", "gamma"]
    np.testing.assert_array_equal(kv.vectors, np.array([v for _, v in VEC], dtype=np.float32))


@pytest.mark.parametrize("text", [
    "3 3\nalpha 1 2 3\nbeta -1.5 0 0.0025\ngamma 7 8 9\n",
    "3\t3\r\nalpha 1 2 3 \r\nbeta\t-1.5 0.0 2.5e-3\r\ngamma 7 8 9",          # CRLF, tabs, no final newline
    "3 3\nalpha 1 2 3\n\nbeta -1.5 0 0.0025\ngamma 7 8 9\n\n\n",              # blank lines
])
def test_text_variants(tmp_path, text):
    (tmp_path / "v.txt").write_bytes(text.encode())
    kv = load(tmp_path / "v.txt")
    assert kv.index_to_key == ["alpha", "beta", "gamma"]
    np.testing.assert_array_equal(kv.vectors, np.array([v for _, v in VEC], dtype=np.float32))


def test_no_header_text(tmp_path):
    (tmp_path / "glove.txt").write_text("the 0.5 1\nof 2 3\nand 4 5\n")
    kv = load(tmp_path / "glove.txt", no_header=True)
    assert kv.index_to_key == ["the", "of", "and"] and kv.vector_size == 2
    assert load(tmp_path / "glove.txt", no_header=True, limit=2).index_to_key == ["the", "of"]
    with pytest.raises(NotImplementedError):
        load(tmp_path / "glove.txt", no_header=True, binary=True)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="empty.txt"):
        load(tmp_path / "empty.txt", no_header=True)


def test_invalid_utf8_words(tmp_path):
    raw = binary_file([(b"caf\xe9", [1.0, 2.0]), (b"ok", [3.0, 4.0])])
    (tmp_path / "latin1.bin").write_bytes(raw)
    with pytest.raises(UnicodeDecodeError, match="latin1.bin") as info:
        load(tmp_path / "latin1.bin", binary=True)
    assert isinstance(info.value, ValueError)
    kv = load(tmp_path / "latin1.bin", binary=True, unicode_errors="surrogateescape")
    assert kv.index_to_key == ["caf\udce9", "ok"]
    kv.save_word2vec_format(tmp_path / "again.bin", binary=True)
    assert (tmp_path / "again.bin").read_bytes() == raw                # bytes survive exactly
    assert load(tmp_path / "latin1.bin", binary=True, unicode_errors="replace").index_to_key[0] == "caf\ufffd"
    assert load(tmp_path / "latin1.bin", binary=True, encoding="latin-1").index_to_key[0] == "caf\u00e9"


def test_duplicates_keep_first_with_warning(tmp_path):
    (tmp_path / "dup.txt").write_text("3 2\na 1 1\nb 2 2\na 3 3\n")
    with pytest.warns(UserWarning, match="duplicate"):
        kv = load(tmp_path / "dup.txt")
    assert kv.index_to_key == ["a", "b"] and kv["a"].tolist() == [1, 1]
    assert kv.vectors.shape == (2, 2) and kv.expandos["count"].tolist() == [3, 2]


def test_nan_and_inf_load_with_warning(tmp_path):
    (tmp_path / "nan.txt").write_text("3 2\na nan 1\nb 2 inf\nc 1e39 0\n")
    with pytest.warns(RuntimeWarning, match="3 vector"):
        kv = load(tmp_path / "nan.txt")
    assert np.isnan(kv["a"][0]) and np.isinf(kv["b"][1]) and np.isinf(kv["c"][0])
    (tmp_path / "nan.bin").write_bytes(binary_file([(b"x", [float("nan"), 1.0])]))
    with pytest.warns(RuntimeWarning, match="NaN"):
        load(tmp_path / "nan.bin", binary=True)


@pytest.mark.parametrize("content,binary,match", [
    (b"3 3\nalpha 1 2 3\nbeta 1 2 3\n", False, "end of file after 2 of 3"),
    (b"2 3\nalpha 1 2 3\nbeta 1 2\n", False, "line 3 has 2 values after the word, expected 3"),
    (b"2 3\nalpha 1 2 3\nbeta 1 2 3 4\n", False, "line 3 has 4 values"),
    (b"1 3\nalpha 1 2 x3\n", False, "line 2: malformed number b'x3'"),
    (b"1 3\nalpha 1 2 0x10\n", False, "malformed number"),
    (b"3 x\n", False, "bad word2vec header"),
    (b"3\n", True, "bad word2vec header"),
    (b"3 3 3\n", True, "bad word2vec header"),
    (b"-3 3\n", True, "bad word2vec header"),
    (b"3 0\n", True, "dimension"),
    (b"1 3\n" + b"w" * 100, True, "end of file|follow"),
    (b"", True, "bad word2vec header"),
    (b"9" * 5000 + b" 3\n", True, "header"),
])
def test_malformed_files_raise_valueerror_naming_file(tmp_path, content, binary, match):
    (tmp_path / "bad.vec").write_bytes(content)
    with pytest.raises(ValueError, match="bad.vec") as info:
        load(tmp_path / "bad.vec", binary=binary)
    assert info.match(match)


def test_truncated_binary_is_also_eoferror_like_gensim(tmp_path):
    raw = binary_file(VEC)
    (tmp_path / "cut.bin").write_bytes(raw[:-5])
    with pytest.raises(EOFError, match="cut.bin"):
        load(tmp_path / "cut.bin", binary=True)


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("header", [b"1000000000000 3\n", b"3 1000000000\n", b"1000000000000 1000000000\n",
                                    b"999999999999999999 999999999\n"])
def test_huge_header_numbers_do_not_allocate(tmp_path, binary, header):
    body = binary_file(VEC, header=header) if binary else header + b"alpha 1 2 3\n"
    (tmp_path / "huge.bin").write_bytes(body)
    with pytest.raises(ValueError, match="huge.bin"):
        load(tmp_path / "huge.bin", binary=binary)
    # compressed: the size is unknown up front, memory follows what is actually decoded
    with gzip.open(tmp_path / "huge.gz", "wb") as f:
        f.write(body)
    with pytest.raises(ValueError, match="huge.gz"):
        load(tmp_path / "huge.gz", binary=binary)


def test_overlong_word_is_rejected(tmp_path):
    (tmp_path / "long.bin").write_bytes(b"1 1\n" + b"x" * (1 << 20) + b"  \x00\x00\x00\x00" + b"\x00" * (8 << 20))
    with pytest.raises(ValueError, match="longer than"):
        load(tmp_path / "long.bin", binary=True)


# ---------------------------------------------------------------------- hostile input (fuzz)
def _valid_inputs():
    rng = np.random.default_rng(7)
    words = ["the", "of", "caf\u00e9", "z", "\u6f22\u5b57"]
    kv = KeyedVectors.from_arrays(words, rng.standard_normal((5, 3)).astype(np.float32))
    return kv


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("valid")
    kv = _valid_inputs()
    files = {}
    for name, binary in (("v.bin", True), ("v.txt", False), ("v.bin.gz", True), ("v.txt.gz", False)):
        kv.save_word2vec_format(d / name, binary=binary)
        files[name] = ((d / name).read_bytes(), binary)
    return files


mutation = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("set"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 16)),
    st.tuples(st.just("header"), st.sampled_from([0, 1, 5, 6, 10**3, 10**9, 10**12, 10**18 - 1]),
              st.sampled_from([1, 2, 3, 4, 10**6, 10**9, 2**31 - 1])),
)


def _mutate(raw, op):
    if op[0] == "header":
        return f"{op[1]} {op[2]}\n".encode() + (raw.split(b"\n", 1)[1] if b"\n" in raw else b"")
    pos = int(op[1] * len(raw))
    if op[0] == "truncate":
        return raw[:pos]
    if op[0] == "set":
        return raw[:pos] + bytes([op[2]]) + raw[pos + 1:]
    if op[0] == "insert":
        return raw[:pos] + op[2] + raw[pos:]
    return raw[:pos] + raw[pos + op[2]:]


@settings(max_examples=int(os.environ.get("W2V_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["v.bin", "v.txt", "v.bin.gz", "v.txt.gz"]), ops=st.lists(mutation, min_size=1, max_size=3),
       decompressed_first=st.booleans())
def test_mutated_files_load_or_raise_valueerror(valid_files, tmp_path_factory, name, ops, decompressed_first):
    raw, binary = valid_files[name]
    compressed = name.endswith(".gz")
    if compressed and decompressed_first:
        # mutate the payload and recompress, so the damage reaches the parser
        raw = gzip.decompress(raw)
        for op in ops:
            raw = _mutate(raw, op)
        raw = gzip.compress(raw)
    else:
        for op in ops:
            if not (compressed and op[0] == "header"):     # damaged gzip stream itself
                raw = _mutate(raw, op)
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            kv = load(path, binary=binary)
        except ValueError as e:
            assert name in str(e)
            return
    # whatever loaded is consistent
    assert kv.vectors.shape == (len(kv), kv.vector_size)
    assert len(kv.key_to_index) == len(kv.index_to_key)
    assert all(kv.key_to_index[k] == i for i, k in enumerate(kv.index_to_key))


# ---------------------------------------------------------------------- gensim interop
def _gensim():
    from gensim import models
    return models


@pytest.mark.parametrize("binary", [True, False])
def test_gensim_reads_ours(tmp_path, binary):
    gm = _gensim()
    kv = make_kv([f"w{i}" for i in range(50)] + ["caf\u00e9", "\u6f22\u5b57"], dim=7, seed=1)
    kv.expandos["count"] = np.arange(len(kv), 0, -1, dtype=np.int64) * 3
    kv.save_word2vec_format(tmp_path / "ours", fvocab=tmp_path / "vocab", binary=binary)
    g = gm.KeyedVectors.load_word2vec_format(str(tmp_path / "ours"), fvocab=str(tmp_path / "vocab"), binary=binary)
    assert g.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(g.vectors, kv.vectors)
    assert [g.get_vecattr(k, "count") for k in g.index_to_key] == kv.expandos["count"].tolist()


@pytest.mark.parametrize("binary", [True, False])
def test_we_read_gensims(tmp_path, binary):
    gm = _gensim()
    rng = np.random.default_rng(2)
    keys = [f"w{i}" for i in range(50)] + ["caf\u00e9"]
    g = gm.KeyedVectors(6)
    g.add_vectors(keys, rng.standard_normal((len(keys), 6)).astype(np.float32))
    for i, k in enumerate(keys):
        g.set_vecattr(k, "count", 1000 - i)
    g.save_word2vec_format(str(tmp_path / "theirs"), fvocab=str(tmp_path / "vocab"), binary=binary)
    kv = load(tmp_path / "theirs", binary=binary, fvocab=tmp_path / "vocab")
    assert kv.index_to_key == keys
    np.testing.assert_array_equal(kv.vectors, g.vectors)             # gensim prints shortest float32 reprs
    assert kv.expandos["count"].tolist() == [1000 - i for i in range(len(keys))]
    g.save_word2vec_format(str(tmp_path / "noheader.txt"), write_header=False)
    np.testing.assert_array_equal(load(tmp_path / "noheader.txt", no_header=True).vectors, g.vectors)


def test_gensim_reads_our_invalid_utf8_words(tmp_path):
    gm = _gensim()
    (tmp_path / "raw.bin").write_bytes(binary_file([(b"caf\xe9", [1.0, 2.0]), (b"ok", [3.0, 4.0])]))
    kv = load(tmp_path / "raw.bin", binary=True, unicode_errors="surrogateescape")
    kv.save_word2vec_format(tmp_path / "ours.bin", binary=True)
    g = gm.KeyedVectors.load_word2vec_format(str(tmp_path / "ours.bin"), binary=True, unicode_errors="surrogateescape")
    assert g.index_to_key == kv.index_to_key


# ---------------------------------------------------------------------- compression (w2v.compression)
@pytest.mark.parametrize("binary", [True, False])
def test_xz_written_and_read(tmp_path, binary):
    import lzma
    kv = make_kv(["a", "b", "c"], seed=3)
    path = tmp_path / "v.bin.xz"
    kv.save_word2vec_format(path, binary=binary)
    with lzma.open(path, "rb") as f:                                 # really xz
        assert f.read(4) == b"3 4\n"
    back = load(path, binary=binary)
    assert back.index_to_key == ["a", "b", "c"]
    np.testing.assert_array_equal(back.vectors, kv.vectors)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".txt"])
def test_append_keeps_compression(tmp_path, suffix):
    # header written once, then records appended as a second compressed stream
    path = tmp_path / ("v" + suffix)
    make_kv(["a", "b"], seed=1).save_word2vec_format(path, total_vec=4)
    make_kv(["c", "d"], seed=2).save_word2vec_format(path, write_header=False, append=True)
    back = load(path)
    assert back.index_to_key == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(back.vectors[2:], make_kv(["c", "d"], seed=2).vectors)


def test_compression_by_suffix_for_writing_by_magic_for_reading(tmp_path):
    from w2v import compression
    assert [compression.compression_for_name(n) for n in ("a.GZ", "a.bz2", "a.txt.xz", "a.bin")] \
        == ["gzip", "bz2", "xz", None]
    assert compression.strip_compression_suffix("dir/v.Bin.XZ") == "dir/v.Bin"
    for name, kind in (("a.gz", "gzip"), ("a.bz2", "bz2"), ("a.xz", "xz"), ("a.txt", None)):
        with compression.open_write(tmp_path / name) as f:
            f.write(b"same bytes\n")
        assert compression.detect_compression(tmp_path / name) == kind
        os.replace(tmp_path / name, tmp_path / "renamed")            # the name no longer says
        with compression.open_binary(tmp_path / "renamed") as f:
            assert f.read() == b"same bytes\n"
            assert (compression.plain_size(f) is None) == (kind is not None)
    # equal data gives equal gzip files (no timestamp)
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        with compression.open_write(tmp_path / folder / "v.gz") as f:
            f.write(b"data")
    assert (tmp_path / "x" / "v.gz").read_bytes() == (tmp_path / "y" / "v.gz").read_bytes()


def test_corrupt_compressed_vectors_raise_valueerror_naming_file(tmp_path):
    from w2v.compression import CorruptFileError
    path = tmp_path / "v.txt.xz"
    make_kv([f"w{i}" for i in range(200)], dim=8).save_word2vec_format(path)
    path.write_bytes(path.read_bytes()[:-40])                        # cut the xz stream
    with pytest.raises(CorruptFileError, match="v.txt.xz"):
        load(path)


# ---------------------------------------------------------------------- telling text from binary
def test_detector_stops_at_the_end_of_the_first_record(tmp_path):
    # 8 one-digit values: the first record is 18 bytes, shorter than a binary vector (32),
    # so looking 32 bytes past the word would read the next record's word ("w1")
    from w2v.formats import detect_format, is_binary_word2vec, load_vectors
    rows = "".join(f"w{i} 0 1 1 0 1 1 1 1\n" for i in range(1000))
    for name in ("short.bin", "short.bin.gz"):
        path = tmp_path / name
        if name.endswith(".gz"):
            with gzip.open(path, "wb") as f:
                f.write(("1000 8\n" + rows).encode())
        else:
            path.write_text("1000 8\n" + rows)
        assert is_binary_word2vec(path) is False, name
        assert detect_format(path) == "text", name
        kv = load_vectors(path)
        assert len(kv) == 1000 and kv.vector_size == 8
        np.testing.assert_array_equal(kv["w999"], [0, 1, 1, 0, 1, 1, 1, 1])


@pytest.mark.parametrize("text", [
    "3 3\nalpha 1 2 3\nbeta -1.5 0 0.0025\ngamma 7 8 9\n",
    "3\t3\r\nalpha 1 2 3 \r\nbeta\t-1.5 0.0 2.5e-3\r\ngamma 7 8 9",
    "1 3\nalpha nan -inf 1e-3",                                           # one record, no newline
])
def test_detector_says_text(tmp_path, text):
    from w2v.formats import is_binary_word2vec
    (tmp_path / "v.bin").write_bytes(text.encode())                  # the name says otherwise
    assert is_binary_word2vec(tmp_path / "v.bin") is False


@pytest.mark.parametrize("header", [b"3 3\n", b" 3 3 \t\r\n"])
@pytest.mark.parametrize("newline", [True, False])
def test_detector_says_binary(tmp_path, header, newline):
    from w2v.formats import is_binary_word2vec
    (tmp_path / "v.txt").write_bytes(binary_file(VEC, header=header, newline=newline))
    assert is_binary_word2vec(tmp_path / "v.txt") is True
    # a vector holding a newline byte (0x0a) in its first record
    nl = [(b"w", [struct.unpack("<f", b"\n\n\n\x3f")[0], 1.0, 2.0])] + VEC[1:]
    (tmp_path / "nl.txt").write_bytes(binary_file(nl, header=header, newline=newline))
    assert is_binary_word2vec(tmp_path / "nl.txt") is True


def test_detector_cannot_tell(tmp_path):
    from w2v.formats import detect_format, is_binary_word2vec
    for name, data in (("junk.bin", b"this is not a model\n" * 10), ("short.bin", b"2 3\nw 1"),
                       ("empty.txt", b"")):
        (tmp_path / name).write_bytes(data)
        assert is_binary_word2vec(tmp_path / name) is None, name
    assert detect_format(tmp_path / "junk.bin") == "bin"             # then the extension decides
    assert detect_format(tmp_path / "empty.txt") == "text"


@pytest.mark.parametrize("binary", [True, False])
def test_format_detected_and_loaded_from_a_url(tmp_path, binary):
    fsspec = pytest.importorskip("fsspec")
    from w2v.formats import detect_format, load_vectors
    kv = make_kv(["alpha", "beta", "gamma"], dim=5)
    kv.save_word2vec_format(tmp_path / "v", binary=binary)
    url = f"memory://w2v-test/{tmp_path.name}/v.gz"         # named neither .bin nor .txt
    with fsspec.open(url, "wb") as f:
        f.write(gzip.compress((tmp_path / "v").read_bytes()))
    try:
        assert detect_format(url) == ("bin" if binary else "text")
        back = load_vectors(url)
    finally:
        fsspec.filesystem("memory").rm(url)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    with pytest.raises(FileNotFoundError, match="memory://w2v-test/nothing-here"):
        detect_format("memory://w2v-test/nothing-here")


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("compress", [False, True])
def test_vectors_read_from_a_url(tmp_path, binary, compress):
    # A URL's file has no descriptor (fsspec's in-memory filesystem here, the same
    # code path as s3:// or gs://): its size is taken by seeking, not by fstat
    fsspec = pytest.importorskip("fsspec")
    kv = make_kv(["alpha", "beta", "gamma"], dim=5)
    kv.save_word2vec_format(tmp_path / "v", binary=binary)
    data = (tmp_path / "v").read_bytes()
    url = f"memory://w2v-test/{tmp_path.name}/v"
    with fsspec.open(url, "wb") as f:
        f.write(gzip.compress(data) if compress else data)
    try:
        back = load(url, binary=binary)
    finally:
        fsspec.filesystem("memory").rm(url)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
