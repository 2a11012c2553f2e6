"""w2v.corpus: readers, Corpus iteration, count_words, encoding."""
import bz2
import gzip
import lzma
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from w2v import corpus as wc
from w2v.corpus import (Corpus, CorruptFileError, count_words, detect_compression,
                        encode_file_corpus, encode_sentences, open_binary)

PIECES = [b" ", b"  ", b"\t", b"\n", b"\r\n", b"\r", b"\x0b", b"\x0c", b"\n\n",
          b"a", b"b", b"the", b"cat", b"\xc3\xbcber", b"\xe6\x97\xa5\xe6\x9c\xac",
          b"\xff", b"\xc3", b"\xe2\x82", b"\xc2\xa0", b"\x1c", b"\xe3\x80\x80", b"x" * 30,
          b"BZh9"]
# (a plain file that starts with a real gzip/xz header is read as compressed: by design)
corpus_bytes = st.lists(st.sampled_from(PIECES) | st.binary(max_size=3), max_size=150).map(
    b"".join).filter(lambda b: not b.startswith((b"\x1f\x8b\x08", b"\xfd7zXZ\x00")))
COMPRESS = {"plain": lambda b: b, "gz": gzip.compress, "bz2": bz2.compress,
            "xz": lzma.compress}
SETTINGS = dict(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def dec(b):
    return b.decode("utf-8", "surrogateescape")


def ref_sentences(data, msl=10000):
    out = []
    for line in re.split(rb"[\r\n]", data):
        toks = [dec(t) for t in line.split()]
        out += [toks[i:i + msl] for i in range(0, len(toks), msl)]
    return out


def ref_encode(sentences, index):
    out = []
    for s in sentences:
        ids = [index[t] for t in s if t in index]
        if ids:
            out += ids + [-1]
    return out


def assert_same_counts(a, b):
    assert a.words == b.words
    assert a.counts.tolist() == b.counts.tolist()
    assert (a.total_words, a.n_sentences) == (b.total_words, b.n_sentences)


def write(path, data, kind="plain"):
    path.write_bytes(COMPRESS[kind](data))
    return str(path)


@pytest.fixture
def small_ranges(monkeypatch):
    """Let tiny test files be split into several parallel ranges."""
    monkeypatch.setattr(wc, "_MIN_RANGE_BYTES", 1)


# ---------------------------------------------------------------- readers

@pytest.mark.parametrize("kind", ["plain", "gz", "bz2", "xz"])
def test_magic_bytes_not_extension(tmp_path, kind):
    data = b"hello world\nsecond line\n" * 50
    # every misleading name: the content decides
    for name in ["c.txt", "c.gz", "c.bz2", "c.xz", "noext"]:
        path = write(tmp_path / name, data, kind)
        assert detect_compression(path) == {"plain": None, "gz": "gzip"}.get(kind, kind)
        with open_binary(path) as f:
            assert f.read() == data
        assert list(Corpus(path)) == ref_sentences(data)


def test_text_starting_like_a_magic_number_stays_plain(tmp_path):
    for data in [b"BZh91 is a word\n", b"BZh", b"\x1f\x8bX", b"\xfd7zXZ"]:
        path = write(tmp_path / "t.bz2", data)
        assert detect_compression(path) is None
        assert list(Corpus(path)) == ref_sentences(data)
    assert detect_compression(write(tmp_path / "e.bz2", b"", "bz2")) == "bz2"   # empty stream


@settings(**SETTINGS)
@given(data=corpus_bytes, block_size=st.sampled_from([1, 2, 3, 7, 64, 1 << 20]),
       msl=st.sampled_from([1, 2, 3, 10000]))
def test_every_reader_same_sentences(tmp_path, data, block_size, msl):
    expect = ref_sentences(data, msl)
    for kind in COMPRESS:
        path = write(tmp_path / ("f." + kind), data, kind)
        corpus = Corpus(path, max_sentence_length=msl, block_size=block_size)
        assert list(corpus) == expect, kind
        wcounts = count_words(corpus)
        assert wcounts.words == list(Counter(t for s in expect for t in s))
        assert wcounts.n_sentences == len(expect)


@settings(**SETTINGS)
@given(lines=st.lists(st.lists(st.sampled_from(["a", "bé", "日本", "\udcff", "zz"]),
                               max_size=8), max_size=12))
def test_single_line_and_multi_line_same_token_stream(tmp_path, lines):
    multi = "\n".join(" ".join(l) for l in lines).encode("utf-8", "surrogateescape")
    single = b" ".join(multi.split())
    tokens = [t for l in lines for t in l]
    for kind in COMPRESS:
        for name, data in [("multi", multi), ("single", single)]:
            path = write(tmp_path / f"{name}.{kind}", data, kind)
            corpus = Corpus(path, block_size=5)
            assert [t for s in corpus for t in s] == tokens
            assert count_words(corpus).total_words == len(tokens)


def test_str_split_whitespace_set_is_complete():
    # the fast path relies on knowing every char str.split() splits on
    spaces = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    assert set(wc._OTHER_STR_SPACE.findall(spaces)) == set(spaces) - {" ", "\n"}


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
def test_truncated_compressed_file_names_file_and_bytes(tmp_path, kind):
    data = os.urandom(1 << 16).hex().encode() + b" end\n"
    blob = COMPRESS[kind](data)
    path = tmp_path / ("broken.txt")            # misleading extension on purpose
    path.write_bytes(blob[:len(blob) * 2 // 3])
    for action in [lambda: open_binary(path).read(),
                   lambda: list(Corpus(path, block_size=4096)),
                   lambda: count_words(path),
                   lambda: count_words(path, workers=2),
                   lambda: encode_file_corpus(path, ["end"], tmp_path / "o.bin")]:
        with pytest.raises(CorruptFileError) as e:
            action()
        assert str(path) in str(e.value)
        assert re.search(r"after \d+ decompressed bytes", str(e.value))
        assert isinstance(e.value, ValueError) and e.value.path == str(path)
        assert 0 <= e.value.bytes_read < len(data)
    assert not os.path.exists(tmp_path / "o.bin")      # no half-written encoding left


def test_corrupt_compressed_file(tmp_path):
    blob = bytearray(gzip.compress(b"some words here\n" * 1000))
    blob[30:40] = b"\x00" * 10
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(blob))
    with pytest.raises(CorruptFileError, match="bad.gz"):
        count_words(path)


def test_missing_paths_and_str_not_iterated(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        Corpus(str(tmp_path / "nope.txt"))
    assert "nope.txt" in str(e.value)
    with pytest.raises(FileNotFoundError, match="the cat sat"):
        Corpus("the cat sat")           # never read as characters
    with pytest.raises(FileNotFoundError):
        open_binary(tmp_path / "nope.gz")
    with pytest.raises(FileNotFoundError, match="missing"):
        Corpus([write(tmp_path / "ok", b"a"), str(tmp_path / "missing")])
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(ValueError, match="empty_dir"):
        Corpus(tmp_path / "empty_dir")


def test_one_shot_iterables_rejected():
    with pytest.raises(TypeError, match="one-shot"):
        Corpus(s for s in [["a"]])
    with pytest.raises(TypeError, match="one-shot"):
        Corpus(iter([["a"]]))
    with pytest.raises(TypeError):
        Corpus(42)
    with pytest.raises(TypeError, match="lists of tokens"):
        list(Corpus([["a"], "a line"]))


# ---------------------------------------------------------------- sources

def test_folder_and_path_lists(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write(folder / "b.txt", b"two two\n", "plain")
    write(folder / "a.gz", b"one\r\none two", "gz")   # no final newline: ends at EOF
    write(folder / ".hidden", b"hidden\n")
    (folder / "sub").mkdir()
    write(folder / "sub" / "c.txt", b"deep\n")
    corpus = Corpus(folder)
    assert corpus.paths == [str(folder / "a.gz"), str(folder / "b.txt")]
    assert list(corpus) == [["one"], ["one", "two"], ["two", "two"]]
    extra = write(tmp_path / "z.txt", b"three")
    both = Corpus([folder, extra])
    assert list(both) == [["one"], ["one", "two"], ["two", "two"], ["three"]]
    counts = count_words(both, workers=2)
    assert counts.words == ["one", "two", "three"] and counts.counts.tolist() == [2, 3, 1]
    assert counts.n_sentences == 4
    assert Corpus(os.fsencode(extra)).paths == [extra]
    # the last word of one file never joins the first of the next
    assert list(Corpus([extra, extra])) == [["three"], ["three"]]


def test_iterable_sources():
    sentences = [["a", "b"], [], ("c",), [b"d\xff", b"a"], ["x"] * 7]
    corpus = Corpus(sentences, max_sentence_length=3)
    assert corpus.paths is None
    expect = [["a", "b"], ["c"], ["d\udcff", "a"], ["x"] * 3, ["x"] * 3, ["x"]]
    assert list(corpus) == expect
    assert list(corpus) == expect          # re-iterable
    counts = count_words(corpus)
    assert counts.words == ["a", "b", "c", "d\udcff", "x"]
    assert counts.counts.tolist() == [2, 1, 1, 1, 7]
    assert (counts.total_words, counts.n_sentences) == (12, 6)
    assert list(Corpus(corpus, max_sentence_length=3)) == expect
    assert list(Corpus(corpus))[3] == ["x"] * 7        # re-wrapped with its own settings
    assert list(Corpus([])) == []


def test_gensim_linesentence_source(tmp_path):
    from gensim.models import word2vec
    path = write(tmp_path / "t.txt", b"a b c\nb c\n\nc\n")
    counts = count_words(word2vec.LineSentence(path))
    assert_same_counts(counts, count_words(path))


# ---------------------------------------------------------------- counting

@settings(**SETTINGS)
@given(data=corpus_bytes, msl=st.sampled_from([1, 2, 5, 10000]),
       workers=st.sampled_from([2, 3]), block_size=st.sampled_from([3, 16, 1 << 20]))
def test_count_words_equals_counter_and_parallel_equals_serial(tmp_path, small_ranges, data,
                                                               msl, workers, block_size):
    path = write(tmp_path / "c.txt", data)
    corpus = Corpus(path, max_sentence_length=msl, block_size=block_size)
    serial = count_words(corpus)
    expect = ref_sentences(data, msl)
    ref = Counter(t for s in expect for t in s)
    assert serial.words == list(ref)
    assert serial.counts.tolist() == list(ref.values())
    assert serial.counts.dtype == np.int64
    assert (serial.total_words, serial.n_sentences) == (sum(ref.values()), len(expect))
    assert (serial.pruned_words, serial.pruned_count, serial.min_reduce) == (0, 0, 1)
    assert_same_counts(count_words(corpus, workers=workers), serial)
    assert_same_counts(count_words(expect), serial)     # the in-memory path agrees


def test_parallel_ranges_really_split(tmp_path, small_ranges):
    data = b"a b c d e f g h " * 1000      # one long line cut into ranges
    path = write(tmp_path / "one_line.txt", data)
    bounds = wc._split_points(path, 3, wc._SPACE_BYTE)
    assert len(bounds) == 4
    corpus = Corpus(path, max_sentence_length=7)
    assert_same_counts(count_words(corpus, workers=3), count_words(corpus))
    assert count_words(corpus, workers=3).n_sentences == -(-8000 // 7)


@settings(**SETTINGS)
@given(data=corpus_bytes, bound=st.integers(1, 8))
def test_max_vocab_size_bounds_the_table(tmp_path, small_ranges, data, bound):
    path = write(tmp_path / "p.txt", data)
    counts = count_words(path, max_vocab_size=bound)
    assert counts.peak_size <= bound and len(counts.words) <= bound
    assert counts.counts.sum() + counts.pruned_count == counts.total_words
    assert counts.total_words == len(data.split())
    # one worker prunes exactly as the Counter path over the same sentences
    in_memory = count_words(list(Corpus(path)), max_vocab_size=bound)
    assert_same_counts(counts, in_memory)
    assert (counts.pruned_words, counts.pruned_count, counts.min_reduce, counts.peak_size) == (
        in_memory.pruned_words, in_memory.pruned_count, in_memory.min_reduce,
        in_memory.peak_size)
    par = count_words(path, workers=2, max_vocab_size=bound)
    assert par.peak_size <= bound and len(par.words) <= bound
    assert par.counts.sum() + par.pruned_count == par.total_words == counts.total_words
    assert par.n_sentences == counts.n_sentences
    if len(set(data.split())) > bound:
        assert counts.pruned_words > 0 and par.pruned_words > 0
    else:
        assert counts.pruned_words == 0 and counts.words == list(dict.fromkeys(
            dec(t) for t in data.split()))


def test_pruning_bookkeeping_example(tmp_path):
    sentences = [["a", "a", "b", "c", "d", "a", "e", "b", "f"]]
    # a=2 b=1 c=1 fill the table; d prunes b, c (count <= 1); a e fill it again;
    # b prunes d, e (count <= 2); f fits
    for source in [sentences, write(tmp_path / "p.txt", b"a a b c\nd a e b f")]:
        counts = count_words(source, max_vocab_size=3)
        assert counts.words == ["a", "b", "f"] and counts.counts.tolist() == [3, 1, 1]
        assert (counts.pruned_words, counts.pruned_count, counts.min_reduce,
                counts.peak_size) == (4, 4, 3, 3)
        assert counts.counts.sum() + counts.pruned_count == counts.total_words == 9


def test_empty_and_whitespace_only(tmp_path):
    for data in [b"", b" \n\r\n\t \x0b\x0c\n"]:
        path = write(tmp_path / "e.txt", data)
        for workers in (1, 2):
            c = count_words(path, workers=workers)
            assert (c.words, c.total_words, c.n_sentences) == ([], 0, 0)
        assert list(Corpus(path)) == []
        enc = encode_file_corpus(path, ["a"], tmp_path / "e.bin")
        assert (enc.n_tokens, enc.n_sentences, len(enc.ids)) == (0, 0, 0)


# ---------------------------------------------------------------- encoding

@settings(**SETTINGS)
@given(data=corpus_bytes, msl=st.sampled_from([1, 2, 3, 10000]), workers=st.sampled_from([1, 2, 3]),
       kind=st.sampled_from(["plain", "plain", "gz", "xz"]), keep=st.integers(0, 7),
       block_size=st.sampled_from([2, 5, 1 << 20]))
def test_encode_file_corpus_equals_reference(tmp_path, small_ranges, data, msl, workers, kind,
                                             keep, block_size):
    path = write(tmp_path / "enc.in", data, kind)
    corpus = Corpus(path, max_sentence_length=msl, block_size=block_size)
    words = count_words(corpus).words
    vocab = words[keep % 3::max(1, keep % 4)]         # some tokens out of vocabulary
    enc = encode_file_corpus(corpus, vocab, tmp_path / "enc.bin", workers=workers)
    index = {w: i for i, w in enumerate(vocab)}
    expect = ref_encode(ref_sentences(data, msl), index)
    assert enc.ids.dtype == np.int32
    assert enc.ids.tolist() == expect
    if expect:
        assert isinstance(enc.ids, np.memmap)
    assert enc.n_tokens == sum(1 for x in expect if x >= 0)
    assert enc.n_sentences == expect.count(-1)
    assert enc.raw_tokens == len(data.split())
    assert enc.path == str(tmp_path / "enc.bin")
    assert encode_sentences(corpus, index).tolist() == expect
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]


def test_encode_parallel_line_ranges(tmp_path, small_ranges):
    lines = [" ".join(f"w{(i * 7 + j) % 13}" for j in range(i % 9)) for i in range(400)]
    data = "\n".join(lines).encode()
    path = write(tmp_path / "lines.txt", data)
    assert len(wc._split_points(path, 3, wc._EOL_BYTE)) == 4
    words = count_words(path).words
    corpus = Corpus([path, path], max_sentence_length=4)
    one = encode_file_corpus(corpus, words, tmp_path / "one.bin", workers=1)
    three = encode_file_corpus(corpus, words, tmp_path / "three.bin", workers=3)
    index = {w: i for i, w in enumerate(words)}
    expect = ref_encode(ref_sentences(data, 4) * 2, index)
    assert one.ids.tolist() == three.ids.tolist() == expect
    assert (three.n_tokens, three.n_sentences) == (one.n_tokens, one.n_sentences)


def test_encode_sentences():
    index = {"a": 0, "b": 1, "c\udcff": 2}
    sentences = [["a", "x", "b"], ["x"], [], ["c\udcff"], ["y", "a"]]
    assert encode_sentences(sentences, index).tolist() == [0, 1, -1, 2, -1, 0, -1]
    assert encode_sentences([], index).tolist() == []
    assert encode_sentences([["x"]], index).dtype == np.int32
    big = [["a", "b", "zz"]] * 400000        # crosses the internal batch size
    out = encode_sentences(big, index)
    assert out.tolist() == [0, 1, -1] * 400000


def test_encode_rejects_iterables_and_duplicates(tmp_path):
    with pytest.raises(TypeError, match="encode_sentences"):
        encode_file_corpus([["a"]], ["a"], tmp_path / "x.bin")
    path = write(tmp_path / "t.txt", b"a b")
    with pytest.raises(ValueError, match="duplicate"):
        encode_file_corpus(path, ["a", "a"], tmp_path / "x.bin")


# ---------------------------------------------------------------- memory

LARGE_SCRIPT = textwrap.dedent("""
    import os, sys
    from w2v.corpus import Corpus, count_words

    def hwm_kb():
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))
    import re
    path = sys.argv[1]
    base = hwm_kb()
    n_tokens = n_sent = longest = 0
    for s in Corpus(path):
        n_tokens += len(s); n_sent += 1; longest = max(longest, len(s))
    after_iter = hwm_kb()
    c = count_words(path, workers=2)
    after_count = hwm_kb()
    print(n_tokens, n_sent, longest, c.total_words, c.n_sentences, len(c.words),
          after_iter - base, after_count - base)
""")


def test_large_single_line_file_streams_in_bounded_memory(tmp_path):
    if shutil.disk_usage(tmp_path).free < 2 << 30 or not os.path.exists("/proc/self/status"):
        pytest.skip("needs 2 GB free disk and /proc")
    unit = b" ".join(b"tok%d" % (i % 5000) for i in range(100000)) + b" "
    path = tmp_path / "one_line.txt"
    reps = 200 * (1 << 20) // len(unit) + 1
    with open(path, "wb") as f:
        for _ in range(reps):
            f.write(unit)                      # no newline anywhere
    size = os.path.getsize(path)
    out = subprocess.run([sys.executable, "-c", LARGE_SCRIPT, str(path)], capture_output=True,
                         text=True, check=True)
    n_tokens, n_sent, longest, total, n_sent_c, n_words, grow_iter, grow_count = map(
        int, out.stdout.split())
    assert n_tokens == total == reps * 100000
    assert n_sent == n_sent_c == -(-n_tokens // 10000) and longest == 10000
    assert n_words == 5000
    # a few block-sized buffers and their tokens as Python objects, whatever the file size
    limit_kb = size // 1024 // 4
    assert grow_iter < limit_kb, f"iteration grew RSS by {grow_iter} kB on a {size} B file"
    assert grow_count < limit_kb, f"count_words grew RSS by {grow_count} kB on a {size} B file"
