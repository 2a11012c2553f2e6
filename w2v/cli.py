"""The ``w2v`` command (also ``python -m w2v``).

Subcommands: train, similar, analogy, eval, vocab, info, plot, export; each has ``--help``.
``w2v train`` with no corpus trains on the bundled sample (Jane Austen's novels) and
prints a few nearest neighbours, so a new user sees it work in seconds.

Exit status: 0 success, 1 failure (one line on stderr; ``--debug`` shows the
traceback), 2 bad usage (argparse, or a training option that Word2Vec refuses), 130
interrupted (Ctrl-C, SIGINT) and 143 terminated (SIGTERM, as from ``kill`` or a job
scheduler): both stop the workers cleanly, remove the id cache and write nothing;
outputs are written atomically, so an existing output is left as it was.

Each command parses its arguments and calls the library: vectors are read and written
by ``w2v.formats``, evaluated by ``w2v.evaluation``, training progress is shown by
``w2v.progress``, and the training options are checked by ``Word2Vec`` itself (its
ValueError is reported as a usage error, exit status 2).

Results go to stdout, progress and messages to stderr. Words that are not valid UTF-8
(held as ``surrogateescape`` strings) are printed with their bytes as ``\\xNN`` escapes.
"""
import argparse
import contextlib
import errno
import io
import logging
import os
import signal
import sys
import threading
import time
import warnings

from w2v import evaluation, formats, gensim_compat
from w2v._version import __version__
from w2v.corpus import MAX_WORKERS
from w2v.formats import FORMAT_NAMES, detect_format, display, export_projector, load_vectors
from w2v.progress import ProgressReporter, si

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

# The demo (``w2v train`` without a corpus): a CBOW model of the bundled novels,
# about 2 s on 2 cores; ten epochs because the corpus is small (730k words).
DEMO_CORPUS = "austen.txt.xz"
DEMO_OUTPUT = "austen.bin"
DEMO_EPOCHS = 10
DEMO_PROBES = ("sister", "london", "happy", "letter")

logger = logging.getLogger("w2v.cli")


class CommandError(Exception):
    """A failure the user can act on, reported as one line (exit status 1)."""


# --------------------------------------------------------------------------- arguments
def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected an integer > 0, got {value}")
    return value


def _nonneg_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _default_threads():
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _add_common(p):
    # Also accepted after the subcommand; SUPPRESS keeps the top-level value otherwise.
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback on errors")
    p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="log what the library does (vocabulary, epochs, evaluation)")


