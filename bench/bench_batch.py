"""Skip-gram negative sampling: the classic kernel vs shared negatives (Ji et al. 2016).

    python bench/bench_batch.py speed     [--dims 100,300] [--repeats 5] [--words 10000000]
    python bench/bench_batch.py callgrind [--slice 200000] [--dims 100]
    python bench/bench_batch.py quality   [--epochs 3] [--workers 2] [--seeds 1]
    python bench/bench_batch.py pword2vec [--binary PATH[,PATH...]] [--epochs 3]
    python bench/bench_batch.py blas      (needs cc, cblas.h and -lopenblas)
    python bench/bench_batch.py all       (speed, callgrind, quality, pword2vec)

Corpus: the first 10M words (--corpus, default: the 10M slice `w2v bench` uses),
vocabulary and encoding built with w2v.corpus / w2v.vocab / w2v.sampling as
w2v/word2vec.py does (min_count 5, sample 1e-3, ns_exponent 0.75); window 5,
negative 5, alpha 0.025 -> 0.0001.

speed      words/s on one thread: in-vocabulary words read (before subsampling, the
           figure word2vec.c prints) per second of CPU time of the Worker.train call
           (thread time: steadier than wall time on a shared machine); median of
           --repeats runs, each from fresh weights, kernels interleaved.
callgrind  instructions executed inside w2v_train_stream per word on a --slice of the
           corpus (valgrind --tool=callgrind; valgrind hides AVX-512, so this counts
           the AVX2+FMA copy).
quality    Word2Vec (workers threads) for --epochs epochs with each kernel, then
           questions-words analogy accuracy (restrict_vocab=30000) and WordSim-353
           Spearman (--eval-dir, default: as `w2v bench` finds the files).
blas       one minibatch in isolation (rows in cache), csrc/vecops.h loops vs gathering
           the rows and three cblas_sgemm calls as pWord2Vec does (OpenBLAS, one
           thread): is a BLAS worth depending on for these sizes?
pword2vec  Intel's pWord2Vec binaries (default: the OpenBLAS and the no-BLAS build) on the same text: its training CPU time for one
           epoch (user+sys of a 2-epoch run minus a 1-epoch run, one thread) and its
           quality after --epochs epochs (--workers threads), same settings.

The machine's load average is printed with every figure: other jobs on a shared
machine slow everything down.
"""
import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from w2v import _train  # noqa: E402
from w2v._train import Model, Progress, Worker  # noqa: E402

DEFAULT_PWORD2VEC = "/tmp/peers/pWord2Vec/pWord2Vec,/tmp/peers/pWord2Vec/pWord2Vec-noblas"
SETTINGS = dict(window=5, negative=5, min_count=5, sample=1e-3, alpha=0.025, min_alpha=0.0001,
                ns_exponent=0.75)


def load():
    return "load %.2f %.2f %.2f" % os.getloadavg()


# ------------------------------------------------------------------ corpus

def prepare(corpus, workers=2):
    """(ids int32 memmap, vocab) for `corpus`, cached under the temp dir by path/size/mtime."""
    from w2v.corpus import Corpus, count_words, encode_file_corpus
    from w2v.vocab import Vocab
    st = os.stat(corpus)
    key = hashlib.sha1(f"{os.path.abspath(corpus)}:{st.st_size}:{st.st_mtime}:"
                       f"{SETTINGS['min_count']}".encode()).hexdigest()[:12]
    cache = os.path.join(tempfile.gettempdir(), f"w2v_bench_batch_{key}")
    os.makedirs(cache, exist_ok=True)
    ids_path, vocab_path = os.path.join(cache, "ids.i32"), os.path.join(cache, "vocab.json")
    if not (os.path.exists(ids_path) and os.path.exists(vocab_path)):
        c = Corpus(corpus)
        counts = count_words(c, workers=workers)
        vocab = Vocab.from_counts(counts.words, counts.counts, total_words=counts.total_words,
                                  n_sentences=counts.n_sentences, min_count=SETTINGS["min_count"])
        encode_file_corpus(c, vocab.index_to_key, ids_path + ".tmp", workers=workers)
        os.replace(ids_path + ".tmp", ids_path)
        with open(vocab_path + ".tmp", "w") as f:
            json.dump({"words": vocab.index_to_key, "counts": [int(x) for x in vocab.counts],
                       "raw_words": counts.total_words}, f)
        os.replace(vocab_path + ".tmp", vocab_path)
    with open(vocab_path) as f:
        v = json.load(f)
    vocab = Vocab(v["words"], np.array(v["counts"], np.int64), raw_words=v["raw_words"])
    ids = np.memmap(ids_path, dtype=np.int32, mode="r")
    return ids, vocab


