"""The ``w2v`` command (also ``python -m w2v``).

Exit status: 0 success, 1 failure (one line on stderr; ``--debug`` shows the
traceback), 2 bad usage (argparse), 130 interrupted.
"""
import argparse
import logging
import os
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


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


def _float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="w2v", description="Train and use word2vec embeddings.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("train", help="train vectors on a corpus",
                       description="Train word vectors (options named after word2vec.c).")
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help="text file(s) or folder(s); .gz/.bz2/.xz are decompressed")
    p.add_argument("-o", "--output", required=True, help="where to write the vectors")
    p.add_argument("--format", choices=("bin", "text", "native"), default=None,
                   help="output format (default: from the extension: .txt/.vec text, "
                        ".bin binary, otherwise native)")
    arch = p.add_mutually_exclusive_group()
    arch.add_argument("--sg", dest="sg", action="store_const", const=1, help="skip-gram")
    arch.add_argument("--cbow", dest="sg", action="store_const", const=0, help="CBOW (default)")
    p.set_defaults(sg=0)
    p.add_argument("--size", type=_positive_int, default=100, help="vector size (100)")
    p.add_argument("--window", type=_positive_int, default=5, help="max window (5)")
    p.add_argument("--negative", type=_nonneg_int, default=5, help="negative samples, 0 = off (5)")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax")
    p.add_argument("--sample", type=_float, default=1e-3, help="subsampling threshold, 0 = off (1e-3)")
    p.add_argument("--min-count", type=_nonneg_int, default=5, help="discard rarer words (5)")
    p.add_argument("--epochs", "--iter", type=_positive_int, default=5, help="epochs (5)")
    p.add_argument("--threads", type=_positive_int, default=os.cpu_count() or 1,
                   help="worker threads (all cores)")
    p.add_argument("--alpha", type=_float, default=None,
                   help="starting learning rate (0.025 skip-gram, 0.05 CBOW)")
    p.add_argument("--min-alpha", type=_float, default=0.0001, help="final learning rate (0.0001)")
    p.add_argument("--max-vocab", type=_positive_int, default=None,
                   help="bound on distinct words held during the scan")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument("--save-vocab", metavar="FILE", help="write the vocabulary (word count per line)")
    p.add_argument("--quiet", action="store_true", help="no progress output")

    return parser


def _output_format(path, fmt):
    if fmt:
        return fmt
    lower = path.lower()
    if lower.endswith((".txt", ".vec")):
        return "text"
    if lower.endswith(".bin"):
        return "bin"
    return "native"


def cmd_train(args):
    from w2v.word2vec import Word2Vec

    alpha = args.alpha if args.alpha is not None else (0.025 if args.sg else 0.05)
    corpus = args.corpus if len(args.corpus) > 1 else args.corpus[0]
    model = Word2Vec(vector_size=args.size, window=args.window, negative=args.negative,
                     hs=int(args.hs), sample=args.sample, min_count=args.min_count,
                     epochs=args.epochs, workers=args.threads, alpha=alpha,
                     min_alpha=args.min_alpha, max_vocab_size=args.max_vocab, seed=args.seed,
                     sg=args.sg)
    model.build_vocab(corpus_file=corpus)
    if args.save_vocab:
        model.vocab.save(args.save_vocab)
    model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=model.epochs)
    fmt = _output_format(args.output, args.format)
    if fmt == "native":
        model.save(args.output)
    else:
        model.wv.save_word2vec_format(args.output, binary=(fmt == "bin"))
    if not args.quiet:
        print(f"wrote {len(model.wv)} vectors of size {model.vector_size} to {args.output} ({fmt})",
              file=sys.stderr)
    return EXIT_OK


COMMANDS = {"train": cmd_train}


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    quiet = getattr(args, "quiet", False)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("w2v: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # one clear line unless --debug
        if args.debug:
            raise
        print(f"w2v {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
