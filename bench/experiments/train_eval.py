"""Train one configuration in this process, once per seed, and score it with the
suite's evaluator (w2v/bench/evaluate.py): one JSON line per seed.

The one-off comparisons of bench/RESULTS.md that `w2v bench` does not cover: more
seeds of a 3-epoch run, gensim's iterable mode, gensim corpus_file's learning-rate
schedule replayed in w2v, private output rows switched off, shared negatives,
peak memory on the full corpus.  Examples (the commands behind RESULTS.md's notes):

    # 3-epoch quality, 2 threads, seeds 1 and 2 ("Notes on the quality comparison")
    python bench/experiments/train_eval.py --tool w2v --config sg-ns --epochs 3 --seeds 1,2
    python bench/experiments/train_eval.py --tool gensim-iter --config cbow-ns --epochs 3 --seeds 1,2
    # w2v trained with the schedule gensim corpus_file follows at 2 workers
    python bench/experiments/train_eval.py --config sg-ns --epochs 3 --seeds 1,2 --schedule gensim-file
    # skip-gram with every output row written in place ("Private output rows")
    python bench/experiments/train_eval.py --config sg-ns --epochs 3 --seeds 1,2,3 --private-rows 0 0
    # shared negatives, 1 epoch ("Shared negatives, first look")
    python bench/experiments/train_eval.py --config sg-ns --shared-negatives --seeds 1
    # a local Dask cluster of 2 processes x 1 thread ("Training on a cluster (issue 17)")
    python bench/experiments/train_eval.py --config sg-ns --epochs 3 --workers 1 --dask 2
    # peak memory on the full corpus, no evaluation ("Memory on the full corpus")
    python bench/experiments/train_eval.py --tool gensim-file --corpus full --config cbow-ns --no-eval
    # a multi-GB file: words/s and resident memory every 10 s ("A multi-GB corpus")
    python bench/experiments/train_eval.py --corpus big.txt --shared-negatives --trace trace.jsonl

Every tool trains through its own Python API in this process; `wall_s` times the
whole training call (vocabulary scan included) and, for the first seed, the import
of gensim; `peak_rss_mib` is this process's peak resident memory when training
ended, before the vectors are written and scored (with several seeds, the peak so
far).  Defaults: the 10M-word slice, 2 workers, 1 epoch, dim 100, window 5,
negative 5, sample 1e-3, min_count 5, alpha 0.025 (skip-gram) / 0.05 (CBOW) to
min_alpha 1e-4, as in `w2v bench`.
"""
import argparse
import contextlib
import json
import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if __name__ == "__main__" and os.path.isfile(os.path.join(ROOT, "w2v", "__init__.py")):
    # Run as a script: this checkout's w2v when it is built in place, else the
    # installed one.  Never when imported (the tests): the change would reach the
    # processes a Dask LocalCluster spawns, which copy sys.path, and an unbuilt
    # checkout in front of the installed w2v breaks their import of it.
    from importlib.machinery import EXTENSION_SUFFIXES
    if any(os.path.exists(os.path.join(ROOT, "w2v", "_train" + s)) for s in EXTENSION_SUFFIXES):
        sys.path.insert(0, ROOT)

from w2v.bench import corpora, evaluate  # noqa: E402

