"""Peer word2vec implementations for the benchmark suite, behind one interface.

Each peer trains on a text file with the same hyperparameters (``TrainParams``)
and writes word2vec-format vectors to a given path, returning a ``PeerResult``
with wall time, the vocabulary / training / saving split when it can be told,
peak RSS and words per second. Peers are optional: one that is not installed is
skipped with a reason, never downloaded.

Peers (see bench/README.md for how to install/build them and how their
semantics differ):

* ``w2v``          this package, ``Word2Vec(corpus_file=...)`` (in a child Python,
  ``python -m w2v.bench.run_w2v``), so it is measured like every other tool
* ``w2v-iter``     this package over an iterable of token lists (in a child Python)
* ``w2v-shared``   this package, ``corpus_file=`` with ``shared_negatives=True``
  (skip-gram negative sampling only)
* ``gensim-file``  gensim ``Word2Vec(corpus_file=...)`` (in a child Python)
* ``gensim-iter``  gensim ``Word2Vec`` over ``LineSentence`` (in a child Python)
* ``fasttext``     fastText CLI (``fasttext skipgram|cbow``, subwords off)
* ``word2vec-c``   Mikolov's word2vec.c, binary from ``W2V_WORD2VEC_BIN``
* ``pword2vec``    Intel's pWord2Vec (skip-gram + negative sampling only),
  binary from ``W2V_PWORD2VEC_BIN``

``python -m w2v.bench.peers --help`` runs some or all of them once on one corpus;
``w2v bench`` (:mod:`w2v.bench.suite`) is the full, repeated, evaluated benchmark.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from w2v.bench import corpora, measure

# Child Pythons print their result as one line: this tag, then JSON.
JSON_TAG = "W2V_BENCH_JSON "


@dataclass(frozen=True)
class TrainParams:
    """Hyperparameters shared by all peers (gensim names).

    ``alpha=None`` means the word2vec.c defaults made explicit: 0.025 for
    skip-gram, 0.05 for CBOW. ``min_alpha`` only reaches tools that take it
    (gensim); the others decay to (about) zero, see README.
    """
    sg: int = 1
    hs: int = 0
    negative: int = 5
    window: int = 5
    vector_size: int = 100
    sample: float = 1e-3
    min_count: int = 5
    epochs: int = 5
    alpha: Optional[float] = None
    min_alpha: float = 0.0001
    threads: int = 2
    seed: int = 1

    @property
    def start_alpha(self) -> float:
        if self.alpha is not None:
            return self.alpha
        return 0.025 if self.sg else 0.05

    def label(self) -> str:
        arch = "sg" if self.sg else "cbow"
        loss = "+".join(x for x in (("hs" if self.hs else ""), (f"ns{self.negative}" if self.negative else "")) if x)
        return (f"{arch}/{loss or 'none'} d{self.vector_size} w{self.window} s{self.sample:g} "
                f"mc{self.min_count} e{self.epochs} a{self.start_alpha:g} t{self.threads}")


@dataclass
class PeerResult:
    """Outcome of one peer run. Times in seconds, memory in KiB.

    ``vocab_s``: start of the process to vocabulary built (gensim: ``build_vocab``,
    which also allocates and initialises the weights). ``train_s``: from there to
    the last progress report (CLI tools: includes weight init, negative-sampling
    table and pWord2Vec's loading of the corpus into memory; gensim: ``train()``).
    ``save_s``: after training until exit (writing vectors, freeing).
    ``raw_words``: corpus tokens x epochs (from ``corpus_words``) or, for gensim,
    what ``train()`` reports; ``effective_words``: after subsampling, when known.
    """
    peer: str
    status: str                      # "ok" | "skipped" | "failed"
    reason: str = ""
    params: Optional[TrainParams] = None
    wall_s: Optional[float] = None
    vocab_s: Optional[float] = None
    train_s: Optional[float] = None
    save_s: Optional[float] = None
    peak_rss_kib: Optional[int] = None
    raw_words: Optional[int] = None
    effective_words: Optional[int] = None
    output: Optional[str] = None
    output_format: Optional[str] = None  # "word2vec-binary" | "word2vec-text"
    vocab_size: Optional[int] = None
    others_cpus: Optional[float] = None  # CPUs other processes kept busy meanwhile (measure.RunResult)
    cmd: List[str] = field(default_factory=list)
    extra: Dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def raw_words_per_s(self) -> Optional[float]:
        return self.raw_words / self.train_s if self.raw_words and self.train_s else None

    @property
    def effective_words_per_s(self) -> Optional[float]:
        return self.effective_words / self.train_s if self.effective_words and self.train_s else None

    def to_dict(self) -> Dict[str, object]:
        d = asdict(self)
        d["raw_words_per_s"] = self.raw_words_per_s
        d["effective_words_per_s"] = self.effective_words_per_s
        return d


def vectors_header(path: str, binary: bool) -> tuple:
    """(vocab size, dimension) from a word2vec-format file, checking its size/first rows.

    Raises ValueError if the file is not what the header says (a truncated
    write, a wrong format) so a broken peer run does not pass as a result.
    """
    with open(path, "rb") as f:
        n, dim = (int(x) for x in f.readline().split())
        if binary:
            # Each row: word, one space, dim float32, then (word2vec.c) a newline.
            for _ in range(min(n, 3)):
                word = b""
                while True:
                    ch = f.read(1)
                    if ch in (b" ", b""):
                        break
                    if ch != b"\n":
                        word += ch
                if len(f.read(4 * dim)) != 4 * dim:
                    raise ValueError(f"{path}: truncated binary vectors")
        else:
            rows = 0
            for block in iter(lambda: f.read(1 << 20), b""):
                rows += block.count(b"\n")
            if rows != n:
                raise ValueError(f"{path}: header says {n} words, found {rows} rows")
            return n, dim
    if binary and os.path.getsize(path) < n * (4 * dim + 2):
        raise ValueError(f"{path}: {n} x {dim} binary vectors do not fit in the file")
    return n, dim


# --------------------------------------------------------------------------- gensim

def _gensim_worker(spec: Dict[str, object]) -> Dict[str, object]:
    """Child-process side: train with gensim, time the phases in-process."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    t = time.perf_counter()
    import gensim
    from gensim.models import Word2Vec
    from gensim.models import word2vec as gw
    from gensim.models.word2vec import LineSentence
    import_s = time.perf_counter() - t

    p = spec["params"]
    model = Word2Vec(vector_size=p["vector_size"], window=p["window"], min_count=p["min_count"],
                     sample=p["sample"], sg=p["sg"], hs=p["hs"], negative=p["negative"],
                     alpha=p["alpha"], min_alpha=p["min_alpha"], workers=p["threads"],
                     seed=p["seed"], epochs=p["epochs"])
    corpus = spec["corpus"]
    t = time.perf_counter()
    if spec["mode"] == "corpus_file":
        model.build_vocab(corpus_file=corpus)
    else:
        model.build_vocab(corpus_iterable=LineSentence(corpus))
    vocab_s = time.perf_counter() - t
    t = time.perf_counter()
    if spec["mode"] == "corpus_file":
        effective, raw = model.train(corpus_file=corpus, total_words=model.corpus_total_words,
                                     epochs=p["epochs"])
    else:
        effective, raw = model.train(corpus_iterable=LineSentence(corpus), total_examples=model.corpus_count,
                                     epochs=p["epochs"])
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    model.wv.save_word2vec_format(spec["output"], binary=True)
    save_s = time.perf_counter() - t
    return {"import_s": import_s, "vocab_s": vocab_s, "train_s": train_s, "save_s": save_s,
            "effective_words": int(effective), "raw_words": int(raw), "vocab_size": len(model.wv),
            "corpus_total_words": int(model.corpus_total_words), "gensim": gensim.__version__,
            "fast_version": gw.FAST_VERSION, "corpusfile_version": getattr(gw, "CORPUSFILE_VERSION", None)}


@functools.lru_cache(maxsize=None)  # a child Python importing gensim costs ~1 s
def gensim_available(mode: str = "corpus_file", python: str = sys.executable) -> Optional[str]:
    """None if gensim (with the compiled routines the mode needs) is importable, else why not."""
    code = ("from gensim.models import word2vec as w; import sys; "
            "sys.exit(0 if w.FAST_VERSION >= 0 and (%r != 'corpus_file' or "
            "getattr(w, 'CORPUSFILE_VERSION', -1) >= 0) else 3)" % mode)
    res = measure.run_command([python, "-c", code], line_buffered=False, timeout=120)
    if res.returncode == 0:
        return None
    if res.returncode == 3:
        return f"gensim lacks its compiled routines for mode {mode!r}"
    return "gensim not importable: " + _last_line(res.tail(300))


def train_gensim(corpus: str, output: str, params: TrainParams, *, mode: str = "corpus_file",
                 python: str = sys.executable, corpus_words: Optional[int] = None,
                 timeout: Optional[float] = None) -> PeerResult:
    """gensim Word2Vec in a child Python; ``mode`` is 'corpus_file' or 'iterable' (LineSentence).

    The child times build_vocab / train / save_word2vec_format itself; ``wall_s``
    also includes starting Python and importing gensim (``extra['import_s']``).
    Vectors are written in word2vec binary format.
    """
    name = "gensim-file" if mode == "corpus_file" else "gensim-iter"
    if mode not in ("corpus_file", "iterable"):
        raise ValueError(f"mode must be 'corpus_file' or 'iterable', not {mode!r}")
    why = gensim_available(mode, python)
    if why:
        return PeerResult(name, "skipped", why, params)
    # corpus_file mode reports a little more raw words than the file holds
    # (1,055,295 for 1,048,912 tokens in our smoke run): run_python_peer
    # prefers the common denominator; gensim's own figure stays in extra.
    result, _ = run_python_peer(name, [python, "-m", "w2v.bench.peers", "--gensim-worker"], corpus,
                                output, mode, params, corpus_words, timeout,
                                ("import_s", "raw_words", "corpus_total_words", "gensim",
                                 "fast_version", "corpusfile_version"))
    return result


def _last_line(text: str) -> str:
    """The last non-empty line (of a traceback: the exception itself)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


def python_child_env() -> Dict[str, str]:
    """Environment for a child Python: it must import the very w2v this process runs
    (an in-place build is not on the child's path when started from another folder)."""
    root = str(Path(__file__).resolve().parents[2])
    old = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": root + (os.pathsep + old if old else "")}


def compile_bytecode() -> str:
    """Byte-compile the w2v package the child Pythons import (its ``__pycache__``), as
    ``pip install`` does, so that no run pays for compiling w2v's sources while gensim
    loads the bytecode its installation wrote: a source checkout run with
    PYTHONDONTWRITEBYTECODE set (as on the benchmark machines) would otherwise compile
    every module at each start, 40 ms on the 10M-word runs.  Returns what was done,
    for the report."""
    import compileall
    root = Path(__file__).resolve().parents[1]
    if not os.access(root, os.W_OK):
        return f"w2v's modules at {root} not byte-compiled here (folder not writable)"
    ok = compileall.compile_dir(str(root), quiet=1)
    return (f"w2v's Python modules byte-compiled before the runs ({root}), as pip install does"
            if ok else f"byte-compiling {root} failed for some modules (they compile at each start)")


def run_python_peer(name: str, command: List[str], corpus: str, output: str, mode: str,
                    params: TrainParams, corpus_words: Optional[int], timeout: Optional[float],
                    extra_keys: Sequence[str]) -> tuple:
    """Run ``command + [spec as JSON]``, a child Python that trains, times itself and
    prints ``JSON_TAG + json``; returns (PeerResult, the child's dict or None).

    The result is 'ok' with the child's timings, word counts (raw words: corpus
    tokens x epochs when ``corpus_words`` is known) and ``extra_keys`` of its dict
    in ``extra``; else 'failed' with the reason (the child did not finish or printed
    no tagged line).
    """
    spec = {"corpus": str(corpus), "output": str(output), "mode": mode,
            "params": dict(asdict(params), alpha=params.start_alpha)}
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    cmd = list(command) + [json.dumps(spec)]
    res = measure.run_command(cmd, timeout=timeout, line_buffered=False, env=python_child_env())
    result = PeerResult(name, "failed", params=params, wall_s=res.wall_s, peak_rss_kib=res.peak_rss_kib,
                        cmd=list(command) + ["<spec>"], output=str(output),
                        output_format="word2vec-binary")
    result.others_cpus = res.others_cpus
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith(JSON_TAG)]
    if not res.ok or not lines:
        result.reason = f"exit {res.returncode}{' (timeout)' if res.timed_out else ''}: {res.tail(800)}"
        return result, None
    info = json.loads(lines[-1][len(JSON_TAG):])
    result.status = "ok"
    result.vocab_s, result.train_s, result.save_s = info["vocab_s"], info["train_s"], info["save_s"]
    result.raw_words = corpus_words * params.epochs if corpus_words else info["raw_words"]
    result.effective_words = info["effective_words"]
    result.vocab_size = info["vocab_size"]
    result.extra = {k: info.get(k) for k in extra_keys}
    return result, info


# --------------------------------------------------------------------------- w2v

W2V_MODES = {"corpus_file": "w2v", "iterable": "w2v-iter", "shared": "w2v-shared"}


@functools.lru_cache(maxsize=None)
def w2v_available(python: str = sys.executable) -> Optional[str]:
    """None if this w2v's compiled trainer imports in a child Python, else why not."""
    res = measure.run_command([python, "-c", "import w2v.word2vec"], line_buffered=False,
                              timeout=120, env=python_child_env())
    return None if res.returncode == 0 else "w2v not importable (not built?): " + _last_line(res.tail(300))


def train_w2v(corpus: str, output: str, params: TrainParams, *, mode: str = "corpus_file",
              python: str = sys.executable, corpus_words: Optional[int] = None,
              timeout: Optional[float] = None) -> PeerResult:
    """This package's Word2Vec in a child Python (``python -m w2v.bench.run_w2v``).

    ``mode`` 'corpus_file' reads the file through w2v's encoded-cache fast path;
    'iterable' feeds it an iterable of token lists (one per line), as gensim's
    LineSentence; 'shared' is 'corpus_file' with ``shared_negatives=True``. The child times build_vocab / train / save_word2vec_format;
    ``train_s`` includes encoding the corpus into the id cache (``extra['encode_s']``).
    """
    if mode not in W2V_MODES:
        raise ValueError(f"mode must be one of {sorted(W2V_MODES)}, not {mode!r}")
    result, info = run_python_peer(W2V_MODES[mode], [python, "-m", "w2v.bench.run_w2v"], corpus,
                                   output, mode, params, corpus_words, timeout,
                                   ("import_s", "encode_s", "raw_words", "corpus_total_words", "w2v"))
    if info is None and ("No module named" in result.reason or "ImportError" in result.reason):
        result.status = "skipped"
    return result


# --------------------------------------------------------------------------- CLI peers

def _locate(explicit: Optional[str], env_var: Optional[str], names: Sequence[str]) -> Optional[str]:
    """An executable: explicit path, else $env_var, else the first of ``names`` on PATH."""
    for cand in (explicit, os.environ.get(env_var) if env_var else None):
        if cand:
            path = shutil.which(cand)
            return path if path else None
    for n in names:
        path = shutil.which(n)
        if path:
            return path
    return None


def _cli_result(name: str, res: "measure.RunResult", params: TrainParams, cmd: List[str],
                vocab_mark: str, progress_mark: str, output: str, output_format: str,
                corpus_words: Optional[int]) -> PeerResult:
    """Turn a finished CLI run into a PeerResult using its output milestones."""
    result = PeerResult(name, "failed", params=params, wall_s=res.wall_s, peak_rss_kib=res.peak_rss_kib,
                        cmd=cmd, output=output, output_format=output_format)
    result.others_cpus = res.others_cpus
    if not res.ok:
        result.reason = f"exit {res.returncode}{' (timeout)' if res.timed_out else ''}: {res.tail(800)}"
        return result
    try:
        result.vocab_size, dim = vectors_header(output, output_format == "word2vec-binary")
    except (OSError, ValueError) as exc:
        result.reason = f"bad output: {exc}"
        return result
    if dim != params.vector_size:
        result.reason = f"output has dimension {dim}, asked {params.vector_size}"
        return result
    result.status = "ok"
    vocab = res.marks.get(vocab_mark)
    prog = res.marks.get(progress_mark)
    if vocab and prog:
        result.vocab_s = vocab[0]
        result.train_s = prog[1] - vocab[0]
        # The last line can be read a hair after exit: clamp, it means 'nothing measurable'.
        result.save_s = max(0.0, res.wall_s - prog[1])
        result.extra["first_progress_s"] = prog[0]
        # Weight init, tables, pWord2Vec's corpus load, plus the first ~10k words.
        result.extra["init_s"] = prog[0] - vocab[0]
        result.extra["last_progress"] = res.mark_text.get(progress_mark, "").strip()
    else:
        result.extra["note"] = "no vocab/progress milestones seen: only wall time is known"
    if corpus_words:
        result.raw_words = corpus_words * params.epochs
    return result


def fasttext_unsupported(params: TrainParams) -> Optional[str]:
    if params.hs and params.negative:
        return "fastText has one loss per run: hs and negative sampling together are not possible"
    if not params.hs and not params.negative:
        return "no loss selected (hs=0, negative=0)"
    return None


def train_fasttext(corpus: str, output: str, params: TrainParams, *, binary: Optional[str] = None,
                   corpus_words: Optional[int] = None, timeout: Optional[float] = None) -> PeerResult:
    """fastText CLI without subwords (``-minn 0 -maxn 0``), word2vec text output (its .vec).

    The .bin model fastText always writes is deleted; its writing counts in save_s.
    """
    exe = _locate(binary, "W2V_FASTTEXT_BIN", ["fasttext"])
    if not exe:
        return PeerResult("fasttext", "skipped", "fasttext CLI not found (apt-get install fasttext, "
                          "or set W2V_FASTTEXT_BIN)", params)
    why = fasttext_unsupported(params)
    if why:
        return PeerResult("fasttext", "skipped", why, params)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fasttext-", dir=out.parent) as tmp:
        prefix = os.path.join(tmp, "model")
        cmd = [exe, "skipgram" if params.sg else "cbow", "-input", str(corpus), "-output", prefix,
               "-dim", params.vector_size, "-ws", params.window, "-loss", "hs" if params.hs else "ns",
               "-neg", params.negative or 5, "-minCount", params.min_count, "-t", params.sample,
               "-epoch", params.epochs, "-lr", params.start_alpha, "-thread", params.threads,
               "-minn", 0, "-maxn", 0, "-wordNgrams", 1, "-bucket", 0, "-seed", params.seed]
        cmd = [str(c) for c in cmd]
        res = measure.run_command(cmd, timeout=timeout,
                                  marks={"vocab": r"^Number of labels", "progress": r"^Progress: "})
        if res.ok and os.path.exists(prefix + ".vec"):
            os.replace(prefix + ".vec", out)
        elif res.ok:
            res.returncode = -1
            res.stderr += f"\nno {prefix}.vec written"
    return _cli_result("fasttext", res, params, cmd, "vocab", "progress", str(out), "word2vec-text",
                       corpus_words)


def train_word2vec_c(corpus: str, output: str, params: TrainParams, *, binary: Optional[str] = None,
                     corpus_words: Optional[int] = None, timeout: Optional[float] = None) -> PeerResult:
    """Mikolov's word2vec.c (``binary`` or $W2V_WORD2VEC_BIN), word2vec binary output."""
    exe = _locate(binary, "W2V_WORD2VEC_BIN", [])
    if not exe:
        return PeerResult("word2vec-c", "skipped", "word2vec.c binary not given (set W2V_WORD2VEC_BIN)", params)
    if not params.hs and not params.negative:
        return PeerResult("word2vec-c", "skipped", "no loss selected (hs=0, negative=0)", params)
    cmd = [exe, "-train", corpus, "-output", output, "-cbow", 0 if params.sg else 1, "-hs", params.hs,
           "-negative", params.negative, "-window", params.window, "-size", params.vector_size,
           "-sample", params.sample, "-min-count", params.min_count, "-iter", params.epochs,
           "-alpha", params.start_alpha, "-threads", params.threads, "-binary", 1, "-debug", 2]
    return _run_word2vec_style("word2vec-c", cmd, output, params, corpus_words, timeout)


def pword2vec_unsupported(params: TrainParams) -> Optional[str]:
    if not params.sg or params.hs or not params.negative:
        return "pWord2Vec only does skip-gram with negative sampling (sg=1, hs=0, negative>0)"
    return None


def train_pword2vec(corpus: str, output: str, params: TrainParams, *, binary: Optional[str] = None,
                    batch_size: Optional[int] = None, corpus_words: Optional[int] = None,
                    timeout: Optional[float] = None) -> PeerResult:
    """Intel's pWord2Vec (``binary`` or $W2V_PWORD2VEC_BIN): HogBatch skip-gram NS.

    ``batch_size`` (contexts per mini-batch) defaults to 2*window+1 as its authors advise.
    OpenBLAS is pinned to one thread per OpenMP thread, as the MKL build does.
    """
    exe = _locate(binary, "W2V_PWORD2VEC_BIN", [])
    if not exe:
        return PeerResult("pword2vec", "skipped", "pWord2Vec binary not given (set W2V_PWORD2VEC_BIN)", params)
    why = pword2vec_unsupported(params)
    if why:
        return PeerResult("pword2vec", "skipped", why, params)
    cmd = [exe, "-train", corpus, "-output", output, "-size", params.vector_size, "-window", params.window,
           "-negative", params.negative, "-sample", params.sample, "-min-count", params.min_count,
           "-iter", params.epochs, "-alpha", params.start_alpha, "-threads", params.threads,
           "-batch-size", batch_size or 2 * params.window + 1, "-binary", 1, "-debug", 2]
    return _run_word2vec_style("pword2vec", cmd, output, params, corpus_words, timeout,
                               env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": str(params.threads)})


def _run_word2vec_style(name: str, cmd: list, output: str, params: TrainParams,
                        corpus_words: Optional[int], timeout: Optional[float],
                        env: Optional[Dict[str, str]] = None) -> PeerResult:
    """Run a tool that logs as word2vec.c does (-debug 2) and writes binary vectors."""
    cmd = [str(c) for c in cmd]
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    res = measure.run_command(cmd, timeout=timeout, env=env,
                              marks={"vocab": r"^Vocab size:", "progress": r"Alpha: .*Progress:",
                                     "train_words": r"^Words in train file:"})
    result = _cli_result(name, res, params, cmd, "vocab", "progress", str(output),
                         "word2vec-binary", corpus_words)
    _add_tool_words(result, res, "train_words")
    return result


def _add_tool_words(result: PeerResult, res: "measure.RunResult", mark: str) -> None:
    """word2vec.c-style 'Words in train file: N' (in-vocabulary tokens incl. </s>, per epoch)."""
    text = res.mark_text.get(mark)
    if text:
        try:
            result.extra["tool_words_per_epoch"] = int(text.split(":")[1])
        except (IndexError, ValueError):
            pass


# --------------------------------------------------------------------------- registry

PEERS: Dict[str, Callable[..., PeerResult]] = {
    "w2v": lambda c, o, p, **kw: train_w2v(c, o, p, mode="corpus_file", **kw),
    "w2v-iter": lambda c, o, p, **kw: train_w2v(c, o, p, mode="iterable", **kw),
    "w2v-shared": lambda c, o, p, **kw: train_w2v(c, o, p, mode="shared", **kw),
    "gensim-file": lambda c, o, p, **kw: train_gensim(c, o, p, mode="corpus_file", **kw),
    "gensim-iter": lambda c, o, p, **kw: train_gensim(c, o, p, mode="iterable", **kw),
    "fasttext": train_fasttext,
    "word2vec-c": train_word2vec_c,
    "pword2vec": train_pword2vec,
}
OUTPUT_SUFFIX = {"fasttext": ".vec"}


def available_peers(params: Optional[TrainParams] = None) -> Dict[str, Optional[str]]:
    """Peer name -> None if it can run (with ``params``, when given), else the reason it cannot."""
    w2v_why = w2v_available()
    out: Dict[str, Optional[str]] = {
        "w2v": w2v_why,
        "w2v-iter": w2v_why,
        "w2v-shared": w2v_why,
        "gensim-file": gensim_available("corpus_file"),
        "gensim-iter": gensim_available("iterable"),
        "fasttext": None if _locate(None, "W2V_FASTTEXT_BIN", ["fasttext"]) else "fasttext CLI not found",
        "word2vec-c": None if _locate(None, "W2V_WORD2VEC_BIN", []) else "W2V_WORD2VEC_BIN not set/executable",
        "pword2vec": None if _locate(None, "W2V_PWORD2VEC_BIN", []) else "W2V_PWORD2VEC_BIN not set/executable",
    }
    if params is not None:
        if out["fasttext"] is None:
            out["fasttext"] = fasttext_unsupported(params)
        if out["pword2vec"] is None:
            out["pword2vec"] = pword2vec_unsupported(params)
        if out["w2v-shared"] is None and (not params.sg or params.hs or not params.negative):
            out["w2v-shared"] = "shared negatives are for skip-gram with negative sampling only"
        if out["word2vec-c"] is None and not params.hs and not params.negative:
            out["word2vec-c"] = "no loss selected (hs=0, negative=0)"
    return out


def run_peers(corpus: str, outdir: str, params: TrainParams, names: Optional[Sequence[str]] = None, *,
              corpus_words: Optional[int] = None, timeout: Optional[float] = None,
              log: Optional[Callable[[str], None]] = print) -> List[PeerResult]:
    """Run the named peers (all by default) one after another; skipped ones say why."""
    results = []
    for name in names or list(PEERS):
        if name not in PEERS:
            raise ValueError(f"unknown peer {name!r}; known: {', '.join(PEERS)}")
        output = os.path.join(outdir, name + OUTPUT_SUFFIX.get(name, ".bin"))
        r = PEERS[name](str(corpus), output, params, corpus_words=corpus_words, timeout=timeout)
        if log:
            log(format_result(r))
        results.append(r)
    return results


def format_result(r: PeerResult) -> str:
    if not r.ok:
        return f"{r.peer:12s} {r.status}: {r.reason}"

    def f(x, fmt="{:.2f}"):
        return "-" if x is None else fmt.format(x)
    wps = r.raw_words_per_s
    return (f"{r.peer:12s} wall {f(r.wall_s)} s  vocab {f(r.vocab_s)}  train {f(r.train_s)}  "
            f"save {f(r.save_s)}  {f(wps and wps / 1e3, '{:.0f}')}k raw words/s  "
            f"rss {f(r.peak_rss_kib and r.peak_rss_kib / 1024, '{:.0f}')} MiB  vocab {r.vocab_size}")


def _main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Train each available peer once on one corpus.")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--corpus", help="text file (one sentence/paragraph per line)")
    src.add_argument("--corpus-name", default="10M", help="bench corpus: 10M, full, sample, <n>M (default 10M)")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of: " + ", ".join(PEERS))
    ap.add_argument("--outdir", default=None, help="where vectors go (default: a temporary folder, deleted)")
    ap.add_argument("--json", help="also write all results as JSON here")
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("--list", action="store_true", help="only say which peers can run, then exit")
    d = TrainParams()
    for fld, typ in (("sg", int), ("hs", int), ("negative", int), ("window", int), ("vector_size", int),
                     ("sample", float), ("min_count", int), ("epochs", int), ("alpha", float),
                     ("min_alpha", float), ("threads", int), ("seed", int)):
        ap.add_argument("--" + fld.replace("_", "-"), type=typ, default=getattr(d, fld))
    args = ap.parse_args(argv)
    params = TrainParams(**{k: getattr(args, k) for k in ("sg", "hs", "negative", "window", "vector_size",
                                                            "sample", "min_count", "epochs", "alpha",
                                                            "min_alpha", "threads", "seed")})
    if args.list:
        for name, why in available_peers(params).items():
            print(f"{name:12s} {'available' if why is None else 'unavailable: ' + why}")
        return 0
    if args.corpus:
        corpus = args.corpus
    else:
        bc = corpora.resolve_corpus(args.corpus_name)
        if bc.fallback:
            print("NOTE:", bc.note)
        corpus = str(bc.path)
    words, lines = corpora.count_words(corpus)
    print(measure.format_machine(measure.machine_info()))
    print(f"corpus {corpus}: {words} tokens, {lines} lines; {params.label()}")
    outdir = args.outdir or tempfile.mkdtemp(prefix="w2v-peers-")
    try:
        results = run_peers(corpus, outdir, params, [n for n in args.peers.split(",") if n],
                            corpus_words=words, timeout=args.timeout)
    finally:
        if not args.outdir:
            shutil.rmtree(outdir, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"corpus": corpus, "corpus_words": words, "params": asdict(params),
                       "machine": measure.machine_info(), "results": [r.to_dict() for r in results]},
                      f, indent=1, default=str)
    return 0 if all(r.status != "failed" for r in results) else 1


if __name__ == "__main__":  # python -m w2v.bench.peers
    if len(sys.argv) == 3 and sys.argv[1] == "--gensim-worker":
        print(JSON_TAG + json.dumps(_gensim_worker(json.loads(sys.argv[2]))), flush=True)
        raise SystemExit(0)
    raise SystemExit(_main())