def _add_subparser(sub, name, help_, description, epilog=None):
    p = sub.add_parser(name, help=help_, description=description, epilog=epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(p)
    p.set_defaults(parser=p)
    return p


_MODEL_HELP = ("word vectors: a word2vec .bin/.txt/.vec file (optionally .gz/.bz2/.xz), a "
               "folder saved by w2v (Word2Vec or KeyedVectors) or a file saved by gensim "
               "(.model, .kv: read without running code from it)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="w2v", description="Train and use word2vec embeddings.",
        epilog="Try `w2v train` (no corpus): it trains on a bundled sample and shows "
               "nearest neighbours. `w2v COMMAND --help` describes each command.")
    parser.add_argument("--version", action="version", version=f"w2v {__version__}")
    parser.add_argument("--debug", action="store_true", default=False,
                        help="show the full traceback on errors")
    parser.add_argument("-v", "--verbose", action="store_true", default=False,
                        help="log what the library does")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    # ---- train
    p = _add_subparser(
        sub, "train", "train vectors on a corpus (or on the bundled sample)",
        "Train word vectors (options named after word2vec.c).\n\n"
        "With no CORPUS, trains on the bundled sample (Jane Austen's six novels, 730k words;\n"
        f"{DEMO_EPOCHS} epochs unless --epochs is given), writes {DEMO_OUTPUT} unless -o is "
        "given, and\nprints the nearest neighbours of a few words.",
        epilog="examples:\n  w2v train\n  w2v train corpus.txt -o vectors.bin --sg --size 300 "
               "--window 10\n  w2v train texts/ -o model --format native --epochs 10")
    p.add_argument("corpus", nargs="*", metavar="CORPUS",
                   help="text file(s) or folder(s) of files, one sentence or paragraph per line, "
                        "tokens separated by whitespace; .gz/.bz2/.xz are decompressed")
    p.add_argument("-o", "--output", help="where to write the vectors (required with a CORPUS)")
    p.add_argument("--format", choices=("bin", "text", "native"), default=None,
                   help="output format: word2vec binary, word2vec text, or a w2v folder holding "
                        "the whole model (default: from the extension: .bin binary, .txt/.vec "
                        "text, anything else native)")
    arch = p.add_mutually_exclusive_group()
    # The training options default to None (the defaults are in TRAIN_DEFAULTS), so that
    # --resume can tell the options given from those left out.
    arch.add_argument("--sg", dest="sg", action="store_const", const=1, help="skip-gram")
    arch.add_argument("--cbow", dest="sg", action="store_const", const=0, help="CBOW (default)")
    p.add_argument("--size", type=int, help="vector size (100)")
    p.add_argument("--window", type=int, help="max window (5)")
    p.add_argument("--negative", type=int, help="negative samples, 0 = off (5)")
    p.add_argument("--hs", action="store_const", const=1, help="hierarchical softmax")
    p.add_argument("--sample", type=float, help="subsampling threshold, 0 = off (1e-3)")
    p.add_argument("--min-count", type=int, help="discard rarer words (5)")
    p.add_argument("--epochs", "--iter", type=int,
                   help=f"epochs (5; {DEMO_EPOCHS} for the bundled sample)")
    p.add_argument("--threads", type=int,
                   help=f"worker threads, at most {MAX_WORKERS} (default: all cores available)")
    p.add_argument("--alpha", type=float,
                   help="starting learning rate (0.025 skip-gram, 0.05 CBOW)")
    p.add_argument("--min-alpha", type=float, help="final learning rate (0.0001)")
    p.add_argument("--max-vocab", type=int,
                   help="bound on distinct words held during the scan (rare words are pruned)")
    p.add_argument("--seed", type=int, help="random seed (1)")
    p.add_argument("--read-vocab", metavar="FILE",
                   help="take the vocabulary from a word2vec.c vocabulary file (word count per "
                        "line) instead of scanning the corpus; --min-count still applies")
    p.add_argument("--save-vocab", metavar="FILE",
                   help="write the vocabulary (word count per line, word2vec.c format)")
    p.add_argument("--loss", action="store_true",
                   help="compute the training loss and show it with the progress")
    p.add_argument("--shared-negatives", action="store_const", const=True,
                   help="skip-gram only: one set of negative samples per window, trained as "
                        "small matrix products (Ji et al. 2016); faster, same quality")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="save the whole model to DIR after every --checkpoint-every epochs, "
                        "so that --resume DIR can continue after a crash")
    # checked here too: Word2Vec only sees it in train(), after the corpus scan
    p.add_argument("--checkpoint-every", type=_positive_int, default=1, metavar="N",
                   help="epochs between checkpoints (1)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="train on a Dask cluster (pip install 'w2v[dask]'): a scheduler address, "
                        "or local:N for a local cluster of N processes of --threads threads "
                        "each; every worker must read CORPUS at the same path")
    p.add_argument("--sync-words", type=_positive_int, metavar="N",
                   help="with --dask: words each process trains between two merges of the "
                        "replicas (65536; longer: faster, worse vectors)")
    p.add_argument("--resume", metavar="DIR",
                   help="continue the run whose checkpoint is DIR (same CORPUS; the training "
                        "options are those saved in the checkpoint: one given with another "
                        "value is refused)")
    p.add_argument("--phrases", type=_nonneg_int, default=0, metavar="N",
                   help="learn N passes of phrases (new york -> new_york; 2 passes: up to 4 "
                        "words) from the corpus first, with `w2v phrases`' defaults, and "
                        "train on the phrased text, phrased on the fly (0: none)")
    p.add_argument("--update", metavar="MODEL_DIR",
                   help="continue training the model saved in MODEL_DIR (a native model folder) "
                        "on CORPUS: its new words are added, known rows kept (gensim's "
                        "build_vocab(update=True)); the model's options stay (one given with "
                        "another value is refused) except --epochs, --threads, --alpha and "
                        "--min-alpha, which set this run's")
    p.add_argument("--init", metavar="VECTORS",
                   help="start the words also found in VECTORS (word2vec text or binary, a w2v "
                        "folder or a gensim file) from those vectors (gensim's "
                        "intersect_word2vec_format)")
    p.add_argument("--freeze", action="store_true",
                   help="with --init: keep the vectors taken from VECTORS fixed during training")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="folder for the encoded corpus (4 bytes per word; default "
                        "$W2V_CACHE_DIR, else the system's temporary folder, often in RAM)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress or messages on stderr (errors only)")

    # ---- phrases
    p = _add_subparser(
        sub, "phrases", "join collocations (new york -> new_york) in a corpus",
        "Learn phrases from a corpus and write it phrased, as word2vec's word2phrase does:\n"
        "two words that occur together much more often than apart are joined with '_'\n"
        "(gensim's Phrases rules and scores). Each pass joins pairs of the previous pass's\n"
        "tokens: --passes 2 gives phrases of up to 4 words.",
        epilog="examples:\n  w2v phrases corpus.txt -o phrased.txt --passes 2\n"
               "  w2v phrases corpus.txt -o phrased.txt --scoring npmi --threshold 0.5 "
               "--connector-words english")
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help="text file(s) or folder(s); .gz/.bz2/.xz are decompressed")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the phrased corpus (one line per input line that holds tokens)")
    p.add_argument("--min-count", type=_positive_int, default=5,
                   help="ignore words and pairs seen fewer times (5)")
    p.add_argument("--threshold", type=float, default=None,
                   help="score a pair must exceed to be joined (10 default scoring, "
                        "0.5 npmi)")
    p.add_argument("--scoring", choices=("default", "npmi"), default="default",
                   help="default: Mikolov et al.'s score (word2phrase's); npmi: normalized "
                        "pointwise mutual information, in [-1, 1]")
    p.add_argument("--connector-words", choices=("none", "english"), default="none",
                   help="english: articles and prepositions may sit inside a phrase "
                        "(bank_of_america) but never start or end one (none)")
    p.add_argument("--passes", type=_positive_int, default=1, help="passes (1)")
    p.add_argument("--threads", type=_positive_int, default=_default_threads(),
                   help="threads (default: all cores available)")
    p.add_argument("--quiet", action="store_true", help="no messages on stderr")

    # ---- similar
    p = _add_subparser(sub, "similar", "nearest neighbours of words",
                       "Print the nearest neighbours (cosine similarity) of each WORD.",
                       epilog="example:\n  w2v similar austen.bin sister letter --topn 5")
    p.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    p.add_argument("words", nargs="+", metavar="WORD")
    p.add_argument("--topn", type=_positive_int, default=10, help="neighbours per word (10)")
    p.add_argument("--restrict-vocab", type=_positive_int, default=None, metavar="N",
                   help="only look among the N most frequent words")

    # ---- analogy
    p = _add_subparser(sub, "analogy", "solve A is to B as C is to ?",
                       "A is to B as C is to ?: the words closest to B + C - A (3CosAdd on "
                       "unit vectors;\nA, B and C themselves are excluded).",
                       epilog="example:\n  w2v analogy vectors.bin man king woman   # -> queen")
    p.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("c", metavar="C")
    p.add_argument("--topn", type=_positive_int, default=5, help="answers shown (5)")
    p.add_argument("--restrict-vocab", type=_positive_int, default=None, metavar="N",
                   help="only look among the N most frequent words")

    # ---- eval
    p = _add_subparser(
        sub, "eval", "accuracy on analogies, correlation on word pairs",
        "Evaluate vectors on analogy questions (word2vec's questions-words.txt format: "
        "': section'\nlines, then 'a b c d' lines) and/or word-pair similarity judgements "
        "(word, word, score;\ntab-separated, e.g. WordSim-353). Words are compared "
        "case-insensitively.",
        epilog="example:\n  w2v eval vectors.bin --analogies questions-words.txt "
               "--pairs wordsim353.tsv")
    p.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    p.add_argument("--analogies", action="append", default=[], metavar="FILE",
                   help="analogy questions file (may be repeated)")
    p.add_argument("--pairs", action="append", default=[], metavar="FILE",
                   help="word-pair similarity file (may be repeated)")
    p.add_argument("--restrict-vocab", type=_positive_int, default=300000, metavar="N",
                   help="only the N most frequent words take part (300000, as word2vec)")

    # ---- vocab
    p = _add_subparser(sub, "vocab", "word counts of a corpus",
                       "Count the words of a corpus: the most frequent ones and totals.",
                       epilog="example:\n  w2v vocab corpus.txt --top 50 --min-count 10")
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help="text file(s) or folder(s); .gz/.bz2/.xz are decompressed")
    p.add_argument("--top", type=_nonneg_int, default=20, help="words listed (20)")
    p.add_argument("--min-count", type=_nonneg_int, default=5,
                   help="count needed to be in the vocabulary (5)")
    p.add_argument("--max-vocab", type=_positive_int, default=None,
                   help="bound on distinct words held during the scan")
    p.add_argument("--threads", type=_positive_int, default=_default_threads(),
                   help="scanning threads (default: all cores available)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="also write the vocabulary (word count per line, word2vec.c format)")
    p.add_argument("--quiet", action="store_true", help="no messages on stderr")

    # ---- info
    p = _add_subparser(sub, "info", "describe a model or vectors file",
                       "Format, vocabulary size, vector size and, for a saved Word2Vec model, "
                       "its training parameters.")
    p.add_argument("model", metavar="MODEL", help=_MODEL_HELP)

    # ---- plot
    p = _add_subparser(
        sub, "plot", "2-D map of words and their neighbours (needs matplotlib)",
        "Draw a 2-D map of each WORD and its nearest neighbours, one colour per WORD.\n"
        "Needs matplotlib: pip install \"w2v[plot]\". t-SNE needs scikit-learn.",
        epilog="example:\n  w2v plot austen.bin sister london happy letter -o austen.png")
    p.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    p.add_argument("words", nargs="+", metavar="WORD")
    p.add_argument("-o", "--output", required=True,
                   help="image file; the format comes from the extension (.png, .svg, .pdf)")
    p.add_argument("--neighbours", "--neighbors", type=_nonneg_int, default=10, metavar="N",
                   help="neighbours drawn per word (10)")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca",
                   help="projection: PCA (default) or t-SNE (needs scikit-learn)")
    p.add_argument("--title", help="title drawn above the map")
    p.add_argument("--seed", type=int, default=0, help="random seed for t-SNE (0)")

    # ---- export
    p = _add_subparser(
        sub, "export", "write vectors for the Embedding Projector, or convert formats",
        "--projector DIR writes DIR/vectors.tsv (tab-separated values, no header) and\n"
        "DIR/metadata.tsv (the words; with a 'word<TAB>count' header when counts are known),\n"
        "the two files read by the TensorBoard Embedding Projector "
        "(https://projector.tensorflow.org).\n"
        "-o FILE writes another format (word2vec binary or text, or a w2v KeyedVectors folder).",
        epilog="examples:\n  w2v export vectors.bin --projector projector/ --limit 10000\n"
               "  w2v export model --format text -o vectors.txt")
    p.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    dest = p.add_mutually_exclusive_group(required=True)
    dest.add_argument("--projector", metavar="DIR", help="folder for vectors.tsv and metadata.tsv")
    dest.add_argument("-o", "--output", metavar="FILE", help="converted vectors")
    p.add_argument("--format", choices=("bin", "text", "native"), default=None,
                   help="format for -o (default: from the extension, as for train)")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="only the N first (most frequent) words")
    # ---- convert
    p = _add_subparser(
        sub, "convert", "convert a gensim-saved model or vectors file into a w2v folder",
        "Read a file saved by gensim 1.x-4.x (Word2Vec .model or KeyedVectors .kv, with its\n"
        ".npy side files) without running any code from it, and save it as a w2v folder\n"
        "(Word2Vec: trainable further; KeyedVectors: vectors only).",
        epilog="example:\n  w2v convert old.model converted/")
    p.add_argument("source", metavar="OLD", help="gensim-saved .model or .kv file")
    p.add_argument("output", metavar="OUT_DIR", help="w2v folder to write (replaced atomically)")
    # listed for --help; `w2v bench ...` is handed to w2v.bench.suite before parsing
    sub.add_parser("bench", help="benchmark w2v against gensim, fastText and word2vec.c "
                                 "(w2v bench --help)", add_help=False)
    return parser


