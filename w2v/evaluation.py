"""Evaluation of word vectors, as gensim 4.4 and word2vec's compute-accuracy score them.

* analogies (``a b c d`` questions, 3CosAdd or 3CosMul), batched: one matrix product per
  block of candidates for every distinct question word, and a question whose decision lies
  within the float32 rounding bound is re-solved with gensim's exact sequence of operations
  (the "replay"), so results equal gensim's question by question;
* word pairs: Pearson and Spearman correlation of cosine similarities with human scores
  (scipy when importable, numpy otherwise).

``KeyedVectors.evaluate_word_analogies`` / ``evaluate_word_pairs`` call the functions here.
"""
import collections
import io
import logging

import numpy as np

from w2v._vecmath import top_desc, unitvec
from w2v.compression import open_binary

logger = logging.getLogger(__name__)

__all__ = ["CorrelationResult", "count_questions", "evaluate_word_analogies", "evaluate_word_pairs"]


class CorrelationResult(collections.namedtuple("CorrelationResult", "statistic pvalue")):
    """(statistic, pvalue) returned by ``evaluate_word_pairs`` when scipy is not installed
    (pvalue is then None). Indexable like the scipy result objects it stands in for."""
    __slots__ = ()

    @property
    def correlation(self):
        return self.statistic


def _ok_vocab(kv, restrict_vocab, case_insensitive):
    """{(upper-cased) key: index} over the first `restrict_vocab` keys; among case
    variants the first (most frequent) one wins."""
    ok = {}
    for i, k in enumerate(kv.index_to_key[:restrict_vocab]):
        ok.setdefault(k.upper() if case_insensitive and isinstance(k, str) else k, i)
    return ok


def evaluate_word_analogies(kv, analogies, restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False, similarity_function="most_similar"):
    """Accuracy on an analogy file (``: section`` lines, then ``a b c d`` lines: a is
    to b as c is to d), as word2vec's compute-accuracy and gensim 4.4:

    the answer is the best candidate among the first `restrict_vocab` keys by 3CosAdd
    (cosine to normalised unit(b) + unit(c) - unit(a)), a, b and c excluded; questions
    with a word outside those keys are skipped, or counted wrong with `dummy4unknown`;
    with `case_insensitive` words and keys are upper-cased (the first of several case
    variants of a key wins). Lines that do not hold 4 words are skipped.

    Batched: the cosines between every distinct question word and every candidate
    come from one matrix product per block of candidates, and each question's scores
    are assembled from three rows of it (seconds for the 19,544 questions of
    questions-words.txt). Results equal gensim's question by question: a question
    whose decision is within the float32 rounding bound is re-solved with gensim's
    exact sequence of operations.

    `similarity_function='most_similar_cosmul'` ranks by 3CosMul instead (gensim 4.4
    accepts the argument but always uses 3CosAdd).

    Returns ``(accuracy, sections)``; sections are dicts ``{'section', 'correct',
    'incorrect'}`` (lists of 4-tuples), the last one ``'Total accuracy'``.
    """
    if similarity_function not in ("most_similar", "most_similar_cosmul"):
        raise ValueError(f"similarity_function must be 'most_similar' or 'most_similar_cosmul', "
                         f"not {similarity_function!r}")
    ok_vocab = _ok_vocab(kv, restrict_vocab, case_insensitive)
    logger.info("Evaluating word analogies for top %s words in the model on %s", restrict_vocab, analogies)
    sections, questions = [], []    # questions: (section number, (a, b, c, d), oov)
    n_quads = oov = 0
    with open_binary(analogies) as fin:
        for line_no, raw in enumerate(fin):
            line = raw.decode("utf8")
            if line.startswith(": "):
                sections.append(line.lstrip(": ").strip())
                continue
            if not sections:
                raise ValueError(f"Missing section header before line #{line_no} in {analogies}")
            words = line.split()
            if len(words) != 4:
                logger.info("Skipping invalid line #%i in %s", line_no, analogies)
                continue
            if case_insensitive:
                words = [w.upper() for w in words]
            n_quads += 1
            is_oov = any(w not in ok_vocab for w in words)
            oov += is_oov
            if is_oov and not dummy4unknown:
                continue
            questions.append((len(sections) - 1, tuple(words), is_oov))

    solve = [q for q in questions if not q[2]]
    if solve:
        idx = np.array([[ok_vocab[w] for w in q[1][:3]] for q in solve], dtype=np.intp)
        end = min(restrict_vocab, len(kv)) if restrict_vocab else len(kv)
        names = [k.upper() if case_insensitive and isinstance(k, str) else k
                 for k in kv.index_to_key[:end]]
        correct = _solve_analogies(kv, idx, [q[1] for q in solve], names, ok_vocab,
                                        restrict_vocab, similarity_function == "most_similar_cosmul")
    results = iter(correct.tolist() if solve else [])
    out = [{"section": name, "correct": [], "incorrect": []} for name in sections]
    for sec, quad, is_oov in questions:
        ok = False if is_oov else next(results)
        out[sec]["correct" if ok else "incorrect"].append(quad)
    for s in out:
        _log_section(s)
    total = {
        "section": "Total accuracy",
        "correct": [q for s in out for q in s["correct"]],
        "incorrect": [q for s in out for q in s["incorrect"]],
    }
    if n_quads:
        logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / n_quads)
    score = _log_section(total)
    out.append(total)
    return score, out


