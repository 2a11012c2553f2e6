"""Single-thread training speed of the w2v kernel, table vs exact sigmoid (and gensim).

    python bench/bench_sigmoid.py [--corpus PATH] [--words N] [--repeats R] [--gensim]

Encodes the corpus once with a quick local encoder (whitespace split, min_count 5,
sample 1e-3, unigram^0.75 alias table; cached under /tmp), then times
Worker.train for skip-gram / negative sampling, d=100, window 5, negative 5 with
each sigmoid and reports the median words/s (in-vocabulary words read per second,
the figure word2vec.c and gensim print).  --gensim also times gensim 4's
Word2Vec(corpus_file=..., workers=1, epochs=1, sg=1) on the same text (its
wall-clock words/s over the training call, vocabulary scan excluded).
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

DEFAULT_CORPUS = "/tmp/w2vdata/first10M.paragraphs.txt"


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


def time_w2v(ids, counts, sigmoid, d=100, window=5, negative=5, sg=1, hs=0, seed=1):
    V = len(counts)
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((V, d)) - 0.5) / d).astype(np.float32)
    syn1neg = np.zeros((V, d), np.float32)
    syn1 = np.zeros((max(V - 1, 1), d), np.float32)
    prob, alias = alias_table(counts ** 0.75)
    empty = np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(V + 1, np.int64)
    model = Model(syn0, syn1neg, syn1, keep_thresholds(counts, 1e-3), prob, alias, *empty,
                  sg=sg, hs=hs, negative=negative, window=window, sigmoid=sigmoid)
    worker = Worker(model, seed)
    total = int(np.count_nonzero(ids >= 0))
    t0 = time.thread_time()
    raw, eff = worker.train(ids, Progress(total, 0.025, 0.0001))
    dt = time.thread_time() - t0
    return raw / dt, eff / dt


def time_gensim(ids_path_text, words):
    import logging
    from gensim.models import Word2Vec
    logging.disable(logging.WARNING)
    m = Word2Vec(vector_size=100, window=5, negative=5, sg=1, min_count=5, sample=1e-3, workers=1)
    m.build_vocab(corpus_file=ids_path_text)
    t0 = time.process_time()
    m.train(corpus_file=ids_path_text, total_words=m.corpus_total_words, epochs=1)
    dt = time.process_time() - t0
    return m.corpus_total_words / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--words", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sigmoids", default="table,exact")
    ap.add_argument("--gensim", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ids, counts = encode(args.corpus, args.words)
    print(f"corpus: {np.count_nonzero(ids >= 0):,} in-vocab words, V={len(counts):,} "
          f"(encoded in {time.perf_counter() - t0:.1f}s)")
    for sigmoid in args.sigmoids.split(","):
        runs = [time_w2v(ids, counts, sigmoid) for _ in range(args.repeats)]
        raw = statistics.median(r[0] for r in runs)
        print(f"w2v sg-ns d=100 w=5 n=5 sigmoid={sigmoid}: {raw:,.0f} words/s "
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
        runs = [time_gensim(text, args.words) for _ in range(args.repeats)]
        print(f"gensim sg-ns d=100 w=5 n=5 workers=1: {statistics.median(runs):,.0f} words/s "
              f"(median of {args.repeats}: {', '.join(f'{r:,.0f}' for r in runs)})")


if __name__ == "__main__":
    main()