# --------------------------------------------------------------------------- output helpers
def _reconfigure_streams():
    # A terminal or pipe that cannot encode a word prints it escaped instead of crashing.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):
            stream.reconfigure(errors="backslashreplace")


def _say(args, message):
    """A message for the user on stderr, unless --quiet."""
    if not getattr(args, "quiet", False):
        _write_stderr(message)


def _write_stderr(message):
    if "tqdm" in sys.modules:  # keep an active progress bar intact
        from tqdm import tqdm
        tqdm.write(message, file=sys.stderr)
    else:
        print(message, file=sys.stderr, flush=True)


class _StderrHandler(logging.Handler):
    def emit(self, record):
        try:
            _write_stderr(self.format(record))
        except Exception:
            self.handleError(record)


def _describe(exc):
    """One line for an exception."""
    if isinstance(exc, OSError) and exc.filename is not None:
        reason = exc.strerror or str(exc)
        text = f"{exc.filename}: {reason}"
    elif isinstance(exc, KeyError) and len(exc.args) == 1:
        text = str(exc.args[0])
    elif isinstance(exc, MemoryError):
        # keep the library's figures and advice; a bare MemoryError says nothing
        text = f"out of memory: {exc}" if str(exc) else "out of memory"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(display(text).split())


# --------------------------------------------------------------------------- checks
def _check_output(path, fmt):
    """Fail before a long run, not after it, when the output cannot be written."""
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise FileNotFoundError(errno.ENOENT, "output folder does not exist", parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "output folder is not writable", parent)
    if fmt != "native" and os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "is a folder; give a file name", path)


