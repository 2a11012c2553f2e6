"""Pure numpy/Python reference of the training kernels in csrc/train.c.

It follows the kernel step by step: the same splitmix64 stream consumed in the
same order (subsampling while reading a sentence, one window draw per centre,
negatives per example, or per centre with shared negatives), the same float32
arithmetic (including the 8-lane dot product of csrc/vecops.h), the same
learning-rate updates.  Slow; meant for corpora of a few hundred tokens.

Also small builders for the kernel's inputs (Huffman arrays, alias table, keep
thresholds) so the kernel tests do not depend on w2v.huffman / w2v.sampling.
"""
import heapq
import math
from dataclasses import dataclass, field

import numpy as np

f32 = np.float32
MASK64 = (1 << 64) - 1
UINT32_MAX = (1 << 32) - 1
EOS = -1

SIGMOID_TABLE_SIZE = 1000
MAX_EXP = 6
EXACT_CLIP = f32(30.0)
LOSS_MIN_PROB = f32(1e-8)


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def sigmoid_table():
    x = -MAX_EXP + (np.arange(SIGMOID_TABLE_SIZE) + 0.5) * (2.0 * MAX_EXP / SIGMOID_TABLE_SIZE)
    return (1.0 / (1.0 + np.exp(-x))).astype(f32)


_TABLE = sigmoid_table()
_TABLE_SCALE = f32(SIGMOID_TABLE_SIZE) / f32(2 * MAX_EXP)


def sigmoid(kind, x):
    x = f32(x)
    if kind == "table":
        if x >= MAX_EXP:
            return f32(1)
        if x <= -MAX_EXP:
            return f32(0)
        i = int((x + f32(MAX_EXP)) * _TABLE_SCALE)
        return _TABLE[min(i, SIGMOID_TABLE_SIZE - 1)]
    x = min(max(x, -EXACT_CLIP), EXACT_CLIP)
    with np.errstate(over="ignore"):
        return f32(1) / (f32(1) + np.exp(-x))


LANES = 8


def fma32(a, b, c):
    """float32 a*b + c with one rounding (the product of two float32 is exact in
    float64; the double rounding through float64 is off in ~2^-29 of cases)."""
    return (np.float64(a) * np.float64(b) + np.float64(c)).astype(f32) if np.ndim(c) else \
        f32(np.float64(a) * np.float64(b) + np.float64(c))


def mul_add(a, b, c, fma):
    """c + a*b as the kernel computes it: fused on its FMA copy, else two roundings."""
    return fma32(a, b, c) if fma else c + a * b


