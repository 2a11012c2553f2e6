"""Vocabulary scan: w2v count_words (+ min_count vocabulary) against gensim build_vocab.

Each measurement runs in a fresh Python process (same start-up state for both
tools, no memory carried over); tools alternate within every repeat so that
machine noise hits both alike.  The file is read once beforehand so that every
run finds it in the page cache.  Times cover only the scan: imports excluded.

  w2v:    count_words(PATH, workers=W), then the words with count >= MIN_COUNT
          sorted by descending count (the vocabulary list)
  gensim: Word2Vec(min_count=MIN_COUNT, workers=2).build_vocab(corpus_file=PATH)

--check compares w2v's raw counts with gensim's ``raw_vocab`` (plus total words
and sentence count) on the same file, in one extra process pair.

--encode also times encode_file_corpus with the min_count vocabulary.

usage: python bench/bench_vocab_scan.py PATH [--repeats 3] [--workers 1,2] [--check] [--encode]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

W2V_CHILD = r"""
import json, sys, time
import numpy as np
from w2v.corpus import count_words
path, workers, min_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
wc = count_words(path, workers=workers)
keep = np.flatnonzero(wc.counts >= min_count)
order = keep[np.argsort(-wc.counts[keep], kind="stable")]
vocab = [wc.words[i] for i in order]
dt = time.perf_counter() - t0
print(json.dumps({"seconds": dt, "vocab": len(vocab), "total_words": wc.total_words,
                  "n_sentences": wc.n_sentences, "distinct": len(wc.words)}))
"""

GENSIM_CHILD = r"""
import json, sys, time
from gensim.models import Word2Vec
path, min_count = sys.argv[1], int(sys.argv[2])
model = Word2Vec(min_count=min_count, workers=2)
t0 = time.perf_counter()
model.build_vocab(corpus_file=path)
dt = time.perf_counter() - t0
print(json.dumps({"seconds": dt, "vocab": len(model.wv), "total_words": model.corpus_total_words,
                  "n_sentences": model.corpus_count}))
"""

ENCODE_CHILD = r"""
import json, os, sys, tempfile, time
import numpy as np
from w2v.corpus import count_words, encode_file_corpus
path, workers, min_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
wc = count_words(path, workers=2)
keep = np.flatnonzero(wc.counts >= min_count)
vocab = [wc.words[i] for i in keep[np.argsort(-wc.counts[keep], kind="stable")]]
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    enc = encode_file_corpus(path, vocab, os.path.join(tmp, "ids.bin"), workers=workers)
    dt = time.perf_counter() - t0
print(json.dumps({"seconds": dt, "raw_tokens": enc.raw_tokens, "n_tokens": enc.n_tokens}))
"""

CHECK_CHILD = r"""
import sys
import numpy as np
from gensim.models import Word2Vec
from w2v.corpus import count_words
path = sys.argv[1]
wc = count_words(path, workers=2)
model = Word2Vec(min_count=5, workers=2)
model.build_vocab(corpus_file=path, keep_raw_vocab=True)
ours = dict(zip(wc.words, wc.counts.tolist()))
theirs = dict(model.raw_vocab)
diff = [w for w in set(ours) | set(theirs) if ours.get(w) != theirs.get(w)]
print(f"distinct words: w2v {len(ours)}, gensim {len(theirs)}; differing {len(diff)}")
print(f"total words: w2v {wc.total_words}, gensim {model.corpus_total_words}")
print(f"sentences:   w2v {wc.n_sentences}, gensim {model.corpus_count}")
for w in sorted(diff, key=lambda w: -max(ours.get(w, 0), theirs.get(w, 0)))[:10]:
    print(f"  {w!r}: w2v {ours.get(w)}, gensim {theirs.get(w)}")