# The training options of `w2v train`, by argparse dest, with their defaults (threads,
# epochs and alpha depend on the machine, the corpus and --sg: filled in cmd_train).
TRAIN_DEFAULTS = {"sg": 0, "size": 100, "window": 5, "negative": 5, "hs": 0, "sample": 1e-3,
                  "min_count": 5, "epochs": None, "threads": None, "alpha": None,
                  "min_alpha": 0.0001, "max_vocab": None, "seed": 1, "shared_negatives": False}
# what each option is in a checkpoint: (flag, the model's value)
_RESUMED_OPTIONS = {
    "sg": ("--sg/--cbow", lambda m: m.sg),
    "size": ("--size", lambda m: m.vector_size),
    "window": ("--window", lambda m: m.window),
    "negative": ("--negative", lambda m: m.negative),
    "hs": ("--hs", lambda m: m.hs),
    "sample": ("--sample", lambda m: m.sample),
    "min_count": ("--min-count", lambda m: m.min_count),
    "epochs": ("--epochs", lambda m: m.training_state.epochs),
    "threads": ("--threads", lambda m: m.workers),
    "alpha": ("--alpha", lambda m: m.training_state.start_alpha),
    "min_alpha": ("--min-alpha", lambda m: m.training_state.end_alpha),
    "max_vocab": ("--max-vocab", lambda m: m.max_vocab_size),
    "seed": ("--seed", lambda m: m.seed),
    "shared_negatives": ("--shared-negatives", lambda m: m.shared_negatives),
}


# With --update the model keeps its shape; these options belong to the run (model attribute).
_UPDATE_RUN_OPTIONS = {"epochs": "epochs", "threads": "workers", "alpha": "alpha",
                       "min_alpha": "min_alpha"}


def _check_saved_options(args, model, what, path, advice, skip=()):
    """Options given with another value than those of the saved ``what`` ("the
    checkpoint", "the model") are refused: the saved ones would silently win."""
    def text(dest, flag, value):
        return ("--sg" if value else "--cbow") if dest == "sg" else f"{flag} {value!r}"

    conflicts = []
    for dest, value in args.given.items():
        if dest in skip:
            continue
        flag, saved = _RESUMED_OPTIONS[dest]
        saved = saved(model)
        if value != saved:
            conflicts.append(f"{text(dest, flag, value)} given, {what} has "
                             f"{text(dest, flag, saved)}")
    if conflicts:
        raise CommandError(f"options conflict with {what} {path}: {'; '.join(conflicts)} "
                           f"({advice})")


def _require_words(kv, words):
    missing = [w for w in words if w not in kv.key_to_index]
    if missing:
        hints = []
        for w in missing:
            if isinstance(w, str) and w.lower() != w and w.lower() in kv.key_to_index:
                hints.append(f"{display(w)!r} (did you mean {display(w.lower())!r}?)")
            else:
                hints.append(repr(display(w)))
        raise CommandError(f"not in the vocabulary: {', '.join(hints)}")


# --------------------------------------------------------------------------- train
def _sample_corpus():
    """Context manager giving a file path to the bundled sample corpus."""
    import importlib.resources as resources

    resource = resources.files("w2v") / "data" / DEMO_CORPUS
    if not resource.is_file():
        raise CommandError(f"the bundled sample corpus ({DEMO_CORPUS}) is missing from this "
                           f"installation; give a CORPUS")
    return resources.as_file(resource)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM, with what the user should know about the outputs."""

    def __init__(self, note, status=EXIT_INTERRUPTED):
        super().__init__(note)
        self.note = note
        self.status = status


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread by the handler main() installs: it takes the
    same clean way out as Ctrl-C (workers stopped, cache removed), with status 143."""
    status = EXIT_TERMINATED


