"""The benchmark harness: measuring a process, scoring vectors, the tables it writes,
and a real end-to-end run of the suite on a tiny synthetic corpus (seconds)."""

import json
import os
import sys

import numpy as np
import pytest

from w2v.bench import corpora, evaluate, measure, peers, suite

PY = sys.executable


# ----------------------------------------------------------------------------- measure

def test_run_command_peak_rss_wall_and_marks():
    code = ("import sys, time\n"
            "print('Vocab size: 7', flush=True)\n"
            "b = bytearray(160 * 2**20)\n"           # touched: counts in the resident set
            "for i in range(0, len(b), 4096): b[i] = 1\n"
            "time.sleep(0.2)\n"
            "sys.stderr.write('Progress: 50%\\rProgress: 100%\\n'); sys.stderr.flush()\n")
    res = measure.run_command([PY, "-c", code], marks={"vocab": r"^Vocab size", "progress": r"^Progress: "},
                              line_buffered=False)
    assert res.ok, res.tail()
    assert res.peak_rss_kib >= 160 * 1024, res.peak_rss_kib
    assert res.wall_s >= 0.2
    assert res.mark_text["progress"] == "Progress: 100%"   # \r splits lines: the last one wins
    assert 0 <= res.marks["vocab"][0] <= res.marks["progress"][1] <= res.wall_s + 0.05


def test_peak_rss_is_the_tools_own_not_the_parents():
    # ru_maxrss survives exec: a child of this (now large) process must still
    # report its own small peak, thanks to the launcher.
    ballast = np.ones(300 * 2**20 // 8)
    res = measure.run_command([PY, "-S", "-c", "pass"], line_buffered=False)
    assert res.ok and res.peak_rss_kib < 100 * 1024, res.peak_rss_kib
    del ballast


def test_run_command_reports_exit_status_and_missing_programs(tmp_path):
    assert measure.run_command(["sh", "-c", "exit 3"], line_buffered=False).returncode == 3
    missing = measure.run_command([str(tmp_path / "nope")], line_buffered=False)
    assert not missing.ok and missing.peak_rss_kib is None


def test_run_command_timeout_kills_the_process_group():
    res = measure.run_command([PY, "-c", "import time; time.sleep(30)"], timeout=0.5, line_buffered=False)
    assert res.timed_out and not res.ok
    assert res.wall_s < 10


def test_summarize():
    assert measure.summarize([3.0, 1.0, 2.0, 10.0]) == {"n": 4, "median": 2.5, "min": 1.0, "max": 10.0}
    assert measure.summarize([]) == {"n": 0}


# ----------------------------------------------------------------------------- corpora

def test_bundled_sample_is_found():
    assert corpora.SAMPLE_CORPUS.is_file(), corpora.SAMPLE_CORPUS


def test_resolve_zipf_and_plain_path(tmp_path, monkeypatch):
    monkeypatch.setenv("W2V_BENCH_DATA", str(tmp_path / "cache"))
    bc = corpora.resolve_corpus("zipf:2K:50:1.1")
    assert bc.path == tmp_path / "cache" / "zipf-2K-v50-s1.1.txt" and not bc.fallback
    assert corpora.count_words(bc.path)[0] == 2000
    assert set(bc.path.read_bytes().split()) <= {corpora.zipf_token(r) for r in range(50)}
    assert corpora.resolve_corpus(str(bc.path)).path == bc.path
    with pytest.raises(ValueError):
        corpora.resolve_corpus("zipf:")


def test_eval_files_beside_the_corpus_folder(tmp_path, monkeypatch):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "wordsim353.tsv").write_text("a\tb\t1\n")
    monkeypatch.setenv("W2V_SHARED_DATA", str(tmp_path / "corpus"))
    monkeypatch.delenv("W2V_EVAL_DATA", raising=False)
    assert corpora.eval_files() == (None, tmp_path / "eval" / "wordsim353.tsv")
    monkeypatch.setenv("W2V_SHARED_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setattr(corpora, "_SHARED_CANDIDATES", ())
    assert corpora.eval_files() == (None, None)


# ----------------------------------------------------------------------------- evaluate

def _write_text_vectors(path, words, vectors):
    with open(path, "w") as f:
        f.write(f"{len(words)} {vectors.shape[1]}\n")
        for w, v in zip(words, vectors):
            f.write(w + " " + " ".join(f"{x:.6f}" for x in v) + "\n")


def test_evaluator_scores_known_geometry(tmp_path):
    # man:woman = king:queen holds exactly; 'apple' is far from everything.
    words = ["man", "woman", "king", "queen", "apple", "rare"]
    vecs = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 1, 0],
                     [0, 0, 0, 1], [-1, 0, 0.2, 0.1]], dtype=np.float32)
    vec_path = tmp_path / "v.txt"
    _write_text_vectors(vec_path, words, vecs)
    q = tmp_path / "q.txt"
    q.write_text(": family\nman woman king queen\nMAN KING WOMAN QUEEN\n: food\nman woman apple queen\n"
                 "man woman king unknownword\n")
    ws = tmp_path / "ws.tsv"
    cos = lambda a, b: float(vecs[a] @ vecs[b] / np.linalg.norm(vecs[a]) / np.linalg.norm(vecs[b]))
    pairs = [(0, 1), (0, 4), (2, 3), (1, 5)]
    ws.write_text("# comment\n" + "".join(f"{words[a]}\t{words[b]}\t{10 * cos(a, b):.3f}\n" for a, b in pairs)
                  + "man\tnotaword\t5\n")
    s = evaluate.evaluate_vectors(str(vec_path), False, str(q), str(ws))
    # 3 answerable questions (the 4th has an unknown word): the two family ones are right;
    # woman - man + apple is nearest to rare (unit vectors, 3CosAdd), not queen.
    assert (s.analogy_answered, s.analogy_total) == (3, 4)
    assert s.analogy == pytest.approx(2 / 3)
    assert s.ws353_spearman == pytest.approx(1.0)
    assert s.ws353_oov_pct == pytest.approx(20.0)
    # Missing files leave their scores empty, with a note.
    s2 = evaluate.evaluate_vectors(str(vec_path), False, None, None)
    assert s2.analogy is None and s2.ws353_spearman is None and "not found" in s2.note


