"""Phrases (issue 16): w2v against gensim 4, learning + applying, in the same run.

Each tool runs in its own fresh Python process (imports excluded from the
times; peak memory is that process's ru_maxrss), one after the other on the
same file, which is read once first so that both find it in the page cache.

  gensim: Phrases(LineSentence(PATH), min_count, threshold) -> freeze() ->
          write frozen[sentence] of every LineSentence sentence to a file
  w2v:    Phrases(corpus_file=PATH, workers=T) -> freeze() ->
          apply_file(PATH, OUT, workers=T)

Then it compares the two phrase sets (Jaccard index, largest score
difference on the common phrases) and the two phrased files line by line.

--build-from FULL.xz --words N first writes PATH as the first N words of the
full corpus (one paragraph per line; the last paragraph is cut at N words).

usage: python bench/bench_phrases.py PATH [--build-from FULL.xz --words 10000000]
         [--threads 2] [--min-count 5] [--threshold 10] [--scoring default]
         [--skip-gensim] [--out-dir DIR] [--append-results bench/RESULTS.md]
"""
import argparse
import json
import lzma
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GENSIM_CHILD = r"""
import json, resource, sys, time
from gensim.models.phrases import Phrases
from gensim.models.word2vec import LineSentence
path, out, min_count, threshold, scoring = sys.argv[1:6]
t0 = time.perf_counter()
p = Phrases(LineSentence(path), min_count=int(min_count), threshold=float(threshold),
            scoring=scoring)
t1 = time.perf_counter()
f = p.freeze()
t2 = time.perf_counter()
with open(out, "w", encoding="utf-8") as o:
    for s in LineSentence(path):
        o.write(" ".join(f[s]) + "\n")
t3 = time.perf_counter()
json.dump({"learn": t1 - t0, "freeze": t2 - t1, "apply": t3 - t2, "total": t3 - t0,
           "phrases": f.phrasegrams, "vocab": len(p.vocab),
           "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
          sys.stdout)
"""

W2V_CHILD = r"""
import json, resource, sys, time
from w2v.phrases import Phrases
path, out, min_count, threshold, scoring, threads = sys.argv[1:7]
t0 = time.perf_counter()
p = Phrases(corpus_file=path, min_count=int(min_count), threshold=float(threshold),
            scoring=scoring, workers=int(threads))
t1 = time.perf_counter()
f = p.freeze()
t2 = time.perf_counter()
f.apply_file(path, out, workers=int(threads))
t3 = time.perf_counter()
json.dump({"learn": t1 - t0, "freeze": t2 - t1, "apply": t3 - t2, "total": t3 - t0,
           "phrases": f.phrasegrams, "vocab": len(p._learner),
           "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
          sys.stdout)
"""


def build_slice(full, path, words):
    """First ``words`` words of ``full`` (xz or plain), one paragraph per line."""
    opener = lzma.open if full.endswith(".xz") else open
    n = 0
    with opener(full, "rt", encoding="utf-8") as src, open(path, "w", encoding="utf-8") as dst:
        for line in src:
            toks = line.split()
            if not toks:
                continue
            toks = toks[:words - n]
            dst.write(" ".join(toks) + "\n")
            n += len(toks)
            if n >= words:
                break
    return n


