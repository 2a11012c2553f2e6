import math
import os
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from w2v.vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Vocab, _parse_vocab_checked, _parse_vocab_fast

# -- reference: plain Python over a token stream --------------------------------------------


def scan(tokens):
    counter = Counter(tokens)
    words = list(dict.fromkeys(tokens))  # first-occurrence order
    return words, [counter[w] for w in words]


def reference_vocab(tokens, min_count, max_final_vocab=None, trim_rule=None, sorted_vocab=True,
                    ties="first"):
    counter = Counter(tokens)
    order = list(dict.fromkeys(tokens))
    eff = min_count
    if max_final_vocab is not None and max_final_vocab < len(order):
        ranked = sorted(counter.values(), reverse=True)
        eff = max(min_count, ranked[max_final_vocab] + 1)
    kept = []
    for w in order:
        keep = counter[w] >= eff
        if trim_rule is not None:
            rule = trim_rule(w, counter[w], eff)
            keep = True if rule == RULE_KEEP else False if rule == RULE_DISCARD else keep
        if keep:
            kept.append(w)
    if sorted_vocab:
        first = {w: i for i, w in enumerate(order)}
        if ties == "first":
            kept = sorted(kept, key=lambda w: -counter[w])
        else:
            kept = sorted(kept, key=lambda w: (-counter[w], -first[w]))
    return kept, [counter[w] for w in kept], eff


def trim_by_first_letter(word, count, min_count):
    if word.startswith("k"):
        return RULE_KEEP
    if word.startswith("d"):
        return RULE_DISCARD
    return RULE_DEFAULT


token_streams = st.lists(st.sampled_from([f"{c}{i}" for c in "abdk" for i in range(12)]),
                         min_size=1, max_size=400)


@settings(max_examples=200, deadline=None)
@given(tokens=token_streams, min_count=st.integers(0, 8),
       max_final_vocab=st.one_of(st.none(), st.integers(0, 50)),
       use_trim=st.booleans(), sorted_vocab=st.booleans(), ties=st.sampled_from(["first", "gensim"]))
def test_from_counts_matches_reference(tokens, min_count, max_final_vocab, use_trim, sorted_vocab, ties):
    words, counts = scan(tokens)
    trim = trim_by_first_letter if use_trim else None
    ref_words, ref_counts, eff = reference_vocab(tokens, min_count, max_final_vocab, trim,
                                                 sorted_vocab, ties)
    kwargs = dict(min_count=min_count, max_final_vocab=max_final_vocab, trim_rule=trim,
                  sorted_vocab=sorted_vocab, ties=ties, n_sentences=3)
    if not ref_words:
        with pytest.raises(ValueError, match="vocabulary is empty"):
            Vocab.from_counts(words, counts, **kwargs)
        return
    v = Vocab.from_counts(words, np.array(counts, dtype=np.int64), **kwargs)
    assert v.index_to_key == ref_words
    assert v.counts.dtype == np.int64 and v.counts.tolist() == ref_counts
    assert v.key_to_index == {w: i for i, w in enumerate(ref_words)}
    assert v.effective_min_count == eff and v.min_count == min_count
    assert v.raw_words == len(tokens) and v.n_sentences == 3
    assert v.retained_words == sum(ref_counts)
    assert v.discarded_words == len(words) - len(ref_words)
    assert v.discarded_count == len(tokens) - sum(ref_counts)
    assert len(v) == len(ref_words) and ref_words[0] in v
    assert v.sorted_vocab == sorted_vocab


def test_ties_keep_first_occurrence_and_resort_is_stable():
    v = Vocab.from_counts(["a", "b", "c", "d", "e"], [2, 3, 2, 3, 1], min_count=1)
    assert v.index_to_key == ["b", "d", "a", "c", "e"]
    again = Vocab.from_counts(v.index_to_key, v.counts, min_count=1)
    assert again.index_to_key == v.index_to_key
    g = Vocab.from_counts(["a", "b", "c", "d", "e"], [2, 3, 2, 3, 1], min_count=1, ties="gensim")
    assert g.index_to_key == ["d", "b", "c", "a", "e"]


def test_unsorted_keeps_first_occurrence():
    v = Vocab.from_counts(["x", "y", "z", "w"], [1, 9, 5, 7], min_count=2, sorted_vocab=False)
    assert v.index_to_key == ["y", "z", "w"] and v.counts.tolist() == [9, 5, 7]
    assert not v.sorted_vocab


