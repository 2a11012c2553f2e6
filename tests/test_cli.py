"""The `w2v` command end to end, through subprocesses (`python -m w2v ...`).

From a source tree with the extensions built in place, PYTHONPATH points at it; otherwise
(no compiled extension next to the sources) the installed w2v package is used. Every
command runs in a temporary working directory.
"""
import gzip
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from w2v import cli, formats, progress
from w2v.keyedvectors import KeyedVectors
from w2v.word2vec import TrainingProgress, Word2Vec

from helpers import ENV, SAMPLE, one_line_error, w2v

COMMANDS = ("train", "similar", "analogy", "eval", "vocab", "info", "plot", "export")

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small model of the sample corpus (2 epochs, 32 dimensions), trained --quiet."""
    d = tmp_path_factory.mktemp("trained")
    res = w2v("train", str(SAMPLE), "-o", "vec.bin", "--epochs", "2", "--size", "32",
              "--threads", "2", "--quiet", cwd=d)
    assert res.rc == 0, res
    assert res.err == "", f"--quiet printed on stderr: {res.err!r}"
    return d


# ----------------------------------------------------------------------------- usage
@pytest.mark.parametrize("command", (None,) + COMMANDS)
def test_help_exits_0(tmp_path, command):
    res = w2v(*([command] if command else []), "--help", cwd=tmp_path)
    assert res.rc == 0, res
    assert res.out.startswith("usage: w2v")
    if command:
        assert f"w2v {command}" in res.out.splitlines()[0]


@pytest.mark.parametrize("args", [
    (),
    ("frobnicate",),
    ("train", "--size", "0"),
    ("train", "--window", "x"),
    ("train", "--sg", "--cbow"),
    ("train", "--alpha", "nan"),
    ("train", "corpus.txt"),               # a corpus needs -o
    ("similar", "model.bin"),
    ("analogy", "model.bin", "a", "b"),
    ("eval", "model.bin"),                 # needs --analogies or --pairs
    ("plot", "model.bin", "word"),         # needs -o
    ("plot", "model.bin", "word", "-o", "x.png", "--method", "umap"),
    ("export", "model.bin"),               # needs --projector or -o
    ("vocab",),
])
def test_bad_usage_exits_2(tmp_path, args):
    res = w2v(*args, cwd=tmp_path)
    assert res.rc == 2, res
    assert "usage: w2v" in res.err
    assert "Traceback" not in res.err
    assert res.out == ""


@pytest.mark.parametrize("args,message", [
    (("--negative", "0"), "leave nothing to train"),          # without --hs
    (("--min-alpha", "0.5"), "min_alpha must be in [0, alpha=0.05]"),
    (("--epochs", "0"), "epochs must be > 0"),
    (("--threads", "0"), "workers must be > 0"),
    (("--sample", "-1"), "sample must be >= 0"),
    (("--shared-negatives",), "shared_negatives=True needs skip-gram"),
])
def test_training_options_are_checked_by_word2vec(tmp_path, args, message):
    # the library's message, as a usage error, before any corpus is read or output written
    res = w2v("train", "no-such-corpus.txt", "-o", "out.bin", *args, cwd=tmp_path)
    assert res.rc == 2, res
    assert "usage: w2v train" in res.err and message in res.err, res.err
    assert res.out == "" and os.listdir(tmp_path) == []


def test_version(tmp_path):
    res = w2v("--version", cwd=tmp_path)
    assert res.rc == 0 and re.match(r"w2v \d", res.out), res


def test_missing_corpus_is_one_line_and_writes_nothing(tmp_path):
    res = w2v("train", "no-such-corpus.txt", "-o", "out.bin", cwd=tmp_path)
    line = one_line_error(res)
    assert line.startswith("w2v train: error:") and "no-such-corpus.txt" in line
    assert os.listdir(tmp_path) == []


def test_debug_shows_the_traceback(tmp_path):
    for args in (("--debug", "train"), ("train", "--debug")):
        res = w2v(*args, "no-such-corpus.txt", "-o", "out.bin", cwd=tmp_path)
        assert res.rc == 1 and "Traceback" in res.err and "FileNotFoundError" in res.err, res


def test_output_cannot_overwrite_the_corpus(tmp_path):
    (tmp_path / "c.txt").write_text("a b c\n" * 10)
    res = w2v("train", "c.txt", "-o", "./c.txt", "--format", "text", "--min-count", "1",
              cwd=tmp_path)
    assert "is a corpus file" in one_line_error(res)
    assert (tmp_path / "c.txt").read_text() == "a b c\n" * 10


def test_missing_output_folder_fails_before_training(tmp_path):
    start = time.monotonic()
    res = w2v("train", str(SAMPLE), "-o", "missing/dir/out.bin", cwd=tmp_path)
    line = one_line_error(res)
    assert "missing/dir" in line and "training" not in res.err
    assert time.monotonic() - start < 60


@pytest.mark.parametrize("args", [
    ("similar", "nothing.bin", "word"),
    ("info", "nothing.bin"),
    ("export", "nothing.bin", "--projector", "p"),
    ("eval", "nothing.bin", "--pairs", "nothing.tsv"),
    ("vocab", "nothing.txt"),
])
def test_missing_files_are_one_line(tmp_path, args):
    line = one_line_error(w2v(*args, cwd=tmp_path))
    assert "nothing." in line


def test_unreadable_model_is_one_line(tmp_path):
    (tmp_path / "junk.bin").write_bytes(b"this is not a model\n" * 10)
    (tmp_path / "folder").mkdir()
    assert "not a word2vec" in one_line_error(w2v("info", "junk.bin", cwd=tmp_path))
    assert "junk.bin" in one_line_error(w2v("similar", "junk.bin", "is", cwd=tmp_path))
    assert "not one saved by w2v" in one_line_error(w2v("similar", "folder", "x", cwd=tmp_path))


# ----------------------------------------------------------------------------- demo
def test_demo_trains_on_the_sample_and_shows_neighbours(tmp_path):
    res = w2v("train", cwd=tmp_path, timeout=300)
    assert res.rc == 0, res
    assert (tmp_path / "austen.bin").is_file()
    assert "austen.bin" in res.out and "austen.bin" in res.err
    rows = {}
    for line in res.out.splitlines():
        parts = line.split()
        if parts and parts[0] in cli.DEMO_PROBES:
            rows[parts[0]] = parts[1::2]          # "word 0.71," pairs -> the words
    assert set(rows) == set(cli.DEMO_PROBES), res.out
    # ten epochs on 730k words: family words are each other's neighbours
    assert {"brother", "mother"} & set(rows["sister"]), rows["sister"]
    assert "note" in rows["letter"], rows["letter"]
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "austen.bin"), binary=True)
    assert len(kv) > 5000 and kv.vector_size == 100
    assert kv.similarity("sister", "brother") > 0.5


def test_demo_honours_output_and_epochs(tmp_path):
    res = w2v("train", "--epochs", "1", "--size", "16", "-o", "demo.txt", "--quiet",
              cwd=tmp_path)
    assert res.rc == 0, res
    assert res.err == ""
    assert "Nearest neighbours" in res.out
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "demo.txt"))
    assert kv.vector_size == 16


# ----------------------------------------------------------------------------- train options
def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path):
    res = w2v("train", str(SAMPLE), "-o", "v.bin", "--epochs", "5", "--size", "16", "--loss",
              cwd=tmp_path)
    assert res.rc == 0, res
    lines = [l for l in res.err.splitlines() if l.startswith("w2v train:")]
    pattern = re.compile(r"w2v train: +\d+\.\d%, \S+/\S+ words, epoch \d+/5, \S+ words/s, "
                         r"alpha \d\.\d{5}, loss \S+, ETA \d+:\d\d:\d\d")
    assert len(lines) >= 5, res.err                 # at least every 10% (= every epoch here)
    assert all(pattern.fullmatch(l) for l in lines), lines
    assert lines[-1].startswith("w2v train: 100.0%")
    percents = [float(l.split()[2].rstrip("%,")) for l in lines]
    assert percents == sorted(percents)
    assert "\r" not in res.err                      # no progress bar in a log


def test_quiet_prints_nothing_on_stderr(trained):
    # the fixture asserts it; this also checks the output is complete
    kv = KeyedVectors.load_word2vec_format(str(trained / "vec.bin"), binary=True)
    assert kv.vector_size == 32 and len(kv) > 5000


def test_native_model_info_and_queries(tmp_path):
    res = w2v("train", str(SAMPLE), "-o", "model", "--epochs", "1", "--size", "24", "--sg",
              "--window", "3", "--quiet", cwd=tmp_path)
    assert res.rc == 0, res
    info = w2v("info", "model", cwd=tmp_path)
    assert info.rc == 0, info
    fields = dict(re.split(r":\s+", l, maxsplit=1) for l in info.out.splitlines())
    assert fields["format"].startswith("w2v Word2Vec model")
    assert fields["vector size"] == "24" and fields["architecture"] == "skip-gram"
    assert fields["window"] == "3" and fields["epochs"] == "1"
    assert fields["corpus"].startswith("729,322 words")
    sim = w2v("similar", "model", "sister", "--topn", "3", cwd=tmp_path)
    assert sim.rc == 0 and len(sim.out.splitlines()) == 4, sim


def test_read_vocab_uses_the_given_vocabulary(tmp_path):
    # the vocabulary of the first half of the sample, applied to the whole sample
    import lzma
    lines = lzma.open(SAMPLE, "rt").read().splitlines()
    (tmp_path / "half.txt").write_text("\n".join(lines[:len(lines) // 2]) + "\n")
    res = w2v("vocab", "half.txt", "--min-count", "3", "-o", "half.vocab", "--quiet",
              cwd=tmp_path)
    assert res.rc == 0, res
    vocab_words = [l.split()[0] for l in (tmp_path / "half.vocab").read_text().splitlines()]
    res = w2v("train", str(SAMPLE), "-o", "v.txt", "--read-vocab", "half.vocab",
              "--min-count", "3", "--epochs", "1", "--size", "8", cwd=tmp_path)
    assert res.rc == 0, res
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert kv.index_to_key == vocab_words


def test_save_vocab_matches_the_vocab_command(tmp_path):
    res = w2v("train", str(SAMPLE), "-o", "v.bin", "--epochs", "1", "--size", "8",
              "--min-count", "20", "--save-vocab", "train.vocab", "--quiet", cwd=tmp_path)
    assert res.rc == 0, res
    res = w2v("vocab", str(SAMPLE), "--min-count", "20", "-o", "scan.vocab", "--top", "3",
              cwd=tmp_path)
    assert res.rc == 0, res
    assert (tmp_path / "train.vocab").read_bytes() == (tmp_path / "scan.vocab").read_bytes()
    first = (tmp_path / "scan.vocab").read_text().splitlines()[0].split()
    assert first[0] == "the"
    # the listing shows the same top word and count, and the totals
    assert re.search(rf"\b1\s+the\s+{int(first[1]):,}\b", res.out), res.out
    assert "729,322 in 10,288 sentences" in res.out


def test_interrupt_exits_130_and_keeps_the_previous_output(tmp_path):
    out = tmp_path / "v.bin"
    out.write_bytes(b"previous output\n")
    before = hashlib.sha256(out.read_bytes()).hexdigest()
    # SIG_DFL in the child: a shell running the tests in the background ignores SIGINT
    proc = subprocess.Popen(
        [sys.executable, "-m", "w2v", "train", str(SAMPLE), "-o", "v.bin", "--epochs", "500"],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stderr:
            if line.startswith(b"training "):
                break
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == b"w2v train: interrupted; v.bin was not written", err
    assert b"Traceback" not in err
    assert hashlib.sha256(out.read_bytes()).hexdigest() == before
    assert sorted(os.listdir(tmp_path)) == ["v.bin"]    # no temporary file left behind


def test_resume_continues_from_the_checkpoint_with_its_options(tmp_path):
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(40)]
    (tmp_path / "c.txt").write_text("".join(" ".join(rng.choice(words, 12)) + "\n"
                                            for _ in range(300)))
    corpus = str(tmp_path / "c.txt")
    kw = dict(vector_size=8, min_count=1, workers=1, seed=3, sg=1, epochs=4)
    full = Word2Vec(**kw)
    full.build_vocab(corpus_file=corpus)
    full.train(corpus_file=corpus, total_words=full.corpus_total_words, epochs=4)

    class Crash(Exception):
        pass

    class CrashInEpoch2:          # ends epoch 1 (checkpoint written), then fails
        ended = 0

        def on_epoch_end(self, model):
            self.ended += 1
            if self.ended == 2:
                raise Crash

    crashed = Word2Vec(**kw)
    crashed.build_vocab(corpus_file=corpus)
    with pytest.raises(Crash):
        crashed.train(corpus_file=corpus, total_words=crashed.corpus_total_words, epochs=4,
                      checkpoint=str(tmp_path / "ck"), callbacks=[CrashInEpoch2()])
    # the checkpoint's options are used: others are refused, equal ones are fine
    res = w2v("train", "c.txt", "-o", "v.bin", "--resume", "ck", "--size", "50", "--cbow",
              cwd=tmp_path)
    assert res.rc == 1 and "options conflict with the checkpoint ck: --cbow given, the " \
        "checkpoint has --sg; --size 50 given, the checkpoint has --size 8" in res.err, res.err
    assert not (tmp_path / "v.bin").exists()
    res = w2v("train", "c.txt", "-o", "v.bin", "--resume", "ck", "--size", "8", "--sg",
              cwd=tmp_path)
    assert res.rc == 0, res
    assert "from the checkpoint ck (after epoch 1 of 4)" in res.err, res.err
    assert "training skip-gram, 8 dimensions, 4 epochs, 1 thread ..." in res.err, res.err
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    np.testing.assert_array_equal(kv[full.wv.index_to_key], full.wv.vectors)


# ----------------------------------------------------------------------------- queries
def test_similar(trained):
    res = w2v("similar", "vec.bin", "sister", "letter", "--topn", "4", cwd=trained)
    assert res.rc == 0, res
    blocks = res.out.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["sister", "letter"]
    kv = KeyedVectors.load_word2vec_format(str(trained / "vec.bin"), binary=True)
    for block, word in zip(blocks, ("sister", "letter")):
        rows = [l.split() for l in block.splitlines()[1:]]
        expected = kv.most_similar(word, topn=4)
        assert [r[1] for r in rows] == [w for w, _ in expected]
        assert [float(r[2]) for r in rows] == pytest.approx([s for _, s in expected], abs=1e-4)


def test_similar_reads_vectors_from_a_url(trained):
    # file:// goes through fsspec like s3:// or gs:// (the loaders once took local paths only)
    pytest.importorskip("fsspec")
    url = (trained / "vec.bin").resolve().as_uri()
    res = w2v("similar", url, "sister", "--topn", "3", cwd=trained)
    assert res.rc == 0, res
    local = w2v("similar", "vec.bin", "sister", "--topn", "3", cwd=trained)
    assert res.out == local.out
    res = w2v("similar", url + ".missing", "sister", cwd=trained)
    assert "vec.bin.missing" in one_line_error(res)


def test_similar_unknown_word(trained):
    res = w2v("similar", "vec.bin", "Sister", "zzzz", cwd=trained)
    line = one_line_error(res)
    assert "'Sister' (did you mean 'sister'?)" in line and "'zzzz'" in line
    # the known words are still answered
    res = w2v("similar", "vec.bin", "sister", "zzzz", "--topn", "2", cwd=trained)
    assert res.rc == 1 and res.out.splitlines()[0] == "sister"


def test_analogy(trained):
    res = w2v("analogy", "vec.bin", "he", "she", "his", "--topn", "3", cwd=trained)
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[0] == "he : she :: his : ?"
    kv = KeyedVectors.load_word2vec_format(str(trained / "vec.bin"), binary=True)
    expected = kv.most_similar(positive=["she", "his"], negative=["he"], topn=3)
    assert [l.split()[1] for l in lines[1:]] == [w for w, _ in expected]


def test_eval(trained):
    (trained / "q.txt").write_text(": family\nhe she his her\nbrother sister son daughter\n"
                                   ": unknown\nzzzq zzzw zzze zzzr\n")
    (trained / "pairs.tsv").write_text("# word1\tword2\tscore\nsister\tbrother\t8\n"
                                       "letter\tnote\t9\nhappy\tglad\t9\nsister\tletter\t1\n"
                                       "london\thappy\t0.5\nzzzq\tsister\t3\n")
    res = w2v("eval", "vec.bin", "--analogies", "q.txt", "--pairs", "pairs.tsv", cwd=trained)
    assert res.rc == 0, res
    kv = KeyedVectors.load_word2vec_format(str(trained / "vec.bin"), binary=True)
    score, sections = kv.evaluate_word_analogies(str(trained / "q.txt"))
    right = len(sections[-1]["correct"])
    assert re.search(rf"family\s+\S+%\s+\({right}/2\)", res.out), res.out
    assert re.search(rf"total\s+\S+%\s+\({right}/2\)", res.out), res.out
    assert "1 of 3 questions skipped" in res.out
    pearson, spearman, oov = kv.evaluate_word_pairs(str(trained / "pairs.tsv"))
    assert f"Pearson   {pearson[0]:.4f}" in res.out and f"Spearman  {spearman[0]:.4f}" in res.out
    assert f"{oov:.1f}%" in res.out and oov > 0


def test_info_word2vec_file(trained):
    res = w2v("info", "vec.bin", cwd=trained)
    assert res.rc == 0, res
    fields = dict(re.split(r":\s+", l, maxsplit=1) for l in res.out.splitlines())
    assert fields["format"] == "word2vec binary" and fields["vector size"] == "32"
    kv = KeyedVectors.load_word2vec_format(str(trained / "vec.bin"), binary=True)
    assert fields["words"] == f"{len(kv):,}"


def test_info_text_file_with_short_numbers(tmp_path):
    # 8 one-digit values per record: shorter than a binary vector would be
    (tmp_path / "short.vec").write_text("1000 8\n" + "".join(f"w{i} 0 1 1 0 1 1 1 1\n"
                                                             for i in range(1000)))
    (tmp_path / "short.bin").write_bytes((tmp_path / "short.vec").read_bytes())
    for name in ("short.vec", "short.bin"):
        res = w2v("info", name, cwd=tmp_path)
        assert res.rc == 0, res
        assert "word2vec text" in res.out, res.out
    res = w2v("similar", "short.bin", "w5", "--topn", "2", cwd=tmp_path)
    assert res.rc == 0 and res.out.splitlines()[0] == "w5", res


def test_export_projector_and_conversion(trained, tmp_path):
    kv = KeyedVectors.load_word2vec_format(str(trained / "vec.bin"), binary=True)
    model = str(trained / "vec.bin")
    # word2vec file: no counts, so one column and no header (projector convention)
    res = w2v("export", model, "--projector", "proj", "--limit", "50", cwd=tmp_path)
    assert res.rc == 0, res
    meta = (tmp_path / "proj" / "metadata.tsv").read_text().splitlines()
    assert meta == kv.index_to_key[:50]
    vecs = np.loadtxt(tmp_path / "proj" / "vectors.tsv", delimiter="\t")
    assert vecs.shape == (50, 32)
    np.testing.assert_allclose(vecs, kv.vectors[:50], rtol=1e-5, atol=1e-6)
    # converted to a native folder with counts: a header and two columns
    from w2v.keyedvectors import KeyedVectors as KV
    counts_kv = KV.from_arrays(kv.index_to_key, kv.vectors, counts=np.arange(len(kv))[::-1] + 7)
    counts_kv.save(str(tmp_path / "native"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    res = w2v("export", "native", "--projector", "other", cwd=tmp_path)
    assert res.rc == 0, res
    meta = (tmp_path / "other" / "metadata.tsv").read_text().splitlines()
    assert meta[0] == "word\tcount" and len(meta) == len(kv) + 1
    assert meta[1] == f"{kv.index_to_key[0]}\t{len(kv) + 6}"
    assert (tmp_path / "other" / "keep.txt").read_text() == "mine"
    # -o converts formats
    res = w2v("export", model, "-o", "v.txt", "--limit", "100", cwd=tmp_path)
    assert res.rc == 0, res
    back = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert back.index_to_key == kv.index_to_key[:100]
    np.testing.assert_array_equal(back.vectors, kv.vectors[:100])


def test_broken_pipe_is_quiet(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "w2v", "vocab", str(SAMPLE), "--top", "20000",
                             "--min-count", "1"], cwd=tmp_path, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert b"Traceback" not in err and b"Error" not in err, err


# ----------------------------------------------------------------------------- not UTF-8
def test_words_that_are_not_utf8(tmp_path):
    rng = np.random.default_rng(0)
    vocab = [b"caf\xe9", b"\xff\xfe", "café".encode()] + [f"w{i}".encode() for i in range(20)]
    lines = [b" ".join(vocab[i] for i in rng.integers(len(vocab), size=8)) for _ in range(500)]
    (tmp_path / "c.txt").write_bytes(b"\n".join(lines) + b"\n")
    res = w2v("train", "c.txt", "-o", "v.bin", "--min-count", "1", "--epochs", "1",
              "--size", "8", "--quiet", cwd=tmp_path)
    assert res.rc == 0, res
    res = w2v("similar", "v.bin", os.fsdecode(b"caf\xe9"), "café", "--topn", "30",
              cwd=tmp_path)
    assert res.rc == 0, res
    out = res.out.splitlines()
    assert out[0] == "caf\\xe9"              # the byte shown escaped, never a crash
    assert any(l.split()[1] == "\\xff\\xfe" for l in out[1:] if l.startswith(" "))
    assert "café" in out
    res = w2v("vocab", "c.txt", "--top", "30", "--quiet", cwd=tmp_path)
    assert res.rc == 0 and "caf\\xe9" in res.out, res


def test_display():
    assert formats.display("caf\udce9") == "caf\\xe9"
    assert formats.display("café") == "café"
    assert formats.display("\ud800x") == "\\ud800x"      # a surrogate no byte decodes to
    assert formats.display(7) == "7"


# ----------------------------------------------------------------------------- load_vectors (w2v.formats)
def test_load_vectors_every_format(tmp_path):
    rng = np.random.default_rng(1)
    kv = KeyedVectors.from_arrays([f"w{i}" for i in range(20)],
                                  rng.standard_normal((20, 6)).astype(np.float32),
                                  counts=np.arange(20)[::-1] + 1)
    kv.save_word2vec_format(str(tmp_path / "a.bin"), binary=True)
    kv.save_word2vec_format(str(tmp_path / "a.txt"))
    kv.save_word2vec_format(str(tmp_path / "a.vec.gz"))
    kv.save_word2vec_format(str(tmp_path / "bin-named.txt"), binary=True)   # content wins
    kv.save_word2vec_format(str(tmp_path / "text-named.bin"), binary=False)
    kv.save_word2vec_format(str(tmp_path / "noext"), binary=True)
    with gzip.open(tmp_path / "b.bin.gz", "wb") as f:
        f.write((tmp_path / "a.bin").read_bytes())
    kv.save(str(tmp_path / "native"))
    expected = {"a.bin": "bin", "a.txt": "text", "a.vec.gz": "text", "bin-named.txt": "bin",
                "text-named.bin": "text", "noext": "bin", "b.bin.gz": "bin",
                "native": "native-kv"}
    for name, fmt in expected.items():
        path = str(tmp_path / name)
        assert formats.detect_format(path) == fmt, name
        got = formats.load_vectors(path)
        assert got.index_to_key == kv.index_to_key, name
        np.testing.assert_array_equal(np.asarray(got.vectors), kv.vectors, err_msg=name)
        # word2vec files hold no counts: none are made up
        assert ("count" in got.expandos) == (fmt == "native-kv"), name


def test_load_vectors_native_model(tmp_path):
    model = Word2Vec([["a", "b", "c"]] * 20, vector_size=4, min_count=1, epochs=1, workers=1)
    model.save(str(tmp_path / "m"))
    assert formats.detect_format(str(tmp_path / "m")) == "native-model"
    np.testing.assert_array_equal(np.asarray(formats.load_vectors(str(tmp_path / "m")).vectors),
                                  model.wv.vectors)


# ----------------------------------------------------------------------------- progress (w2v.progress)
_Info = TrainingProgress


def test_progress_log_lines_every_10_percent_or_5_seconds():
    stream, now = io.StringIO(), [0.0]
    rep = progress.ProgressReporter(stream=stream, tty=False, clock=lambda: now[0])
    total = 1000
    for step in range(1, 101):             # 1% per call, 0.5 s apart
        now[0] = step * 0.5
        rep(_Info(step * 10, total, 0.05 * (1 - step / 100), 1 + step // 50, 2, now[0],
                  2.0 * step * 10))
    rep.close()
    lines = stream.getvalue().splitlines()
    # 10 % comes every 5 s here: one line per 10 %
    assert [l.split()[2] for l in lines] == [f"{p:.1f}%," for p in range(10, 101, 10)], lines
    assert "loss 2," in lines[0]                  # mean loss per word
    assert lines[-1].endswith("ETA 0:00:00")
    # slow progress: a line every 5 s even without 10 % more
    stream, now = io.StringIO(), [0.0]
    rep = progress.ProgressReporter(stream=stream, tty=False, clock=lambda: now[0])
    for step in range(1, 41):
        now[0] = step * 0.5
        rep(_Info(step, total, 0.05, 1, 1, now[0], None))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4 and "loss" not in stream.getvalue(), lines
    assert lines[0].endswith("ETA 0:08:15")       # 990 words to go at 2 words/s


def test_progress_bar_on_a_terminal():
    stream = io.StringIO()
    with progress.ProgressReporter(stream=stream, tty=True) as rep:
        for step in range(1, 5):
            rep(_Info(step * 250, 1000, 0.01, step, 4, step * 0.5, step * 100.0))
    text = stream.getvalue()
    assert "100%" in text and "alpha=0.01000" in text and "loss=0.4" in text
    assert "epoch 4/4" in text and "word/s" in text


# ----------------------------------------------------------------------------- plot
def test_plot(trained, tmp_path):
    res = w2v("plot", str(trained / "vec.bin"), "sister", "london", "happy", "-o", "map.png",
              "--neighbours", "5", cwd=tmp_path)
    assert res.rc == 0, res
    png = (tmp_path / "map.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20000
    res = w2v("plot", str(trained / "vec.bin"), "sister", "zzzz", "-o", "bad.png", cwd=tmp_path)
    assert "'zzzz'" in one_line_error(res)
    res = w2v("plot", str(trained / "vec.bin"), "sister", "-o", "map.xyz", cwd=tmp_path)
    assert "unknown image type" in one_line_error(res)
    assert sorted(os.listdir(tmp_path)) == ["map.png"]


def test_plot_without_matplotlib(trained, tmp_path):
    res = w2v("plot", str(trained / "vec.bin"), "sister", "-o", "m.png", cwd=tmp_path,
              env=_blocked(tmp_path, "matplotlib"))
    line = one_line_error(res)
    assert 'pip install "w2v[plot]"' in line
    assert not (tmp_path / "m.png").exists()


def _blocked(tmp_path, module):
    """An environment in which importing `module` fails, as when it is not installed."""
    blocker = tmp_path / "blocker" / module
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(f"raise ImportError('{module} blocked for a test')\n")
    env = dict(ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(blocker.parent)]
                                        + [p for p in [ENV.get("PYTHONPATH")] if p])
    return env


def test_plot_tsne(trained, tmp_path):
    pytest.importorskip("sklearn")
    res = w2v("plot", str(trained / "vec.bin"), "sister", "letter", "-o", "t.svg",
              "--neighbours", "6", "--method", "tsne", "--title", "t-SNE map", cwd=tmp_path)
    assert res.rc == 0, res
    svg = (tmp_path / "t.svg").read_text()
    assert "<svg" in svg and "t-SNE map" in svg


def test_plot_tsne_without_sklearn(trained, tmp_path):
    res = w2v("plot", str(trained / "vec.bin"), "sister", "-o", "t.png", "--method", "tsne",
              cwd=tmp_path, env=_blocked(tmp_path, "sklearn"))
    assert "pip install scikit-learn" in one_line_error(res)


def test_pca_2d_keeps_planar_geometry():
    from w2v.plot import pca_2d
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.standard_normal((10, 2)))[0].T       # a plane through 0 in 10-D
    angles = rng.uniform(0, 2 * np.pi, 30)
    x = np.column_stack([np.cos(angles), np.sin(angles)]) @ basis  # unit vectors in it
    xy = pca_2d(x * rng.uniform(0.5, 3, (30, 1)))                  # norms do not matter
    d_in = np.linalg.norm(x[:, None] - x[None], axis=-1)
    d_out = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.testing.assert_allclose(d_out, d_in, atol=1e-9)
    np.testing.assert_allclose(pca_2d(x), xy, atol=1e-9)           # signs fixed, not random
    assert pca_2d(x[:1]).shape == (1, 2)


def test_labels_do_not_overlap_when_there_is_room():
    from w2v.plot import place_labels
    points = np.zeros((12, 2))                     # twelve labels for the same spot
    extents = np.tile([[3.0, 1.0]], (12, 1))
    anchors = place_labels(points, extents, np.arange(12) == 0, (0.2, 0.2))
    boxes = np.hstack([anchors, anchors + extents])
    for i in range(12):
        for j in range(i):
            a, b = boxes[i], boxes[j]
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (i, j)


def test_neighbourhoods_assign_each_word_once():
    from w2v.plot import neighbourhoods
    rng = np.random.default_rng(0)
    kv = KeyedVectors.from_arrays([f"w{i}" for i in range(40)],
                                  rng.standard_normal((40, 5)).astype(np.float32))
    keys, group, is_query = neighbourhoods(kv, ["w0", "w1", "w0"], neighbours=8)
    assert len(keys) == len(set(keys))
    assert keys[0] == "w0" and is_query[0] and group[0] == 0
    assert is_query.sum() == 2 and "w1" in keys
    for k, g, q in zip(keys, group, is_query):
        if not q:   # each neighbour sits with the query it is most similar to
            sims = [kv.similarity(k, w) for w in ("w0", "w1")]
            assert g == int(np.argmax(sims))
