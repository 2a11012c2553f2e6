"""Analogy and word-pair evaluation: known counts on a hand-made file, an independent
brute-force reference, the batched path against the exact per-question path, and (when
gensim is installed) question-by-question equality with gensim 4.4."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import w2v.evaluation as evaluation
from w2v.keyedvectors import CorrelationResult, KeyedVectors


def shared_data():
    env = os.environ.get("W2V_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def eval_file(name):
    path = shared_data() / "eval" / name
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return path


HAND_FILE = """: capital-common-countries
paris france berlin germany
berlin germany rome italy
paris france rome spain
paris france lisbon portugal
PARIS FRANCE MADRID SPAIN
this line is not four words long
: family
man woman king queen
king queen man woman
woman man queen king
"""


def hand_vectors():
    """Capitals = country + one offset, feminine = masculine + another; 'Paris' is a case
    variant of 'paris' with an unrelated vector, 'France' a case variant of 'france' that
    sits exactly on the answer direction of 'paris : france :: berlin : ?'."""
    rng = np.random.default_rng(42)
    d = 50
    offset_capital, offset_female = rng.standard_normal(d), rng.standard_normal(d)
    vec = {"the": rng.standard_normal(d)}
    for country, capital in [("france", "paris"), ("germany", "berlin"), ("italy", "rome")]:
        vec[country] = rng.standard_normal(d)
        vec[capital] = vec[country] + offset_capital
    for male, female in [("man", "woman"), ("king", "queen")]:
        vec[male] = rng.standard_normal(d)
        vec[female] = vec[male] + offset_female
    vec["Paris"] = rng.standard_normal(d)
    vec["spain"] = rng.standard_normal(d)
    vec["madrid"] = vec["spain"] + offset_capital
    for i in range(20):
        vec[f"noise{i}"] = rng.standard_normal(d)
    unit = {w: v / np.linalg.norm(v) for w, v in vec.items()}
    target = unit["france"] + unit["berlin"] - unit["paris"]
    vec["France"] = 5 * target / np.linalg.norm(target)
    keys = list(vec)
    return keys, np.array([vec[k] for k in keys], dtype=np.float32)


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    path = tmp_path_factory.mktemp("eval") / "analogies.txt"
    path.write_text(HAND_FILE)
    keys, vectors = hand_vectors()
    return KeyedVectors.from_arrays(keys, vectors), path


def reference_analogies(keys, vectors, path, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False):
    """Independent float64 re-statement of the documented rules, one question at a time."""
    norm = (lambda w: w.upper()) if case_insensitive else (lambda w: w)
    ok = {}
    for i, k in enumerate(keys[:restrict_vocab]):
        ok.setdefault(norm(k), i)
    unit = vectors.astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    cand = unit[:restrict_vocab]
    sections = []
    for line in Path(path).read_text().splitlines():
        if line.startswith(": "):
            sections.append([line[2:].strip(), [], []])
            continue
        words = [norm(w) for w in line.split()]
        if len(words) != 4:
            continue
        if any(w not in ok for w in words):
            if dummy4unknown:
                sections[-1][2].append(tuple(words))
            continue
        a, b, c, expected = words
        query = unit[ok[b]] + unit[ok[c]] - unit[ok[a]]
        order = np.argsort(-(cand @ (query / np.linalg.norm(query))), kind="stable")
        shortlist = [i for i in order if i not in {ok[a], ok[b], ok[c]}][:5]
        predicted = None
        for i in shortlist:
            predicted = norm(keys[i])
            if predicted not in (a, b, c):
                break
        sections[-1][1 if predicted == expected else 2].append(tuple(words))
    return sections


def counts(sections):
    return [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in sections]


@pytest.mark.parametrize("kwargs,expected", [
    # the upper-case question counts; 'France' is a case variant of a question word: skipped
    ({}, [("capital-common-countries", 3, 1), ("family", 3, 0), ("Total accuracy", 6, 1)]),
    # upper-case question now unknown; 'France' is a different word and wins (wrongly)
    ({"case_insensitive": False}, [("capital-common-countries", 1, 2), ("family", 3, 0), ("Total accuracy", 4, 2)]),
    # the lisbon/portugal question counts as wrong instead of being skipped
    ({"dummy4unknown": True}, [("capital-common-countries", 3, 2), ("family", 3, 0), ("Total accuracy", 6, 2)]),
    # spain, madrid (rows 12, 13) are outside the first 12 keys: their questions are skipped
    ({"restrict_vocab": 12}, [("capital-common-countries", 2, 0), ("family", 3, 0), ("Total accuracy", 5, 0)]),
    ({"restrict_vocab": 12, "dummy4unknown": True},
     [("capital-common-countries", 2, 3), ("family", 3, 0), ("Total accuracy", 5, 3)]),
])
def test_hand_made_analogies_known_counts(hand, kwargs, expected):
    kv, path = hand
    score, sections = kv.evaluate_word_analogies(path, **kwargs)
    assert counts(sections) == expected
    assert score == pytest.approx(expected[-1][1] / (expected[-1][1] + expected[-1][2]))
    ref = reference_analogies(kv.index_to_key, kv.vectors, path, **kwargs)
    assert [[s["section"], s["correct"], s["incorrect"]] for s in sections[:-1]] == ref
    total = sections[-1]
    assert total["correct"] == [q for s in sections[:-1] for q in s["correct"]]
    assert total["incorrect"] == [q for s in sections[:-1] for q in s["incorrect"]]


def test_analogy_tuples_are_uppercased_words(hand):
    kv, path = hand
    _, sections = kv.evaluate_word_analogies(path)
    assert sections[0]["correct"][0] == ("PARIS", "FRANCE", "BERLIN", "GERMANY")
    _, sections = kv.evaluate_word_analogies(path, case_insensitive=False)
    assert sections[1]["correct"][0] == ("man", "woman", "king", "queen")


def test_analogy_file_errors(tmp_path, hand):
    kv, _ = hand
    (tmp_path / "nohead.txt").write_text("paris france berlin germany\n")
    with pytest.raises(ValueError, match="Missing section header"):
        kv.evaluate_word_analogies(tmp_path / "nohead.txt")
    with pytest.raises(ValueError, match="similarity_function"):
        kv.evaluate_word_analogies(tmp_path / "nohead.txt", similarity_function="nope")
    (tmp_path / "empty.txt").write_text(": only a section\n")
    score, sections = kv.evaluate_word_analogies(tmp_path / "empty.txt")
    assert score == 0.0 and counts(sections) == [("only a section", 0, 0), ("Total accuracy", 0, 0)]


def random_model(n=3000, dim=24, seed=0, duplicate_rows=0):
    """Random vectors with a planted analogy structure over words of a synthetic file."""
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n)]
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    offsets = rng.standard_normal((4, dim)).astype(np.float32)
    for i in range(0, 400, 2):                    # pairs (w_i, w_i+1) related by an offset
        vectors[i + 1] = vectors[i] + offsets[(i // 2) % 4] + 1.2 * rng.standard_normal(dim)
    if duplicate_rows:                            # exact ties: copies of answer rows
        src = rng.choice(np.arange(1, 400, 2), duplicate_rows, replace=False)
        vectors[n - duplicate_rows:] = vectors[src]
    keys[n - 150:n - 100] = [k.upper() for k in keys[:50]]   # case variants of frequent words
    return keys, vectors


def synthetic_questions(path, n_pairs=200, per_section=400, seed=1):
    rng = np.random.default_rng(seed)
    lines = []
    for s in range(4):
        lines.append(f": section{s}")
        pairs = [(f"w{i}", f"w{i + 1}") for i in range(0, 2 * n_pairs, 2) if (i // 2) % 4 == s]
        for _ in range(per_section):
            (a, b), (c, d) = [pairs[j] for j in rng.choice(len(pairs), 2, replace=False)]
            lines.append(f"{a} {b} {c} {d}")
        lines.append("w5000 w1 w2 w3")                        # unknown word
    Path(path).write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("kwargs", [{}, {"restrict_vocab": 1000}, {"case_insensitive": False},
                                    {"dummy4unknown": True}])
def test_batched_equals_exact_per_question_path(tmp_path, monkeypatch, kwargs):
    keys, vectors = random_model(duplicate_rows=30)
    kv = KeyedVectors.from_arrays(keys, vectors)
    path = synthetic_questions(tmp_path / "q.txt")
    batched = kv.evaluate_word_analogies(path, **kwargs)
    assert 0.05 < batched[0] < 0.95                           # informative: both outcomes occur
    monkeypatch.setattr(evaluation, "_decide", lambda *a: None)     # force every question down the exact path
    assert kv.evaluate_word_analogies(path, **kwargs) == batched


def test_cosmul_evaluation_matches_most_similar_cosmul(tmp_path):
    keys, vectors = random_model(n=800)
    kv = KeyedVectors.from_arrays(keys, vectors)
    path = synthetic_questions(tmp_path / "q.txt", per_section=40)
    _, sections = kv.evaluate_word_analogies(path, similarity_function="most_similar_cosmul",
                                             case_insensitive=False)
    total = sections[-1]
    for quad in total["correct"][:30] + total["incorrect"][:30]:
        a, b, c, d = quad
        top = [w for w, _ in kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)]
        assert (top[0] == d) == (quad in total["correct"])


# ---------------------------------------------------------------------- gensim equality
def gensim_kv(keys, vectors):
    from gensim import models
    g = models.KeyedVectors(vectors.shape[1])
    g.add_vectors(keys, vectors)
    return g


def structured_from_questions(path, dim=40, seed=0, extra=1500, noise=0.35):
    """Vectors for every word of questions-words.txt where each section's pairs share an
    offset (plus noise), shuffled with unrelated words, and capitalised variants."""
    rng = np.random.default_rng(seed)
    vec, offsets, section = {}, {}, None
    for line in Path(path).read_text(encoding="utf8").splitlines():
        if line.startswith(":"):
            section = line
            offsets[section] = rng.standard_normal(dim)
            continue
        w = line.lower().split()
        for x, y in ((w[0], w[1]), (w[2], w[3])):
            if x not in vec:
                vec[x] = rng.standard_normal(dim)
            if y not in vec:
                vec[y] = vec[x] + offsets[section] + noise * rng.standard_normal(dim)
    keys = list(vec) + [f"extra{i}" for i in range(extra)]
    vectors = np.vstack([np.array(list(vec.values())), rng.standard_normal((extra, dim))])
    perm = rng.permutation(len(keys))
    keys, vectors = [keys[i] for i in perm], vectors[perm]
    caps = [k.capitalize() for k in keys[:300:3] if not k.startswith("extra")]
    vectors = np.vstack([vectors, rng.standard_normal((len(caps), dim))])
    return keys + caps, vectors.astype(np.float32)


@pytest.fixture(scope="module")
def questions_subset(tmp_path_factory):
    """Every 4th question of questions-words.txt, all section headers kept."""
    src = eval_file("questions-words.txt")
    out, n = [], 0
    for line in src.read_text(encoding="utf8").splitlines():
        if line.startswith(":"):
            out.append(line)
        else:
            n += 1
            if n % 4 == 0:
                out.append(line)
    path = tmp_path_factory.mktemp("qw") / "questions-subset.txt"
    path.write_text("\n".join(out) + "\n", encoding="utf8")
    return src, path


@pytest.mark.parametrize("kwargs", [{}, {"restrict_vocab": 1500}, {"case_insensitive": False},
                                    {"dummy4unknown": True, "restrict_vocab": 2000}])
def test_analogies_equal_gensim_on_questions_words(questions_subset, kwargs):
    src, subset = questions_subset
    keys, vectors = structured_from_questions(src)
    g = gensim_kv(keys, vectors)
    kv = KeyedVectors.from_arrays(keys, vectors)
    ours = kv.evaluate_word_analogies(subset, **kwargs)
    theirs = g.evaluate_word_analogies(str(subset), **kwargs)
    assert len(ours[1][-1]["correct"]) > 20 and len(ours[1][-1]["incorrect"]) > 10
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]


def test_analogies_equal_gensim_with_exact_ties(tmp_path):
    keys, vectors = random_model(duplicate_rows=60, seed=5)
    g = gensim_kv(keys, vectors)
    kv = KeyedVectors.from_arrays(keys, vectors)
    path = synthetic_questions(tmp_path / "q.txt", per_section=150, seed=6)
    for kwargs in ({}, {"case_insensitive": False}):
        assert kv.evaluate_word_analogies(path, **kwargs) == g.evaluate_word_analogies(str(path), **kwargs)


def test_most_similar_equals_gensim():
    keys, vectors = random_model(n=1000)
    g = gensim_kv(keys, vectors)
    kv = KeyedVectors.from_arrays(keys, vectors)
    for pos, neg, topn, restrict in [(["w1", "w2"], ["w3"], 10, None), ("w5", None, 5, 100),
                                     ([vectors[3]], ["w7"], None, None), ([("w1", 2.0), "w9"], [("w4", -0.5)], 7, 500)]:
        ours = kv.most_similar(pos, neg, topn=topn, restrict_vocab=restrict)
        theirs = g.most_similar(pos, neg, topn=topn, restrict_vocab=restrict)
        if topn is None:
            np.testing.assert_array_equal(ours, theirs)
        else:
            assert ours == theirs
    assert kv.similarity("w1", "w2") == g.similarity("w1", "w2")
    assert kv.doesnt_match(["w1", "w2", "w3", "w4"]) == g.doesnt_match(["w1", "w2", "w3", "w4"])
    assert kv.rank("w1", "w2") == g.rank("w1", "w2")
    ours = kv.most_similar_cosmul(["w1", "w2"], ["w3"], topn=10)
    theirs = g.most_similar_cosmul(["w1", "w2"], ["w3"], topn=10)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)


# ---------------------------------------------------------------------- word pairs
PAIRS = """# comment line
# Word 1\tWord 2\tHuman (mean)
apple\tpear\t8.5
apple\tcar\t1.0
Car\tTruck\t7.0
pear\tbanana\t7.5
car\tbanana\t1.5
truck\tzebra\t2.0
bad line without tabs
apple\tpear\tnot-a-number
"""


@pytest.fixture(scope="module")
def fruit(tmp_path_factory):
    path = tmp_path_factory.mktemp("pairs") / "pairs.tsv"
    path.write_text(PAIRS)
    rng = np.random.default_rng(3)
    fruit_dir, vehicle_dir = rng.standard_normal(8), rng.standard_normal(8)
    vec = {
        "apple": fruit_dir + 0.3 * rng.standard_normal(8),
        "pear": fruit_dir + 0.3 * rng.standard_normal(8),
        "banana": fruit_dir + 0.5 * rng.standard_normal(8),
        "car": vehicle_dir + 0.3 * rng.standard_normal(8),
        "truck": vehicle_dir + 0.4 * rng.standard_normal(8),
    }
    return KeyedVectors.from_arrays(list(vec), np.array(list(vec.values()), dtype=np.float32)), path


def test_word_pairs_known_values(fruit):
    kv, path = fruit
    pearson, spearman, oov = kv.evaluate_word_pairs(path)
    pairs = [("apple", "pear", 8.5), ("apple", "car", 1.0), ("car", "truck", 7.0),
             ("pear", "banana", 7.5), ("car", "banana", 1.5)]
    gold = [p[2] for p in pairs]
    model = [kv.similarity(a, b) for a, b, _ in pairs]
    assert oov == pytest.approx(100 / 6)                        # zebra: 1 of 6 valid lines
    assert pearson[0] == pytest.approx(np.corrcoef(gold, model)[0, 1], abs=1e-9)
    rank = lambda x: np.argsort(np.argsort(x))  # noqa: E731  (no ties here)
    assert spearman[0] == pytest.approx(np.corrcoef(rank(gold), rank(model))[0, 1], abs=1e-9)
    assert spearman[0] > 0.8

    _, _, oov = kv.evaluate_word_pairs(path, dummy4unknown=True)
    assert oov == pytest.approx(100 / 6)                         # 1 unknown / 6 scored pairs
    _, _, oov = kv.evaluate_word_pairs(path, case_insensitive=False)
    assert oov == pytest.approx(200 / 6)                         # 'Car', 'Truck' unknown too
    _, _, oov = kv.evaluate_word_pairs(path, restrict_vocab=3)   # car, truck not in the first 3
    assert oov == pytest.approx(400 / 6)
    with pytest.raises(ValueError, match="No valid similarity judgements"):
        kv.evaluate_word_pairs(path, restrict_vocab=1)


def test_word_pairs_without_scipy(fruit, monkeypatch):
    kv, path = fruit
    with_scipy = kv.evaluate_word_pairs(path, dummy4unknown=True)     # the 0.0 dummy adds no tie
    assert with_scipy[0].pvalue is not None                            # scipy (a test dependency) was used
    monkeypatch.setitem(sys.modules, "scipy", None)
    without = kv.evaluate_word_pairs(path, dummy4unknown=True)
    assert isinstance(without[0], CorrelationResult) and without[0].pvalue is None
    assert without[0][0] == pytest.approx(with_scipy[0][0], abs=1e-12)
    assert without[1].correlation == pytest.approx(with_scipy[1][0], abs=1e-12)
    assert without[2] == with_scipy[2]


def test_average_ranks_spearman_with_ties():
    from scipy import stats
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 5, 30).astype(float)
        y = rng.integers(0, 4, 30).astype(float)
        np.testing.assert_allclose(evaluation._average_ranks(x), stats.rankdata(x))
        assert evaluation._pearson(evaluation._average_ranks(x), evaluation._average_ranks(y)) == pytest.approx(
            stats.spearmanr(x, y)[0], abs=1e-12)


def test_word_pairs_equal_gensim_on_wordsim353():
    path = eval_file("wordsim353.tsv")
    words = []
    for line in path.read_text(encoding="utf8").splitlines():
        if not line.startswith("#"):
            words += [w.lower() for w in line.split("\t")[:2]]
    words = list(dict.fromkeys(words))
    rng = np.random.default_rng(11)
    keys = [w for i, w in enumerate(words) if i % 17]            # some words missing: OOV pairs
    keys += [k.capitalize() for k in keys[:40]]                  # case variants after the originals
    vectors = rng.standard_normal((len(keys), 30)).astype(np.float32)
    g = gensim_kv(keys, vectors)
    kv = KeyedVectors.from_arrays(keys, vectors)
    for kwargs in ({}, {"dummy4unknown": True}, {"case_insensitive": False}, {"restrict_vocab": 200}):
        ours, theirs = kv.evaluate_word_pairs(path, **kwargs), g.evaluate_word_pairs(str(path), **kwargs)
        assert ours[2] == theirs[2] and ours[2] > 0
        for a, b in zip(ours[:2], theirs[:2]):
            assert tuple(a) == tuple(b)
