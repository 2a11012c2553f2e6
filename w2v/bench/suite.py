"""``w2v bench``: w2v against its peers with identical hyperparameters.

Every (configuration, thread count, tool) is run ``repeats`` times, each run a
separate process measured from outside (wall time, peak RSS) and timed inside
where the tool allows (vocabulary scan, training, saving). Repetitions go
through the tools in alternating order (A B C, C B A, ...) so that slow drifts
in machine load do not favour one tool. After each run its vectors are loaded
with w2v's word2vec-format reader and scored by one evaluator
(:mod:`w2v.bench.evaluate`), then deleted.

Results: a JSON file with every run (``results/<section>.json`` beside the Markdown
file), and a section of a Markdown file (default ``bench/RESULTS.md``) between ``<!-- w2v-bench:<section>:begin/end -->`` markers,
so several runs (quick, full, a quality run) live side by side and a rerun
replaces only its own section. PNG plots need matplotlib (``pip install w2v[bench]``).

``w2v bench graphs`` is a separate section (:mod:`w2v.bench.graphs`): vectors of
the nodes of random walks over a planted-partition graph, w2v against gensim at
several worker counts, scored against the planted communities.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from w2v.bench import corpora, evaluate, measure, peers

CONFIGS = {
    "sg-ns": ("skip-gram + negative sampling", {"sg": 1, "hs": 0, "negative": 5}),
    "cbow-ns": ("CBOW + negative sampling", {"sg": 0, "hs": 0, "negative": 5}),
    "sg-hs": ("skip-gram + hierarchical softmax", {"sg": 1, "hs": 1, "negative": 0}),
}
TOOLS = list(peers.PEERS)   # w2v, w2v-iter, w2v-shared, gensim-file, gensim-iter, fasttext, word2vec-c, pword2vec
DEFAULT_TOOLS = [t for t in TOOLS if t not in ("w2v-iter", "w2v-shared")]
GENSIM_TOOLS = ("gensim-file", "gensim-iter")

# What --quick and --full mean; explicit options override any of these.
MODES: Dict[str, Dict[str, object]] = {
    "quick": {"corpus": "10M", "configs": ["sg-ns", "cbow-ns"], "threads": [1, 2], "epochs": 1,
              "repeats": 2, "tools": ["w2v", "gensim-file", "gensim-iter"]},
    "full": {"corpus": "full", "configs": list(CONFIGS), "threads": None, "epochs": 1,
             "repeats": 2, "tools": DEFAULT_TOOLS},
    "custom": {"corpus": "10M", "configs": list(CONFIGS), "threads": None, "epochs": 1,
               "repeats": 2, "tools": DEFAULT_TOOLS},
}

DEFINITIONS = """\
* **end-to-end s**: wall time of the tool's process from launch to exit (interpreter
  start and imports for the Python tools, vocabulary scan, training, writing the
  vectors), measured from outside.