# ----------------------------------------------------------------------------- reporting

def _fake_run(tool, config, threads, rep, wall, train, analogy=0.5, status="ok"):
    return {"tool": tool, "config": config, "threads": threads, "rep": rep, "status": status,
            "reason": "" if status == "ok" else "exit 1: boom", "wall_s": wall, "vocab_s": 1.0,
            "train_s": train, "save_s": 0.1, "peak_rss_kib": 204800, "raw_words": 1_000_000,
            "raw_words_per_s": 1e6 / train, "effective_words_per_s": None, "load1_before": 1.0,
            "scores": {"analogy": analogy, "ws353_spearman": 0.6}}


def _fake_data(runs):
    return {"suite": {"mode": "quick", "command": "w2v bench --quick", "started": "s", "finished": "f",
                      "wall_s": 75.0, "uptime_start": "load average: 0.1", "uptime_end": "load average: 2.0",
                      "bytecode": "w2v's Python modules byte-compiled before the runs (/x)"},
            "corpus": {"name": "10M", "path": "/x", "words": 1_000_000, "lines": 10, "fallback": False,
                       "note": ""},
            "params": {"window": 5, "vector_size": 100, "sample": 1e-3, "min_count": 5, "epochs": 1,
                       "min_alpha": 1e-4, "negative": 5, "seed": 1, "alpha": {"sg-ns": 0.025}},
            "plan": {"configs": ["sg-ns"], "threads": [1, 2], "tools": ["w2v", "gensim-file", "gensim-iter"],
                     "repeats": 3},
            "skipped": [{"config": "sg-ns", "tool": "fasttext", "reason": "not found"}],
            "eval": {"note": ""}, "machine": measure.machine_info(), "versions": {"w2v": "w2v test"},
            "runs": runs}


