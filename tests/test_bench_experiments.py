"""bench/experiments/train_eval.py: the one-off comparisons, on a tiny corpus."""
import importlib.util
import json

import pytest

from helpers import REPO

import w2v.word2vec


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "train_eval", REPO / "bench" / "experiments" / "train_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_eval = _load_script()


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A corpus file of 20 words and evaluation files that use them."""
    monkeypatch.setenv("W2V_BENCH_DATA", str(tmp_path / "cache"))
    words = [f"w{i}" for i in range(20)]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(words[(i + j) % 20] for j in range(12)) for i in range(400)) + "\n")
    ev = tmp_path / "eval"
    ev.mkdir()
    (ev / "questions-words.txt").write_text(": s\nw1 w2 w3 w4\nw2 w3 w4 w5\nw5 w6 w7 nope\n")
    (ev / "wordsim353.tsv").write_text("w1\tw2\t5\nw3\tw4\t2\nw5\tw9\t7\nw1\tw7\t1\n")
    return ["--corpus", str(corpus), "--eval-dir", str(ev), "--size", "8", "--min-count", "1"]


def _lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("tool,extra", [
    ("w2v", []),
    ("w2v", ["--schedule", "gensim-file", "--epochs", "2"]),
    ("w2v", ["--shared-negatives"]),
    ("w2v", ["--private-rows", "0", "0", "--config", "cbow-ns"]),
    ("gensim-file", ["--config", "sg-hs"]),
    ("gensim-iter", []),
])
def test_one_scored_json_line_per_seed(tiny, capsys, tmp_path, tool, extra):
    out = tmp_path / "runs.jsonl"
    assert train_eval.main(tiny + ["--tool", tool, "--seeds", "1,2", "--out", str(out), *extra]) == 0
    rows = _lines(capsys)
    assert [r["seed"] for r in rows] == [1, 2]
    assert [json.loads(line) for line in out.read_text().splitlines()] == rows
    for r in rows:
        assert r["tool"] == tool and r["vocab"] == 20 and r["wall_s"] > 0 and r["peak_rss_mib"] > 10
        assert r["analogy_answered"] == 2 and 0 <= r["analogy_pct"] <= 100      # 'nope' is out of vocabulary
        assert -1 <= r["ws353"] <= 1 and r["note"] == ""


def test_private_rows_reach_every_worker_and_are_restored(tiny, capsys, monkeypatch):
    seen = []
    real = w2v.word2vec.Worker

    def spy(*args, **kw):
        seen.append((kw["private_rows"], kw["private_nodes"]))
        return real(*args, **kw)

    monkeypatch.setattr(w2v.word2vec, "Worker", spy)
    assert train_eval.main(tiny + ["--private-rows", "7", "3", "--workers", "2", "--no-eval"]) == 0
    assert seen == [(7, 3), (7, 3)]
    assert w2v.word2vec.Worker is spy
    assert "analogy_pct" not in _lines(capsys)[0]


def test_w2v_options_refused_for_gensim(tiny, capsys):
    with pytest.raises(SystemExit):
        train_eval.main(tiny + ["--tool", "gensim-file", "--shared-negatives"])
    assert "w2v options" in capsys.readouterr().err


def test_missing_evaluation_files_stop_before_training(tiny, tmp_path):
    args = tiny[:2] + ["--eval-dir", str(tmp_path / "none")]
    with pytest.raises(SystemExit, match="--no-eval"):
        train_eval.main(args)


def test_trace_samples_phase_words_and_memory(tiny, capsys, tmp_path):
    trace = tmp_path / "trace.jsonl"
    assert train_eval.main(tiny + ["--no-eval", "--epochs", "50", "--trace", str(trace),
                                   "--trace-every", "0.002"]) == 0
    row = _lines(capsys)[0]
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert lines, "the sampler wrote nothing"
    phases = [r["phase"] for r in lines]
    assert phases == sorted(phases, key=["vocab", "train"].index)     # vocab, then train
    assert all(a["words"] <= b["words"] and a["s"] <= b["s"] for a, b in zip(lines, lines[1:]))
    assert all(r["rss_mib"] > 10 and r["words_per_s"] >= 0 for r in lines)
    if sum(p == "train" for p in phases) >= 2:
        assert row["trace"] == str(trace)
        assert row["train_words_per_s_min"] <= row["train_words_per_s_median"] <= row["train_words_per_s_max"]


def test_trace_is_for_one_plain_w2v_run(tiny, capsys):
    with pytest.raises(SystemExit):
        train_eval.main(tiny + ["--tool", "gensim-file", "--trace", "t.jsonl"])
    with pytest.raises(SystemExit):
        train_eval.main(tiny + ["--schedule", "gensim-file", "--trace", "t.jsonl"])
