"""Single-thread training speed of the w2v kernel, table vs exact sigmoid (and gensim).

    python bench/bench_sigmoid.py [--corpus PATH] [--words N] [--repeats R] [--gensim] [--sg 0|1] [--hs 0|1] [--negative N]

Encodes the corpus once with a quick local encoder (whitespace split, min_count 5,
sample 1e-3, unigram^0.75 alias table; cached under /tmp), then times
Worker.train for skip-gram / negative sampling, d=100, window 5, negative 5 with
each sigmoid and reports the median words/s (in-vocabulary words read per second,
the figure word2vec.c and gensim print).  --gensim also times gensim 4's
Word2Vec(corpus_file=..., workers=1, epochs=1) with the same settings on the same
text (vocabulary scan excluded).  Both figures are in-vocabulary words (same
count for both) per second of CPU time of the training call (thread time for
w2v, process time for gensim), which is steadier than wall time on a shared
machine.  --sg 0 / --hs 1 --negative 0 select other configurations.
"""
import argparse
import collections
import hashlib
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from w2v._train import Model, Progress, Worker  # noqa: E402



def encode(path, max_words, min_count=5):
    key = hashlib.sha1(f"{os.path.abspath(path)}:{os.path.getmtime(path)}:{max_words}:{min_count}".encode()).hexdigest()[:12]
    cache = os.path.join(tempfile.gettempdir(), f"w2v_bench_{key}.npz")
    if os.path.exists(cache):
        z = np.load(cache)
        return z["ids"], z["counts"]
    lines, n = [], 0
    with open(path, "rb") as f:
        for line in f:
            toks = line.split()
            if not toks:
                continue
            if max_words and n + len(toks) > max_words:
                toks = toks[:max_words - n]
            lines.append(toks)
            n += len(toks)
            if max_words and n >= max_words:
                break
    counter = collections.Counter(t for toks in lines for t in toks)
    vocab = sorted((w for w, c in counter.items() if c >= min_count), key=lambda w: -counter[w])
    index = {w: i for i, w in enumerate(vocab)}
    out = []
    for toks in lines:
        ids = [index[t] for t in toks if t in index]
        if ids:
            out.extend(ids)
            out.append(-1)
    ids = np.array(out, dtype=np.int32)
    counts = np.array([counter[w] for w in vocab], dtype=np.int64)
    np.savez(cache, ids=ids, counts=counts)
    return ids, counts


def keep_thresholds(counts, sample):
    T = sample * counts.sum()
    p = (np.sqrt(counts / T) + 1) * T / counts
    return np.minimum(np.ceil(p * 2.0 ** 32) - 1, 2 ** 32 - 1).astype(np.uint32)


def alias_table(weights):
    V = len(weights)
    p = weights / weights.sum() * V
    prob, alias = np.ones(V), np.arange(V, dtype=np.int32)
    small = list(np.flatnonzero(p < 1))
    large = list(np.flatnonzero(p >= 1))
    while small and large:
        s, l = small.pop(), large.pop()
        prob[s], alias[s] = p[s], l
        p[l] -= 1 - p[s]
        (small if p[l] < 1 else large).append(l)
    return np.minimum(np.round(prob * 2.0 ** 32), 2 ** 32 - 1).astype(np.uint32), alias