def test_max_final_vocab_drops_ties_at_the_cut():
    words = ["a", "b", "c", "d", "e"]
    v = Vocab.from_counts(words, [10, 8, 8, 8, 2], min_count=1, max_final_vocab=2)
    assert v.index_to_key == ["a"] and v.effective_min_count == 9
    v = Vocab.from_counts(words, [10, 8, 8, 8, 2], min_count=1, max_final_vocab=4)
    assert v.index_to_key == ["a", "b", "c", "d"] and v.effective_min_count == 3
    v = Vocab.from_counts(words, [10, 8, 8, 8, 2], min_count=9, max_final_vocab=4)
    assert v.effective_min_count == 9  # min_count wins when larger
    v = Vocab.from_counts(words, [10, 8, 8, 8, 2], min_count=1, max_final_vocab=5)
    assert len(v) == 5 and v.effective_min_count == 1


def test_trim_rule_gets_effective_min_count_and_python_ints():
    calls = []

    def rule(word, count, min_count):
        calls.append((word, count, min_count, type(count)))
        return RULE_KEEP if word == "rare" else None

    v = Vocab.from_counts(["the", "rare", "cat"], np.array([50, 1, 3]), min_count=2,
                          max_final_vocab=1, trim_rule=rule)
    assert calls == [("the", 50, 4, int), ("rare", 1, 4, int), ("cat", 3, 4, int)]
    assert v.index_to_key == ["the", "rare"]


def test_pruned_and_total_words():
    v = Vocab.from_counts(["a", "b"], [5, 1], pruned_words=7, pruned_count=9, min_count=2)
    assert v.raw_words == 15 and v.pruned_words == 7 and v.pruned_count == 9
    assert v.discarded_words == 1 and v.discarded_count == 1 and v.retained_words == 5
    v = Vocab.from_counts(["a", "b"], [5, 1], total_words=100, min_count=1)
    assert v.raw_words == 100
    with pytest.raises(ValueError, match="total_words"):
        Vocab.from_counts(["a", "b"], [5, 1], total_words=3, min_count=1)


def test_empty_vocabulary_message():
    with pytest.raises(ValueError) as e:
        Vocab.from_counts(["a", "b"], [2, 3], min_count=5)
    assert str(e.value) == "vocabulary is empty: 5 words seen, none with count >= min_count=5"
    with pytest.raises(ValueError, match="vocabulary is empty: 0 words seen"):
        Vocab.from_counts([], [], min_count=5)


@pytest.mark.parametrize("words, counts, kwargs, match", [
    (["a", "a"], [1, 2], {}, "duplicate"),
    (["a", "b"], [1], {}, "shape"),
    (["a"], [-1], {}, ">= 0"),
    (["a"], [1.5], {}, "integers"),
    (["a"], [1], {"min_count": -1}, "min_count"),
    (["a"], [1], {"max_final_vocab": -2}, "max_final_vocab"),
    (["a"], [1], {"ties": "last"}, "ties"),
])
def test_from_counts_invalid(words, counts, kwargs, match):
    with pytest.raises(ValueError, match=match):
        Vocab.from_counts(words, np.array(counts), **kwargs)


def test_distinct_skips_only_the_scan_wide_check():
    # distinct=True (a counting table's words) trusts the caller about the words it
    # drops; a duplicate among the kept words is still refused
    v = Vocab.from_counts(["a", "b", "b"], [5, 1, 1], min_count=2, distinct=True)
    assert v.index_to_key == ["a"]
    with pytest.raises(ValueError, match="duplicate"):
        Vocab.from_counts(["a", "b", "b"], [5, 1, 1], min_count=2)
    with pytest.raises(ValueError, match="duplicate"):
        Vocab.from_counts(["a", "a"], [5, 5], min_count=2, distinct=True)


def test_large_vocabulary_against_sorted():
    rng = np.random.default_rng(5)
    V = 50_000
    counts = rng.zipf(1.5, V) % 1000
    words = [f"w{i}" for i in range(V)]
    v = Vocab.from_counts(words, counts, min_count=3)
    ref = sorted((w for w, c in zip(words, counts) if c >= 3), key=lambda w: -counts[int(w[1:])])
    assert v.index_to_key == ref


