"""Two builds of the training kernels, alternated in one process: before/after timings
that the host's noise does not swamp.

    python bench/bench_ab.py BEFORE AFTER [--arch sg|cbow|shared] [--hs] [--threads 2]
                             [--rounds 12] [--corpus SLICE] [--vocab-corpus FILE] [--json PATH]
                             [--layout padded|contiguous|pad-after] [--simd PATH]

BEFORE and AFTER are checkouts with their extensions built in place (`python setup.py
build_ext --inplace`).  The Python layer is BEFORE's; only the kernels (`w2v/_train*.so`)
are taken from each, so the two must agree on `w2v._train`'s interface.  One model per
build, with the vocabulary of --vocab-corpus (default: the whole 109M-word corpus, a
231,103-word vocabulary, whose weights do not fit in cache) and its weights touched
beforehand; then --rounds times, in alternating order, each model trains one epoch on
--corpus (default: 1M words from the middle of that corpus), timing the train() call.

On the shared 2-vCPU machines the time of one call moves by 20-30% from one call to the
next, whatever runs (the same build against itself gives 0.75-1.45): separate processes
minutes apart cannot show a 10% change.  Alternating calls a few seconds long and taking
the median of the ratios of adjacent calls (BEFORE / AFTER: > 1 when AFTER is faster),
with how many rounds AFTER won, can.  Prints one JSON line.

--layout: the weights of both models in AFTER's `_train.weight_matrix` layout (rows on
64-byte lines; the default, when AFTER has it) or C-contiguous, or pad-after: AFTER's
padded and BEFORE's contiguous (with BEFORE == AFTER, the layout's effect alone).

Settings: dim 100, window 5, negative 5 (--hs: hierarchical softmax, no negative sampling),
sample 1e-3, min_count 5, seed 1; alpha 0.025 (sg, shared) or 0.05 (cbow).
"""
import argparse
import glob
import importlib.util
import json
import os
import statistics
import sys
import time

import numpy as np

DATA = os.environ.get("W2V_BENCH_DATA", "/tmp/w2v-bench-data")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--arch", choices=("sg", "cbow", "shared"), default="sg")
    ap.add_argument("--hs", action="store_true",
                    help="hierarchical softmax instead of negative sampling (not with shared)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--corpus", default=None, help="the text trained each round")
    ap.add_argument("--vocab-corpus", default=os.path.join(DATA, "full.paragraphs.txt"))
    ap.add_argument("--json", default=None, help="append the result line to this file")
    ap.add_argument("--simd", default=None,
                    help="run this instruction-set copy of both builds (e.g. avx2+fma)")
    ap.add_argument("--layout", choices=("padded", "contiguous", "pad-after"), default=None,
                    help="the weights' layout (default: padded when AFTER's build has it)")
    args = ap.parse_args()
    corpus = args.corpus or _middle_slice(args.vocab_corpus, 1_000_000)

    sys.path.insert(0, os.path.abspath(args.before))
    import w2v
    import w2v.word2vec as w2v_word2vec

    kernels = [_load_kernels(args.before), _load_kernels(args.after)]
    if args.simd:
        for k in kernels:
            k.set_simd_path(args.simd)
    models = [_model(w2v, args) for _ in kernels]
    padded = getattr(kernels[1], "weight_matrix", None)
    if args.layout is None:
        args.layout = "contiguous" if padded is None else "padded"
    if args.layout != "contiguous" and padded is None:
        sys.exit(f"{args.after}: its kernels have no weight_matrix layout")
    for k, model in enumerate(models):
        pad = args.layout == "padded" or (args.layout == "pad-after" and k == 1)
        layout = padded if pad else lambda n, d, like: np.ascontiguousarray(like)
        model.wv.vectors = layout(*model.wv.vectors.shape, like=model.wv.vectors)
        for name in ("syn1neg", "syn1"):
            if getattr(model, name) is not None:
                setattr(model, name, layout(*getattr(model, name).shape, like=getattr(model, name)))
    words = sum(len(line.split()) for line in open(corpus, encoding="utf-8"))
    times = [[], []]
    for r in range(args.rounds):
        for k in ((0, 1) if r % 2 == 0 else (1, 0)):
            for name in ("Model", "Progress", "Worker", "epoch_parallel", "train_epoch_file"):
                setattr(w2v_word2vec, name, getattr(kernels[k], name))
            t = time.perf_counter()
            models[k].train(corpus_file=corpus, total_words=words, epochs=1)
            times[k].append(time.perf_counter() - t)
    ratios = [a / b for a, b in zip(*times)]
    row = {"before": args.before, "after": args.after, "arch": args.arch, "hs": args.hs,
           "layout": args.layout, "simd": args.simd or kernels[1].simd_path(),
           "threads": args.threads, "vocab": len(models[0].wv), "words": words,
           "before_median_s": round(statistics.median(times[0]), 3),
           "after_median_s": round(statistics.median(times[1]), 3),
           "speedup_median": round(statistics.median(ratios), 3),
           "after_faster": f"{sum(x > 1 for x in ratios)}/{len(ratios)}",
           "speedup_mean": round(statistics.mean(ratios), 3),
           "speedup_sem": round(statistics.stdev(ratios) / len(ratios) ** 0.5, 3)
           if len(ratios) > 1 else None,
           "ratios": [round(x, 3) for x in ratios]}
    print(json.dumps(row))
    if args.json:
        with open(args.json, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def _load_kernels(checkout):
    """w2v._train from one checkout's build (a second copy loads beside the first: the
    import system keys extension modules by file)."""
    paths = glob.glob(os.path.join(checkout, "w2v", "_train*.so"))
    if not paths:
        sys.exit(f"{checkout}: no w2v/_train*.so (build it: python setup.py build_ext --inplace)")
    spec = importlib.util.spec_from_file_location("w2v._train", paths[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(w2v, args):
    model = w2v.Word2Vec(vector_size=100, window=5, negative=0 if args.hs else 5, hs=int(args.hs),
                         sample=1e-3, min_count=5,
                         workers=args.threads, sg=int(args.arch != "cbow"),
                         alpha=0.05 if args.arch == "cbow" else 0.025,
                         shared_negatives=args.arch == "shared", seed=1, epochs=1)
    model.build_vocab(corpus_file=args.vocab_corpus)
    model.corpus_fingerprint = None  # trains on a slice of it (older checkouts refuse that)
    for out in (model.syn1neg, model.syn1):   # touch every page before the timing
        if out is not None:
            out[:] = 0.0
    model.wv.vectors[:] += 0.0
    return model


def _middle_slice(path, words):
    """A file of about `words` words from the middle of `path` (cached beside /tmp)."""
    out = f"/tmp/w2v-ab-slice-{os.path.basename(path)}-{words}.txt"
    if not os.path.exists(out):
        with open(path, encoding="utf-8") as f:
            f.seek(os.path.getsize(path) // 2)
            f.readline()
            lines, n = [], 0
            for line in f:
                lines.append(line)
                n += len(line.split())
                if n >= words:
                    break
        with open(out + ".tmp", "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.replace(out + ".tmp", out)
    return out


if __name__ == "__main__":
    main()