def _raise_terminated(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises Terminated while a command runs (main thread only); the previous
    handler is put back afterwards.  The library installs no handler of its own."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_train(args):
    from w2v.word2vec import Word2Vec

    demo = not args.corpus
    if demo and args.read_vocab:
        args.parser.error("--read-vocab needs a CORPUS")
    if demo and args.update:
        args.parser.error("--update needs a CORPUS")
    if demo and args.dask:
        args.parser.error("--dask needs a CORPUS (files every worker can read)")
    if args.sync_words and not args.dask:
        args.parser.error("--sync-words needs --dask (it sets how a cluster merges replicas)")
    if args.freeze and not args.init:
        args.parser.error("--freeze needs --init VECTORS")
    if args.update and (args.resume or args.read_vocab):
        args.parser.error("--update cannot be combined with --resume or --read-vocab")
    if args.init and args.resume:
        args.parser.error("--init cannot be combined with --resume (the checkpoint holds the vectors)")
    if not demo and not args.output:
        args.parser.error("-o/--output is required when a CORPUS is given")
    if args.resume and args.read_vocab:
        args.parser.error("--read-vocab cannot be used with --resume: the vocabulary is the "
                          "checkpoint's")
    given = {dest: getattr(args, dest) for dest in TRAIN_DEFAULTS
             if getattr(args, dest) is not None}
    options = {**TRAIN_DEFAULTS, "threads": _default_threads(),
               "epochs": DEMO_EPOCHS if demo else 5, **given}
    if options["alpha"] is None:
        options["alpha"] = 0.025 if options["sg"] else 0.05
    epochs = options["epochs"]
    try:
        # Word2Vec checks the training options; a bad one is a usage error
        model = Word2Vec(
            vector_size=options["size"], window=options["window"], negative=options["negative"],
            hs=options["hs"], sample=options["sample"], min_count=options["min_count"],
            epochs=epochs, workers=options["threads"], alpha=options["alpha"],
            min_alpha=options["min_alpha"], max_vocab_size=options["max_vocab"],
            seed=options["seed"], sg=options["sg"], compute_loss=args.loss,
            shared_negatives=options["shared_negatives"],
            cache_dir=args.cache_dir)
    except ValueError as exc:
        args.parser.error(str(exc))
    args.given = given
    if demo:
        with _sample_corpus() as corpus:
            return _train(args, model, os.fspath(corpus), args.output or DEMO_OUTPUT, demo=True)
    corpus = args.corpus if len(args.corpus) > 1 else args.corpus[0]
    with contextlib.ExitStack() as stack:
        if args.dask:
            from w2v.distributed import connect
            client = stack.enter_context(connect(args.dask, args.threads))
        else:
            client = None
        return _train(args, model, corpus, args.output, demo=False, client=client)


def _sync_options(args):
    if not getattr(args, "sync_words", None):
        return None
    from w2v.distributed import DistributedOptions
    return DistributedOptions(round_words=args.sync_words)


def _train(args, model, corpus, output, demo, client=None):
    from w2v.corpus import Corpus, corpus_name
    from w2v.vocab import Vocab
    from w2v.word2vec import Word2Vec, _check_checkpoint_path

    fmt = args.format or formats.format_for_name(output)
    _check_output(output, fmt)
    if args.checkpoint:
        _check_checkpoint_path(args.checkpoint)     # before the scan, not after it
    corpus = Corpus(corpus)          # a missing file fails here, before anything else
    for path in corpus.paths:
        if os.path.exists(output) and os.path.samefile(path, output):
            raise CommandError(f"the output {output} is a corpus file: it would be overwritten")
    t0 = time.perf_counter()
    if args.phrases and not args.resume:       # a checkpoint holds its phrases
        from w2v.phrases import learn_phrases
        _say(args, f"learning phrases ({args.phrases} pass{'es' if args.phrases > 1 else ''}) ...")
        models = learn_phrases(corpus.paths, passes=args.phrases, workers=model.workers)
        _say(args, "phrases: " + ", ".join(f"{len(m.phrasegrams):,}" for m in models)
             + f" in {time.perf_counter() - t0:.1f} s; the corpus is phrased as it is read")
        model.phrases = tuple(models)       # applied by build_vocab and train, saved with it
    if args.resume:
        model = Word2Vec.load(args.resume)       # the checkpoint's options replace the given ones
        state = model.training_state
        if state is None:
            if os.path.isfile(args.resume):
                raise CommandError(f"{args.resume} is a gensim model file, not a w2v checkpoint: "
                                   f"it holds no unfinished training to resume (a checkpoint is "
                                   f"the folder written by --checkpoint)")
            raise CommandError(f"{args.resume} holds no unfinished training to resume")
        _check_saved_options(args, model, "the checkpoint", args.resume,
                             "leave them out: --resume continues with the checkpoint's options")
        model.cache_dir = args.cache_dir     # a property of this machine, not of the checkpoint
        source = (f"from the checkpoint {args.resume} "
                  f"(after epoch {state.epoch} of {state.epochs})")
    elif args.update:
        model = Word2Vec.load(args.update)       # the model's shape, this run's epochs etc.
        _check_saved_options(args, model, "the model", args.update,
                             "leave them out: --update keeps the model's options; --epochs, "
                             "--threads, --alpha and --min-alpha set this run's",
                             skip=_UPDATE_RUN_OPTIONS)
        for dest, attr in _UPDATE_RUN_OPTIONS.items():
            if dest in args.given:
                setattr(model, attr, args.given[dest])
        before = len(model.wv)
        _say(args, f"scanning {corpus_name(corpus)} ...")
        model.build_vocab(corpus_iterable=corpus, update=True)
        source = f"after adding {len(model.wv) - before:,} new words to the model {args.update}"
    elif args.read_vocab:
        loaded = Vocab.load(args.read_vocab)
        model.build_vocab_from_freq(dict(zip(loaded.index_to_key, loaded.counts.tolist())))
        source = f"from {args.read_vocab}"
    else:
        what = "the bundled sample (Jane Austen's novels)" if demo else corpus_name(corpus)
        _say(args, f"scanning {what} ...")
        model.build_vocab(corpus_iterable=corpus, client=client)
        source = f"in {time.perf_counter() - t0:.1f} s"
    epochs = model.training_state.epochs if args.resume else model.epochs
    vocab = model.vocab
    _say(args, f"vocabulary: {len(vocab):,} words with count >= {vocab.effective_min_count}, "
               f"{vocab.retained_words:,} of {vocab.raw_words:,} tokens "
               f"({100.0 * vocab.retained_words / max(1, vocab.raw_words):.1f}%) {source}")
    if args.save_vocab:
        vocab.save(args.save_vocab)
        _say(args, f"wrote the vocabulary to {args.save_vocab}")
    if args.init:
        merged = model.wv.intersect_vectors(load_vectors(args.init),
                                            lockf=0.0 if args.freeze else 1.0, source=args.init)
        _say(args, f"took {merged:,} vectors from {args.init}"
                   f"{' (frozen)' if args.freeze else ''}")

    _say(args, f"training {'skip-gram' if model.sg else 'CBOW'}, {model.vector_size} dimensions, "
               f"{epochs} epoch{'s' if epochs != 1 else ''}, {model.workers} "
               f"thread{'s' if model.workers != 1 else ''} ...")
    reporter = None if args.quiet else ProgressReporter()
    t1 = time.perf_counter()
    try:
        try:
            model.train(corpus_iterable=corpus, total_words=model.corpus_total_words,
                        epochs=epochs, compute_loss=args.loss, progress=reporter,
                        resume=bool(args.resume), checkpoint=args.checkpoint or args.resume,
                        checkpoint_every=args.checkpoint_every,
                        client=client, sync=_sync_options(args))
        finally:
            if reporter is not None:
                reporter.close()
        secs = time.perf_counter() - t1
        rate = model.corpus_total_words * epochs / max(secs, 1e-9)
        loss = ""
        if args.loss:
            loss = (f", loss {model.get_latest_training_loss() / max(1, model.words_done):.4g} "
                    f"per word")
        _say(args, f"trained in {secs:.1f} s ({si(rate)} words/s){loss}")
        if fmt == "native":
            model.save(output)
        else:
            formats.save_vectors(model.wv, output, fmt)
    except KeyboardInterrupt as exc:
        raise Interrupted(f"{output} was not written",
                          getattr(exc, "status", EXIT_INTERRUPTED)) from None
    _say(args, f"wrote {len(model.wv):,} vectors of size {model.vector_size} to {output} "
               f"({FORMAT_NAMES['native-model' if fmt == 'native' else fmt]})")
    if demo:
        _demo_report(model.wv, output, vocab)
    return EXIT_OK


def _demo_report(kv, output, vocab):
    print(f"Trained on the bundled sample, Jane Austen's six novels ({vocab.raw_words:,} words).")
    print(f"Vectors: {output} ({len(kv):,} words, {kv.vector_size} dimensions)\n")
    print("Nearest neighbours:")
    probes = [w for w in DEMO_PROBES if w in kv.key_to_index]
    width = max(len(w) for w in probes) if probes else 0
    for word in probes:
        neighbours = kv.most_similar(word, topn=6)
        shown = ", ".join(f"{display(n)} {s:.2f}" for n, s in neighbours)
        print(f"  {word:<{width}}  {shown}")
    out = output if " " not in output else f'"{output}"'
    print("\nTry next:")
    print(f"  w2v similar {out} elizabeth marriage")
    print(f"  w2v analogy {out} he she his        # he is to she as his is to ?")
    print(f"  w2v plot {out} {' '.join(DEMO_PROBES)} -o austen.png")
    print("  w2v train YOUR_CORPUS.txt -o vectors.bin   # one sentence or paragraph per line")


# --------------------------------------------------------------------------- queries
def _print_neighbours(results):
    width = max((len(display(w)) for w, _ in results), default=0)
    for rank, (word, score) in enumerate(results, 1):
        print(f"  {rank:>3}  {display(word):<{width}}  {score:.4f}")


def cmd_similar(args):
    kv = load_vectors(args.model)
    present = [w for w in args.words if w in kv.key_to_index]
    failed = None
    if len(present) < len(args.words):
        try:
            _require_words(kv, args.words)
        except CommandError as exc:
            failed = exc
    for i, word in enumerate(present):
        if i:
            print()
        print(display(word))
        _print_neighbours(kv.most_similar(word, topn=args.topn,
                                          restrict_vocab=args.restrict_vocab))
    if failed is not None:
        sys.stdout.flush()
        raise failed
    return EXIT_OK


def cmd_analogy(args):
    kv = load_vectors(args.model)
    _require_words(kv, [args.a, args.b, args.c])
    a, b, c = (display(w) for w in (args.a, args.b, args.c))
    print(f"{a} : {b} :: {c} : ?")
    _print_neighbours(kv.most_similar(positive=[args.b, args.c], negative=[args.a],
                                      topn=args.topn, restrict_vocab=args.restrict_vocab))
    return EXIT_OK


def cmd_eval(args):
    if not args.analogies and not args.pairs:
        args.parser.error("give at least one of --analogies FILE and --pairs FILE")
    for path in args.analogies + args.pairs:
        if not os.path.isfile(path):
            raise FileNotFoundError(errno.ENOENT, "no such file", path)
    kv = load_vectors(args.model)
    print(f"{args.model}: {len(kv):,} words, {kv.vector_size} dimensions; "
          f"the first {min(args.restrict_vocab, len(kv)):,} take part")
    with warnings.catch_warnings():
        # a question with no candidate left makes numpy warn; it is simply counted wrong
        warnings.simplefilter("ignore", RuntimeWarning)
        for path in args.analogies:
            score, sections = kv.evaluate_word_analogies(path, restrict_vocab=args.restrict_vocab)
            asked = evaluation.count_questions(path)
            print(f"\nanalogies: {path}")
            width = max(len(s["section"]) for s in sections)
            for s in sections:
                right, wrong = len(s["correct"]), len(s["incorrect"])
                n = right + wrong
                if s["section"] == "Total accuracy":
                    print("  " + "-" * (width + 24))
                    name = "total"
                else:
                    name = s["section"]
                pct = f"{100.0 * right / n:5.1f}%" if n else "    - "
                print(f"  {name:<{width}}  {pct}  ({right}/{n})")
            answered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
            skipped = asked - answered
            print(f"  {skipped} of {asked} questions skipped (a word outside the vocabulary)")
        for path in args.pairs:
            pearson, spearman, oov = kv.evaluate_word_pairs(path,
                                                            restrict_vocab=args.restrict_vocab)
            print(f"\npairs: {path}")
            for name, (stat, pvalue) in (("Pearson ", pearson), ("Spearman", spearman)):
                # p-values need scipy, which is optional
                p = f"  (p = {pvalue:.3g})" if pvalue is not None else ""
                print(f"  {name}  {stat:.4f}{p}")
            print(f"  pairs with a word outside the vocabulary: {oov:.1f}%")
    return EXIT_OK


# --------------------------------------------------------------------------- vocab, info
def cmd_vocab(args):
    from w2v.corpus import Corpus
    from w2v.vocab import Vocab

    corpus = Corpus(args.corpus if len(args.corpus) > 1 else args.corpus[0])
    t0 = time.perf_counter()
    # the scan of Word2Vec.build_vocab, keeping every word for the listing
    vocab = Vocab.from_corpus(corpus, workers=args.threads, max_vocab_size=args.max_vocab,
                              min_count=1)
    secs = time.perf_counter() - t0
    kept = vocab.counts >= args.min_count
    n_kept = int(kept.sum())
    kept_tokens = int(vocab.counts[kept].sum())
    top = min(args.top, len(vocab))
    if top:
        words = [display(w) for w in vocab.index_to_key[:top]]
        width = max(4, max(len(w) for w in words))
        cwidth = max(5, len(f"{int(vocab.counts[0]):,}"))
        print(f"{'rank':>6}  {'word':<{width}}  {'count':>{cwidth}}")
        for rank, (word, count) in enumerate(zip(words, vocab.counts[:top].tolist()), 1):
            print(f"{rank:>6}  {word:<{width}}  {count:>{cwidth},}")
        print()
    print(f"tokens:     {vocab.raw_words:,} in {vocab.n_sentences:,} sentences")
    print(f"distinct:   {len(vocab):,} words"
          + (f" (+{vocab.pruned_words:,} pruned during the scan, --max-vocab)"
             if vocab.pruned_words else ""))
    print(f"min-count:  {n_kept:,} words with count >= {args.min_count}, covering "
          f"{100.0 * kept_tokens / max(1, vocab.raw_words):.2f}% of tokens")
    _say(args, f"scanned in {secs:.2f} s")
    if args.output:
        Vocab.from_counts(vocab.index_to_key, vocab.counts, total_words=vocab.raw_words,
                          n_sentences=vocab.n_sentences,
                          min_count=args.min_count).save(args.output)
        _say(args, f"wrote {n_kept:,} words to {args.output}")
    return EXIT_OK


def cmd_info(args):
    path = args.model
    fmt = detect_format(path)
    rows = [("path", path), ("format", FORMAT_NAMES[fmt])]
    model = None
    if fmt in ("native-model", "native-kv", "gensim"):
        if fmt == "native-model":
            from w2v.word2vec import Word2Vec
            model = Word2Vec.load(path, mmap="r")
            kv = model.wv
        elif fmt == "gensim":
            from w2v import gensim_compat
            loaded = gensim_compat.load_any(path)
            model, kv = (loaded, loaded.wv) if hasattr(loaded, "wv") else (None, loaded)
        else:
            kv = load_vectors(path)
        counts = kv.expandos.get("count")
        rows += [("words", f"{len(kv):,}"), ("vector size", kv.vector_size),
                 ("dtype", kv.vectors.dtype),
                 ("counts", "yes" if counts is not None else "no")]
        if len(kv):
            rows.append(("most frequent", " ".join(display(w) for w in kv.index_to_key[:10])))
    else:
        n, dim = formats.read_word2vec_header(path)
        rows += [("words", f"{n:,}"), ("vector size", dim), ("dtype", "float32"),
                 ("file size", f"{os.path.getsize(path):,} bytes")]
    if model is not None:
        arch = "skip-gram" if model.sg else f"CBOW ({'mean' if model.cbow_mean else 'sum'})"
        objective = " + ".join(
            ([f"negative sampling ({model.negative} noise words, exponent "
              f"{model.ns_exponent:g})"] if model.negative else [])
            + (["hierarchical softmax"] if model.hs else []))
        vocab = model.vocab
        rows += [
            ("architecture", arch), ("objective", objective),
            ("window", model.window), ("epochs", model.epochs),
            ("learning rate", f"{model.alpha:g} -> {model.min_alpha:g}"),
            ("min count", vocab.effective_min_count if vocab is not None else model.min_count),
            ("sample", f"{model.sample:g}"), ("seed", model.seed), ("threads", model.workers),
            ("corpus", f"{model.corpus_total_words:,} words, {model.corpus_count:,} sentences"),
            ("words trained", "not recorded in gensim files" if fmt == "gensim"
             else f"{model.words_done:,}"),
        ]
        if model.epoch_losses and any(model.epoch_losses):
            rows.append(("loss per epoch", " ".join(f"{x:.4g}" for x in model.epoch_losses)))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key + ':':<{width + 1}}  {value}")
    return EXIT_OK