def _solve_analogies(kv, idx, quads, names, ok_vocab, restrict_vocab, cosmul):
    """Boolean per question: is gensim's prediction the expected word?
    `idx`: (n, 3) rows of a, b, c.

    An analogy file uses few distinct words (905 in questions-words.txt for 19,544
    questions), so instead of one product per question, cos(x, w) is computed once for
    every distinct question word w and candidate x (one matrix product per block of
    candidates), and a question's 3CosAdd score is assembled from three of those rows:
    x.(b + c - a) / (|x| |b + c - a|) over unit a, b, c. This is the same number as
    gensim's up to float32 rounding; a question whose decision is within the rounding
    bound is re-solved with gensim's exact operations."""
    kv.fill_norms()
    vectors, norms = kv.vectors, kv.norms
    end = min(restrict_vocab, len(vectors)) if restrict_vocab else len(vectors)
    k = min(9, end)             # 3 excluded + 5 looked at + 1 to measure the decision gap
    words, inv = np.unique(idx, return_inverse=True)
    inv = inv.reshape(idx.shape)
    tol = None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        unit = vectors[words] / norms[words, np.newaxis]        # float32, as gensim
        scale = None
        if not cosmul:
            y = ((unit[inv[:, 1]] + unit[inv[:, 2]]) - unit[inv[:, 0]]).astype(np.float64)
            inv_len = 1.0 / np.sqrt(np.einsum("ij,ij->i", y, y))
            scale = inv_len.astype(vectors.dtype)
            # gensim's float32 score is within (d+3)u of x.y/(|x||y|) (dot product bound
            # d*u*|x||y|, plus rounding the unit query vector and the division); ours
            # within ((3d+12)/|y| + 2)u (three dot products, the float32 sum b + c - a,
            # two more additions). Twice the sum of both bounds, to be safe.
            u = np.finfo(vectors.dtype).eps / 2
            dim = vectors.shape[1]
            tol = (2.0 * u * ((dim + 5) + (3 * dim + 12) * inv_len)).tolist()
    top, vals = _analogy_candidates(unit, inv, scale, vectors[:end], norms[:end], k, cosmul)
    result = np.zeros(len(idx), dtype=bool)
    for q, (a, b, c) in enumerate(idx.tolist()):
        quad = quads[q]
        verdict = _decide(top[q], vals[q], {a, b, c}, quad[:3], quad[3], names, ok_vocab,
                          None if cosmul else tol[q], end)
        if verdict is None:
            verdict = _solve_analogy_exactly(kv, a, b, c, quad, names, ok_vocab, restrict_vocab)
        result[q] = verdict
    return result


def _solve_analogy_exactly(kv, a, b, c, quad, names, ok_vocab, restrict_vocab):
    """One question through gensim's most_similar(positive=[b, c], negative=[a], topn=5),
    with its exact sequence of float operations (rows a, b, c given as indices)."""
    vectors, norms = kv.vectors, kv.norms
    mean = np.zeros(kv.vector_size, vectors.dtype)
    total = 0
    for row, w in ((b, 1.0), (c, 1.0), (a, -1.0)):
        w = np.float64(w)
        mean += w * (vectors[row] / norms[row])
        total += abs(w)
    mean = unitvec(mean / total).astype(vectors.dtype)
    end = restrict_vocab or len(vectors)
    dists = np.dot(vectors[:end], mean) / norms[:end]
    excluded = {a, b, c}
    shortlist = [i for i in top_desc(dists, 8).tolist() if i not in excluded][:5]
    predicted = None
    for i in shortlist:
        predicted = names[i]
        if predicted in ok_vocab and predicted not in quad[:3]:
            break
    return predicted == quad[3]


