"""1 -> 2 thread scaling of training, told apart by where the host put the vCPUs.

    python bench/bench_scaling.py [--words 2000000] [--rounds 6] [--configs sg,cbow[,sg-hs]]
                                  [--tools w2v,gensim[,w2v-shared,w2v-inplace]] [--json PATH]

On a 2-vCPU virtual machine the cost of a cache line moving between the two
CPUs changes from run to run (bench/core_latency.c: ~80 ns round trip when the
host runs them close together, ~400 ns when not).  Hogwild threads write the
same rows (frequent words) all the time, so their 2-thread speed follows that
latency, while two independent processes do not care.  Each round measures,
for every tool and configuration, in fresh processes: training words/s on 1
thread, on 2 threads (with the core-to-core latency just before and just
after), and (w2v) two independent 1-thread processes at once.  `w2v-shared`
is w2v with shared_negatives=True (skip-gram only); `w2v-inplace` is w2v with
its private output rows turned off (csrc/train.h, "Private output rows"),
every thread writing every row in place.  Configs: sg and cbow (negative
sampling), sg-hs (hierarchical softmax).  A 2-thread run
is "near" when both latencies are under 150 ns, "far" when both are over 250 ns,
"mixed" otherwise.

Words/s: corpus tokens (a --words prefix of --corpus) / seconds of the train()
call alone, vocabulary built and (w2v) the corpus encoded beforehand.  Settings
as bench/RESULTS.md's quick mode: dim 100, window 5, negative 5, sample 1e-3,
min_count 5, 1 epoch, alpha 0.025 (sg) / 0.05 (cbow).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # this checkout's w2v, in children too
NEAR_NS, FAR_NS = 150.0, 250.0


def child(tool, config, threads, corpus, words):
    sg = config.startswith("sg")
    hs = config.endswith("-hs")
    params = dict(vector_size=100, window=5, negative=0 if hs else 5, hs=int(hs), sample=1e-3,
                  min_count=5, sg=int(sg), workers=threads, alpha=0.025 if sg else 0.05, epochs=1)
    if tool.startswith("w2v"):
        from w2v import Word2Vec
        if tool == "w2v-inplace":
            import w2v.word2vec
            w2v.word2vec._PRIVATE_ROW_BYTES = w2v.word2vec._PRIVATE_NODES = 0
        model = Word2Vec(**params, shared_negatives=tool == "w2v-shared")
        model.build_vocab(corpus_file=corpus)
        model._encoded(model._corpus(None, corpus, model.max_sentence_length))
    else:
        from gensim.models import Word2Vec
        model = Word2Vec(**params)
        model.build_vocab(corpus_file=corpus)
    t0 = time.perf_counter()
    model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=1)
    print(words / (time.perf_counter() - t0))


def run_child(tool, config, threads, corpus, words, parallel=1):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", tool, config, str(threads),
           corpus, str(words)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(parallel)]
    out = []
    for p in procs:
        stdout, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode})")
        out.append(float(stdout.strip().splitlines()[-1]))
    return out


def prefix(corpus, words, folder):
    """The first `words` tokens of corpus, whole lines, as a new file."""
    path = os.path.join(folder, f"prefix-{words}.txt")
    n = 0
    with open(corpus, "rb") as src, open(path, "wb") as dst:
        for line in src:
            dst.write(line)
            n += len(line.split())
            if n >= words:
                break
    return path, n


def latency(binary):
    return float(subprocess.run([binary], capture_output=True, text=True, check=True).stdout)


def placement(before, after):
    if before < NEAR_NS and after < NEAR_NS:
        return "near"
    if before > FAR_NS and after > FAR_NS:
        return "far"
    return "mixed"


def fmt(values):
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.2f} (1)"
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f}, {len(values)})"


def report(records, t1):
    lines = ["| tool | config | 1 thread Mw/s | placement | 2 threads Mw/s | scaling (2 threads / 1) "
             "| two 1-thread processes, Mw/s in all | their scaling |",
             "|---|---|--:|---|--:|--:|--:|--:|"]
    for (tool, config), base in sorted(t1.items()):
        b = statistics.median(base)
        for where in ("near", "mixed", "far"):
            two = [r["mw"] for r in records if r["tool"] == tool and r["config"] == config
                   and r["kind"] == "2 threads" and r["placement"] == where]
            pair = [r["mw"] for r in records if r["tool"] == tool and r["config"] == config
                    and r["kind"] == "2 processes" and r["placement"] == where]
            if not two and not pair:
                continue
            lines.append(f"| {tool} | {config} | {fmt(base)} | {where} | {fmt(two)} | "
                         f"{fmt([x / b for x in two])} | {fmt(pair)} | {fmt([x / b for x in pair])} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="text file (default: the 10M-word slice of the shared corpus, as `w2v bench` finds or makes it)")
    ap.add_argument("--words", type=int, default=2_000_000)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--configs", default="sg,cbow")
    ap.add_argument("--tools", default="w2v,gensim")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "scaling-placement.json"))
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        tool, config, threads, corpus, words = args.child
        return child(tool, config, int(threads), corpus, int(words))
    if args.corpus is None:
        from w2v.bench import corpora
        args.corpus = str(corpora.resolve_corpus("10M").path)

    with tempfile.TemporaryDirectory(prefix="w2v-scaling-") as tmp:
        binary = os.path.join(tmp, "core_latency")
        subprocess.run(["cc", "-O2", "-pthread", os.path.join(HERE, "core_latency.c"), "-o", binary],
                       check=True)
        corpus, words = prefix(args.corpus, args.words, tmp)
        print(f"corpus: the first {words:,} words of {args.corpus}", flush=True)
        records, t1 = [], {}
        for rnd in range(1, args.rounds + 1):
            for config in args.configs.split(","):
                for tool in args.tools.split(","):
                    if tool == "w2v-shared" and config != "sg":
                        continue
                    (mw,) = run_child(tool, config, 1, corpus, words)
                    t1.setdefault((tool, config), []).append(mw / 1e6)
                    # w2v-inplace differs from w2v only with several threads
                    independent = tool in ("w2v", "w2v-shared")
                    kinds = [("2 threads", 2, 1)] + ([("2 processes", 1, 2)] if independent else [])
                    for kind, threads, parallel in kinds:
                        before = latency(binary)
                        mw = sum(run_child(tool, config, threads, corpus, words, parallel)) / 1e6
                        after = latency(binary)
                        rec = dict(round=rnd, tool=tool, config=config, kind=kind, mw=mw,
                                   latency_before_ns=before, latency_after_ns=after,
                                   placement=placement(before, after))
                        records.append(rec)
                        print(f"round {rnd} {tool:6s} {config:4s} 1 thread {t1[(tool, config)][-1]:.3f}"
                              f"  {kind}: {mw:.3f} Mw/s  latency {before:.0f}/{after:.0f} ns "
                              f"({rec['placement']})", flush=True)
        table = report(records, t1)
        print()
        print(table)
        with open(args.json, "w") as f:
            json.dump(dict(command=" ".join([os.path.basename(sys.executable)] + sys.argv),
                           words=words, corpus=args.corpus, records=records,
                           one_thread={f"{t} {c}": v for (t, c), v in t1.items()}), f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
