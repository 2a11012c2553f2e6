"""Child-process side of the ``w2v`` peer: train once, print timings as tagged JSON.

``python -m w2v.bench.run_w2v '<json spec>'`` with the spec written by
:func:`w2v.bench.peers.train_w2v` (corpus, output, mode, params). Running in a
process of its own gives w2v the same measurements as every other tool: the
parent reads this process's wall time and peak RSS, and the phases timed here.
"""
import json
import logging
import sys
import time

_T_START = time.perf_counter()

from w2v.bench.peers import JSON_TAG  # noqa: E402  (after the clock starts: import counts)


class _EncodeTimer(logging.Handler):
    """Picks the id-cache encoding time out of the trainer's log record, so that it
    can be reported apart from training (it is part of w2v's first train() call)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.seconds = None

    def emit(self, record):
        if str(record.msg).startswith("encoded ") and record.args:
            try:
                self.seconds = float(record.args[-1])
            except (TypeError, ValueError):
                pass


class LineSentences:
    """One sentence (a list of str tokens) per line of a file: gensim's LineSentence,
    re-iterable, with the tokens w2v's file reader would see."""

    def __init__(self, path):
        self.path = path

    def __iter__(self):
        with open(self.path, "rb") as f:
            for line in f:
                words = line.split()
                if words:
                    yield [w.decode("utf8", "surrogateescape") for w in words]


def run(spec):
    """Train per ``spec``; return the timings and counts the parent turns into a PeerResult."""
    import w2v
    from w2v.word2vec import Word2Vec
    import_s = time.perf_counter() - _T_START

    timer = _EncodeTimer()
    trainer_log = logging.getLogger("w2v.word2vec")
    trainer_log.addHandler(timer)
    trainer_log.setLevel(logging.INFO)
    trainer_log.propagate = False      # the timer listens; nothing is printed
    warn = logging.StreamHandler(sys.stderr)
    warn.setLevel(logging.WARNING)
    trainer_log.addHandler(warn)

    p = spec["params"]
    model = Word2Vec(vector_size=p["vector_size"], window=p["window"], min_count=p["min_count"],
                     sample=p["sample"], sg=p["sg"], hs=p["hs"], negative=p["negative"],
                     alpha=p["alpha"], min_alpha=p["min_alpha"], workers=p["threads"],
                     seed=p["seed"], epochs=p["epochs"],
                     shared_negatives=spec["mode"] == "shared")
    corpus = spec["corpus"]
    source = {"corpus_iterable": LineSentences(corpus)} if spec["mode"] == "iterable" else {
        "corpus_file": corpus}
    t = time.perf_counter()
    model.build_vocab(**source)
    vocab_s = time.perf_counter() - t
    t = time.perf_counter()
    effective, raw = model.train(**source, total_words=model.corpus_total_words, epochs=p["epochs"])
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    model.wv.save_word2vec_format(spec["output"], binary=True)
    save_s = time.perf_counter() - t
    return {"import_s": import_s, "vocab_s": vocab_s, "train_s": train_s, "save_s": save_s,
            "encode_s": timer.seconds, "effective_words": int(effective), "raw_words": int(raw),
            "vocab_size": len(model.wv), "corpus_total_words": int(model.corpus_total_words),
            "w2v": w2v.__version__}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m w2v.bench.run_w2v '<json spec>'", file=sys.stderr)
        return 2
    print(JSON_TAG + json.dumps(run(json.loads(argv[0]))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