def evaluate_word_pairs(kv, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                        case_insensitive=True, dummy4unknown=False):
    """Correlation of model cosine similarities with human judgements in `pairs`
    (``word1<delimiter>word2<delimiter>score`` lines, ``#`` comments), as gensim 4.4.

    Returns ``(pearson, spearman, oov_ratio)``: pearson and spearman are scipy's result
    objects when scipy is importable, else ``CorrelationResult(statistic, pvalue=None)``
    (Spearman with average ranks for ties); `oov_ratio` is the PERCENTAGE of pairs with
    a word outside the first `restrict_vocab` keys (skipped, or scored 0.0 with
    `dummy4unknown`, when the ratio is taken over the scored pairs only, as gensim)."""
    ok_vocab = _ok_vocab(kv, restrict_vocab, case_insensitive)
    gold, model, oov = [], [], 0
    with open_binary(pairs) as raw, io.TextIOWrapper(raw, encoding=encoding) as fin:
        for line_no, line in enumerate(fin):
            if not line or line.startswith("#"):
                continue
            try:
                parts = line.split(delimiter)
                if case_insensitive:
                    parts = [p.upper() for p in parts]
                a, b, sim = parts
                sim = float(sim)
            except (ValueError, TypeError):
                logger.info("Skipping invalid line #%d in %s", line_no, pairs)
                continue
            if a not in ok_vocab or b not in ok_vocab:
                oov += 1
                if dummy4unknown:
                    gold.append(sim)
                    model.append(0.0)
                continue
            gold.append(sim)
            model.append(_pair_similarity(kv, ok_vocab[a], ok_vocab[b]))
    if not gold:
        raise ValueError(f"No valid similarity judgements found in {pairs}: either invalid format "
                         f"or all are out-of-vocabulary in {kv}")
    pearson, spearman = _correlations(gold, model)
    if dummy4unknown:
        oov_ratio = float(oov) / len(gold) * 100
    else:
        oov_ratio = float(oov) / (len(gold) + oov) * 100
    logger.info("Pearson correlation coefficient against %s: %.4f", pairs, pearson[0])
    logger.info("Spearman rank-order correlation coefficient against %s: %.4f", pairs, spearman[0])
    logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
    return pearson, spearman, oov_ratio


def _pair_similarity(kv, i, j):
    dtype = kv.vectors.dtype
    return np.dot(unitvec(kv.vectors[i]).astype(dtype), unitvec(kv.vectors[j]).astype(dtype))


def _log_section(section):
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


