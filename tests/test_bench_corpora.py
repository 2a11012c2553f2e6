"""Benchmark corpus plumbing: the N-word slice and the Zipf generator."""

import lzma
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from w2v.bench import corpora

WORD = st.text(alphabet="abcxyz\u00e9", min_size=1, max_size=6)
SEP = st.sampled_from([" ", "  ", "\t", " \t "])


@st.composite
def paragraphs(draw):
    """Lines of tokens with varied separators, some empty lines, maybe no final newline."""
    lines = []
    for toks in draw(st.lists(st.lists(WORD, max_size=8), min_size=1, max_size=12)):
        line = ""
        for i, t in enumerate(toks):
            line += (draw(SEP) if i else draw(st.sampled_from(["", " "]))) + t
        line += draw(st.sampled_from(["", " "]))
        lines.append((toks, line.encode()))
    final_newline = draw(st.booleans())
    return lines, final_newline


def _write_xz(path, lines, final_newline):
    data = b"\n".join(raw for _, raw in lines) + (b"\n" if final_newline else b"")
    with lzma.open(path, "wb") as f:
        f.write(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paragraphs(), st.integers(min_value=0, max_value=100))
def test_first_words_exact_prefix_lines_kept(tmp_path, para, n):
    lines, final_newline = para
    src = tmp_path / "in.txt.xz"
    dst = tmp_path / "out.txt"
    _write_xz(src, lines, final_newline)
    all_tokens = [t.encode() for toks, _ in lines for t in toks]

    written = corpora.write_first_words(src, dst, n)

    assert written == min(n, len(all_tokens))
    out = dst.read_bytes()
    assert out == b"" or out.endswith(b"\n")
    assert out.split() == all_tokens[:n]
    # Whole paragraphs before the cut are byte-identical lines; the cut one is a prefix.
    out_lines = out.split(b"\n")[:-1] if out else []
    for i, got in enumerate(out_lines):
        raw = lines[i][1]
        if i < len(out_lines) - 1 or written < n:
            assert got == raw
        else:
            assert raw.startswith(got)
            assert got == raw or got.split() == raw.split()[: len(got.split())]
    # No paragraph is dropped before the cut (empty lines included).
    if written == n and n > 0:
        seen = sum(len(toks) for toks, _ in lines[: len(out_lines)])
        assert seen >= n > seen - len(lines[len(out_lines) - 1][0])


def test_first_words_cut_paragraph_keeps_inner_spacing(tmp_path):
    src = tmp_path / "in.xz"
    _write_xz(src, [(None, b"a b  c"), (None, b""), (None, b"d\te  f g")], True)
    dst = tmp_path / "out.txt"
    assert corpora.write_first_words(src, dst, 5) == 5
    assert dst.read_bytes() == b"a b  c\n\nd\te\n"


def test_first_words_atomic_on_error(tmp_path):
    src = tmp_path / "in.xz"
    src.write_bytes(b"\xfd7zXZ\x00garbage")  # xz magic, corrupt stream
    dst = tmp_path / "out.txt"
    dst.write_bytes(b"old")
    with pytest.raises(lzma.LZMAError):
        corpora.write_first_words(src, dst, 3)
    assert dst.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xz", "out.txt"]


def test_paragraphs_slice_uses_shared_and_caches(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    with lzma.open(shared / corpora.FULL_XZ_NAME, "wb") as f:
        f.write(b"one two three\nfour five\nsix seven eight nine\n")
    cache = tmp_path / "cache"
    monkeypatch.setenv("W2V_SHARED_DATA", str(shared))
    monkeypatch.setenv("W2V_BENCH_DATA", str(cache))
    p = corpora.paragraphs_slice(6)
    assert p == cache / "first6.paragraphs.txt"
    assert p.read_bytes() == b"one two three\nfour five\nsix\n"
    full = corpora.paragraphs_full()
    assert full.read_bytes() == b"one two three\nfour five\nsix seven eight nine\n"
    assert corpora.count_words(full) == (9, 3)
    bc = corpora.resolve_corpus("6")
    assert (bc.path, bc.fallback) == (p, False)


def test_resolve_falls_back_to_sample(tmp_path, monkeypatch):
    monkeypatch.setenv("W2V_SHARED_DATA", str(tmp_path / "missing"))
    monkeypatch.setenv("W2V_BENCH_DATA", str(tmp_path / "cache"))
    sample = tmp_path / "sample.txt.xz"
    with lzma.open(sample, "wb") as f:
        f.write(b"tiny corpus\n")
    bc = corpora.resolve_corpus("10M", sample=sample)
    assert bc.fallback and bc.name == "sample" and "unavailable" in bc.note
    assert bc.path.read_bytes() == b"tiny corpus\n"
    with pytest.raises(FileNotFoundError):
        corpora.resolve_corpus("10M", sample=tmp_path / "nope.xz")


def test_words_label():
    assert [corpora.words_label(n) for n in (10_000_000, 1_500_000, 2000, 123)] == ["10M", "1500K", "2K", "123"]


def test_zipf_deterministic_and_sized(tmp_path):
    a, b, c, d = (tmp_path / x for x in "abcd")
    corpora.synthetic_zipf(a, 10_007, 500, exponent=1.1, words_per_line=13, seed=3)
    corpora.synthetic_zipf(b, 10_007, 500, exponent=1.1, words_per_line=13, seed=3, chunk_words=100)
    corpora.synthetic_zipf(c, 10_007, 500, exponent=1.1, words_per_line=13, seed=4)
    corpora.synthetic_zipf(d, 0, 500)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert d.read_bytes() == b""
    lines = a.read_bytes().split(b"\n")
    assert lines[-1] == b""
    lengths = [len(line.split()) for line in lines[:-1]]
    assert sum(lengths) == 10_007
    assert lengths == [13] * (10_007 // 13) + [10_007 % 13]
    vocab = {corpora.zipf_token(r) for r in range(500)}
    assert len(vocab) == 500
    assert set(a.read_bytes().split()) <= vocab


def test_zipf_frequencies_follow_the_law(tmp_path):
    p = tmp_path / "z.txt"
    n, v, s = 200_000, 50, 1.0
    corpora.synthetic_zipf(p, n, v, exponent=s, seed=0)
    counts = Counter(p.read_bytes().split())
    expected = np.arange(1, v + 1, dtype=float) ** -s
    expected *= n / expected.sum()
    got = np.array([counts[corpora.zipf_token(r)] for r in range(v)], dtype=float)
    # Binomial sd is at most sqrt(n/4) ~ 224; 5 sd per cell leaves no room for flakes.
    assert np.all(np.abs(got - expected) < 5 * np.sqrt(expected) + 1), (got[:5], expected[:5])
    assert got[0] > got[1] > got[4] > got[19]