def test_matches_gensim_build_vocab():
    from gensim.models import word2vec as gensim_w2v
    rng = np.random.default_rng(11)
    pool = [f"t{i}" for i in range(300)]
    probs = 1.0 / np.arange(1, 301)
    sentences = [list(rng.choice(pool, size=rng.integers(1, 30), p=probs / probs.sum()))
                 for _ in range(400)]
    tokens = [t for s in sentences for t in s]
    words, counts = scan(tokens)
    for min_count, max_final_vocab, trim in [(1, None, None), (5, None, None), (2, 40, None),
                                             (3, None, trim_by_first_letter)]:
        model = gensim_w2v.Word2Vec(vector_size=4, min_count=min_count, max_final_vocab=max_final_vocab)
        model.build_vocab(sentences, trim_rule=trim)
        v = Vocab.from_counts(words, counts, min_count=min_count, max_final_vocab=max_final_vocab,
                              trim_rule=trim, ties="gensim", n_sentences=len(sentences))
        assert v.index_to_key == model.wv.index_to_key
        assert v.counts.tolist() == [model.wv.get_vecattr(w, "count") for w in v.index_to_key]
        assert v.effective_min_count == model.effective_min_count
        assert v.raw_words == model.corpus_total_words


# -- subsampling thresholds -----------------------------------------------------------------


def reference_thresholds(counts, sample):
    if sample == 0:
        return [2**32 - 1] * len(counts)
    T = sample * float(sum(counts))
    out = []
    for c in counts:
        p = (math.sqrt(c / T) + 1) * T / c
        out.append(min(math.ceil(p * 2**32) - 1, 2**32 - 1))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 10**15), min_size=1, max_size=100),
       st.sampled_from([0.0, 1e-5, 1e-3, 0.1, 1e-9, 2.5]))
def test_keep_thresholds_match_reference(counts, sample):
    words = [f"w{i}" for i in range(len(counts))]
    v = Vocab.from_counts(words, counts, min_count=1)
    got = v.keep_thresholds(sample)
    assert got.dtype == np.uint32 and got.shape == (len(counts),)
    assert got.tolist() == reference_thresholds(v.counts.tolist(), sample)


def test_keep_thresholds_semantics():
    counts = [10**9, 10**6, 1000, 1]
    v = Vocab.from_counts(list("abcd"), counts, min_count=1)
    thr = v.keep_thresholds(1e-4)
    T = 1e-4 * sum(counts)
    for c, t in zip(counts, thr.tolist()):
        p = min(1.0, (math.sqrt(c / T) + 1) * T / c)
        # the kernel keeps a token iff a uniform uint32 is <= t: probability (t + 1) / 2**32
        assert abs((t + 1) / 2**32 - p) <= 2.0**-32
    assert thr[-1] == 2**32 - 1 and thr[0] < thr[1] < 2**32 - 1
    assert np.all(v.keep_thresholds(0) == 2**32 - 1)
    n_down, kept = v.downsampling_estimate(1e-4)
    assert n_down == 2 and sum(counts) * 0.001 < kept < sum(counts)


def test_zero_count_word_is_kept():
    v = Vocab.from_counts(["a", "z"], [10, 0], min_count=0)
    assert v.keep_thresholds(1e-3).tolist()[1] == 2**32 - 1


@pytest.mark.parametrize("sample", [-1e-3, float("nan"), float("inf")])
def test_keep_thresholds_invalid(sample):
    v = Vocab.from_counts(["a"], [10], min_count=1)
    with pytest.raises(ValueError, match="sample"):
        v.keep_thresholds(sample)


# -- word2vec.c vocabulary files ------------------------------------------------------------

ascii_ws = set(b" \t\n\v\f\r")
byte_words = st.binary(min_size=1, max_size=12).filter(lambda b: not (set(b) & ascii_ws)).map(
    lambda b: b.decode("utf-8", "surrogateescape"))
text_words = st.text(st.characters(exclude_categories=("Cs",), exclude_characters=" \t\n\v\f\r"),
                     min_size=1, max_size=12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.one_of(byte_words, text_words), st.integers(1, 2**62)),
                min_size=1, max_size=40, unique_by=lambda t: t[0]),
       st.booleans())
def test_save_load_round_trip(tmp_path_factory, entries, sorted_vocab):
    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    words, counts = zip(*entries)
    v = Vocab.from_counts(list(words), np.array(counts, dtype=np.int64), min_count=1,
                          sorted_vocab=sorted_vocab)
    v.save(path)
    w = Vocab.load(path, sorted_vocab=sorted_vocab)
    assert w.index_to_key == v.index_to_key
    assert w.counts.tolist() == v.counts.tolist()
    assert os.listdir(path.parent) == ["vocab.txt"]


def test_file_bytes_are_word2vec_format(tmp_path):
    raw = b"caf\xc3\xa9 \xff\xfebad".split()  # valid UTF-8 and invalid bytes
    words = ["</s>"] + [b.decode("utf-8", "surrogateescape") for b in raw]
    v = Vocab.from_counts(words, [100, 7, 3], min_count=1)
    v.save(tmp_path / "v.txt")
    assert (tmp_path / "v.txt").read_bytes() == b"</s> 100\ncaf\xc3\xa9 7\n\xff\xfebad 3\n"
    assert Vocab.load(tmp_path / "v.txt").index_to_key == words