def _analogy_candidates(unit, inv, scale, cand, cand_norms, k, cosmul):
    """For each question (row of `inv`: positions of a, b, c in `unit`), the k best
    candidate rows of `cand` and their scores, best first (lists of lists).
    3CosAdd: (cos(x,b) + cos(x,c) - cos(x,a)) * scale; 3CosMul:
    ((1+cos(x,b))/2 * (1+cos(x,c))/2) / ((1+cos(x,a))/2 + 1e-6). NaN scores rank last."""
    n_q, n_cand, n_words = len(inv), len(cand), len(unit)
    best_idx = np.full((n_q, k), -1, dtype=np.intp)
    best_val = np.full((n_q, k), -np.inf, dtype=cand.dtype)
    # bounded working set: ~32 MB of cosines per candidate block, ~16 MB of scores per batch
    block = max(256, min(n_cand, (1 << 23) // max(n_words, 1)))
    batch = max(1, (1 << 22) // block)
    for c0 in range(0, n_cand, block):
        c1 = min(n_cand, c0 + block)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cos = np.dot(unit, cand[c0:c1].T)
            cos /= cand_norms[c0:c1]
            if cosmul:
                cos += 1
                cos /= 2
        kk = min(k, c1 - c0)
        for q0 in range(0, n_q, batch):
            q = slice(q0, q0 + batch)
            a, b, c = inv[q, 0], inv[q, 1], inv[q, 2]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                if cosmul:
                    scores = cos[b] * cos[c]
                    scores /= cos[a] + 0.000001
                else:
                    scores = cos[b]
                    scores += cos[c]
                    scores -= cos[a]
                    scores *= scale[q, np.newaxis]
            if not np.isfinite(scores).all():
                scores[np.isnan(scores)] = -np.inf
            cols, vals = _top_k_per_row(scores, kk)
            merged_idx = np.concatenate([best_idx[q], cols + c0], axis=1)
            merged_val = np.concatenate([best_val[q], vals], axis=1)
            pick = np.argpartition(merged_val, merged_val.shape[1] - k, axis=1)[:, merged_val.shape[1] - k:]
            best_idx[q] = np.take_along_axis(merged_idx, pick, axis=1)
            best_val[q] = np.take_along_axis(merged_val, pick, axis=1)
    order = np.argsort(-best_val, axis=1, kind="stable")
    return (np.take_along_axis(best_idx, order, axis=1).tolist(),
            np.take_along_axis(best_val, order, axis=1).tolist())


def _top_k_per_row(scores, k, block=64):
    """Column indices and values of the k largest entries of each row (any order).

    Selection over whole rows costs as much as the matrix product, so columns are dealt
    into groups (group g = columns g, g + G, g + 2G, ...: the group maxima are then an
    elementwise maximum of contiguous slices, which vectorises): the k largest entries lie
    in the k groups with the largest maxima (plus the ragged tail), and only those few
    hundred columns are partitioned."""
    b, n = scores.shape
    n_groups = n // block
    if n_groups <= 4 * k:
        if k < n:
            cols = np.argpartition(scores, n - k, axis=1)[:, n - k:]
        else:
            cols = np.broadcast_to(np.arange(n), (b, n))
        return cols, np.take_along_axis(scores, cols, axis=1)
    body = scores[:, :n_groups * block].reshape(b, block, n_groups)
    group_max = body[:, 0].copy()
    for i in range(1, block):
        np.maximum(group_max, body[:, i], out=group_max)
    best = np.argpartition(group_max, n_groups - k, axis=1)[:, n_groups - k:]
    cols = (best[:, :, np.newaxis] + n_groups * np.arange(block)).reshape(b, k * block)
    if n_groups * block < n:
        tail = np.broadcast_to(np.arange(n_groups * block, n), (b, n - n_groups * block))
        cols = np.concatenate([cols, tail], axis=1)
    vals = np.take_along_axis(scores, cols, axis=1)
    pick = np.argpartition(vals, vals.shape[1] - k, axis=1)[:, vals.shape[1] - k:]
    return np.take_along_axis(cols, pick, axis=1), np.take_along_axis(vals, pick, axis=1)


def _decide(top, vals, excluded, ignore, expected, names, ok_vocab, tol, end):
    """gensim's verdict for one analogy from its candidates `top` (best first, scores
    `vals`): skip the a/b/c rows, look at the next 5 at most, predict the first whose name
    is not a question word (else the last one looked at). With a `tol`, None when the
    batched scores cannot decide it safely: the winner is within `tol` of the next score
    (or not finite), or no candidate qualified (case variants of question words only)."""
    looked, predicted = 0, None
    for j, i in enumerate(top):
        if i in excluded:
            continue
        looked += 1
        predicted = names[i]
        if predicted in ok_vocab and predicted not in ignore:
            if tol is not None:
                nxt = vals[j + 1] if j + 1 < len(vals) else (-np.inf if len(vals) == end else None)
                # written so that a NaN tolerance or score also means "not safe"
                if nxt is None or not np.isfinite(vals[j]) or not vals[j] - nxt > tol:
                    return None
            return predicted == expected
        if looked == 5:
            break
    return None if tol is not None else predicted == expected


def _average_ranks(x):
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    sx = x[order]
    starts = np.flatnonzero(np.r_[True, sx[1:] != sx[:-1]])
    ends = np.r_[starts[1:], len(x)]
    ranks = np.empty(len(x))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def _pearson(x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xm, ym = x - x.mean(), y - y.mean()
    denom = np.sqrt(np.dot(xm, xm) * np.dot(ym, ym))
    if not denom > 0:
        return float("nan")
    return float(np.clip(np.dot(xm, ym) / denom, -1.0, 1.0))


def _correlations(gold, model):
    """(pearson, spearman) with scipy when importable (p-values included), numpy otherwise."""
    try:
        from scipy import stats
    except ImportError:
        stats = None
    if stats is not None:
        return stats.pearsonr(gold, model), stats.spearmanr(gold, model)
    return (CorrelationResult(_pearson(gold, model), None),
            CorrelationResult(_pearson(_average_ranks(gold), _average_ranks(model)), None))


def count_questions(path):
    """Questions (lines of 4 words outside section headers) in an analogy file: with the
    answered ones in ``evaluate_word_analogies``' result, how many were skipped."""
    n = 0
    with open_binary(path) as f:
        for line in f:
            if not line.startswith(b":") and len(line.split()) == 4:
                n += 1
    return n