def huffman(counts):
    """Huffman paths (ARCHITECTURE.md arrays) via heapq; root = inner node V-2."""
    import heapq
    V = len(counts)
    heap = [(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent = np.zeros(2 * V - 1, np.int64)
    bit = np.zeros(2 * V - 1, np.uint8)
    node = V
    while len(heap) > 1:
        c1, a = heapq.heappop(heap)
        c2, b = heapq.heappop(heap)
        parent[a], parent[b], bit[b] = node, node, 1
        heapq.heappush(heap, (c1 + c2, node))
        node += 1
    codes, points, offsets = [], [], [0]
    for w in range(V):
        c, p, x = [], [], w
        while x != 2 * V - 2:
            c.append(bit[x])
            p.append(parent[x] - V)
            x = parent[x]
        codes += c[::-1]
        points += p[::-1]
        offsets.append(len(codes))
    return np.array(codes, np.uint8), np.array(points, np.int32), np.array(offsets, np.int64)


def time_w2v(ids, counts, sigmoid, d=100, window=5, negative=5, sg=1, hs=0, seed=1):
    V = len(counts)
    codes, points, offsets = huffman(counts) if hs else (None, None, None)
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((V, d)) - 0.5) / d).astype(np.float32)
    syn1neg = np.zeros((V, d), np.float32)
    syn1 = np.zeros((max(V - 1, 1), d), np.float32)
    prob, alias = alias_table(counts ** 0.75)
    model = Model(syn0, syn1neg, syn1, keep_thresholds(counts, 1e-3), prob, alias, codes, points, offsets,
                  sg=sg, hs=hs, negative=negative, window=window, sigmoid=sigmoid)
    worker = Worker(model, seed)
    total = int(np.count_nonzero(ids >= 0))
    t0 = time.thread_time()
    raw, eff = worker.train(ids, Progress(total, 0.025, 0.0001))
    dt = time.thread_time() - t0
    return raw / dt, eff / dt


def time_gensim(ids_path_text, sg, hs, negative, in_vocab_words):
    import logging
    from gensim.models import Word2Vec
    logging.disable(logging.WARNING)
    m = Word2Vec(vector_size=100, window=5, negative=negative, hs=hs, sg=sg, min_count=5,
                 sample=1e-3, workers=1)
    m.build_vocab(corpus_file=ids_path_text)
    t0 = time.process_time()
    m.train(corpus_file=ids_path_text, total_words=m.corpus_total_words, epochs=1)
    dt = time.process_time() - t0
    return in_vocab_words / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", help="text file (default: the 10M-word slice of the shared corpus, as `w2v bench` finds or makes it)")
    ap.add_argument("--words", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sigmoids", default="table,exact")
    ap.add_argument("--gensim", action="store_true")
    ap.add_argument("--sg", type=int, default=1)
    ap.add_argument("--hs", type=int, default=0)
    ap.add_argument("--negative", type=int, default=5)
    args = ap.parse_args()
    if args.corpus is None:
        from w2v.bench import corpora
        args.corpus = str(corpora.resolve_corpus("10M").path)
    t0 = time.perf_counter()
    ids, counts = encode(args.corpus, args.words)
    print(f"corpus: {np.count_nonzero(ids >= 0):,} in-vocab words, V={len(counts):,} "
          f"(encoded in {time.perf_counter() - t0:.1f}s)")
    config = f"{'sg' if args.sg else 'cbow'} hs={args.hs} negative={args.negative} d=100 w=5"
    for sigmoid in args.sigmoids.split(","):
        runs = [time_w2v(ids, counts, sigmoid, sg=args.sg, hs=args.hs, negative=args.negative)
                for _ in range(args.repeats)]
        raw = statistics.median(r[0] for r in runs)
        print(f"w2v {config} sigmoid={sigmoid}: {raw:,.0f} words/s "
              f"(median of {args.repeats}: {', '.join(f'{r[0]:,.0f}' for r in runs)}; "
              f"{statistics.median(r[1] for r in runs):,.0f} effective words/s)")
    if args.gensim:
        text = args.corpus
        if args.words:
            text = os.path.join(tempfile.gettempdir(), f"w2v_bench_first{args.words}.txt")
            if not os.path.exists(text):
                with open(args.corpus, "rb") as f, open(text, "wb") as g:
                    n = 0
                    for line in f:
                        toks = line.split()
                        if n + len(toks) > args.words:
                            toks = toks[:args.words - n]
                        g.write(b" ".join(toks) + b"\n")
                        n += len(toks)
                        if n >= args.words:
                            break
        n_in_vocab = int(np.count_nonzero(ids >= 0))
        runs = [time_gensim(text, args.sg, args.hs, args.negative, n_in_vocab) for _ in range(args.repeats)]
        print(f"gensim {config} workers=1: {statistics.median(runs):,.0f} words/s "
              f"(median of {args.repeats}: {', '.join(f'{r:,.0f}' for r in runs)})")


if __name__ == "__main__":
    main()