ok = not diff and wc.total_words == model.corpus_total_words and wc.n_sentences == model.corpus_count
print("IDENTICAL" if ok else "DIFFERENT")
sys.exit(0 if ok else 1)
"""


def run_child(code, *args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                         text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"child failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm_page_cache(path):
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 24):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", default="1,2", help="w2v worker counts, comma-separated")
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--no-gensim", action="store_true")
    ap.add_argument("--check", action="store_true",
                    help="also compare raw counts with gensim's raw_vocab")
    ap.add_argument("--encode", action="store_true",
                    help="also time encode_file_corpus (min_count vocabulary) per worker count")
    args = ap.parse_args()
    workers = [int(w) for w in args.workers.split(",")]

    warm_page_cache(args.path)
    size_mb = os.path.getsize(args.path) / 1e6
    times = {f"w2v workers={w}": [] for w in workers}
    if not args.no_gensim:
        times["gensim 4 build_vocab workers=2"] = []
    info = {}
    for rep in range(args.repeats):
        for w in workers:
            r = run_child(W2V_CHILD, args.path, w, args.min_count)
            times[f"w2v workers={w}"].append(r["seconds"])
            info["w2v"] = r
            print(f"  repeat {rep + 1}: w2v workers={w}: {r['seconds']:.2f} s", file=sys.stderr)
        if not args.no_gensim:
            r = run_child(GENSIM_CHILD, args.path, args.min_count)
            times["gensim 4 build_vocab workers=2"].append(r["seconds"])
            info["gensim"] = r
            print(f"  repeat {rep + 1}: gensim: {r['seconds']:.2f} s", file=sys.stderr)

    w2v = info["w2v"]
    print(f"\nVocabulary scan of `{args.path}` ({size_mb:.0f} MB, {w2v['total_words']:,} words, "
          f"{w2v['n_sentences']:,} sentences, {w2v['distinct']:,} distinct, "
          f"{w2v['vocab']:,} with count >= {args.min_count}); {args.repeats} repeats, "
          f"{os.cpu_count()} CPUs visible.\n")
    if "gensim" in info:
        g = info["gensim"]
        same = (g["vocab"], g["total_words"], g["n_sentences"]) == (
            w2v["vocab"], w2v["total_words"], w2v["n_sentences"])
        print(f"gensim: vocab {g['vocab']:,}, words {g['total_words']:,}, sentences "
              f"{g['n_sentences']:,} ({'same as' if same else 'DIFFERENT from'} w2v)\n")
    ref = statistics.median(times["gensim 4 build_vocab workers=2"]) if "gensim" in info else None
    print("| tool | median s | min-max s | M words/s | speed-up vs gensim |")
    print("|---|---|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts)
        ratio = f"{ref / med:.1f}x" if ref else "-"
        print(f"| {name} | {med:.2f} | {min(ts):.2f}-{max(ts):.2f} | "
              f"{w2v['total_words'] / med / 1e6:.0f} | {ratio} |")
    print(f"\nCommand: `python bench/bench_vocab_scan.py {' '.join(sys.argv[1:])}`")

    if args.encode:
        enc_times = {w: [] for w in workers}
        for rep in range(args.repeats):
            for w in workers:
                r = run_child(ENCODE_CHILD, args.path, w, args.min_count)
                enc_times[w].append(r["seconds"])
                raw = r["raw_tokens"]
        print("\nEncoding (encode_file_corpus, int32 ids written to a temporary file):\n")
        print("| workers | median s | min-max s | M raw tokens/s | M tokens/s per worker |")
        print("|---|---|---|---|---|")
        for w, ts in enc_times.items():
            med = statistics.median(ts)
            print(f"| {w} | {med:.2f} | {min(ts):.2f}-{max(ts):.2f} | {raw / med / 1e6:.0f} | "
                  f"{raw / med / 1e6 / w:.0f} |")

    if args.check:
        env = dict(os.environ, PYTHONPATH=ROOT)
        out = subprocess.run([sys.executable, "-c", CHECK_CHILD, args.path], text=True,
                             capture_output=True, env=env, cwd=ROOT)
        print("\nRaw counts against gensim raw_vocab:\n")
        print(out.stdout.strip())
        if out.returncode not in (0, 1):
            print(out.stderr)


if __name__ == "__main__":
    main()