* **vocab scan s**: reading the corpus to build the vocabulary (gensim and w2v:
  `build_vocab()`, weight initialisation included; C tools: up to their
  `Vocab size` line / fastText's `Number of labels`).
* **train s**: from the end of the scan to the end of training (w2v: includes
  encoding the corpus into its id cache once; C tools: includes their table and
  weight set-up).
* **raw words/s**: corpus tokens (whitespace-separated, counted once by the suite)
  x epochs / train s: the same numerator for every tool.
* **effective words/s**: words the tool reports it trained on (in vocabulary and
  kept by subsampling) / train s; only tools that report it (w2v, gensim).
* **speed-up vs gensim**: median end-to-end time of the faster gensim mode at the
  same thread count / the tool's median end-to-end time (> 1: faster than gensim).
* **peak RSS**: `ru_maxrss` of the tool's process (`wait4`), in MiB.
* **analogy**: questions-words.txt accuracy by 3CosAdd over the 30,000 most
  frequent words (gensim's `evaluate_word_analogies(restrict_vocab=30000)`),
  over the questions whose words are all among them; **WS353 rho**: Spearman
  correlation with WordSim-353 (pairs out of vocabulary skipped). Every tool's
  vectors are read by w2v's word2vec-format reader and scored by the same code.
* **others' CPUs**: CPUs kept busy by other processes while the tool ran (machine
  CPU time from /proc/stat minus the tool's own, over its wall time); on a
  machine with N CPUs, a run with T threads had min(T, N - others) to itself.
* Cells: median (min-max) over the repeated runs."""


# ----------------------------------------------------------------------------- planning

def default_threads() -> List[int]:
    """1 and 2, then powers of two up to the usable CPUs, and all of them."""
    n = measure.usable_cpus()
    out = [1, 2]
    k = 4
    while k < n:
        out.append(k)
        k *= 2
    if n > 2:
        out.append(n)
    return out


def _csv(text: str) -> List[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _int_list(text: str) -> List[int]:
    try:
        vals = [int(x) for x in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not vals or min(vals) < 1:
        raise argparse.ArgumentTypeError(f"expected integers >= 1, got {text!r}")
    return vals


def _choices(known: Sequence[str]):
    def parse(text: str) -> List[str]:
        vals = _csv(text)
        bad = [v for v in vals if v not in known]
        if bad or not vals:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(bad) or 'empty list'}; "
                                             f"choose from {', '.join(known)}")
        return vals
    return parse


def build_parser(prog: str = "w2v bench") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Benchmark w2v against gensim, fastText, word2vec.c and pWord2Vec "
                    "(each optional, detected, never downloaded) with identical hyperparameters.",
        epilog="Modes: --quick = w2v and gensim (both modes) on the 10M-word slice, skip-gram and "
               "CBOW with negative sampling, 1 and 2 threads, 1 epoch, 2 repetitions (~15 min on 2 "
               "cores). --full = every detected tool on the whole 109M-word corpus, three "
               "configurations, 1/2/.../all-cores threads, 1 epoch, 2 repetitions (hours: see "
               "bench/README.md). Options given explicitly override the mode.")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick")
    mode.add_argument("--full", dest="mode", action="store_const", const="full")
    ap.add_argument("--corpus", help="10M (default), full, sample, <n>M/<n>K (first words of the shared "
                                     "corpus), zipf:<n>[:<vocab>[:<exponent>]] (synthetic) or a file path")
    ap.add_argument("--configs", type=_choices(list(CONFIGS)),
                    help="comma-separated: " + ", ".join(CONFIGS))
    ap.add_argument("--tools", type=_choices(TOOLS), help="comma-separated: " + ", ".join(TOOLS))
    ap.add_argument("--threads", type=_int_list, help="comma-separated thread counts (default 1,2[,...,cores])")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--repeats", type=int, help="runs of each (configuration, threads, tool)")
    hp = ap.add_argument_group("hyperparameters shared by every tool")
    hp.add_argument("--size", type=int, default=100, help="vector size (100)")
    hp.add_argument("--window", type=int, default=5, help="(5)")
    hp.add_argument("--negative", type=int, default=5, help="noise words for the -ns configurations (5)")
    hp.add_argument("--sample", type=float, default=1e-3, help="(1e-3)")
    hp.add_argument("--min-count", type=int, default=5, help="(5)")
    hp.add_argument("--min-alpha", type=float, default=0.0001, help="(1e-4; gensim and w2v only)")
    hp.add_argument("--seed", type=int, default=1)
    loc = ap.add_argument_group("peers and data")
    loc.add_argument("--word2vec-bin", help="word2vec.c binary (else $W2V_WORD2VEC_BIN)")
    loc.add_argument("--pword2vec-bin", help="pWord2Vec binary (else $W2V_PWORD2VEC_BIN)")
    loc.add_argument("--fasttext-bin", help="fastText binary (else $W2V_FASTTEXT_BIN or fasttext on PATH)")
    loc.add_argument("--data", help="shared corpus folder (else $W2V_SHARED_DATA or the usual places)")
    loc.add_argument("--eval-dir", help="folder with questions-words.txt and wordsim353.tsv "
                                        "(else $W2V_EVAL_DATA or eval/ beside the corpus folder)")
    loc.add_argument("--no-eval", action="store_true", help="skip the quality scores")
    out = ap.add_argument_group("output")
    out.add_argument("--results", default=os.path.join("bench", "RESULTS.md"),
                     help="Markdown file whose section is (re)written (default bench/RESULTS.md)")
    out.add_argument("--section", help="section name in the results file (default: the mode)")
    out.add_argument("--title", help="heading of the section")
    out.add_argument("--json", help="where all runs go as JSON (default: results/<section>.json beside the results file)")
    out.add_argument("--plots", help="folder for PNG plots (default: plots/ beside the results file)")
    out.add_argument("--no-plots", action="store_true")
    out.add_argument("--workdir", help="where vectors are written (default: a temporary folder)")
    out.add_argument("--keep-vectors", action="store_true", help="keep every run's vectors in --workdir")
    ap.add_argument("--timeout", type=float, help="seconds before a run is killed (counted as failed)")
    ap.add_argument("--wait-idle", type=float, default=10.0, metavar="SECONDS",
                    help="before each run, wait up to this long for other processes to leave the "
                         "CPUs (fewer than --idle-cpus busy over 0.5 s); 0 = do not wait (10)")
    ap.add_argument("--idle-cpus", type=float, default=0.25,
                    help="CPUs others may keep busy and the machine still counts as idle (0.25)")
    ap.add_argument("--list", action="store_true", help="show the plan and which tools can run, then exit")
    ap.add_argument("--render", metavar="JSON",
                    help="only rewrite the Markdown section and plots from a saved JSON file")
    return ap


def resolve_plan(args: argparse.Namespace) -> Dict[str, object]:
    """The mode's settings with explicit options laid over them."""
    mode = args.mode or "custom"
    plan = dict(MODES[mode])
    for key in ("corpus", "configs", "threads", "epochs", "repeats", "tools"):
        val = getattr(args, key)
        if val is not None:
            plan[key] = val
    if plan["threads"] is None:
        plan["threads"] = default_threads()
    if int(plan["epochs"]) < 1 or int(plan["repeats"]) < 1:
        raise SystemExit("epochs and repeats must be >= 1")
    plan["mode"] = mode
    return plan


def train_params(args: argparse.Namespace, config: str, threads: int, epochs: int) -> peers.TrainParams:
    arch = dict(CONFIGS[config][1])
    if arch["negative"]:
        arch["negative"] = args.negative
    return peers.TrainParams(window=args.window, vector_size=args.size, sample=args.sample,
                             min_count=args.min_count, epochs=epochs, min_alpha=args.min_alpha,
                             threads=threads, seed=args.seed, **arch)


def peer_versions(tools: Iterable[str], info: Dict[str, object]) -> Dict[str, str]:
    """A line per tool saying exactly what ran (version, or binary path and digest)."""
    out: Dict[str, str] = {}
    w = dict(info.get("w2v") or {})
    for tool in tools:
        if tool.startswith("w2v"):
            out[tool] = (f"w2v {w.get('version')}" + (f" (git {w['git']})" if w.get("git") else "")
                         + f", built with `{w.get('compile_flags', '?')}`")
        elif tool.startswith("gensim"):
            out[tool] = f"gensim {info.get('gensim')}"
        else:
            env = {"fasttext": "W2V_FASTTEXT_BIN", "word2vec-c": "W2V_WORD2VEC_BIN",
                   "pword2vec": "W2V_PWORD2VEC_BIN"}[tool]
            exe = peers._locate(None, env, ["fasttext"] if tool == "fasttext" else [])
            if exe:
                ver = f" (Debian package {info.get('fasttext_cli')})" if (
                    tool == "fasttext" and info.get("fasttext_cli") and exe.startswith("/usr/")) else ""
                out[tool] = f"`{exe}`{ver}, sha256 {measure.file_digest(exe)}"
    return out


# ----------------------------------------------------------------------------- running

def _log(msg: str) -> None:
    print(msg, flush=True)


def _uptime() -> str:
    if shutil.which("uptime"):
        try:
            return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    la = measure.load_average()
    return f"load average: {la}" if la else "unknown"


def run_suite(args: argparse.Namespace, plan: Dict[str, object], command: str) -> Dict[str, object]:
    """Run every planned measurement; return everything as one JSON-able dict."""
    t_suite = time.perf_counter()
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    uptime_start = _uptime()
    load_start = measure.load_average()
    bc = corpora.resolve_corpus(str(plan["corpus"]))
    if bc.fallback:
        _log("NOTE: " + bc.note)
    words, lines = corpora.count_words(bc.path)
    questions, wordsim = (None, None) if args.no_eval else corpora.eval_files(args.eval_dir)
    eval_note = ("quality not evaluated (--no-eval)" if args.no_eval else
                 "; ".join(f"{n} not found" for n, p in (("questions-words.txt", questions),
                                                         ("wordsim353.tsv", wordsim)) if p is None))
    if eval_note and not args.no_eval:
        _log(f"NOTE: {eval_note}: the quality columns stay empty (give --eval-dir or "
             f"$W2V_EVAL_DATA)")
    info = measure.machine_info()
    configs: List[str] = list(plan["configs"])  # type: ignore[arg-type]
    threads: List[int] = list(plan["threads"])  # type: ignore[arg-type]
    tools: List[str] = list(plan["tools"])  # type: ignore[arg-type]
    epochs, repeats = int(plan["epochs"]), int(plan["repeats"])  # type: ignore[arg-type]

    availability = {c: peers.available_peers(train_params(args, c, 1, epochs)) for c in configs}
    skipped = {(c, t): availability[c][t] for c in configs for t in tools if availability[c][t]}
    for (c, t), why in skipped.items():
        _log(f"skip {t} for {c}: {why}")
    todo = [(r, c, n, t) for r in range(repeats) for c in configs for n in threads
            for t in (tools if r % 2 == 0 else tools[::-1]) if (c, t) not in skipped]
    _log(f"corpus {bc.path}: {words:,} tokens, {lines:,} lines; {len(todo)} runs; "
         f"{measure.format_machine(info)}")
    _log(f"start: {uptime_start}")

    bytecode = peers.compile_bytecode()
    _log(bytecode)
    workdir = args.workdir or tempfile.mkdtemp(prefix="w2v-bench-")
    os.makedirs(workdir, exist_ok=True)
    runs: List[Dict[str, object]] = []
    interrupted = False
    try:
        for i, (rep, config, n_threads, tool) in enumerate(todo, 1):
            params = train_params(args, config, n_threads, epochs)
            output = os.path.join(workdir, f"{config}-t{n_threads}-r{rep + 1}-{tool}"
                                  + peers.OUTPUT_SUFFIX.get(tool, ".bin"))
            t_wait = time.perf_counter()
            busy = (measure.wait_until_idle(args.wait_idle, args.idle_cpus)
                    if args.wait_idle > 0 else None)
            waited = time.perf_counter() - t_wait
            load1 = (measure.load_average() or (None,))[0]
            res = peers.PEERS[tool](str(bc.path), output, params, corpus_words=words, timeout=args.timeout)
            run = {"tool": tool, "config": config, "threads": n_threads, "rep": rep + 1,
                   "load1_before": load1, "busy_cpus_before": busy,
                   "waited_s": round(waited, 1), **res.to_dict()}
            run.pop("params", None)
            if res.ok and (questions or wordsim):
                try:
                    run["scores"] = evaluate.evaluate_vectors(
                        output, res.output_format == "word2vec-binary", questions and str(questions),
                        wordsim and str(wordsim)).to_dict()
                except (OSError, ValueError) as exc:
                    run["scores"] = {"note": f"evaluation failed: {exc}"}
            if not args.keep_vectors and os.path.exists(output):
                os.unlink(output)
            runs.append(run)
            _log(f"[{i:3d}/{len(todo)}] {config:7s} t{n_threads} rep {rep + 1} {_run_line(run)}")
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: keep (and report) what was measured
        interrupted = True
        _log(f"interrupted after {len(runs)} of {len(todo)} runs")
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return {
        "format": "w2v-bench", "version": 1,
        "suite": {"mode": plan["mode"], "command": command, "started": started,
                  "finished": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                  "wall_s": time.perf_counter() - t_suite, "uptime_start": uptime_start,
                  "planned_runs": len(todo), "interrupted": interrupted, "bytecode": bytecode,
                  "uptime_end": _uptime(), "load_start": load_start, "load_end": measure.load_average()},
        "corpus": {"name": bc.name, "path": str(bc.path), "words": words, "lines": lines,
                   "fallback": bc.fallback, "note": bc.note},
        "params": {"window": args.window, "vector_size": args.size, "sample": args.sample,
                   "min_count": args.min_count, "epochs": epochs, "min_alpha": args.min_alpha,
                   "negative": args.negative, "seed": args.seed,
                   "alpha": {c: train_params(args, c, 1, epochs).start_alpha for c in configs}},
        "plan": {"configs": configs, "threads": threads, "tools": tools, "repeats": repeats},
        "skipped": [{"config": c, "tool": t, "reason": why} for (c, t), why in skipped.items()],
        "eval": {"questions": questions and str(questions), "wordsim": wordsim and str(wordsim),
                 "note": eval_note},
        "machine": info,
        "versions": peer_versions(tools, info),
        "runs": runs,
    }


def _run_line(run: Dict[str, object]) -> str:
    if run["status"] != "ok":
        return f"{run['tool']:12s} {run['status']}: {str(run.get('reason', ''))[:300]}"
    sc = run.get("scores") or {}
    rw = run.get("raw_words_per_s")
    parts = [f"{run['tool']:12s} wall {run['wall_s']:.1f}s", f"vocab {_fmt(run.get('vocab_s'), 1)}s",
             f"train {_fmt(run.get('train_s'), 1)}s",
             f"{rw / 1e6:.3f} Mw/s" if rw else "- Mw/s",
             f"rss {int(run['peak_rss_kib']) // 1024} MiB" if run.get("peak_rss_kib") else "rss -"]
    if sc.get("analogy") is not None:
        parts.append(f"analogy {100 * sc['analogy']:.1f}%")
    if sc.get("ws353_spearman") is not None:
        parts.append(f"ws353 {sc['ws353_spearman']:.3f}")
    return "  ".join(parts)


# ----------------------------------------------------------------------------- reporting

def _fmt(x: Optional[float], digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _cell(values: List[float], digits: Optional[int], scale: float = 1.0) -> str:
    """'median (min–max)' of the values (scaled), '–' when there are none;
    ``digits=None``: seconds, 2 decimals below 10 and 1 above."""
    vals = [v * scale for v in values if v is not None]
    if not vals:
        return "–"
    s = measure.summarize(vals)
    if digits is None:
        digits = 2 if s["max"] < 10 else 1
    if s["n"] == 1 or round(s["min"], digits) == round(s["max"], digits):
        return f"{s['median']:.{digits}f}"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def _median(values: Iterable[Optional[float]]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


SHARED_CPUS = 0.25   # others' CPU use above which a run is listed as having shared the machine

TABLE_COLUMNS = ["tool", "threads", "runs", "end-to-end s", "vocab scan s", "train s",
                 "raw Mwords/s", "effective Mwords/s", "speed-up vs gensim", "peak RSS MiB",
                 "analogy %", "WS353 rho", "others' CPUs"]


def _group(runs: List[Dict[str, object]], config: str, threads: int, tool: str) -> List[Dict[str, object]]:
    return [r for r in runs if r["config"] == config and r["threads"] == threads and r["tool"] == tool]


def config_table(data: Dict[str, object], config: str) -> List[str]:
    """Markdown lines: one table row per (tool, threads), then the scaling and ratio lines."""
    runs: List[Dict[str, object]] = data["runs"]  # type: ignore[assignment]
    plan = data["plan"]  # type: ignore[assignment]
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |",
             "|" + "|".join(["---", "--:", "--:"] + ["--:"] * (len(TABLE_COLUMNS) - 3)) + "|"]
    tools = [t for t in plan["tools"] if any(r["tool"] == t and r["config"] == config for r in runs)]
    for n in plan["threads"]:
        ok_gensim = [_median(r["wall_s"] for r in _group(runs, config, n, g) if r["status"] == "ok")
                     for g in GENSIM_TOOLS]
        ok_gensim = [x for x in ok_gensim if x is not None]
        best_gensim = min(ok_gensim) if ok_gensim else None
        for tool in tools:
            group = _group(runs, config, n, tool)
            if not group:
                continue
            ok = [r for r in group if r["status"] == "ok"]
            n_failed = len(group) - len(ok)
            runs_cell = f"{len(ok)}" + (f" ({n_failed} failed)" if n_failed else "")
            wall = _median(r["wall_s"] for r in ok)
            speedup = f"{best_gensim / wall:.2f}x" if (best_gensim and wall) else "–"
            sc = [r.get("scores") or {} for r in ok]
            lines.append("| " + " | ".join([
                f"**{tool}**" if tool.startswith("w2v") else tool, str(n), runs_cell,
                _cell([r["wall_s"] for r in ok], None),
                _cell([r.get("vocab_s") for r in ok], None),
                _cell([r.get("train_s") for r in ok], None),
                _cell([r.get("raw_words_per_s") for r in ok], 3, 1e-6),
                _cell([r.get("effective_words_per_s") for r in ok], 3, 1e-6),
                speedup,
                _cell([r.get("peak_rss_kib") for r in ok], 0, 1 / 1024),
                _cell([s.get("analogy") for s in sc], 1, 100.0),
                _cell([s.get("ws353_spearman") for s in sc], 3),
                _cell([r.get("others_cpus") for r in ok], 2),
            ]) + " |")
    threads = list(plan["threads"])
    if 1 in threads and len(threads) > 1:
        scal = []
        for tool in tools:
            base = _median(r.get("raw_words_per_s") for r in _group(runs, config, 1, tool) if r["status"] == "ok")
            ups = []
            for n in threads[1:]:
                top = _median(r.get("raw_words_per_s") for r in _group(runs, config, n, tool)
                              if r["status"] == "ok")
                if base and top:
                    ups.append(f"{n}: {top / base:.2f}x")
            if ups:
                scal.append(f"{tool} {', '.join(ups)}")
        if scal:
            lines += ["", "Thread scaling of training (median raw words/s at N threads / at 1 thread): "
                      + "; ".join(scal) + "."]
    shared = [r for r in runs if r["config"] == config and (r.get("others_cpus") or 0) > SHARED_CPUS]
    if shared:
        lines += ["", f"Runs that shared the machine (other processes kept > {SHARED_CPUS} CPUs busy on "
                  "average while they ran): " + ", ".join(
                      f"{r['tool']} t{r['threads']} rep {r['rep']} ({r['others_cpus']:.2f})" for r in shared)
                  + "."]
    failed = [r for r in runs if r["config"] == config and r["status"] == "failed"]
    for r in failed:
        lines += ["", f"Failed: {r['tool']} t{r['threads']} rep {r['rep']}: "
                  f"`{str(r.get('reason', ''))[:300].splitlines()[0] if r.get('reason') else ''}`"]
    return lines


def _hms(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h {m:02d}m {s:02d}s" if h else f"{m}m {s:02d}s"


def render_markdown(data: Dict[str, object], section: str, title: Optional[str] = None,
                    plot_files: Sequence[str] = ()) -> str:
    """The Markdown of one results section (without the begin/end markers)."""
    suite, corpus, params = data["suite"], data["corpus"], data["params"]  # type: ignore[index]
    plan, info = data["plan"], data["machine"]  # type: ignore[index]
    title = title or {"quick": "Quick mode", "full": "Full mode"}.get(suite["mode"], section)
    alpha = ", ".join(f"{v:g} ({c})" for c, v in params["alpha"].items())
    out = [f"## {title}", "",
           f"Command: `{suite['command']}`  ",
           f"Run {suite['started']} to {suite['finished']}: suite wall time {_hms(suite['wall_s'])} "
           f"({len(data['runs'])} runs"
           + (f"; **interrupted**, {suite.get('planned_runs')} were planned" if suite.get("interrupted") else "")
           + ").  ",
           f"Corpus: `{corpus['path']}` ({corpus['name']}): {corpus['words']:,} tokens, "
           f"{corpus['lines']:,} lines." + (f" **{corpus['note']}**" if corpus.get("fallback") else "") + "  ",
           f"Hyperparameters, identical for every tool: dim {params['vector_size']}, window "
           f"{params['window']}, negative {params['negative']} (-ns) / hierarchical softmax (-hs), "
           f"sample {params['sample']:g}, min_count {params['min_count']}, epochs {params['epochs']}, "
           f"alpha {alpha} decaying linearly (to min_alpha {params['min_alpha']:g} in gensim and w2v, "
           f"to ~0 in the C tools), seed {params['seed']}; threads {', '.join(map(str, plan['threads']))}; "
           f"{plan['repeats']} runs of each, tools in alternating order.  ",
           f"Machine: {measure.format_machine(info)}.  ",
           f"Load at start: `{suite['uptime_start']}`  ",
           f"Load at end: `{suite['uptime_end']}`"]
    loads = [r.get("load1_before") for r in data["runs"] if r.get("load1_before") is not None]
    if loads:
        out[-1] += "  "
        out.append(f"1-minute load average before each run: median {statistics.median(loads):.2f}, "
                   f"range {min(loads):.2f}–{max(loads):.2f} (it lags: it still counts the previous "
                   f"run's threads).  ")
    others = [r.get("others_cpus") for r in data["runs"] if r.get("others_cpus") is not None]
    if others:
        out.append(f"CPUs kept busy by other processes during each run (machine CPU time from "
                   f"/proc/stat minus the tool's own, over its wall time): median "
                   f"{statistics.median(others):.2f}, max {max(others):.2f}; "
                   f"{sum(o > SHARED_CPUS for o in others)} of {len(others)} runs above {SHARED_CPUS}.")
    if suite.get("bytecode"):
        out[-1] += "  "
        out.append(suite["bytecode"] + ".")
    out += ["", "Tools:"] + [f"* {t}: {v}" for t, v in data["versions"].items()]
    for s in data["skipped"]:
        out.append(f"* {s['tool']} skipped for {s['config']}: {s['reason']}")
    if data["eval"].get("note"):
        out += ["", f"Evaluation: {data['eval']['note']}."]
    out += ["", DEFINITIONS]
    for config in plan["configs"]:
        if not any(r["config"] == config for r in data["runs"]):
            continue
        out += ["", f"### {CONFIGS[config][0]} ({config})", ""] + config_table(data, config)
    if plot_files:
        out += [""] + [f"![{Path(p).stem}]({p})" for p in plot_files]
    return "\n".join(out) + "\n"


RESULTS_HEADER = """# Benchmark results

Produced by `w2v bench` (`w2v/bench/suite.py`); each section below is rewritten by
the run that names it. How the tools are built and how they differ:
`bench/README.md`.
"""


def update_results(path: str, section: str, body: str) -> None:
    """Replace the marked section of ``path`` with ``body`` (append it if new), atomically."""
    begin, end = f"<!-- w2v-bench:{section}:begin -->", f"<!-- w2v-bench:{section}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    old = Path(path).read_text(encoding="utf8") if os.path.exists(path) else RESULTS_HEADER
    i, j = old.find(begin), old.find(end)
    if i >= 0 and j > i:
        rest = old[j + len(end):].lstrip("\n")
        new = old[:i] + block + ("\n" + rest if rest else "")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with corpora.atomic_output(path) as f:
        f.write(new.encode("utf8"))


def make_plots(data: Dict[str, object], folder: str, prefix: str) -> List[str]:
    """words/s per tool and thread count; analogy accuracy against wall time. Returns the
    PNG paths, or [] when matplotlib is not installed (``pip install w2v[bench]``)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        _log("matplotlib not installed (pip install w2v[bench]): no plots")
        return []
    runs = [r for r in data["runs"] if r["status"] == "ok"]
    plan = data["plan"]
    configs = [c for c in plan["configs"] if any(r["config"] == c for r in runs)]
    tools = [t for t in plan["tools"] if any(r["tool"] == t for r in runs)]
    if not configs:
        return []
    os.makedirs(folder, exist_ok=True)
    paths = []
    colors = {t: plt.get_cmap("tab10")(i) for i, t in enumerate(TOOLS)}
    sub = f" ({data['corpus']['name']}, {data['params']['epochs']} epoch(s))"

    def save(fig, title, name):
        fig.suptitle(title + sub)
        fig.tight_layout()
        path = os.path.join(folder, f"{prefix}-{name}.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)


    fig, axes = plt.subplots(1, len(configs), figsize=(5 * len(configs), 4), squeeze=False)
    width = 0.8 / max(1, len(tools))
    for ax, config in zip(axes[0], configs):
        for k, tool in enumerate(tools):
            xs, ys, lo, hi = [], [], [], []
            for x, n in enumerate(plan["threads"]):
                vals = [r["raw_words_per_s"] / 1e6 for r in _group(runs, config, n, tool)
                        if r.get("raw_words_per_s")]
                if vals:
                    m = statistics.median(vals)
                    xs.append(x + (k - (len(tools) - 1) / 2) * width)
                    ys.append(m)
                    lo.append(m - min(vals))
                    hi.append(max(vals) - m)
            if xs:
                ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=tool, color=colors[tool])
        ax.set_xticks(range(len(plan["threads"])))
        ax.set_xticklabels([f"{n} thread{'s' if n > 1 else ''}" for n in plan["threads"]])
        ax.set_ylabel("raw training words/s (millions)")
        ax.set_title(CONFIGS[config][0])
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize="small")
    save(fig, "Training throughput: median, bars min–max", "words_per_s")

    scored = [r for r in runs if (r.get("scores") or {}).get("analogy") is not None]
    if scored:
        markers = "os^vD<>"
        fig, axes = plt.subplots(1, len(configs), figsize=(5 * len(configs), 4), squeeze=False)
        for ax, config in zip(axes[0], configs):
            for tool in tools:
                for j, n in enumerate(plan["threads"]):
                    group = [r for r in _group(scored, config, n, tool)]
                    if not group:
                        continue
                    xs = [r["wall_s"] for r in group]
                    ys = [100 * r["scores"]["analogy"] for r in group]
                    ax.scatter(xs, ys, color=colors[tool], marker=markers[j % len(markers)], alpha=0.35, s=14)
                    ax.scatter([statistics.median(xs)], [statistics.median(ys)], color=colors[tool],
                               marker=markers[j % len(markers)], s=50, edgecolors="black",
                               label=f"{tool}, {n} thr")
            ax.set_xlabel("end-to-end wall time (s)")
            ax.set_ylabel("analogy accuracy (%)")
            ax.set_title(CONFIGS[config][0])
            ax.grid(alpha=0.3)
            ax.legend(fontsize="x-small")
        save(fig, "Quality against time: median (outlined) and each run", "quality_vs_time")
    return paths


def write_outputs(data: Dict[str, object], args: argparse.Namespace, section: str) -> List[str]:
    """Plots, then the Markdown section (with links to the plots); returns the plot paths."""
    results = args.results
    base = os.path.dirname(os.path.abspath(results))
    plots: List[str] = []
    if not args.no_plots:
        plots = make_plots(data, args.plots or os.path.join(base, "plots"), section)
    rel = [os.path.relpath(p, base) for p in plots]
    update_results(results, section, render_markdown(data, section, args.title, rel))
    return plots


def main(argv: Optional[Sequence[str]] = None, prog: str = "w2v bench") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["graphs"]:   # small vocabularies: in-process, scored on graph communities
        from w2v.bench import graphs
        return graphs.main(argv[1:], prog=f"{prog} graphs")
    args = build_parser(prog).parse_args(argv)
    for opt, env in (("word2vec_bin", "W2V_WORD2VEC_BIN"), ("pword2vec_bin", "W2V_PWORD2VEC_BIN"),
                     ("fasttext_bin", "W2V_FASTTEXT_BIN"), ("data", "W2V_SHARED_DATA")):
        if getattr(args, opt):
            os.environ[env] = os.path.abspath(getattr(args, opt)) if opt == "data" else getattr(args, opt)
    section = args.section or args.mode or "custom"
    if args.render:
        with open(args.render, encoding="utf8") as f:
            data = json.load(f)
        plots = write_outputs(data, args, section)
        _log(f"wrote section {section!r} of {args.results}" + (f" and {len(plots)} plots" if plots else ""))
        return 0
    plan = resolve_plan(args)
    if args.list:
        for config in plan["configs"]:
            avail = peers.available_peers(train_params(args, config, 1, int(plan["epochs"])))
            for tool in plan["tools"]:
                why = avail[tool]
                _log(f"{config:8s} {tool:12s} {'runs' if why is None else 'skipped: ' + why}")
        _log(f"plan: corpus {plan['corpus']}, threads {plan['threads']}, epochs {plan['epochs']}, "
             f"{plan['repeats']} repetitions")
        return 0
    command = " ".join([prog] + [shlex.quote(a) for a in argv])
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _sigterm)   # stop like Ctrl-C: the tool killed, results kept
    data = run_suite(args, plan, command)
    json_path = args.json or os.path.join(os.path.dirname(os.path.abspath(args.results)),
                                          "results", f"{section}.json")
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with corpora.atomic_output(json_path) as f:
        f.write(json.dumps(data, indent=1, default=str).encode("utf8"))
    plots = write_outputs(data, args, section)
    _log(f"done in {_hms(data['suite']['wall_s'])}: {args.results} (section {section!r}), {json_path}"
         + (", " + ", ".join(plots) if plots else ""))
    _log(f"end: {data['suite']['uptime_end']}")
    if data["suite"]["interrupted"]:
        return 130
    failed = [r for r in data["runs"] if r["status"] == "failed"]
    return 1 if failed else 0


def _sigterm(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main(prog="python -m w2v.bench.suite"))