def kernel_model(vocab, d, shared, seed=1):
    from w2v.sampling import build_alias
    V = len(vocab.index_to_key)
    rng = np.random.Generator(np.random.PCG64(seed))
    syn0 = (rng.random((V, d), dtype=np.float32) - np.float32(0.5)) / np.float32(d)
    syn1neg = np.zeros((V, d), np.float32)
    syn1neg[...] = 0          # fault the pages in now, not inside the timed call
    prob, alias = build_alias(vocab.counts, SETTINGS["ns_exponent"])
    return Model(syn0, syn1neg, None, vocab.keep_thresholds(SETTINGS["sample"]), prob, alias,
                 None, None, None, sg=1, hs=0, negative=SETTINGS["negative"],
                 window=SETTINGS["window"], shared_negatives=shared)


def time_kernel(ids, vocab, d, shared, seed=1):
    model = kernel_model(vocab, d, shared, seed)
    worker = Worker(model, seed)
    total = int(np.count_nonzero(np.asarray(ids) >= 0))
    t0 = time.thread_time()
    raw, eff = worker.train(ids, Progress(total, SETTINGS["alpha"], SETTINGS["min_alpha"]))
    secs = time.thread_time() - t0
    return raw / secs, raw, eff, worker.examples, secs


# ------------------------------------------------------------------ sections

def run_speed(args):
    ids, vocab = prepare(args.corpus)
    ids = ids[:args.words] if args.words else ids
    print(f"## speed: one thread, SG-NS window 5 negative 5, simd path {_train.simd_path()}")
    print(f"corpus {args.corpus}: {np.count_nonzero(np.asarray(ids) >= 0):,} in-vocabulary words, "
          f"V={len(vocab.index_to_key):,}; {load()}")
    results = {}
    for d in args.dims:
        runs = {False: [], True: []}
        for _ in range(args.repeats):
            for shared in (False, True):
                runs[shared].append(time_kernel(ids, vocab, d, shared))
        med = {s: statistics.median(r[0] for r in runs[s]) for s in runs}
        for shared in (False, True):
            r = runs[shared]
            name = "shared negatives" if shared else "classic"
            print(f"d={d} {name:16s} {med[shared]:>12,.0f} words/s  (median of {len(r)}: "
                  f"{', '.join(f'{x[0]:,.0f}' for x in r)}; {r[0][3] / r[0][2]:.2f} pairs per "
                  f"kept word)")
        print(f"d={d} shared / classic: {med[True] / med[False]:.2f}x; {load()}")
        results[d] = {"classic": med[False], "shared": med[True]}
    return results


def _callgrind_child(args):
    """Runs inside valgrind: train the slice once with one kernel."""
    ids, vocab = prepare(args.corpus)
    ids = np.ascontiguousarray(ids[:args.slice])
    for d in args.dims:
        rate, raw, eff, examples, _ = time_kernel(ids, vocab, d, args.child_shared)
        print(json.dumps({"raw": raw, "eff": eff, "examples": examples, "simd": _train.simd_path()}))