def dot_lanes(x, y, fma=False):
    """float32 dot product in the kernel's order (csrc/vecops.h w2v_dot): LANES
    partial sums as LANES/4 accumulators of 4, leftover groups of 4 to
    accumulators 0, 1, ..., pairwise folds, then the n % 4 tail."""
    n = len(x)
    acc = np.zeros((LANES // 4, 4), dtype=f32)
    i = 0
    while i + LANES <= n:
        acc = mul_add(x[i:i + LANES].reshape(-1, 4), y[i:i + LANES].reshape(-1, 4), acc, fma)
        i += LANES
    k = 0
    while i + 4 <= n:
        acc[k] = mul_add(x[i:i + 4], y[i:i + 4], acc[k], fma)
        i, k = i + 4, k + 1
    while len(acc) > 1:
        half = len(acc) // 2
        acc = acc[:half] + acc[half:]
    v = acc[0]
    tail = f32(0)
    for j in range(i, n):
        tail = mul_add(x[j], y[j], tail, fma)
    return ((v[0] + v[2]) + (v[1] + v[3])) + tail


@dataclass
class RefModel:
    syn0: np.ndarray
    syn1neg: np.ndarray
    syn1: np.ndarray
    keep_thresholds: np.ndarray
    alias_prob: np.ndarray
    alias_index: np.ndarray
    hs_codes: np.ndarray
    hs_points: np.ndarray
    hs_offsets: np.ndarray
    sg: int
    hs: int
    negative: int
    window: int
    cbow_mean: int = 1
    shrink_windows: bool = True
    compute_loss: bool = False
    sigmoid: str = "table"
    shared_negatives: bool = False
    fma: bool = False       # follow the kernel's FMA copy (w2v._train.fused_multiply_add())
    lockf: np.ndarray = None  # per-word factor of the input rows' steps (None: all 1)


def input_step(m, c, step):
    """syn0[c] += lockf[c] * step (csrc input_step); a factor of 0 leaves the row untouched."""
    if m.lockf is None:
        m.syn0[c] += step
    elif m.lockf[c] != 0:
        m.syn0[c] = mul_add(m.lockf[c], step, m.syn0[c], m.fma)


@dataclass
class RefProgress:
    total_words: int
    start_alpha: float
    end_alpha: float
    words_done: int = 0

    def alpha_at(self, done):
        if self.total_words <= 0:
            return self.start_alpha
        frac = min(1.0, done / self.total_words)
        return self.start_alpha - (self.start_alpha - self.end_alpha) * frac


@dataclass
class RefWorker:
    seed: int
    max_sentence_length: int = 10000
    report_every: int = 10000
    loss: float = 0.0
    examples: int = 0
    rng: SplitMix64 = field(init=False)

    def __post_init__(self):
        self.rng = SplitMix64(self.seed)


class NonFinite(Exception):
    pass


def logistic_step(m, w, h, out, grad, label, alpha):
    score = dot_lanes(h, out, m.fma)
    if not np.isfinite(score):
        raise NonFinite
    p = sigmoid(m.sigmoid, score)
    g = (f32(label) - p) * alpha
    if g != 0:
        grad[:] = mul_add(g, out, grad, m.fma)    # uses the row before this step's update
        out[:] = mul_add(g, h, out, m.fma)        # in place: `out` is a view of the weight row
    if m.compute_loss:
        p_label = sigmoid(m.sigmoid, score if label != 0 else -score)
        w.loss -= float(np.log(max(p_label, LOSS_MIN_PROB)))


def loss_hs(m, w, h, target, grad, alpha):
    for k in range(int(m.hs_offsets[target]), int(m.hs_offsets[target + 1])):
        logistic_step(m, w, h, m.syn1[m.hs_points[k]], grad, 1 - int(m.hs_codes[k]), alpha)


def draw_noise(m, w, target):
    """`negative` alias draws; a draw equal to the target is dropped (not redrawn)."""
    V = len(m.syn0)
    out = []
    for _ in range(m.negative):
        r = w.rng.next()
        col = ((r >> 32) * V) >> 32
        noise = col if (r & UINT32_MAX) < int(m.alias_prob[col]) else int(m.alias_index[col])
        if noise != target:
            out.append(noise)
    return out


def loss_ns(m, w, h, target, grad, alpha):
    noise = draw_noise(m, w, target)
    logistic_step(m, w, h, m.syn1neg[target], grad, 1, alpha)
    for n in noise:
        logistic_step(m, w, h, m.syn1neg[n], grad, 0, alpha)


def shared_batch(m, w, context, centre, noise, alpha):
    """Ji et al. 2016 minibatch (csrc/train.h): S = In Out^T, G = (label - sigmoid(S)) * alpha,
    dIn = G Out, Out += G^T In (row by row, in place), In += dIn; all from the rows as
    they were before the minibatch.  Raises NonFinite (nothing updated) on a bad score."""
    outputs = [centre] + list(noise)
    labels = [1] + [0] * len(noise)
    S = np.array([[dot_lanes(m.syn0[c], m.syn1neg[o], m.fma) for o in outputs] for c in context],
                 dtype=f32)
    if not np.isfinite(S).all():
        raise NonFinite
    G = np.empty_like(S)
    for o, label in enumerate(labels):          # the kernel's order (output-major)
        for b in range(len(context)):
            G[b, o] = (f32(label) - sigmoid(m.sigmoid, S[b, o])) * alpha
            if m.compute_loss:
                p_label = sigmoid(m.sigmoid, S[b, o] if label else -S[b, o])
                w.loss -= float(np.log(max(p_label, LOSS_MIN_PROB)))
    d_in = []
    for b in range(len(context)):
        acc = np.zeros(m.syn0.shape[1], dtype=f32)
        for o, word in enumerate(outputs):
            acc = mul_add(G[b, o], m.syn1neg[word], acc, m.fma)
        d_in.append(acc)
    for o, word in enumerate(outputs):
        row = m.syn1neg[word].copy()       # includes the updates of an earlier duplicate
        for b, c in enumerate(context):
            row = mul_add(G[b, o], m.syn0[c], row, m.fma)
        m.syn1neg[word] = row
    for b, c in enumerate(context):
        input_step(m, c, d_in[b])


def train_example(m, w, h, target, alpha):
    grad = np.zeros(m.syn0.shape[1], dtype=f32)
    if m.hs:
        loss_hs(m, w, h, target, grad, alpha)
    if m.negative > 0:
        loss_ns(m, w, h, target, grad, alpha)
    return grad


def centre_window(m, w):
    if not m.shrink_windows:
        return m.window
    return m.window - w.rng.next() % m.window


def train_chunk_shared(m, w, sent, alpha):
    """Skip-gram with shared negatives: per centre, the window draw, then (when the
    chunk has >= 2 tokens) its `negative` shared noise draws; one minibatch per centre."""
    n = len(sent)
    for i in range(n):
        win = centre_window(m, w)
        noise = draw_noise(m, w, sent[i]) if n > 1 else []
        lo, hi = max(0, i - win), min(n - 1, i + win)
        context = [sent[j] for j in range(lo, hi + 1) if j != i]
        if context:
            shared_batch(m, w, context, sent[i], noise, alpha)
            w.examples += len(context)


def train_chunk(m, w, sent, alpha):
    if m.shared_negatives:
        return train_chunk_shared(m, w, sent, alpha)
    n = len(sent)
    for i in range(n):
        win = centre_window(m, w)
        lo, hi = max(0, i - win), min(n - 1, i + win)
        context = [sent[j] for j in range(lo, hi + 1) if j != i]
        if m.sg:
            for c in context:
                grad = train_example(m, w, m.syn0[c], sent[i], alpha)
                input_step(m, c, grad)
                w.examples += 1
        else:
            if not context:
                continue
            h = np.zeros(m.syn0.shape[1], dtype=f32)
            for c in context:
                h += m.syn0[c]
            if m.cbow_mean and len(context) > 1:
                h *= f32(1) / f32(len(context))
            grad = train_example(m, w, h, sent[i], alpha)
            for c in context:
                input_step(m, c, grad)   # undivided, also for the mean (word2vec.c)
            w.examples += 1


def train_stream(m, w, progress, ids):
    """Returns (raw_words, effective_words); raises NonFinite like the kernel's status."""
    V = len(m.syn0)
    ids = [int(x) for x in ids]
    pos, raw, kept, pending = 0, 0, 0, 0
    alpha = f32(progress.alpha_at(progress.words_done))
    try:
        while pos < len(ids):
            sent, chunk_raw = [], 0
            while pos < len(ids):
                t = ids[pos]
                pos += 1
                if t == EOS:
                    break
                if not 0 <= t < V:
                    raise ValueError(f"id {t} out of range")
                chunk_raw += 1
                thr = int(m.keep_thresholds[t])
                if thr == UINT32_MAX or (w.rng.next() >> 32) <= thr:
                    sent.append(t)
                    if len(sent) == w.max_sentence_length:
                        break
            raw += chunk_raw
            pending += chunk_raw
            kept += len(sent)
            if pending >= w.report_every:
                progress.words_done += pending
                pending = 0
                alpha = f32(progress.alpha_at(progress.words_done))
            train_chunk(m, w, sent, alpha)
    finally:
        progress.words_done += pending
    return raw, kept


# ---------------------------------------------------------------- float64 maths

def shared_batch_f64(syn0, syn1neg, context, centre, noise, alpha):
    """The exact minibatch step in float64: (loss, new syn0, new syn1neg), the updates
    being alpha * -dloss/d(row) at the rows before the step, summed over repeats."""
    syn0, syn1neg = syn0.astype(np.float64), syn1neg.astype(np.float64)
    outputs = [centre] + list(noise)
    labels = np.array([1.0] + [0.0] * len(noise))
    In, Out = syn0[context], syn1neg[outputs]
    S = In @ Out.T
    loss = float(np.sum(np.where(labels > 0, np.logaddexp(0, -S), np.logaddexp(0, S))))
    G = (labels - 1 / (1 + np.exp(-S))) * alpha
    new0, new1 = syn0.copy(), syn1neg.copy()
    np.add.at(new0, context, G @ Out)
    np.add.at(new1, outputs, G.T @ In)
    return loss, new0, new1


def example_loss_f64(h, target, outputs):
    """-sum log sigmoid(+-h.row) in float64 for a list of (row, label) pairs."""
    h = h.astype(np.float64)
    total = 0.0
    for row, label in outputs:
        s = float(h @ row.astype(np.float64))
        total += math.log1p(math.exp(-s)) if label else math.log1p(math.exp(s))
    return total


# ---------------------------------------------------------------- input builders

def build_huffman(counts):
    """Huffman tree as ARCHITECTURE.md's flat arrays (codes, points, offsets), via heapq.
    Inner nodes are numbered in creation order, so the root is V-2."""
    V = len(counts)
    if V == 1:
        return np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(2, np.int64)
    heap = [(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent = np.zeros(2 * V - 1, dtype=np.int64)
    bit = np.zeros(2 * V - 1, dtype=np.uint8)
    node = V
    while len(heap) > 1:
        c1, a = heapq.heappop(heap)
        c2, b = heapq.heappop(heap)
        parent[a], bit[a] = node, 0
        parent[b], bit[b] = node, 1
        heapq.heappush(heap, (c1 + c2, node))
        node += 1
    root = 2 * V - 2
    codes, points, offsets = [], [], [0]
    for w in range(V):
        c, p, x = [], [], w
        while x != root:
            c.append(bit[x])
            p.append(parent[x] - V)
            x = parent[x]
        codes += c[::-1]
        points += p[::-1]
        offsets.append(len(codes))
    return (np.array(codes, np.uint8), np.array(points, np.int32), np.array(offsets, np.int64))


def build_alias(weights):
    """Vose's alias method with uint32 keep probabilities (ARCHITECTURE.md draw rule)."""
    V = len(weights)
    p = np.asarray(weights, dtype=np.float64)
    p = p / p.sum() * V
    prob = np.ones(V)
    alias = np.arange(V, dtype=np.int32)
    small = [i for i in range(V) if p[i] < 1.0]
    large = [i for i in range(V) if p[i] >= 1.0]
    while small and large:
        s, l = small.pop(), large.pop()
        prob[s], alias[s] = p[s], l
        p[l] -= 1.0 - p[s]
        (small if p[l] < 1.0 else large).append(l)
    prob_u32 = np.minimum(np.round(prob * 2.0 ** 32), UINT32_MAX).astype(np.uint32)
    return prob_u32, alias


def alias_distribution(prob_u32, alias):
    """Exact probability of each word under the draw rule."""
    V = len(prob_u32)
    keep = prob_u32.astype(np.float64) / 2.0 ** 32
    dist = keep / V
    np.add.at(dist, alias, (1.0 - keep) / V)
    return dist


def keep_thresholds(counts, sample):
    """ARCHITECTURE.md "Subsampling thresholds"."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample == 0:
        return np.full(len(counts), UINT32_MAX, dtype=np.uint32)
    T = sample * counts.sum()
    p = (np.sqrt(counts / T) + 1) * T / counts
    return np.minimum(np.ceil(p * 2.0 ** 32) - 1, UINT32_MAX).astype(np.uint32)