TOOLS = ("w2v", "gensim-file", "gensim-iter")
CONFIGS = {"sg-ns": dict(sg=1, hs=0), "cbow-ns": dict(sg=0, hs=0), "sg-hs": dict(sg=1, hs=1)}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", choices=TOOLS, default="w2v")
    ap.add_argument("--config", choices=sorted(CONFIGS), default="sg-ns")
    ap.add_argument("--corpus", default="10M",
                    help="a `w2v bench --corpus` name (10M, full, zipf:...) or a text file (10M)")
    ap.add_argument("--data", help="shared corpus folder (else $W2V_SHARED_DATA or the usual places)")
    ap.add_argument("--eval-dir", help="folder with questions-words.txt and wordsim353.tsv "
                                       "(else $W2V_EVAL_DATA or eval/ beside the corpus folder)")
    ap.add_argument("--no-eval", action="store_true", help="train and time only")
    ap.add_argument("--seeds", default="1", help="comma-separated, one run each (1)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negative", type=int, default=5, help="noise words for the -ns configurations")
    ap.add_argument("--sample", type=float, default=1e-3)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--alpha", type=float, help="(0.025 skip-gram, 0.05 CBOW)")
    ap.add_argument("--min-alpha", type=float, default=0.0001)
    w2v_only = ap.add_argument_group("w2v only")
    w2v_only.add_argument("--shared-negatives", action="store_true", help="sg-ns with shared_negatives=True")
    w2v_only.add_argument("--schedule", choices=("configured", "gensim-file"), default="configured",
                          help="gensim-file: epoch e decays alpha only from a0-(a0-a1)e/E to "
                               "a0-(a0-a1)(e+0.5)/E, what gensim corpus_file does with 2 workers")
    w2v_only.add_argument("--private-rows", type=int, nargs=2, metavar=("ROWS", "NODES"),
                          help="syn1neg rows and syn1 nodes each worker trains in a private copy "
                               "(0 0: every row in place; default: w2v's own choice)")
    w2v_only.add_argument("--dask", type=int, metavar="N",
                          help="train on a local Dask cluster of N processes of --workers threads "
                               "(its start is not timed)")
    w2v_only.add_argument("--trace", metavar="FILE",
                          help="one JSON line every --trace-every seconds: seconds since the "
                               "start, phase (vocab, train), words trained, words/s since the "
                               "last line, resident MiB; the row gets their summary")
    w2v_only.add_argument("--trace-every", type=float, default=10.0, metavar="SECONDS")
    w2v_only.add_argument("--sync", default="",
                          help="with --dask: DistributedOptions fields, e.g. "
                               "round_words=65536,cold_every=4,merge=average,wire=bfloat16")
    ap.add_argument("--out", help="also append the JSON lines to this file")
    args = ap.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",")]
    if args.alpha is None:
        args.alpha = 0.025 if CONFIGS[args.config]["sg"] else 0.05
    if args.tool != "w2v" and (args.shared_negatives or args.schedule != "configured"
                               or args.private_rows is not None or args.dask or args.trace):
        ap.error("--shared-negatives, --schedule, --private-rows, --dask and --trace are "
                 "w2v options")
    if args.trace and (args.dask or args.schedule != "configured"):
        ap.error("--trace traces one configured-schedule run in this process")
    args.sync = {k: (v if k in ("merge", "wire") else int(v))
                 for k, v in (item.split("=") for item in args.sync.split(",") if item)}
    if args.shared_negatives and args.config != "sg-ns":
        ap.error("--shared-negatives needs --config sg-ns")
    return args


def word2vec_kwargs(args, seed):
    hs = CONFIGS[args.config]["hs"]
    return dict(sg=CONFIGS[args.config]["sg"], hs=hs, negative=0 if hs else args.negative,
                vector_size=args.size, window=args.window, sample=args.sample,
                min_count=args.min_count, alpha=args.alpha, min_alpha=args.min_alpha,
                workers=args.workers, epochs=args.epochs, seed=seed)


def resident_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Tracer:
    """Samples phase, words trained and resident memory every ``every`` seconds on a
    thread of its own; the training progress hook keeps the word count current."""

    def __init__(self, path, every):
        import threading
        self.path, self.every = path, every
        self.phase, self.words = "vocab", 0
        self.rows = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def on_progress(self, info):
        self.words = info.words_done

    def _sample(self, t0, last):
        t, words = time.perf_counter() - t0, self.words
        wps = (words - last[1]) / (t - last[0]) if t > last[0] else 0.0
        row = dict(s=round(t, 1), phase=self.phase, words=words, words_per_s=round(wps),
                   rss_mib=round(resident_mib(), 1))
        self.rows.append(row)
        with open(self.path, "a", encoding="utf8") as f:
            f.write(json.dumps(row) + "\n")
        return t, words

    def _run(self):
        t0 = time.perf_counter()
        last = (0.0, 0)
        while not self._stop.wait(self.every):
            last = self._sample(t0, last)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def summary(self):
        """words/s and resident MiB over the training samples (the first excepted: it
        straddles the vocabulary scan)."""
        train = [r for r in self.rows if r["phase"] == "train"][1:]
        if not train:
            return {}
        wps = sorted(r["words_per_s"] for r in train)
        rss = [r["rss_mib"] for r in train]
        return dict(trace=self.path, trace_samples=len(train), train_words_per_s_min=wps[0],
                    train_words_per_s_median=wps[len(wps) // 2], train_words_per_s_max=wps[-1],
                    train_rss_mib_first=rss[0], train_rss_mib_max=max(rss),
                    vocab_rss_mib_max=max((r["rss_mib"] for r in self.rows
                                           if r["phase"] == "vocab"), default=None))


def train_traced(kw, corpus, tracer):
    from w2v import Word2Vec
    epochs = kw.pop("epochs")
    with tracer:
        model = Word2Vec(epochs=epochs, **kw)
        model.build_vocab(corpus_file=corpus)
        tracer.phase = "train"
        model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=epochs,
                    progress=tracer.on_progress)
    return model