def run_callgrind(args):
    prepare(args.corpus)                       # outside valgrind
    print(f"## callgrind: instructions in w2v_train_stream, first {args.slice:,} words; {load()}")
    out = {}
    for d in args.dims:
        for shared in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=w2v_train_stream",
                       f"--callgrind-out-file={tmp}/cg.out", sys.executable, os.path.abspath(__file__),
                       "_callgrind_child", "--corpus", args.corpus, "--slice", str(args.slice),
                       "--dims", str(d)] + (["--child-shared"] if shared else [])
                res = subprocess.run(cmd, capture_output=True, text=True)
            collected = [l for l in res.stderr.splitlines() if "Collected" in l]
            info = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
            if res.returncode or not collected or not info:
                print(f"callgrind failed ({res.returncode}): {res.stderr[-2000:]}")
                continue
            instr = int(collected[-1].split(":")[1].replace(",", ""))
            info = info[-1]
            name = "shared negatives" if shared else "classic"
            out[(d, shared)] = instr / info["raw"]
            print(f"d={d} {name:16s} {instr / info['raw']:>8,.0f} instructions/word, "
                  f"{instr / info['eff']:>8,.0f} per kept word, {instr / info['examples']:>6,.0f} per "
                  f"(context, centre) pair  ({info['simd']} copy)")
        if (d, False) in out and (d, True) in out:
            print(f"d={d} classic / shared instructions: {out[(d, False)] / out[(d, True)]:.2f}x")
    return out


def evaluate(path, eval_dir):
    """(analogy accuracy, WordSim-353 Spearman) of the binary vectors at ``path``, scored by
    the suite's evaluator (w2v/bench/evaluate.py)."""
    from w2v.bench import evaluate as suite_evaluate
    scores = suite_evaluate.evaluate_vectors(path, True, os.path.join(eval_dir, "questions-words.txt"),
                                             os.path.join(eval_dir, "wordsim353.tsv"))
    if scores.analogy is None or scores.ws353_spearman is None:
        raise SystemExit(f"{path} not scored: {scores.note}")
    return scores.analogy, scores.ws353_spearman


def train_word2vec(args, shared, seed):
    from w2v.word2vec import Word2Vec
    t0, c0 = time.perf_counter(), time.process_time()
    model = Word2Vec(corpus_file=args.corpus, vector_size=args.quality_dim, sg=1, hs=0,
                     window=SETTINGS["window"], negative=SETTINGS["negative"],
                     min_count=SETTINGS["min_count"], sample=SETTINGS["sample"],
                     alpha=SETTINGS["alpha"], min_alpha=SETTINGS["min_alpha"], epochs=args.epochs,
                     workers=args.workers, seed=seed, shared_negatives=shared)
    return model, time.perf_counter() - t0, time.process_time() - c0


def run_quality(args):
    print(f"## quality: Word2Vec sg=1 d={args.quality_dim} {args.epochs} epochs, {args.workers} "
          f"workers, analogies restrict_vocab=30000, WordSim-353 Spearman; {load()}")
    out = {}
    for seed in args.seeds:
        for shared in (False, True):
            model, wall, cpu = train_word2vec(args, shared, seed)
            with tempfile.TemporaryDirectory() as tmp:
                model.wv.save_word2vec_format(f"{tmp}/q.bin", binary=True)
                analogy, spearman = evaluate(f"{tmp}/q.bin", args.eval_dir)
            name = "shared negatives" if shared else "classic"
            out[(seed, shared)] = (analogy, spearman)
            print(f"seed {seed} {name:16s} analogy {100 * analogy:6.2f}%  WS353 Spearman "
                  f"{spearman:.4f}  (vocab+encode+train {wall:.1f}s wall, {cpu:.1f}s CPU; {load()})")
    for shared in (False, True):
        vals = [out[(s, shared)] for s in args.seeds]
        name = "shared negatives" if shared else "classic"
        print(f"mean over seeds {name:16s} analogy {100 * np.mean([v[0] for v in vals]):6.2f}%  "
              f"WS353 {np.mean([v[1] for v in vals]):.4f}")
    return out


def _run_pword2vec(binary, corpus, out, epochs, threads, dim):
    cmd = [binary, "-train", corpus, "-output", out, "-size", str(dim), "-window",
           str(SETTINGS["window"]), "-negative", str(SETTINGS["negative"]), "-sample",
           str(SETTINGS["sample"]), "-min-count", str(SETTINGS["min_count"]), "-iter", str(epochs),
           "-alpha", str(SETTINGS["alpha"]), "-threads", str(threads), "-batch-size",
           str(2 * SETTINGS["window"] + 1), "-binary", "1", "-debug", "0"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(threads))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, " ".join(cmd)