def _table_rows(md):
    return [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines()
            if line.startswith("| ") and not line.startswith("| tool")]


def test_table_medians_ratios_and_scaling():
    runs = []
    for rep, (w1, w2) in enumerate([(10.0, 6.0), (12.0, 5.0), (11.0, 7.0)], 1):
        runs += [_fake_run("w2v", "sg-ns", 1, rep, w1, w1 - 2), _fake_run("w2v", "sg-ns", 2, rep, w2, w2 - 1)]
    runs += [_fake_run("gensim-file", "sg-ns", n, r, 33.0 * (2 if n == 1 else 1), 30.0, 0.4)
             for n in (1, 2) for r in (1, 2, 3)]
    runs += [_fake_run("gensim-iter", "sg-ns", 1, r, 30.0, 28.0) for r in (1, 2)]
    runs += [_fake_run("gensim-iter", "sg-ns", 1, 3, 1.0, 1.0, status="failed")]
    md = suite.render_markdown(_fake_data(runs), "quick")
    rows = {(r[0], r[1]): r for r in _table_rows(md)}
    header = next(line for line in md.splitlines() if line.startswith("| tool"))
    assert [c.strip() for c in header.strip("|").split("|")] == suite.TABLE_COLUMNS
    assert all(len(r) == len(suite.TABLE_COLUMNS) for r in rows.values())
    w1 = rows[("**w2v**", "1")]
    assert w1[2] == "3" and w1[3] == "11.0 (10.0–12.0)"          # wall: median (min–max)
    assert w1[5] == "9.0 (8.0–10.0)"                              # train s (max >= 10: 1 decimal)
    # Faster gensim at 1 thread: gensim-iter (30 s, its failed run ignored) -> 30 / 11.
    assert w1[8] == f"{30 / 11:.2f}x"
    assert rows[("gensim-iter", "1")][2] == "2 (1 failed)"
    assert rows[("**w2v**", "2")][8] == f"{33 / 6:.2f}x"
    assert rows[("gensim-file", "1")][10] == "40.0" and rows[("**w2v**", "1")][9] == "200"
    # Scaling line: w2v trains 1e6/9 words/s on 1 thread, 1e6/5 on 2.
    assert f"w2v 2: {9 / 5:.2f}x" in md and "gensim-file 2: 1.00x" in md
    assert "Failed: gensim-iter t1 rep 3: `exit 1: boom`" in md
    assert "fasttext skipped for sg-ns: not found" in md
    assert "w2v bench --quick" in md and "load average: 2.0" in md
    assert "byte-compiled before the runs (/x)." in md
    assert rows[("**w2v**", "1")][-1] == "–"                       # others' CPUs unknown here


def test_compile_bytecode_writes_what_child_pythons_load():
    # The children import w2v from this package's folder; with its bytecode written
    # there, none of them compiles w2v's sources (as after pip install).
    import importlib.util
    from pathlib import Path
    root = Path(peers.__file__).resolve().parents[1]
    note = peers.compile_bytecode()
    if not os.access(root, os.W_OK):
        assert "not writable" in note
        return
    assert "byte-compiled" in note
    for module in ("word2vec.py", "corpus.py", "bench/run_w2v.py"):
        assert os.path.exists(importlib.util.cache_from_source(str(root / module)))


def test_update_results_replaces_only_its_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    suite.update_results(str(path), "quick", "## Quick\none\n")
    suite.update_results(str(path), "quality", "## Quality\ntwo\n")
    text = path.read_text()
    path.write_text(text.replace("# Benchmark results", "# Benchmark results\n\nHand-written notes."))
    suite.update_results(str(path), "quick", "## Quick\nthree\n")
    text = path.read_text()
    assert "Hand-written notes." in text and "two" in text and "three" in text and "one" not in text
    assert text.count("<!-- w2v-bench:quick:begin -->") == 1
    assert text.index("three") < text.index("two")              # the section stays where it was