# --------------------------------------------------------------------------- plot, export
def cmd_plot(args):
    from w2v import plot

    plot.require_matplotlib()     # before loading a large model
    if args.method == "tsne":
        plot.require_sklearn()
    kv = load_vectors(args.model)
    _require_words(kv, args.words)
    plot.plot_neighbourhoods(kv, args.words, args.output, neighbours=args.neighbours,
                             method=args.method, title=args.title, seed=args.seed,
                             label=display)
    _write_stderr(f"wrote {args.output}")
    return EXIT_OK


def cmd_export(args):
    kv = load_vectors(args.model)
    if args.projector:
        parent = os.path.dirname(os.path.abspath(args.projector))
        if not os.path.isdir(parent):
            raise FileNotFoundError(errno.ENOENT, "folder does not exist", parent)
        if os.path.exists(args.projector) and not os.path.isdir(args.projector):
            raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", args.projector)
        n = export_projector(kv, args.projector, limit=args.limit)
        _write_stderr(f"wrote {n:,} vectors to {os.path.join(args.projector, 'vectors.tsv')} and "
                      f"their words to {os.path.join(args.projector, 'metadata.tsv')}; load both "
                      f"at https://projector.tensorflow.org")
        return EXIT_OK
    fmt = args.format or formats.format_for_name(args.output)
    _check_output(args.output, fmt)
    if args.limit is not None and args.limit < len(kv):
        from w2v.keyedvectors import KeyedVectors
        counts = kv.expandos.get("count")
        kv = KeyedVectors.from_arrays(kv.index_to_key[:args.limit], kv.vectors[:args.limit],
                                      counts=None if counts is None else counts[:args.limit])
    formats.save_vectors(kv, args.output, fmt)
    _write_stderr(f"wrote {len(kv):,} vectors to {args.output} "
                  f"({FORMAT_NAMES['native-kv' if fmt == 'native' else fmt]})")
    return EXIT_OK