def run_pword2vec(args):
    ids, vocab = prepare(args.corpus)
    words = int(np.count_nonzero(np.asarray(ids) >= 0))
    out = {}
    for binary in args.binary.split(","):
        if not os.access(binary, os.X_OK):
            print(f"## pword2vec: {binary} not found; skipped")
            continue
        name = os.path.basename(binary)
        print(f"## pword2vec: {binary}; {load()}")
        with tempfile.TemporaryDirectory() as tmp:
            for d in args.dims:
                per_epoch = []
                for _ in range(args.pw_repeats):
                    c1, _, cmd = _run_pword2vec(binary, args.corpus, f"{tmp}/v1.bin", 1, 1, d)
                    c2, _, _ = _run_pword2vec(binary, args.corpus, f"{tmp}/v2.bin", 2, 1, d)
                    per_epoch.append(c2 - c1)
                secs = statistics.median(per_epoch)
                out[(name, "speed", d)] = words / secs
                print(f"d={d} {name} one thread: {words / secs:,.0f} words/s (CPU of one epoch = "
                      f"2-epoch run minus 1-epoch run, median of {len(per_epoch)}: "
                      f"{', '.join(f'{s:.2f}s' for s in per_epoch)}; {load()})")
            print(f"command: {cmd}")
            cpu, wall, cmd = _run_pword2vec(binary, args.corpus, f"{tmp}/q.bin", args.epochs,
                                            args.workers, args.quality_dim)
            analogy, spearman = evaluate(f"{tmp}/q.bin", args.eval_dir)
            out[(name, "quality")] = (analogy, spearman)
            print(f"{name} {args.epochs} epochs {args.workers} threads d={args.quality_dim}: "
                  f"analogy {100 * analogy:6.2f}%  WS353 Spearman {spearman:.4f}  ({wall:.1f}s wall, "
                  f"{cpu:.1f}s CPU incl. vocabulary; {load()})")
            print(f"command: {cmd}")
    return out


BLAS_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>
#include "vecops.h"

