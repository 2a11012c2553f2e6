import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from w2v.sampling import alias_probabilities, build_alias, draw

GAMMA = 0x9E3779B97F4A7C15
MASK = 2**64 - 1
ONE = 2**32


def splitmix64(seed, n):
    """n outputs of the splitmix64 generator of ARCHITECTURE.md, vectorised (uint64 wraps)."""
    z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GAMMA)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def splitmix64_scalar(state):
    state = (state + GAMMA) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def test_splitmix64_helper():
    state, outs = 0, []
    for _ in range(5):
        state, z = splitmix64_scalar(state)
        outs.append(z)
    assert outs[0] == 0xE220A8397B1DCDAF  # published first output for seed 0
    assert splitmix64(0, 5).tolist() == outs


def chi_square_pvalue(observed, expected):
    from scipy import stats
    return stats.chisquare(observed, expected).pvalue


def weights(counts, ns_exponent):
    w = np.asarray(counts, dtype=np.float64) ** ns_exponent
    return w / w.sum()


@pytest.mark.parametrize("ns_exponent", [0.75, 0.0, -0.5, 1.0])
def test_draws_follow_unigram_power(ns_exponent):
    rng = np.random.default_rng(42)
    counts = np.sort(rng.integers(1, 5000, size=60))[::-1]
    prob, alias = build_alias(counts, ns_exponent)
    n = 10**6
    ids = draw(prob, alias, splitmix64(2024, n))
    observed = np.bincount(ids, minlength=len(counts))
    expected = weights(counts, ns_exponent) * n
    assert expected.min() > 5
    p = chi_square_pvalue(observed, expected)
    assert p > 1e-3, f"draws do not follow counts**{ns_exponent}: chi-square p={p:.2e}"


def test_chi_square_has_power():
    # the same test must reject a table built for another exponent
    rng = np.random.default_rng(42)
    counts = np.sort(rng.integers(1, 5000, size=60))[::-1]
    prob, alias = build_alias(counts, 0.75)
    ids = draw(prob, alias, splitmix64(2024, 10**6))
    observed = np.bincount(ids, minlength=len(counts))
    assert chi_square_pvalue(observed, weights(counts, 0.7) * 10**6) < 1e-6


def draw_scalar(prob, alias, r):
    V = len(prob)
    i = ((r >> 32) * V) >> 32
    return i if (r & 0xFFFFFFFF) < int(prob[i]) else int(alias[i])


def test_draw_rule_matches_scalar_reference():
    prob, alias = build_alias([50, 20, 7, 7, 3, 1, 0, 1])
    values = splitmix64(7, 2000)
    edge = np.array([0, MASK, 2**32 - 1, 2**32, (2**32 - 1) << 32], dtype=np.uint64)
    values = np.concatenate([values, edge])
    got = draw(prob, alias, values)
    assert got.dtype == np.int32
    assert got.tolist() == [draw_scalar(prob, alias, int(r)) for r in values]


def integer_masses(prob, alias):
    """Exact mass of each word in units of 2**-32 of a column."""
    V = len(prob)
    mass = [0] * V
    for i in range(V):
        if alias[i] == i:
            mass[i] += ONE
        else:
            mass[i] += int(prob[i])
            mass[int(alias[i])] += ONE - int(prob[i])
    return mass


def check_alias(counts, ns_exponent, prob, alias):
    V = len(counts)
    assert prob.dtype == np.uint32 and alias.dtype == np.int32
    assert prob.shape == alias.shape == (V,)
    assert alias.min() >= 0 and alias.max() < V
    full = alias == np.arange(V)
    assert np.all(prob[full] == ONE - 1)
    # a column never gives its remainder to a word with no mass
    w = weights(counts, ns_exponent)
    assert np.all(w[alias[~full]] > 0)
    mass = integer_masses(prob, alias)
    assert sum(mass) == V * ONE
    # exact up to the 2**-32 resolution of a column (+ float64 rounding of the weights)
    target = w * (V * ONE)
    assert np.all(np.abs(np.array(mass, dtype=np.float64) - target) <= 1.0 + 1e-9 * target)
    assert np.allclose(alias_probabilities(prob, alias), w, rtol=1e-6, atol=2.0**-32)


count_lists = st.lists(st.integers(0, 10**7), min_size=1, max_size=400).filter(lambda xs: any(xs))


@settings(max_examples=200, deadline=None)
@given(count_lists, st.sampled_from([0.75, 1.0, 0.5, 0.0]))
def test_alias_invariants(counts, ns_exponent):
    prob, alias = build_alias(counts, ns_exponent)
    check_alias(counts, ns_exponent, prob, alias)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=200),
       st.floats(-2.0, 2.0, allow_nan=False))
def test_alias_invariants_any_exponent(counts, ns_exponent):
    prob, alias = build_alias(counts, ns_exponent)
    check_alias(counts, ns_exponent, prob, alias)


def test_zero_count_never_drawn():
    counts = [0, 5, 0, 3, 0]
    prob, alias = build_alias(counts)
    ids = draw(prob, alias, splitmix64(1, 200000))
    assert set(np.unique(ids).tolist()) == {1, 3}


def test_uniform_is_all_full_columns():
    prob, alias = build_alias([9, 1, 4, 1000], 0.0)
    assert alias.tolist() == [0, 1, 2, 3]


def test_single_word():
    prob, alias = build_alias([3])
    assert alias.tolist() == [0]
    assert np.all(draw(prob, alias, splitmix64(3, 100)) == 0)


def test_large_vocabulary_zipf():
    V = 100_000
    counts = np.maximum(5, 10**7 // np.arange(1, V + 1))
    prob, alias = build_alias(counts)
    np.testing.assert_allclose(alias_probabilities(prob, alias), weights(counts, 0.75),
                               rtol=1e-6, atol=2.0**-32)


@pytest.mark.parametrize("counts, ns_exponent, match", [
    ([], 0.75, "empty"),
    ([3, -1], 0.75, ">= 0"),
    ([0, 0], 0.75, "no word can be drawn"),
    ([0, 4], -0.5, "not finite"),
    ([1, 2], float("nan"), "finite"),
    ([1, 2], float("inf"), "finite"),
    ([[1, 2]], 0.75, "1-D"),
    (["a", "b"], 0.75, "numbers"),
])
def test_invalid(counts, ns_exponent, match):
    with pytest.raises(ValueError, match=match):
        build_alias(np.array(counts) if counts else np.array([], dtype=np.int64), ns_exponent)