def cmd_convert(args):
    kind = gensim_compat.convert(args.source, args.output)
    _write_stderr(f"wrote the gensim {kind} of {args.source} to {args.output}")
    return EXIT_OK


def cmd_phrases(args):
    from w2v.phrases import ENGLISH_CONNECTOR_WORDS, phrase_corpus_file

    threshold = args.threshold
    if threshold is None:
        threshold = 0.5 if args.scoring == "npmi" else 10.0
    t0 = time.perf_counter()
    try:
        models = phrase_corpus_file(
            args.corpus if len(args.corpus) > 1 else args.corpus[0], args.output,
            passes=args.passes, min_count=args.min_count, threshold=threshold,
            scoring=args.scoring, workers=args.threads,
            connector_words=ENGLISH_CONNECTOR_WORDS if args.connector_words == "english"
            else frozenset())
    except ValueError as exc:
        if "threshold" in str(exc):
            args.parser.error(str(exc))
        raise
    for k, m in enumerate(models, 1):
        top = sorted(m.phrasegrams.items(), key=lambda kv: -kv[1])[:5]
        _say(args, f"pass {k}: {len(m.phrasegrams):,} phrases"
                   + (", e.g. " + " ".join(display(w) for w, _ in top) if top else ""))
    _say(args, f"wrote {args.output} in {time.perf_counter() - t0:.1f} s")
    return EXIT_OK