def test_plots_are_png(tmp_path):
    runs = [_fake_run(t, "sg-ns", n, r, 10.0 + r, 8.0 + r) for t in ("w2v", "gensim-file")
            for n in (1, 2) for r in (1, 2)]
    paths = suite.make_plots(_fake_data(runs), str(tmp_path / "plots"), "quick")
    assert [os.path.basename(p) for p in paths] == ["quick-words_per_s.png", "quick-quality_vs_time.png"]
    for p in paths:
        with open(p, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------- end to end

def test_suite_smoke_on_tiny_zipf_corpus(tmp_path, monkeypatch):
    """The real thing, small: w2v and gensim (a test dependency) as measured child processes."""
    monkeypatch.setenv("W2V_BENCH_DATA", str(tmp_path / "cache"))
    ev = tmp_path / "eval"
    ev.mkdir()
    (ev / "questions-words.txt").write_text(": s\nw1 w2 w3 w4\nw2 w3 w4 w5\nw5 w6 w7 w8\n")
    (ev / "wordsim353.tsv").write_text("w1\tw2\t5\nw3\tw4\t2\nw5\tw9\t7\nw1\tw7\t1\n")
    assert peers.gensim_available("corpus_file") is None      # gensim with its compiled corpus_file mode
    tools = ["w2v", "gensim-file"]
    results = tmp_path / "out" / "RESULTS.md"
    rc = suite.main(["--corpus", "zipf:20K:300", "--tools", ",".join(tools), "--configs", "sg-ns",
                     "--threads", "1", "--repeats", "2", "--eval-dir", str(ev), "--results", str(results),
                     "--no-plots", "--section", "smoke", "--wait-idle", "0"], prog="w2v bench")
    assert rc == 0
    md = results.read_text()
    header = next(line for line in md.splitlines() if line.startswith("| tool"))
    assert [c.strip() for c in header.strip("|").split("|")] == suite.TABLE_COLUMNS
    rows = _table_rows(md)
    assert [r[0] for r in rows] == [f"**{t}**" if t == "w2v" else t for t in tools]
    for r in rows:
        assert len(r) == len(suite.TABLE_COLUMNS)
        assert r[1] == "1" and r[2] == "2"                     # threads, runs
        for col in ("end-to-end s", "vocab scan s", "train s", "raw Mwords/s", "effective Mwords/s",
                    "speed-up vs gensim", "peak RSS MiB",
                    "analogy %", "WS353 rho"):
            cell = r[suite.TABLE_COLUMNS.index(col)]
            float(cell.split()[0].rstrip("x"))               # a number, not '–'
    data = json.loads((tmp_path / "out" / "results" / "smoke.json").read_text())
    assert len(data["runs"]) == 2 * len(tools)
    assert all(run["status"] == "ok" and run["peak_rss_kib"] > 10_000 for run in data["runs"])
    assert [run["tool"] for run in data["runs"]] == tools + tools[::-1]    # alternating order
    w2v_run = data["runs"][0]
    assert w2v_run["raw_words"] == 20_000 and 0 < w2v_run["effective_words"] <= 20_000
    assert w2v_run["scores"]["analogy_answered"] == 3
    assert "w2v bench --corpus zipf:20K:300" in md
    assert all(run["others_cpus"] is not None and run["others_cpus"] >= 0 for run in data["runs"])
    # --render rewrites the section from the JSON without running anything.
    results.write_text(md.replace("| **w2v** |", "| edited |"))
    assert suite.main(["--render", str(tmp_path / "out" / "results" / "smoke.json"), "--results", str(results),
                       "--section", "smoke", "--no-plots"]) == 0
    assert results.read_text() == md