static void add(const float *x, float *y, int n) {
    for (int i = 0; i < n; i++)
        y[i] += x[i];
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static float sig(float x) { return 1.0f / (1.0f + __builtin_expf(-x)); }
int main(int argc, char **argv) {
    int B = atoi(argv[1]), O = atoi(argv[2]), d = atoi(argv[3]), iters = atoi(argv[4]);
    float *syn0 = malloc(sizeof(float) * 64 * d), *syn1 = malloc(sizeof(float) * 64 * d);
    for (int i = 0; i < 64 * d; i++) {
        syn0[i] = (rand() / (float)RAND_MAX - 0.5f) / d;
        syn1[i] = (rand() / (float)RAND_MAX - 0.5f) / d;
    }
    float *in[32], *out[32];
    for (int b = 0; b < B; b++) in[b] = syn0 + (b * 7 % 64) * d;
    for (int o = 0; o < O; o++) out[o] = syn1 + (o * 5 % 64) * d;
    float *g = malloc(sizeof(float) * B * O), *grad = malloc(sizeof(float) * B * d);
    float *inM = malloc(sizeof(float) * B * d), *outM = malloc(sizeof(float) * O * d);
    float *outD = malloc(sizeof(float) * O * d);
    double t0 = now();
    for (int it = 0; it < iters; it++) {
        for (int o = 0; o < O; o++) w2v_dot_rows(8, out[o], in, B, d, g + o * B);
        for (int k = 0; k < B * O; k++) g[k] = ((k < B) - sig(g[k])) * 1e-6f;
        for (int b = 0; b < B; b++) w2v_combine_rows(8, grad + b * d, 1, out, g + b, B, O, d);
        for (int o = 0; o < O; o++) w2v_combine_rows(8, out[o], 0, in, g + o * B, 1, B, d);
        for (int b = 0; b < B; b++) add(grad + b * d, in[b], d);
    }
    double t1 = now();
    for (int it = 0; it < iters; it++) {
        for (int b = 0; b < B; b++) __builtin_memcpy(inM + b * d, in[b], d * sizeof(float));
        for (int o = 0; o < O; o++) __builtin_memcpy(outM + o * d, out[o], d * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, O, B, d, 1.0f, outM, d, inM, d, 0.0f, g, B);
        for (int k = 0; k < B * O; k++) g[k] = ((k < B) - sig(g[k])) * 1e-6f;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, d, B, 1.0f, g, B, inM, d, 0.0f, outD, d);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, B, d, O, 1.0f, g, B, outM, d, 0.0f, inM, d);
        for (int b = 0; b < B; b++) add(inM + b * d, in[b], d);
        for (int o = 0; o < O; o++) add(outD + o * d, out[o], d);
    }
    double t2 = now();
    printf("%.1f %.1f\n", (t1 - t0) / iters * 1e9, (t2 - t1) / iters * 1e9);
    return 0;
}
"""


def run_blas(args):
    """csrc/vecops.h minibatch loops vs OpenBLAS sgemm on gathered rows, in a small C program."""
    csrc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "csrc")
    print(f"## blas: one minibatch (B inputs x O outputs x d), rows in cache, AVX2+FMA build; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "mb.c"), os.path.join(tmp, "mb")
        with open(src, "w") as f:
            f.write(BLAS_SOURCE)
        cmd = ["cc", "-O3", "-march=x86-64-v3", "-I", csrc, "-I", "/usr/include/x86_64-linux-gnu",
               src, "-o", exe, "-lopenblas", "-lm"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            print(f"cannot build the BLAS comparison ({' '.join(cmd)}): {res.stderr[-500:]}")
            return {}
        out = {}
        for d in args.dims:
            for B in (6, 10):
                runs = [subprocess.run([exe, str(B), "6", str(d), "100000"], capture_output=True,
                                       text=True, check=True, env=dict(os.environ, OPENBLAS_NUM_THREADS="1")
                                       ).stdout.split() for _ in range(3)]
                ours = statistics.median(float(r[0]) for r in runs)
                blas = statistics.median(float(r[1]) for r in runs)
                out[(d, B)] = (ours, blas)
                print(f"d={d} B={B} O=6: vecops loops {ours:,.0f} ns, gather + 3 x cblas_sgemm "
                      f"{blas:,.0f} ns per minibatch (BLAS {blas / ours:.2f}x slower; {load()})")
        print(f"build: {' '.join(cmd)}")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["speed", "callgrind", "quality", "pword2vec", "blas", "all",
                                     "_callgrind_child"])
    ap.add_argument("--corpus", help="text file (default: the 10M-word slice of the shared corpus, as `w2v bench` finds or makes it)")
    ap.add_argument("--words", type=int, default=0, help="speed: first N encoded ids only")
    ap.add_argument("--dims", default="100,300")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--slice", type=int, default=200_000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--quality-dim", type=int, default=100)
    ap.add_argument("--eval-dir", help="folder with questions-words.txt and wordsim353.tsv "
                    "(default: as `w2v bench` finds it)")
    ap.add_argument("--binary", default=DEFAULT_PWORD2VEC)
    ap.add_argument("--pw-repeats", type=int, default=3)
    ap.add_argument("--simd", default=None, help="kernel copy: baseline, avx2+fma or avx512")
    ap.add_argument("--child-shared", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.corpus is None:
        from w2v.bench import corpora
        args.corpus = str(corpora.resolve_corpus("10M").path)
    if args.eval_dir is None:
        from w2v.bench import corpora
        questions, _ = corpora.eval_files()
        args.eval_dir = str(questions.parent) if questions else "eval"
    args.dims = [int(x) for x in args.dims.split(",")]
    args.seeds = [int(x) for x in args.seeds.split(",")]
    if args.simd:
        _train.set_simd_path(args.simd)
    if args.what == "_callgrind_child":
        return _callgrind_child(args)
    print(f"# bench_batch.py {' '.join(sys.argv[1:])}")
    print(f"cpu: {_cpu_model()}, {os.cpu_count()} logical CPUs; kernels: {_train.simd_path()} "
          f"(available: {', '.join(_train.simd_paths())}); {load()}")
    sections = ["speed", "callgrind", "quality", "pword2vec"] if args.what == "all" else [args.what]
    for s in sections:
        globals()["run_" + s](args)
        print()


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