COMMANDS = {"train": cmd_train, "phrases": cmd_phrases, "similar": cmd_similar, "analogy": cmd_analogy,
            "eval": cmd_eval, "vocab": cmd_vocab, "info": cmd_info, "plot": cmd_plot,
            "export": cmd_export, "convert": cmd_convert}


# --------------------------------------------------------------------------- main
@contextlib.contextmanager
def _cli_logging(verbose, quiet):
    """Library logs and warnings as single lines on stderr, through tqdm when a bar runs."""
    root = logging.getLogger("w2v")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s" if not verbose else
                                           "%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
    old_level, old_propagate = root.level, root.propagate
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING)
    root.propagate = False
    old_showwarning = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):
        _write_stderr(f"w2v: warning: {' '.join(str(message).split())}")

    warnings.showwarning = showwarning
    try:
        yield
    finally:
        warnings.showwarning = old_showwarning
        root.removeHandler(handler)
        root.setLevel(old_level)
        root.propagate = old_propagate


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        # the benchmark suite has its own options and --help
        from w2v.bench.suite import main as bench_main
        return bench_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    _reconfigure_streams()
    name = f"w2v {args.command}"
    try:
        with _sigterm_as_interrupt(), _cli_logging(args.verbose, getattr(args, "quiet", False)):
            return COMMANDS[args.command](args)
    except KeyboardInterrupt as exc:
        note = getattr(exc, "note", None)
        status = getattr(exc, "status", EXIT_INTERRUPTED)
        what = "terminated (SIGTERM)" if status == EXIT_TERMINATED else "interrupted"
        _write_stderr(f"{name}: {what}" + (f"; {note}" if note else ""))
        return status
    except BrokenPipeError:
        # the reader went away (`w2v vocab big.txt | head`): stop quietly
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAIL
    except Exception as exc:  # one clear line unless --debug
        if args.debug:
            raise
        _write_stderr(f"{name}: error: {_describe(exc)}")
        return EXIT_FAIL