def test_load_tolerates_line_endings_tabs_blank_lines(tmp_path):
    p = tmp_path / "v.txt"
    p.write_bytes(b"</s> 50\r\nthe\t40  \r\n\n   \nof 30\rcat 1\n\ndog 2")
    v = Vocab.load(p)
    assert v.index_to_key == ["</s>", "the", "of", "dog", "cat"]
    assert v.counts.tolist() == [50, 40, 30, 2, 1]
    assert Vocab.load(p, min_count=5).index_to_key == ["</s>", "the", "of"]
    assert Vocab.load(p, sorted_vocab=False).index_to_key == ["</s>", "the", "of", "cat", "dog"]


@pytest.mark.parametrize("content, line, match", [
    (b"a 1\nb\n", 2, "missing count"),
    (b"a 1\n\nb x\n", 3, "not a non-negative integer"),
    (b"a 1\nb 2.5\n", 2, "not a non-negative integer"),
    (b"a 1\nb -3\n", 2, "negative count"),
    (b"a 1\nb 1 2\n", 2, "3 fields"),
    (b"a 1\nb 2\na 3\n", 3, r"duplicate word 'a' \(first on line 1\)"),
    (b"a 99999999999999999999\n", 1, "too large"),
])
def test_load_malformed(tmp_path, content, line, match):
    assert _parse_vocab_fast(content) is None
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(ValueError, match=match) as e:
        Vocab.load(p)
    assert f"{p}:{line}:" in str(e.value)


def test_load_empty_file(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"\n \n")
    with pytest.raises(ValueError, match="no words"):
        Vocab.load(p)


def test_save_is_atomic_and_replaces(tmp_path):
    p = tmp_path / "v.txt"
    p.write_bytes(b"old 1\n")
    Vocab.from_counts(["new"], [2], min_count=1).save(str(p))
    assert p.read_bytes() == b"new 2\n"
    assert (p.stat().st_mode & 0o777) == 0o666 & ~_current_umask()
    # an unsavable word fails before anything is written
    with pytest.raises(ValueError, match="whitespace"):
        Vocab.from_counts(["new york", "x"], [2, 1], min_count=1).save(p)
    with pytest.raises(ValueError, match="surrogates"):
        Vocab.from_counts(["\ud800"], [2], min_count=1).save(p)
    assert p.read_bytes() == b"new 2\n"
    assert os.listdir(tmp_path) == ["v.txt"]


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("word, exc, match", [
    ("", ValueError, "empty"),
    ("a\tb", ValueError, "whitespace"),
    ("a\nb", ValueError, "whitespace"),
    ("a\rb", ValueError, "whitespace"),
    ("a\x0bb", ValueError, "whitespace"),
    (b"bytes", TypeError, "non-str"),
    (7, TypeError, "non-str"),
])
def test_save_rejects_unrepresentable_words(tmp_path, word, exc, match):
    v = Vocab.from_counts(["ok", word, "fine"], [5, 3, 2], min_count=1)
    with pytest.raises(exc, match=match):
        v.save(tmp_path / "v.txt")
    assert os.listdir(tmp_path) == []


separators = st.lists(st.sampled_from([b" ", b"\t", b"\x0b", b"\x0c"]), min_size=1, max_size=3).map(b"".join)
line_ends = st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n", b" \n", b"\t\r\n \n"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=1, max_size=8).filter(lambda b: not (set(b) & ascii_ws)),
                          st.integers(0, 2**63 - 1), separators, line_ends),
                max_size=30, unique_by=lambda t: t[0].decode("utf-8", "surrogateescape")),
       st.booleans())
def test_fast_parser_agrees_with_checked_parser(lines, final_newline):
    data = b"".join(w + sep + b"%d" % c + end for w, c, sep, end in lines)
    if not final_newline:
        data = data.rstrip(b"\r\n")
    fast = _parse_vocab_fast(data)
    slow = _parse_vocab_checked(data, "x")
    assert fast is not None
    assert fast[0] == slow[0] and fast[1].tolist() == slow[1].tolist()
    assert slow[0] == [w.decode("utf-8", "surrogateescape") for w, *_ in lines]


@pytest.mark.parametrize("data", [b"a 1 b 2\n", b"a 1\nb\n2\n", b"a\n1\n", b"a 1\nb +2\n"])
def test_fast_parser_rejects_misplaced_fields(data):
    assert _parse_vocab_fast(data) is None
    with pytest.raises(ValueError):
        _parse_vocab_checked(data, "x")