def run_child(code, args):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    res = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                         text=True, env=env, cwd=ROOT)
    if res.returncode != 0:
        sys.exit(f"child failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout)


def compare_files(a, b):
    same = total = 0
    with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
        for la, lb in zip(fa, fb):
            total += 1
            same += la == lb
    return same, total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path")
    ap.add_argument("--build-from")
    ap.add_argument("--words", type=int, default=10_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--threshold", type=float, default=10.0)
    ap.add_argument("--scoring", default="default")
    ap.add_argument("--skip-gensim", action="store_true")
    ap.add_argument("--out-dir")
    ap.add_argument("--append-results")
    args = ap.parse_args()
    if args.build_from:
        n = build_slice(args.build_from, args.path, args.words)
        print(f"wrote {args.path}: {n} words", file=sys.stderr)
    with open(args.path, "rb") as f:        # into the page cache
        while f.read(1 << 24):
            pass
    out_dir = args.out_dir or tempfile.mkdtemp(prefix="bench_phrases.")
    common = [args.path, None, args.min_count, args.threshold, args.scoring]
    w_out = os.path.join(out_dir, "w2v.txt")
    w = run_child(W2V_CHILD, [args.path, w_out, *common[2:], args.threads])
    print(f"w2v:    learn {w['learn']:.2f} s, freeze {w['freeze']:.2f} s, apply "
          f"{w['apply']:.2f} s, total {w['total']:.2f} s, {len(w['phrases'])} phrases, "
          f"peak {w['peak_mib']:.0f} MiB")
    result = {"path": args.path, "threads": args.threads, "min_count": args.min_count,
              "threshold": args.threshold, "scoring": args.scoring,
              "w2v": {k: v for k, v in w.items() if k != "phrases"}}
    lines = []
    if not args.skip_gensim:
        g_out = os.path.join(out_dir, "gensim.txt")
        g = run_child(GENSIM_CHILD, [args.path, g_out, *common[2:]])
        print(f"gensim: learn {g['learn']:.2f} s, freeze {g['freeze']:.2f} s, apply "
              f"{g['apply']:.2f} s, total {g['total']:.2f} s, {len(g['phrases'])} phrases, "
              f"peak {g['peak_mib']:.0f} MiB")
        gs, ws = set(g["phrases"]), set(w["phrases"])
        jaccard = len(gs & ws) / max(1, len(gs | ws))
        diff = max((abs(g["phrases"][p] - w["phrases"][p]) for p in gs & ws), default=0.0)
        same, total = compare_files(g_out, w_out)
        speedup = g["total"] / w["total"]
        print(f"Jaccard {jaccard:.6f} ({len(gs & ws)} common, {len(gs - ws)} gensim only, "
              f"{len(ws - gs)} w2v only), largest score difference {diff:.3g}; phrased "
              f"lines identical {same}/{total}; speed-up {speedup:.1f}x")
        result.update(gensim={k: v for k, v in g.items() if k != "phrases"}, jaccard=jaccard,
                      max_score_diff=diff, same_lines=same, lines=total, speedup=speedup)
        lines = [
            "",
            "## Phrases (issue 16)",
            "",
            f"`python bench/bench_phrases.py {args.path} --threads {args.threads}` "
            f"(min_count {args.min_count}, threshold {args.threshold:g}, scoring "
            f"{args.scoring}; each tool in its own process, one after the other, file in the "
            "page cache; gensim: `Phrases(LineSentence)`, `freeze()`, frozen[sentence] "
            f"written per line; w2v: `Phrases(corpus_file=, workers={args.threads})`, "
            f"`freeze()`, `apply_file(workers={args.threads})`).",
            "",
            "| | learn s | freeze s | apply s | total s | phrases | peak MiB |",
            "|---|---|---|---|---|---|---|",
            f"| gensim 4 | {g['learn']:.2f} | {g['freeze']:.2f} | {g['apply']:.2f} | "
            f"{g['total']:.2f} | {len(gs)} | {g['peak_mib']:.0f} |",
            f"| w2v, {args.threads} threads | {w['learn']:.2f} | {w['freeze']:.2f} | "
            f"{w['apply']:.2f} | {w['total']:.2f} | {len(ws)} | {w['peak_mib']:.0f} |",
            "",
            f"Speed-up {speedup:.1f}x. Phrase sets: Jaccard {jaccard:.6f} ({len(gs - ws)} only "
            f"in gensim, {len(ws - gs)} only in w2v), largest score difference {diff:.3g}; "
            f"phrased lines identical: {same} of {total}.",
        ]
    print(json.dumps(result))
    if args.append_results and lines:
        with open(args.append_results, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