def train_w2v(args, corpus, seed, tracer=None):
    import w2v.word2vec
    from w2v import Word2Vec
    kw = word2vec_kwargs(args, seed)
    if args.shared_negatives:
        kw["shared_negatives"] = True
    if args.private_rows is not None:
        rows, nodes = args.private_rows
        worker = w2v.word2vec.Worker   # every worker gets these rows, whatever the architecture
        w2v.word2vec.Worker = lambda *a, **k: worker(*a, **{**k, "private_rows": rows,
                                                            "private_nodes": nodes})
    try:
        if tracer is not None:
            return train_traced(kw, corpus, tracer)
        if args.schedule == "configured":
            return Word2Vec(corpus_file=corpus, **kw)
        model = Word2Vec(**kw)
        model.build_vocab(corpus_file=corpus)
        a0, a1, epochs = args.alpha, args.min_alpha, args.epochs
        for e in range(epochs):
            model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=1,
                        start_alpha=a0 - (a0 - a1) * e / epochs,
                        end_alpha=a0 - (a0 - a1) * (e + 0.5) / epochs)
        return model
    finally:
        if args.private_rows is not None:
            w2v.word2vec.Worker = worker


def train_on_cluster(args, corpus, seed, client):
    """Vocabulary and training on the Dask cluster behind ``client``."""
    from w2v import Word2Vec, distributed
    from w2v.corpus import Corpus
    from w2v.training import TrainingPlan
    model = Word2Vec(**word2vec_kwargs(args, seed))
    model.build_vocab(corpus_file=corpus, client=client)
    plan = TrainingPlan.fresh(model.vocab, epochs=args.epochs, start_alpha=args.alpha,
                              end_alpha=args.min_alpha, total_words=model.corpus_total_words)
    distributed.train(model, client, plan, Corpus(corpus), compute_loss=False, callbacks=(),
                      on_progress=None, options=distributed.DistributedOptions(**args.sync))
    return model


def train_gensim(args, corpus, seed):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    source = (dict(corpus_file=corpus) if args.tool == "gensim-file"
              else dict(sentences=LineSentence(corpus)))
    return Word2Vec(**source, **word2vec_kwargs(args, seed))


def run(args, corpus, questions, wordsim, seed, workdir, client=None):
    t = time.perf_counter()
    tracer = Tracer(args.trace, args.trace_every) if args.trace else None
    if client is not None:
        model = train_on_cluster(args, corpus, seed, client)
    elif tracer is not None:
        model = train_w2v(args, corpus, seed, tracer)
    else:
        model = (train_w2v if args.tool == "w2v" else train_gensim)(args, corpus, seed)
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux
    row = dict(tool=args.tool, config=args.config, shared_negatives=args.shared_negatives,
               schedule=args.schedule, private_rows=args.private_rows, corpus=corpus,
               epochs=args.epochs, alpha=args.alpha, workers=args.workers, size=args.size,
               seed=seed, wall_s=round(wall, 4), peak_rss_mib=round(peak, 1),
               vocab=len(model.wv.index_to_key))
    if client is not None:
        row.update(dask_processes=args.dask, sync=args.sync, **model.last_sync_stats)
    if tracer is not None:
        row.update(tracer.summary())
    if not args.no_eval:
        path = os.path.join(workdir, "vectors.bin")
        model.wv.save_word2vec_format(path, binary=True)
        scores = evaluate.evaluate_vectors(path, True, questions, wordsim)
        os.remove(path)
        row.update(analogy_pct=None if scores.analogy is None else round(100 * scores.analogy, 2),
                   analogy_answered=scores.analogy_answered, ws353=scores.ws353_spearman,
                   note=scores.note)
    return row


def main(argv=None):
    args = parse_args(argv)
    if args.data:
        os.environ["W2V_SHARED_DATA"] = os.path.abspath(args.data)
    bench_corpus = corpora.resolve_corpus(args.corpus)
    if bench_corpus.fallback:
        raise SystemExit(f"corpus {args.corpus!r} not found: {bench_corpus.note}")
    questions = wordsim = None
    if not args.no_eval:
        questions, wordsim = corpora.eval_files(args.eval_dir)
        if questions is None or wordsim is None:
            raise SystemExit("questions-words.txt or wordsim353.tsv not found "
                             "(--eval-dir, $W2V_EVAL_DATA), or give --no-eval")
        questions, wordsim = str(questions), str(wordsim)
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="w2v-experiment-"))
        client = None
        if args.dask:
            from w2v.distributed import connect
            client = stack.enter_context(connect(f"local:{args.dask}", args.workers))
        for seed in args.seeds:
            line = json.dumps(run(args, str(bench_corpus.path), questions, wordsim, seed, workdir,
                                  client))
            print(line, flush=True)
            if args.out:
                with open(args.out, "a", encoding="utf8") as f:
                    f.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
