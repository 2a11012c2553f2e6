"""The C tokenizer and hash table (w2v._scan) against plain-Python references."""
import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from w2v import _scan
from w2v.corpus import _file_sentences

# Pieces that stress the tokenizer: all six ASCII whitespace bytes, CRLF, lone CR,
# multi-byte UTF-8, invalid UTF-8, and non-ASCII "whitespace" that must NOT split.
PIECES = [b" ", b"  ", b"\t", b"\n", b"\r\n", b"\r", b"\x0b", b"\x0c", b"\n\n",
          b"a", b"b", b"the", b"cat", b"\xc3\xbcber", b"\xe6\x97\xa5\xe6\x9c\xac",
          b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc2\xa0", b"\x1c", b"\xe3\x80\x80",
          b"\x00", b"x" * 40, b"seven77", b"eight888", b"nine99999", b"ab\x01cdefghij",
          b"\x1fq", b"sixteen-letters!"]
corpus_bytes = st.lists(st.sampled_from(PIECES) | st.binary(max_size=4), max_size=120).map(
    b"".join)


def ref_lines(data):
    return [line.split() for line in re.split(rb"[\r\n]", data)]


def ref_sentences(data, msl):
    out = []
    for toks in ref_lines(data):
        out += [toks[i:i + msl] for i in range(0, len(toks), msl)]
    return out


def ref_encode(sentences, index):
    out = []
    for s in sentences:
        ids = [index[t] for t in s if t in index]
        if ids:
            out += ids + [-1]
    return out


def split_blocks(data, cuts):
    cuts = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(cuts, cuts[1:])]


def count_blocks(blocks, msl=10000, max_size=0):
    table, scanner = _scan.VocabTable(max_size), _scan.Scanner(msl)
    for b in blocks:
        scanner.count(table, b)
    scanner.count(table, b"", final=True)
    return table, scanner


@settings(max_examples=150, deadline=None)
@given(corpus_bytes, st.lists(st.integers(0, 10 ** 6), max_size=8))
def test_counts_equal_counter_whatever_the_blocks(data, cuts):
    table, scanner = count_blocks(split_blocks(data, cuts))
    ref = Counter(data.split())
    assert table.word_bytes() == list(ref)         # first-occurrence order
    assert table.counts().tolist() == list(ref.values())
    assert scanner.raw_tokens == sum(ref.values())
    assert scanner.partial_len == 0
    # keys built by the tokenizer's fast path agree with the generic hash
    assert [table.find(w) for w in ref] == list(range(len(ref)))


@settings(max_examples=150, deadline=None)
@given(corpus_bytes, st.lists(st.integers(0, 10 ** 6), max_size=6), st.integers(1, 5))
def test_range_sentence_counts_merge_exactly(data, cuts, msl):
    # ranges cut at arbitrary whitespace must add up to the sequential definition
    spaces = [i for i, c in enumerate(data) if c in b" \t\n\r\x0b\x0c"]
    cut_at = sorted({spaces[c % len(spaces)] for c in cuts}) if spaces else []
    bounds = [0] + cut_at + [len(data)]
    scanners = [count_blocks([data[a:b]], msl)[1] for a, b in zip(bounds, bounds[1:])]
    assert _file_sentences(scanners, msl) == len(ref_sentences(data, msl))
    assert sum(s.raw_tokens for s in scanners) == len(data.split())


@settings(max_examples=150, deadline=None)
@given(corpus_bytes, st.lists(st.integers(0, 10 ** 6), max_size=6), st.integers(1, 4),
       st.data())
def test_encode_equals_reference(data, cuts, msl, draw):
    words = list(dict.fromkeys(data.split()))
    vocab_words = draw.draw(st.lists(st.sampled_from(words), unique=True) if words else
                            st.just([]))
    vocab = _scan.VocabTable.from_words(vocab_words)
    scanner = _scan.Scanner(msl)
    out = []
    for b in split_blocks(data, cuts) + [b""]:
        buf = np.empty(len(b) + 2, dtype=np.int32)
        k = scanner.encode(vocab, b, buf, final=not b)
        out += buf[:k].tolist()
    index = {w: i for i, w in enumerate(vocab_words)}
    expect = ref_encode(ref_sentences(data, msl), index)
    assert out == expect
    assert scanner.n_ids == sum(1 for x in expect if x >= 0)
    assert scanner.n_sentences == expect.count(-1)
    assert scanner.raw_tokens == len(data.split())


def test_encode_output_bound_is_tight_enough():
    # worst case: one-byte words each closing a line, with a token carried in
    vocab = _scan.VocabTable.from_words([b"a"])
    scanner = _scan.Scanner(1)
    out = np.empty(2 + 2, dtype=np.int32)
    assert scanner.encode(vocab, b"a", out) == 0          # "a" pending
    assert scanner.encode(vocab, b"\na", out) == 2        # a, EOS; "a" pending
    assert scanner.encode(vocab, b"", out, final=True) == 2
    with pytest.raises(ValueError):
        scanner.encode(vocab, b"abc", np.empty(4, dtype=np.int32))


