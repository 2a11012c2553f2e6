"""Training on a Dask cluster (w2v.distributed): byte ranges, map-reduce vocabulary,
synced replicas, a killed worker, quality against one process.

The cluster tests share one LocalCluster of 2 processes x 1 thread and a few MB
of text; the range tests need no cluster."""
import gzip
import logging
import os
import signal

import numpy as np
import pytest

from helpers import group_precision, planted_groups
from w2v import _sync, distributed
from w2v import corpus as corpus_mod
from w2v.corpus import Corpus, count_words, encode_file_corpus
from w2v.training import TrainingPlan
from w2v.word2vec import Word2Vec


# ---------------------------------------------------------------- ranges (no cluster)

def _tricky_files(folder):
    """Plain CRLF text without a final newline, lone CRs, empty lines, long lines, and a .gz."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    lines = []
    for i in range(3000):
        n = int(rng.integers(0, 30)) if i % 50 else 200      # some empty, some long lines
        lines.append(" ".join(rng.choice(words, n)))
    plain = os.path.join(folder, "a.txt")
    with open(plain, "wb") as f:
        f.write("\r\n".join(lines[:1500]).encode() + b"\r\r\n\n" + "\r".join(lines[1500:2200]).encode())
    packed = os.path.join(folder, "b.txt.gz")
    with gzip.open(packed, "wb") as f:
        f.write("\n".join(lines[2200:]).encode())
    return [plain, packed]


@pytest.fixture
def small_ranges(monkeypatch):
    # cut even small files into many ranges (a range is normally >= 64 KiB)
    monkeypatch.setattr(corpus_mod, "_MIN_RANGE_BYTES", 64)


def test_ranges_cover_the_corpus_once(tmp_path, small_ranges):
    paths = _tricky_files(str(tmp_path))
    corpus = Corpus(paths, max_sentence_length=50)
    ranges = distributed.split_corpus(corpus, 16)
    plain = [r for r in ranges if r.path.endswith("a.txt")]
    assert len(plain) > 8 and [r for r in ranges if r.compressed] == [
        distributed.ByteRange(os.path.abspath(paths[1]), 0, os.path.getsize(paths[1]), True)]
    assert plain[0].start == 0 and plain[-1].end == os.path.getsize(paths[0])
    assert all(a.end == b.start for a, b in zip(plain, plain[1:])), "ranges must tile the file"
    with open(paths[0], "rb") as f:
        data = f.read()
    assert all(data[r.end - (r.end == len(data))] in b"\r\n" for r in plain[:-1]), \
        "plain files are cut at line ends"
    shards = distributed.assign_ranges(ranges, 3)
    assert sorted(r for s in shards for r in s) == sorted(ranges)
    sizes = [sum(r.size for r in s) for s in shards if any(not r.compressed for r in s)]
    assert max(sizes) - min(sizes) <= max(r.size for r in plain), f"unbalanced shards {sizes}"

    # the ids of every range, encoded one after the other, are the corpus's ids
    words = count_words(corpus).words
    whole = encode_file_corpus(corpus, words, str(tmp_path / "whole.i32"))
    n = distributed.encode_ranges(ranges, words, 50, 1 << 10, str(tmp_path / "ranges.i32"))
    mine = np.fromfile(str(tmp_path / "ranges.i32"), dtype=np.int32)
    assert n == len(mine)
    np.testing.assert_array_equal(mine, np.asarray(whole.ids))


def test_unreadable_file_names_the_file(tmp_path):
    r = distributed.ByteRange(str(tmp_path / "gone.txt"), 0, 10)
    with pytest.raises(FileNotFoundError, match="cannot read the corpus file") as info:
        distributed._count_range_task(r, 100, 1 << 10, 0)
    assert info.value.filename == r.path


# ---------------------------------------------------------------- syncing rows (no cluster)

def _bf16(x):
    return (np.asarray(x, np.uint16).astype(np.uint32) << 16).view(np.float32)


@pytest.mark.parametrize("bfloat16", [False, True])
def test_changed_rows_are_the_rows_that_changed(bfloat16):
    rng = np.random.default_rng(1)
    base = rng.standard_normal((500, 12)).astype(np.float32)
    replica = base.copy()
    touched = np.sort(rng.choice(500, 120, replace=False))
    replica[touched] += rng.standard_normal((120, 12)).astype(np.float32) * 1e-3
    replica[touched[0], :] = base[touched[0]]             # touched, but back where it was
    exact = replica - base
    expect = np.flatnonzero(exact.any(axis=1))
    rows, delta = _sync.changed_rows(replica, base, bfloat16=bfloat16)
    np.testing.assert_array_equal(rows, expect)
    if bfloat16:
        assert delta.dtype == np.uint16
        got = _bf16(delta)
        np.testing.assert_allclose(got, exact[expect], rtol=2.0 ** -8, atol=0)
    else:
        np.testing.assert_array_equal(delta, exact[expect])
    due = np.array([touched[5], 7, touched[2]], dtype=np.int32)       # in the order given
    rows, _ = _sync.changed_rows(replica, base, due, bfloat16=bfloat16)
    np.testing.assert_array_equal(rows, [r for r in due if exact[r].any()])
    with pytest.raises(ValueError, match="outside the matrix"):
        _sync.changed_rows(replica, base, np.array([500], np.int32))


def test_bfloat16_rounds_to_nearest_even():
    # 1 + 2**-8 lies halfway between two bfloat16 values: to the even one (1.0);
    # 1 + 3 * 2**-8 halfway too: up to 1 + 2**-6; a NaN stays a NaN
    values = np.array([[1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -9, np.nan, 3e-39]],
                      dtype=np.float32)
    rows, delta = _sync.changed_rows(values, np.zeros_like(values), bfloat16=True)
    got = _bf16(delta[0])
    assert got[0] == 1.0 and got[1] == 1 + 2.0 ** -6 and got[2] == 1.0
    assert np.isnan(got[3]) and got[4] > 0


@pytest.mark.parametrize("bfloat16", [False, True])
def test_replicas_applying_the_same_changes_in_order_agree_bit_for_bit(bfloat16):
    """The sync rule of w2v.distributed on two in-process replicas: each trains
    (here: random edits), both apply both changes in shard order, and the bases
    and replicas of the two are then identical."""
    rng = np.random.default_rng(2)
    start = rng.standard_normal((300, 8)).astype(np.float32)
    bases = [start.copy(), start.copy()]
    replicas = [start.copy(), start.copy()]
    for _ in range(5):
        for rep in replicas:
            rows = rng.choice(300, 80, replace=False)
            rep[rows] += rng.standard_normal((80, 8)).astype(np.float32) * 0.01
        parts = [_sync.changed_rows(rep, b, bfloat16=bfloat16) for rep, b in zip(replicas, bases)]
        for rep, b in zip(replicas, bases):
            _sync.apply_changes(b, rep, parts)
        np.testing.assert_array_equal(bases[0], bases[1])
        np.testing.assert_array_equal(replicas[0], replicas[1])
        np.testing.assert_array_equal(replicas[0], bases[0])
    assert not np.array_equal(bases[0], start)


def test_apply_changes_sums_the_parts_with_a_factor_per_row():
    base = np.ones((4, 2), np.float32)
    replica = np.zeros((4, 2), np.float32)
    factors = np.array([1, 0.5, 1, 0.25], np.float32)
    parts = [(np.array([0, 1, 3], np.int32), np.full((3, 2), 8, np.float32)),
             (np.array([1, 2], np.int32), np.full((2, 2), 4, np.float32)),
             (np.array([], np.int32), np.empty((0, 2), np.float32))]
    _sync.apply_changes(base, replica, parts, row_scale=factors)
    np.testing.assert_array_equal(base[:, 0], [9, 7, 5, 3])    # 1 + f * (sum of the parts)
    np.testing.assert_array_equal(replica, base)
    with pytest.raises(ValueError, match="one factor per row"):
        _sync.apply_changes(base, replica, parts, row_scale=factors[:3])


def test_apply_changes_adds_in_part_order():
    # each row: base + (d_0 + d_1 + ...), the parts' changes summed in part order
    # (float addition is not associative: this order is what keeps replicas equal)
    rng = np.random.default_rng(3)
    start = rng.standard_normal((50, 6)).astype(np.float32)
    parts = [(np.sort(rng.choice(50, 30, replace=False)).astype(np.int32),
              rng.standard_normal((30, 6)).astype(np.float32)) for _ in range(3)]
    expect = start.copy()
    for row in range(50):
        held = [d[list(rows).index(row)] for rows, d in parts if row in rows]
        if held:
            total = held[0].copy()
            for d in held[1:]:
                total += d
            expect[row] += total
    base, replica = start.copy(), start.copy()
    _sync.apply_changes(base, replica, parts)
    np.testing.assert_array_equal(base, expect)
    np.testing.assert_array_equal(replica, expect)


@pytest.mark.parametrize("merge, k, hot, cold", [("bounded", 2, 1, 1), ("bounded", 4, 0.5, 1),
                                                 ("sum", 4, 1, 1), ("average", 4, 0.25, 0.25)])
def test_merge_rules(merge, k, hot, cold):
    # the factor each shard's change of a row gets when K shards' changes are applied
    from types import SimpleNamespace
    shard = SimpleNamespace(merge=merge, _row_scale={}, base={"syn0": np.zeros((6, 2), np.float32)},
                            tiers={"hot": {"syn0": np.array([0, 2], np.int32)}})
    row_scale = distributed._Shard._row_factors(shard, "syn0", k)
    factors = np.ones(6, np.float32) if row_scale is None else row_scale
    np.testing.assert_allclose(factors, [hot, cold, hot, cold, cold, cold])


def test_apply_changes_checks_its_parts():
    base = np.ones((4, 3), np.float32)
    replica = np.zeros((4, 3), np.float32)
    _sync.apply_changes(base, replica, [(np.array([0, 2], np.int32), np.full((2, 3), 4, np.float32))],
                        np.full(4, 0.5, np.float32))
    np.testing.assert_array_equal(base[:, 0], [3, 1, 3, 1])
    np.testing.assert_array_equal(replica[:, 0], [3, 0, 3, 0])
    before = base.copy()
    good = (np.array([1], np.int32), np.ones((1, 3), np.float32))
    for bad, message in [((np.array([1, 4], np.int32), np.ones((2, 3), np.float32)), "outside"),
                         ((np.array([2, 1], np.int32), np.ones((2, 3), np.float32)), "ascending"),
                         ((np.array([1, 1], np.int32), np.ones((2, 3), np.float32)), "ascending"),
                         ((np.array([1], np.int32), np.ones((2, 3), np.float32)), "differ in length"),
                         ((np.array([1], np.int32), np.ones((1, 3), np.uint16)), "wire type")]:
        with pytest.raises(ValueError, match=message):
            _sync.apply_changes(base, replica, [good, bad])
        np.testing.assert_array_equal(base, before)       # nothing applied


# ---------------------------------------------------------------- on a LocalCluster

@pytest.fixture(scope="module")
def client():
    import distributed as dd        # a test dependency (the test extra)
    cluster = dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=None, silence_logs=logging.ERROR)
    client = dd.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _planted_corpus(folder, seed=0, n_sentences=6000):
    """Planted groups (tests/helpers.py) as text: a plain file and a gzip copy of part."""
    ids, counts, group = planted_groups(n_sentences=n_sentences, stay=0.7, seed=seed)
    lines, sent = [], []
    for t in ids:
        if t < 0:
            lines.append(" ".join(sent))
            sent = []
        else:
            sent.append(f"w{t}")
    half = len(lines) * 3 // 4
    plain = os.path.join(folder, "planted.txt")
    with open(plain, "w") as f:
        f.write("\n".join(lines[:half]) + "\n")
    packed = os.path.join(folder, "planted2.txt.gz")
    with gzip.open(packed, "wt") as f:
        f.write("\n".join(lines[half:]) + "\n")
    return [plain, packed], group


def test_vocabulary_identical_to_one_machine(client, tmp_path, small_ranges):
    paths = _tricky_files(str(tmp_path))
    one = Word2Vec(min_count=2, max_sentence_length=50)
    one.build_vocab(corpus_file=paths)
    many = Word2Vec(min_count=2, max_sentence_length=50)
    many.build_vocab(corpus_file=paths, client=client)
    assert many.wv.index_to_key == one.wv.index_to_key
    np.testing.assert_array_equal(many.vocab.counts, one.vocab.counts)
    assert (many.corpus_count, many.corpus_total_words) == (one.corpus_count, one.corpus_total_words)
    assert many.vocab.raw_words == one.vocab.raw_words


def test_corpus_by_url_through_fsspec(client, tmp_path, small_ranges):
    # URLs (here file://, the same code path as s3:// or hdfs://) are opened by every
    # worker through fsspec: same ranges, vocabulary and training as local paths
    paths = _tricky_files(str(tmp_path))
    urls = ["file://" + p for p in paths]
    local = distributed.split_corpus(Corpus(paths, max_sentence_length=50), 16)
    remote = distributed.split_corpus(Corpus(urls, max_sentence_length=50), 16)
    assert [(r.start, r.end, r.compressed) for r in remote] == \
        [(r.start, r.end, r.compressed) for r in local]
    assert all(r.path.startswith("file://") for r in remote)
    one = Word2Vec(min_count=2, max_sentence_length=50)
    one.build_vocab(corpus_file=paths)
    many = Word2Vec(min_count=2, max_sentence_length=50, vector_size=16, epochs=1, workers=1)
    many.build_vocab(corpus_file=urls, client=client)
    assert many.wv.index_to_key == one.wv.index_to_key
    np.testing.assert_array_equal(many.vocab.counts, one.vocab.counts)
    many.train(corpus_file=urls, total_words=many.corpus_total_words, epochs=1, client=client)
    assert np.isfinite(many.wv.vectors).all() and many.words_done > 0
    folder = count_words(Corpus("file://" + str(tmp_path)), workers=2)    # a folder URL
    assert folder.words == count_words(Corpus(str(tmp_path)), workers=2).words
    with pytest.raises(FileNotFoundError, match="corpus file not found"):
        Corpus("file://" + str(tmp_path / "nope.txt"))


def _plan(model, epochs):
    return TrainingPlan.fresh(model.vocab, epochs=epochs, start_alpha=model.alpha,
                              end_alpha=model.min_alpha, total_words=model.corpus_total_words)


@pytest.mark.parametrize("wire", ["float32", "bfloat16"])
def test_replicas_identical_after_each_epoch(client, tmp_path, small_ranges, wire):
    paths, _ = _planted_corpus(str(tmp_path), n_sentences=2000)
    model = Word2Vec(vector_size=16, min_count=1, sg=1, hs=1, negative=3, workers=1)
    model.build_vocab(corpus_file=paths, client=client)
    corpus = Corpus(paths)
    options = distributed.DistributedOptions(round_words=2000, min_rounds=1, hot_rows=20,
                                             cold_every=3, wire=wire)
    cluster = distributed._Cluster(model, client, corpus, _plan(model, 1), options, False)
    try:
        cluster.start_shards()
        assert len(cluster.keys) == 2 and cluster.rounds >= 4
        start = model.wv.vectors.copy()
        raw, eff, _ = cluster.run_epoch(0, lambda done, loss: None)
        assert raw == model.vocab.retained_words and 0 < eff <= raw
        assert not np.array_equal(model.wv.vectors, start)
        replicas = cluster.replicas()
        assert len(replicas) == 2
        for replica in replicas:
            for name, driver in cluster.weights.items():
                np.testing.assert_array_equal(replica[name], driver, err_msg=name)
        assert cluster.bytes_sent > 0 and cluster.syncs == cluster.rounds
    finally:
        cluster.close()


def test_checkpoint_of_a_cluster_run_resumes(client, tmp_path):
    # the driver saves the model at an epoch's end (the replicas equal it there);
    # resume=True continues at the next epoch, on the cluster or on one machine
    paths, _ = _planted_corpus(str(tmp_path), n_sentences=1500)
    ckpt = tmp_path / "ckpt"
    model = Word2Vec(vector_size=16, min_count=1, sg=1, negative=3, workers=1, epochs=3)
    model.build_vocab(corpus_file=paths, client=client)
    epochs_seen = []

    class Stop(Exception):
        pass

    class StopAfterTwo:
        def on_epoch_end(self, m):
            epochs_seen.append(len(m.epoch_losses))
            if len(epochs_seen) == 2:
                raise Stop        # the driver dies after epoch 2's checkpoint was due

    with pytest.raises(Stop):
        model.train(corpus_file=paths, total_words=model.corpus_total_words, epochs=3,
                    client=client, checkpoint=str(ckpt), callbacks=[StopAfterTwo()])
    saved = Word2Vec.load(str(ckpt))
    assert saved.training_state.epoch == 1           # written after epoch 1, not yet after 2
    assert saved.training_state.words_done == model.corpus_total_words
    for resume_on in (client, None):
        again = Word2Vec.load(str(ckpt))
        again.train(corpus_file=paths, resume=True, client=resume_on)
        assert again.training_state is None
        assert again.words_done == 3 * model.corpus_total_words
        assert np.isfinite(again.wv.vectors).all()
        assert not np.array_equal(again.wv.vectors, saved.wv.vectors)


def test_quality_and_progress_close_to_one_process(client, tmp_path):
    paths, group = _planted_corpus(str(tmp_path), n_sentences=4000)
    params = dict(vector_size=24, window=4, min_count=1, sg=1, negative=5, sample=0, epochs=3)
    keys = [f"w{i}" for i in range(len(group))]

    def precision(model):
        return group_precision(np.stack([model.wv.get_vector(k) for k in keys]), group)

    single = precision(Word2Vec(corpus_file=paths, workers=2, seed=3, **params))
    model = Word2Vec(workers=1, seed=3, **params)
    model.build_vocab(corpus_file=paths, client=client)
    seen = []
    model.train(corpus_file=paths, total_words=model.corpus_total_words, epochs=3,
                compute_loss=True, progress=seen.append, client=client)
    many = precision(model)
    assert single > 0.8, f"one process: group precision {single:.3f}"
    assert many >= single - 0.05, f"cluster: group precision {many:.3f} vs one process {single:.3f}"
    # progress as on one machine: the cluster's words, rising to the whole schedule, with a loss
    done = [p.words_done for p in seen]
    assert len(seen) >= 3 * 16 and done == sorted(done) and seen[-1].fraction == 1.0
    assert [p.epoch for p in seen][::16] == [1, 2, 3] and all(p.loss > 0 for p in seen)
    assert model.words_done == 3 * model.vocab.retained_words
    stats = model.last_sync_stats
    assert stats["processes"] == 2 and stats["syncs"] == 3 * stats["rounds"]
    assert stats["bytes_sent"] > 0 and stats["worker_peak_rss"] > 10 << 20
    assert len(model.epoch_losses) == 3 and model.get_latest_training_loss() == pytest.approx(
        sum(model.epoch_losses))


def test_killed_worker_is_survived(client, tmp_path, caplog, small_ranges):
    paths, group = _planted_corpus(str(tmp_path), n_sentences=3000)
    model = Word2Vec(vector_size=16, window=4, min_count=1, sg=1, negative=5, sample=0,
                     workers=1, epochs=2)
    model.build_vocab(corpus_file=paths, client=client)
    pids = sorted(client.run(os.getpid).values())
    killed = []

    def progress(p):
        if not killed and p.epoch == 2 and p.fraction > 0.6:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(p.words_done)

    options = distributed.DistributedOptions(round_words=1000, min_rounds=1)
    with caplog.at_level(logging.WARNING, logger="w2v.distributed"):
        distributed.train(model, client, _plan(model, 2), Corpus(paths), compute_loss=False,
                          callbacks=(), on_progress=progress, options=options)
    assert killed, "the worker was never killed: too few rounds"
    assert any("lost a worker" in r.getMessage() for r in caplog.records)
    assert model.words_done == 2 * model.vocab.retained_words, "an epoch lost or counted twice"
    vectors = np.stack([model.wv.get_vector(f"w{i}") for i in range(len(group))])
    assert np.isfinite(vectors).all()
    precision = group_precision(vectors, group)
    assert precision > 0.7, f"group precision after a restart {precision:.3f}"
    client.wait_for_workers(2, timeout=60)      # the nanny replaces it for the next tests


def test_sync_options_need_a_cluster(tmp_path):
    paths, _ = _planted_corpus(str(tmp_path), n_sentences=50)
    model = Word2Vec(vector_size=8, min_count=1, workers=1)
    model.build_vocab(corpus_file=paths)
    with pytest.raises(ValueError, match="needs client="):
        model.train(corpus_file=paths, total_words=model.corpus_total_words, epochs=1,
                    sync=distributed.DistributedOptions(round_words=1000))
    with pytest.raises(ValueError, match="merge must be"):
        distributed.DistributedOptions(merge="median")
    with pytest.raises(ValueError, match="wire must be"):
        distributed.DistributedOptions(wire="float16")


def test_unreadable_file_on_a_worker(client, tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("a b c\n" * 10)
    ranges = distributed.split_corpus(Corpus(str(path)), 2)
    os.unlink(path)         # gone after the driver planned the ranges
    future = client.submit(distributed._count_range_task, ranges[0], 100, 1 << 10, 0)
    with pytest.raises(FileNotFoundError, match="worker .* cannot read the corpus file") as info:
        future.result()
    assert info.value.filename == str(path)


def test_workers_that_cannot_import_w2v_fail_the_call(tmp_path, monkeypatch):
    """Workers copy the driver's sys.path; one that finds a broken w2v first leaves
    the cluster when a task arrives, and the call must fail instead of waiting."""
    import distributed as dd
    fake = tmp_path / "elsewhere" / "w2v"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('not the w2v of the driver')\n")
    paths = _tricky_files(str(tmp_path))
    monkeypatch.setattr(distributed, "_NO_WORKERS_PATIENCE_S", 1.0)
    monkeypatch.syspath_prepend(str(fake.parent))
    with dd.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            dd.Client(cluster) as client:
        with pytest.raises(RuntimeError, match="no worker for 1 s"):
            distributed.count_ranges(client, Corpus(paths))


def test_command_line_trains_on_a_local_cluster(tmp_path):
    from helpers import one_line_error, w2v
    paths, group = _planted_corpus(str(tmp_path), n_sentences=1000)
    res = w2v("train", *paths, "-o", "vectors.txt", "--format", "text", "--sg", "--size", "16",
              "--min-count", "1", "--epochs", "1", "--threads", "1", "--dask", "local:2",
              "--sync-words", "500", cwd=tmp_path)
    assert res.rc == 0, res.err
    with open(tmp_path / "vectors.txt") as f:
        assert f.readline().split() == [str(len(group)), "16"]
    bad = w2v("train", *paths, "-o", "v.txt", "--dask", "local:0", cwd=tmp_path)
    assert "local:N needs a number of processes" in one_line_error(bad)
    bad = w2v("train", *paths, "-o", "v.txt", "--sync-words", "500", cwd=tmp_path)
    assert bad.rc == 2 and "error: --sync-words needs --dask" in bad.err     # usage errors
    bad = w2v("train", "--dask", "local:2", cwd=tmp_path)       # the demo has no CORPUS
    assert bad.rc == 2 and "error: --dask needs a CORPUS" in bad.err