def prune_reference(tokens, bound):
    """word2vec.c ReduceVocab semantics, pruning before a new word would overflow."""
    table, pruned_words, pruned_count, min_reduce, peak = {}, 0, 0, 1, 0
    for w in tokens:
        if w not in table:
            while len(table) >= bound:
                drop = [k for k, c in table.items() if c <= min_reduce]
                for k in drop:
                    pruned_count += table.pop(k)
                pruned_words += len(drop)
                min_reduce += 1
            table[w] = 0
        table[w] += 1
        peak = max(peak, len(table))
    return table, pruned_words, pruned_count, min_reduce, peak


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"f", b"gg", b"hhh"]) |
                st.binary(min_size=1, max_size=2).filter(lambda b: not b.isspace()),
                max_size=200), st.integers(1, 6))
def test_pruning_matches_reference(tokens, bound):
    tokens = [t for t in tokens if t.split() == [t]]
    table = _scan.VocabTable(bound)
    for t in tokens:
        table.add(t)
    ref, pw, pc, mr, peak = prune_reference(tokens, bound)
    assert table.word_bytes() == list(ref)
    assert table.counts().tolist() == list(ref.values())
    assert (table.pruned_words, table.pruned_count, table.min_reduce, table.peak_size) == \
        (pw, pc, mr, peak)
    assert table.peak_size <= bound
    assert table.counts().sum() + table.pruned_count == len(tokens)


def test_pruning_skips_empty_rounds_quickly():
    # every held word is frequent: word2vec.c's rule would need ~10**9 rounds
    table = _scan.VocabTable(2)
    table.add(b"a", 10 ** 9)
    table.add(b"b", 10 ** 9 + 5)
    table.add(b"c")
    assert table.word_bytes() == [b"b", b"c"]
    assert (table.min_reduce, table.pruned_words, table.pruned_count) == (10 ** 9 + 1, 1, 10 ** 9)


def test_merge_keeps_first_occurrence_order_and_sums():
    a, b = _scan.VocabTable(), _scan.VocabTable()
    for w in [b"x", b"y", b"x"]:
        a.add(w)
    for w in [b"z", b"y", b"w"]:
        b.add(w, 2)
    a.merge(b)
    assert a.word_bytes() == [b"x", b"y", b"z", b"w"]
    assert a.counts().tolist() == [2, 3, 2, 2]


def test_take_is_merge_without_a_second_copy():
    def filled(words, bound=0):
        t = _scan.VocabTable(bound)
        for w in words:
            t.add(w)
        return t

    def state(t):
        return (t.word_bytes(), t.counts().tolist(), t.min_reduce, t.pruned_words, t.pruned_count)

    part = [b"z", b"y", b"w", b"y", b"v"]
    for first, bound in ([], 0), ([], 10), ([b"x", b"y"], 0), ([], 3):   # 3: merging prunes
        expected, got = filled(first, bound), filled(first, bound)
        expected.merge(filled(part))
        other = filled(part)
        got.take(other)
        assert state(got) == state(expected)
        if not first and bound != 3:
            assert len(other) == 0 and other.find(b"z") == -1    # taken, not copied
        for w in [b"n%d" % i for i in range(8)]:    # the bound stays this table's: 10
            got.add(w)                                 # prunes here as in the merged one
            expected.add(w)
        assert state(got) == state(expected)


def test_growth_and_lookup_many_words():
    words = [b"w%d" % i for i in range(50000)]
    table = _scan.VocabTable()
    for w in words:
        table.add(w, 3)
    for w in words[::-1]:
        table.add(w)
    assert len(table) == len(words)
    assert table.counts().tolist() == [4] * len(words)
    assert [table.find(w) for w in words[::997]] == list(range(0, 50000, 997))
    assert table.find(b"missing") == -1
    table.prune(3)      # nothing has count <= 3
    assert len(table) == len(words) and table.pruned_words == 0
    table.prune(4)
    assert len(table) == 0 and table.pruned_count == 4 * len(words)
    table.add(b"again")
    assert table.word_bytes() == [b"again"] and table.find(b"again") == 0


def test_words_round_trip_invalid_utf8():
    raw = [b"\xff\xfe", b"caf\xc3\xa9", b"\xed\xa0\x80", b"ok"]
    table = _scan.VocabTable.from_words(raw)
    words = table.words()
    assert words[1] == "café"
    assert [w.encode("utf-8", "surrogateescape") for w in words] == raw
    # str words map back to the same entries
    again = _scan.VocabTable.from_words(words)
    assert [again.find(w) for w in raw] == [0, 1, 2, 3]


def test_from_words_rejects_duplicates():
    with pytest.raises(ValueError, match="duplicate"):
        _scan.VocabTable.from_words(["a", "b", "a"])
    with pytest.raises(TypeError, match="str or bytes"):
        _scan.VocabTable.from_words(["a", 3])


def test_next_space_and_scanner_args():
    assert _scan.next_space(b"abc def", 0) == 3
    assert _scan.next_space(b"abc\x0cdef", 1) == 3
    assert _scan.next_space(b"abc", 0) == 3
    assert _scan.next_space(b"ab\xc2\xa0c", 0) == 5     # NBSP is not a separator
    with pytest.raises(ValueError):
        _scan.Scanner(0)
