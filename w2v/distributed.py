"""Training on a cluster with Dask (``pip install "w2v[dask]"``).

``Word2Vec(corpus_file=PATHS, workers=THREADS, client=client)`` counts and trains
on the worker processes of a ``dask.distributed`` cluster; the driver (the process
that holds ``client``) only merges, reports progress and ends up with an ordinary
:class:`~w2v.word2vec.Word2Vec`.  Without a client nothing here runs.

**Corpus.**  Files that every worker can read at the same path (a shared
filesystem) are cut into byte ranges (:func:`split_corpus`): plain files at line
ends, so each range owns the lines that start in it; a compressed file is one
range.  Ranges are dealt to shards by size (:func:`assign_ranges`), one shard per
worker process, the same ranges every epoch.

**Vocabulary** (:func:`count_ranges`, :func:`vocab_from_corpus`): map-reduce; the C
scanner counts each range on a worker, the driver merges the tables in range
order, so without ``max_vocab_size`` words, counts, their order, the word and the
sentence totals are those of :func:`w2v.corpus.count_words`.

**Training** (:func:`train`), data-parallel with periodic sparse syncs.  Each
shard (:class:`_Shard`, one per worker process, reached by tasks pinned to that
process) encodes its ranges once into a local id cache and trains its own
replica of the weights with the single-machine OpenMP engine, in ``rounds`` per
epoch.  A round's task first applies the previous round's changes of every
shard, in shard order (``base += their sum; replica = base``: the engine's
private-row rule ``shared += mine - base``, across processes; with more than 2
processes the hot rows take 2/K of each change, see :class:`DistributedOptions`),
then trains, then returns its own changes: ``replica - base`` for the rows of the
tier due, rows whose change is zero left out (csrc/sync.c), in bfloat16.  Those
results go from worker to worker as the next round's inputs; the driver only
sees counts.  Rows are ranked
by frequency: the hot tier syncs every round, the rest every ``cold_every``
rounds, and every row at each epoch end, so there all replicas and the driver's
model are identical.  Each shard's learning rate follows the cluster's word
count (its own count scaled by its share of the corpus).

**Faults.**  The driver's weights change only at epoch ends: they are those of
the last full sync.  When a worker process dies mid-epoch the epoch restarts
from there on the workers that remain (or their replacements); a worker that cannot read a
file raises an OSError naming the file and the worker.
"""
import asyncio
import collections
import contextlib
import dataclasses
import logging
import os
import resource
import shutil
import tempfile
import time
import uuid
import weakref
from types import SimpleNamespace

import numpy as np

from w2v import _scan, _sync
from w2v.corpus import (_EOL_BYTE, _RangeEncoder, WordCounts, _blocks, _file_sentences,
                        _read_range, _split_points, corpus_name, detect_compression)
from w2v.remote import is_url, source_size

logger = logging.getLogger(__name__)

__all__ = ["ByteRange", "DistributedOptions", "assign_ranges", "count_ranges", "encode_ranges",
           "split_corpus", "train", "vocab_from_corpus"]

# Ranges per worker process: several, so that dealing them by size balances the
# shards even when the files differ in size.
_RANGES_PER_PROCESS = 4
# Rounds submitted beyond the one whose counts the driver waits for.
_ROUNDS_AHEAD = 2
# How many times an epoch is restarted after losing a worker before giving up.
_MAX_RESTARTS = 3
# A cluster with no worker for this long fails the call instead of waiting for one.
_NO_WORKERS_PATIENCE_S = 60.0


def _check_file_corpus(corpus):
    if corpus.paths is None:
        raise TypeError("training on a cluster needs a file corpus (corpus_file=...): "
                        "every worker reads its byte ranges from the files")
    if getattr(corpus, "phrases", None):
        raise NotImplementedError("phrases are not applied when training on a cluster yet")


def _require_dask():
    try:
        import distributed
    except ImportError as exc:      # the extra is optional
        raise ImportError('training on a cluster needs Dask: pip install "w2v[dask]"') from exc
    return distributed


@contextlib.contextmanager
def connect(address, threads=1):
    """A Dask client for ``address`` (a scheduler address), or for a new local
    cluster of N worker processes when ``address`` is "local:N"; closed on exit."""
    distributed = _require_dask()
    if address.startswith("local:"):
        try:
            n = int(address[len("local:"):])
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"--dask local:N needs a number of processes N >= 1, got {address!r}")
        # one Dask thread per process: the training threads are w2v's own (workers=)
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            yield client
    else:
        with distributed.Client(address) as client:
            yield client


# ---------------------------------------------------------------- corpus ranges

@dataclasses.dataclass(frozen=True, order=True)
class ByteRange:
    """Bytes [start, end) of ``path``; a compressed file is one range (0, file size)."""
    path: str
    start: int
    end: int
    compressed: bool = False

    @property
    def size(self):
        return self.end - self.start


def split_corpus(corpus, parts):
    """Cut a file corpus into about ``parts`` byte ranges, balanced by size.

    Plain files are cut at line ends (``\\n`` or ``\\r``) so that every line lies in
    the range where it starts, whole; compressed files are one range each.
    Ranges are listed in corpus order; they depend only on the files and
    ``parts``, so every epoch (and every restart) sees the same ones."""
    # workers may run elsewhere: absolute paths, or URLs (w2v.remote)
    paths = [p if is_url(p) else os.path.abspath(p) for p in corpus.paths]
    sizes = [source_size(p) for p in paths]
    target = max(1, sum(sizes) // max(1, int(parts)))
    ranges = []
    for path, size in zip(paths, sizes):
        if detect_compression(path) is not None:
            ranges.append(ByteRange(path, 0, size, compressed=True))
            continue
        bounds = _split_points(path, max(1, round(size / target)), _EOL_BYTE)
        ranges.extend(ByteRange(path, a, b) for a, b in zip(bounds, bounds[1:]))
    return ranges


def assign_ranges(ranges, shards):
    """Deal ranges to ``shards`` lists, largest first to the lightest shard; each
    shard's ranges stay in corpus order.  Deterministic."""
    loads = [0] * shards
    owned = [[] for _ in range(shards)]
    for i in sorted(range(len(ranges)), key=lambda i: (-ranges[i].size, i)):
        k = min(range(shards), key=lambda k: (loads[k], k))
        loads[k] += ranges[i].size
        owned[k].append(i)
    return [[ranges[i] for i in sorted(idx)] for idx in owned]


def _blocks_of(r, block_size):
    """(buffer, n) blocks of one range, decompressed when the file is."""
    if r.compressed:
        return ((b, len(b)) for b in _blocks(r.path, block_size, overlap=False))
    return _read_range(r.path, r.start, r.end, block_size)


def _worker_name():
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return f"process {os.getpid()}"


def _results(client, futures, lost=None):
    """The futures' results, except that a cluster left without any worker for
    _NO_WORKERS_PATIENCE_S raises (Dask itself would wait for one forever): the
    usual cause is worker processes that exit at once because they cannot import
    w2v, or import another w2v than the driver's.  ``lost``: a check, polled each
    second, that some worker the futures are pinned to has left (they could run
    nowhere else); then _LostWorker."""
    from distributed import wait
    poll = 1.0 if lost is not None else min(5.0, _NO_WORKERS_PATIENCE_S)
    since = None
    fetch = poll
    while True:
        try:
            wait(futures, timeout=poll)
        except (TimeoutError, asyncio.TimeoutError):
            pass
        else:
            # A result can be lost after wait(), with its worker: gather() would wait
            # for a recomputation that, pinned to that worker, never comes.  So the
            # fetch has a time limit, doubled each time (large results take long).
            try:
                return [f.result(timeout=fetch) for f in futures]
            except (TimeoutError, asyncio.TimeoutError):
                fetch *= 2
        if lost is not None and lost():
            client.cancel(futures)
            raise _LostWorker("a worker process that held a shard left the cluster")
        if client.scheduler_info()["workers"]:
            since = None
        elif since is None:
            since = time.monotonic()
        elif time.monotonic() - since >= _NO_WORKERS_PATIENCE_S:
            client.cancel(futures)
            raise RuntimeError(
                f"the Dask cluster has had no worker for {_NO_WORKERS_PATIENCE_S:.0f} s: its "
                "worker processes exited or never started. Check that every worker can "
                "import the same w2v as this process (the workers' logs say why they left)")


def _reading(r, action):
    """Run action(); an OSError names the file and the worker that could not read it."""
    try:
        return action()
    except OSError as exc:
        raise type(exc)(exc.errno, f"worker {_worker_name()} cannot read the corpus file: "
                        f"{exc.strerror or exc}", r.path) from exc


# ---------------------------------------------------------------- vocabulary

def _count_range_task(r, max_sentence_length, block_size, max_size):
    """On a worker: count one range.  Returns its words (bytes, in order of first
    occurrence, joined by newlines: a token holds none, and Dask moves one bytes
    object far faster than a list of a million), their counts, and the scanner's
    line facts for the sentence total."""
    def count():
        scanner = _scan.Scanner(max_sentence_length)
        table = _scan.VocabTable(max_size)
        for block, n in _blocks_of(r, block_size):
            scanner.count(table, block, n)
        scanner.count(table, b"", 0, True)
        return scanner, table
    scanner, table = _reading(r, count)
    facts = dict(seen_eol=scanner.seen_eol, head_tokens=scanner.head_tokens,
                 mid_sentences=scanner.mid_sentences, tail_tokens=scanner.tail_tokens,
                 raw_tokens=scanner.raw_tokens)
    return b"\n".join(table.word_bytes()), table.counts(), facts


def count_ranges(client, corpus, max_vocab_size=None, parts=None):
    """:func:`w2v.corpus.count_words` on the cluster: one task per byte range,
    tables merged on the driver in range order (a :class:`WordCounts`)."""
    _require_dask()
    _check_file_corpus(corpus)
    if parts is None:
        parts = _RANGES_PER_PROCESS * max(1, len(client.scheduler_info()["workers"]))
    ranges = split_corpus(corpus, parts)
    max_size = max(1, int(max_vocab_size) // len(ranges)) if max_vocab_size else 0
    futures = client.map(_count_range_task, ranges, max_sentence_length=corpus.max_sentence_length,
                         block_size=corpus.block_size, max_size=max_size, pure=False)
    table = _scan.VocabTable(int(max_vocab_size or 0))
    total = sentences = 0
    file_facts = []
    for i, (r, (words, counts, facts)) in enumerate(zip(ranges, _results(client, futures))):
        part = _scan.VocabTable()
        for word, count in zip(words.split(b"\n") if len(counts) else [], counts.tolist()):
            part.add(word, count)
        table.merge(part)
        total += facts["raw_tokens"]
        file_facts.append(SimpleNamespace(**facts))
        if i + 1 == len(ranges) or ranges[i + 1].path != r.path:
            sentences += _file_sentences(file_facts, corpus.max_sentence_length)
            file_facts = []
    return WordCounts(words=table.words(), counts=table.counts(), total_words=total,
                      n_sentences=sentences, pruned_words=table.pruned_words,
                      pruned_count=table.pruned_count, min_reduce=table.min_reduce,
                      peak_size=table.peak_size)


def vocab_from_corpus(client, corpus, *, max_vocab_size=None, **rules):
    """:meth:`w2v.vocab.Vocab.from_corpus` with the counting done by the cluster."""
    from w2v.vocab import Vocab
    counts = count_ranges(client, corpus, max_vocab_size=max_vocab_size)
    if counts.total_words == 0:
        raise ValueError(f"{corpus_name(corpus)}: the corpus is empty (no words)")
    try:
        return Vocab.from_counts(counts.words, counts.counts, total_words=counts.total_words,
                                 n_sentences=counts.n_sentences, pruned_words=counts.pruned_words,
                                 pruned_count=counts.pruned_count, distinct=True, **rules)
    except ValueError as exc:
        raise ValueError(f"{corpus_name(corpus)}: {exc}") from None


# ---------------------------------------------------------------- training

def encode_ranges(ranges, words, max_sentence_length, block_size, out_path):
    """Encode ``ranges`` one after the other into the id cache ``out_path`` (ARCHITECTURE.md,
    "Encoded corpus"; each range ends its last sentence); returns the ids written."""
    vocab = _scan.VocabTable.from_words(words)
    n_ids = 0
    with open(out_path, "wb", buffering=0) as out:
        for r in ranges:
            def encode(r=r):
                enc = _RangeEncoder(vocab, max_sentence_length, block_size, out)
                for block, n in _blocks_of(r, block_size):
                    enc.feed(block, n)
                return enc.finish()
            scanner = _reading(r, encode)
            n_ids += scanner.n_ids + scanner.n_sentences
    return n_ids



@dataclasses.dataclass(frozen=True)
class DistributedOptions:
    """How replicas are kept together (bench/RESULTS.md, "Training on a cluster").

    ``round_words``: words each process trains between two syncs, at most; an
    epoch has at least ``min_rounds`` rounds (small corpora sync often too).
    A sync costs about the rows that changed (up to the whole model), whatever
    the round's length, so longer rounds cost less time, and vectors: the
    replicas drift apart for longer (numbers below).
    ``hot_rows``: the most frequent rows (per weight matrix) synced every round;
    None: 1% of the vocabulary, at least 256.  ``cold_every``: the other rows sync
    every this many rounds (all rows sync at each epoch end either way).  The
    default 1 syncs every changed row every round: on the 10M-word benchmark
    (1 epoch) cold_every=8 scored 4.2% on analogies against 7.5% (one process:
    8.6%) for a fifth of the bytes (bench/RESULTS.md).
    ``merge``: "sum" applies the sum of the replicas' changes (what one shared
    model would have received), "average" their mean (Spark MLlib's choice),
    "bounded" (the default) the sum, except on the hot rows with more than 2
    processes: 2/K of their sum.  A hot row (a frequent word's) moves most of
    the way to where the round's data pull it in every replica, so the sum of K
    replicas' changes moves it about K times that far: past its target and back,
    further each round, once K > 2 (with 4 processes "sum" diverged to NaN on the
    10M-word benchmark); 2/K keeps the 2-process sum, whose vectors match one
    process, where the mean of the hot rows cost 2 analogy points.
    ``wire``: the type the changes travel in, "bfloat16" (the default: half the
    bytes, 8 significant bits; every process applies the same rounded values) or
    "float32".  On the 10M-word benchmark (3 epochs) bfloat16 scored 22.76% and
    0.544 against float32's 22.72% and 0.545, on the 109M-word corpus (rounds
    of 231,103 words) 44.85% and 0.643 against 44.98% and 0.645, in 7% less time.
    Rounds of 65,536 words on the 10M-word benchmark (56,949 words; skip-gram, 3
    epochs, 2 processes x 1 thread, 3 seeds) matched one process with 2 threads
    (analogy 22.6% vs 22.5%, WS353 0.549 vs 0.550), where rounds of 262,144 words
    fell 0.026 behind on WS353; on the 109M-word corpus (231,103 words, 1 epoch)
    the default scored 47.1% and 0.648 against one process's 47.0% and 0.644 in
    2.3x its time (2.1x since), rounds of 262,144 words 45.8% and 0.642 in 1.85x,
    rounds of 2Mi words 40.9% and 0.606 in 1.36x (bench/RESULTS.md)."""
    round_words: int = 1 << 16
    min_rounds: int = 16
    hot_rows: int = None
    cold_every: int = 1
    merge: str = "bounded"
    wire: str = "bfloat16"

    def __post_init__(self):
        if self.round_words < 1 or self.min_rounds < 1 or self.cold_every < 1:
            raise ValueError("round_words, min_rounds and cold_every must be >= 1")
        if self.hot_rows is not None and self.hot_rows < 0:
            raise ValueError("hot_rows must be >= 0 or None")
        if self.merge not in ("bounded", "sum", "average"):
            raise ValueError(f"merge must be 'bounded', 'sum' or 'average', got {self.merge!r}")
        if self.wire not in ("float32", "bfloat16"):
            raise ValueError(f"wire must be 'float32' or 'bfloat16', got {self.wire!r}")


def _row_order(counts, n_rows, node_rows):
    """Rows of one matrix, most often updated first: words by count, or Huffman
    inner nodes from the root (the highest index) down."""
    if node_rows:
        return np.arange(n_rows - 1, -1, -1, dtype=np.int64)
    return np.argsort(-np.asarray(counts), kind="stable").astype(np.int64)


class _Shard:
    """One worker process's replica, id cache and training threads.  It lives in
    that process's ``_SHARDS`` and is reached by tasks pinned to the process."""

    def __init__(self, ranges, words, weights, tables, params, threads, seeds, hot, options,
                 max_sentence_length, block_size):
        from w2v._train import Model, Worker
        self.cache_dir = tempfile.mkdtemp(prefix="w2v-shard-", dir=os.environ.get("W2V_CACHE_DIR"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.cache_dir, True)
        self.msl = max_sentence_length
        self.path = os.path.join(self.cache_dir, "ids.i32")
        n_ids = encode_ranges(ranges, words, max_sentence_length, block_size, self.path)
        self.ids = np.memmap(self.path, dtype=np.int32, mode="r") if n_ids else \
            np.empty(0, dtype=np.int32)
        # replica: what this process trains; base: the values of the last sync
        self.replica = {name: np.array(a) for name, a in weights.items()}
        self.base = {name: np.array(a) for name, a in weights.items()}
        self.tiers = {"hot": hot, "all": {name: None for name in weights}}
        # syn0 rows change only where their word is trained: the words of the
        # rounds since the last full sync (the full sync scans these, not all rows)
        self.inputs_touched = np.zeros(len(self.replica["syn0"]), dtype=bool)
        self.epoch_raw = 0
        self.merge, self.bfloat16 = options.merge, options.wire == "bfloat16"
        self._row_scale = {}
        self.model = Model(syn0=self.replica["syn0"], syn1neg=self.replica.get("syn1neg"),
                           syn1=self.replica.get("syn1"), **tables, **params)
        private = threads > 1 and params["sg"]
        dim = self.replica["syn0"].shape[1]
        self.workers = [Worker(self.model, seed=s, max_sentence_length=max_sentence_length,
                               private_rows=(2 << 20) // (4 * dim) if private else 0,
                               private_nodes=1024 if private else 0) for s in seeds]
        self.rounds = None

    def set_rounds(self, rounds):
        """Cut this shard's id cache into ``rounds`` parts ending at sentence ends."""
        from w2v.word2vec import _chunk_bounds
        n = len(self.ids)
        target = max(1, -(-n // rounds))
        cuts = list(_chunk_bounds(self.ids, target, self.msl)) if n else [0]
        cuts += [n] * (rounds + 1 - len(cuts))
        self.rounds = cuts[:rounds] + [n]

    def train_round(self, rnd, total_words, epoch_start, start_alpha, end_alpha):
        """Train round ``rnd`` with the learning rate at ``epoch_start`` plus the
        words this shard trained in the epoch so far, of ``total_words`` (both
        already scaled to this shard's share); returns (raw, effective, loss)."""
        from w2v._train import Progress, train_epoch_file
        from w2v.word2vec import _chunk_bounds
        a, b = self.rounds[rnd], self.rounds[rnd + 1]
        if rnd == 0:
            self.epoch_raw = 0
        raw = eff = 0
        loss0 = sum(w.loss for w in self.workers)
        if b > a:
            ids = np.asarray(self.ids[a:b])
            self.inputs_touched[ids[ids >= 0]] = True
            progress = Progress(max(1, int(total_words)), start_alpha, end_alpha,
                                words_done=int(epoch_start + self.epoch_raw))
            target = min(1 << 20, max(1 << 14, -(-(b - a) // (64 * len(self.workers)))))
            bounds = _chunk_bounds(self.ids[a:b], target, self.msl) + a
            with open(self.path, "rb", buffering=0) as f:
                raw, eff, _ = train_epoch_file(self.workers, progress, f.fileno(), bounds,
                                               path=self.path)
        self.epoch_raw += raw
        return raw, eff, sum(w.loss for w in self.workers) - loss0

    def changes(self, tier):
        """{name: (rows, replica[rows] - base[rows])}: the rows of ``tier`` ("hot"
        or "all") that changed since the last sync."""
        due = dict(self.tiers[tier])
        if tier == "all":
            due["syn0"] = np.flatnonzero(self.inputs_touched).astype(np.int32)
            self.inputs_touched[:] = False
        return {name: _sync.changed_rows(self.replica[name], self.base[name], rows,
                                         self.bfloat16)
                for name, rows in due.items()}

    def apply(self, parts):
        """Every shard's changes: ``base += their sum (in shard order); replica =
        base`` on their rows, the same additions in the same order in every
        process; the sum times 1 / K on every row with merge="average", times
        2 / K on the hot rows with "bounded" when K > 2."""
        if not parts:
            return
        for name in parts[0]:
            _sync.apply_changes(self.base[name], self.replica[name],
                                [part[name] for part in parts],
                                self._row_factors(name, len(parts)))

    def _row_factors(self, name, k):
        """The factor of each row's changes when K = ``k`` shards merge (apply_changes'
        row_scale); None: 1 on every row, the sum."""
        if self.merge == "sum" or k == 1 or (self.merge == "bounded" and k <= 2):
            return None
        if (name, k) not in self._row_scale:
            if self.merge == "average":
                f = np.full(len(self.base[name]), 1.0 / k, dtype=np.float32)
            else:
                f = np.ones(len(self.base[name]), dtype=np.float32)
                f[self.tiers["hot"][name]] = 2.0 / k
            self._row_scale[(name, k)] = f
        return self._row_scale[(name, k)]

    def close(self):
        self.ids = None
        self._cleanup()


# The shards of this worker process, by key (tasks below run here, pinned).
_SHARDS = {}


def _shard(key):
    try:
        return _SHARDS[key]
    except KeyError:
        raise _LostWorker(f"shard {key} is not on worker {_worker_name()} (a restarted worker?)") \
            from None


def _start_shard(key, *args):
    """Task: build shard ``key`` on this worker; returns its number of ids."""
    _SHARDS[key] = _Shard(*args)
    return len(_SHARDS[key].ids)


def _set_rounds(key, rounds):
    _shard(key).set_rounds(rounds)


def _round(key, rnd, schedule, tier, *previous):
    """Task: apply the previous round's changes of every shard (``previous``: their
    round results, in shard order; Dask brings the other shards' here), train round
    ``rnd``, and return (this round's changes of ``tier``, (raw, effective, loss, bytes of
    the changes, this process's peak resident memory in bytes))."""
    shard = _shard(key)
    shard.apply([p[0] for p in previous])
    stats = shard.train_round(rnd, *schedule)
    changes = shard.changes(tier)
    return changes, (*stats, sum(r.nbytes + d.nbytes for r, d in changes.values()),
                     resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def _round_stats(result):
    return result[1]


def _end_epoch(key, *previous):
    """Task: apply the last round's changes; every replica then equals the others."""
    _shard(key).apply([p[0] for p in previous])


def _replica(key):
    return _shard(key).replica


def _close_shard(key):
    shard = _SHARDS.pop(key, None)
    if shard is not None:
        shard.close()


class _LostWorker(RuntimeError):
    """A worker process that held a shard left the cluster."""


class _Cluster:
    """The driver's side of one distributed train() call: shards, rounds and syncs.
    The driver sends no weights during an epoch: each shard's changes go straight
    to the other shards (Dask moves a task's result to the tasks that take it)."""

    def __init__(self, model, client, corpus, plan, options, compute_loss):
        self.model, self.client, self.corpus = model, client, corpus
        self.plan, self.options = plan, options
        n_procs = max(1, len(client.scheduler_info()["workers"]))
        self.ranges = assign_ranges(split_corpus(corpus, _RANGES_PER_PROCESS * n_procs), n_procs)
        self.ranges = [r for r in self.ranges if r] or [[]]
        self.compute_loss = compute_loss
        self.weights = {"syn0": model.wv.vectors}
        if model.negative:
            self.weights["syn1neg"] = model.syn1neg
        if model.hs:
            self.weights["syn1"] = model.syn1
        counts = model.vocab.counts
        n_hot = options.hot_rows
        if n_hot is None:
            n_hot = max(256, len(counts) // 100)
        self.hot = {name: np.sort(_row_order(counts, len(a), name == "syn1")[:n_hot]).astype(np.int32)
                    for name, a in self.weights.items()}
        self.keys, self.addresses = [], []
        self.bytes_sent = 0
        self.worker_peak_rss = 0
        self.syncs = 0

    def _submit(self, k, fn, *args):
        return self.client.submit(fn, self.keys[k], *args, workers=[self.addresses[k]],
                                  allow_other_workers=False, pure=False)

    def _wait(self, futures):
        """The futures' results; _LostWorker when a shard's worker has left."""
        return _results(self.client, futures, self.lost_worker)

    def start_shards(self):
        """(Re)create one shard per worker process from the driver's weights."""
        self.close()
        m = self.model
        params = dict(sg=m.sg, hs=m.hs, negative=m.negative, window=m.window,
                      cbow_mean=m.cbow_mean, shrink_windows=m.shrink_windows,
                      compute_loss=self.compute_loss, sigmoid=m.sigmoid,
                      shared_negatives=m.shared_negatives)
        from w2v.training import thread_seed
        workers = sorted(self.client.scheduler_info()["workers"])
        if not workers:
            raise RuntimeError("the Dask cluster has no worker to train on")
        if len(workers) < len(self.ranges):
            # fewer processes than shards (after a loss): some hold two
            workers = [workers[k % len(workers)] for k in range(len(self.ranges))]
        run = uuid.uuid4().hex
        self.keys = [f"{run}-{k}" for k in range(len(self.ranges))]
        self.addresses = workers[:len(self.ranges)]
        weights = self.client.scatter(self.weights, broadcast=True, hash=False)
        tables = self.client.scatter(m._tables.model_arrays(), broadcast=True, hash=False)
        futures = []
        for k, ranges in enumerate(self.ranges):
            seeds = [thread_seed(m.seed, m.train_count, k * m.workers + t) for t in range(m.workers)]
            futures.append(self._submit(k, _start_shard, ranges, m.vocab.index_to_key, weights,
                                        tables, params, m.workers, seeds, self.hot,
                                        self.options,
                                        self.corpus.max_sentence_length, self.corpus.block_size))
        self.tokens = np.array(self._wait(futures), dtype=np.float64)
        del weights, tables
        n_total = self.tokens.sum()
        self.rounds = max(self.options.min_rounds,
                          int(np.ceil(n_total / len(self.keys) / self.options.round_words)))
        self._wait([self._submit(k, _set_rounds, self.rounds) for k in range(len(self.keys))])
        # each shard's counter, scaled by its share of the corpus, follows the cluster's
        self.share = np.where(self.tokens > 0, self.tokens / max(1.0, n_total), 1.0)
        logger.info("training on %d worker processes (%s), %d rounds per epoch",
                    len(set(self.addresses)), ", ".join(sorted(set(self.addresses))), self.rounds)

    def close(self):
        if self.keys:
            futures = [self._submit(k, _close_shard) for k in range(len(self.keys))]
            try:
                self._wait(futures)
            except Exception:       # a lost worker took its shard (and cache) with it
                pass
        self.keys, self.addresses = [], []

    def due(self, rnd):
        """The tier synced after round ``rnd``: every row ("all") every cold_every
        rounds (and at the epoch end: the last round's changes are applied then),
        else the hot rows."""
        return "all" if (rnd + 1) % self.options.cold_every == 0 else "hot"

    def run_epoch(self, words_done, report):
        """One epoch of rounds; returns (raw, effective, loss) and leaves the
        driver's weights equal to every replica's.  Rounds are submitted
        _ROUNDS_AHEAD ahead of the one whose counts the driver is waiting for, so
        that the shards never wait for the driver (a round's tasks start as soon
        as the previous round's changes are there)."""
        plan, total = self.plan, self.plan.schedule_words(self.model.vocab)
        previous, in_flight = [], collections.deque()
        raw = eff = 0
        loss = 0.0
        n = len(self.keys)

        def collect(stats_futures):
            nonlocal raw, eff, loss
            stats = self._wait(stats_futures)
            self.bytes_sent += sum(s[3] for s in stats) * (n - 1)
            self.worker_peak_rss = max(self.worker_peak_rss, *(s[4] for s in stats))
            self.syncs += 1
            raw += sum(s[0] for s in stats)
            eff += sum(s[1] for s in stats)
            loss += sum(s[2] for s in stats)
            report(words_done + raw, loss)

        try:
            for rnd in range(self.rounds):
                tier = "all" if rnd + 1 == self.rounds else self.due(rnd)
                previous = [self._submit(k, _round, rnd, (total * self.share[k],
                                                          words_done * self.share[k],
                                                          plan.start_alpha, plan.end_alpha),
                                         tier, *previous)
                            for k in range(n)]
                in_flight.append([self.client.submit(_round_stats, r, workers=[a], pure=False)
                                  for r, a in zip(previous, self.addresses)])
                if len(in_flight) > _ROUNDS_AHEAD:
                    collect(in_flight.popleft())
            while in_flight:
                collect(in_flight.popleft())
        except BaseException:
            self.client.cancel(previous + [f for fs in in_flight for f in fs])
            raise
        self._wait([self._submit(k, _end_epoch, *previous) for k in range(n)])
        for name, a in self._wait([self._submit(0, _replica)])[0].items():
            self.weights[name][...] = a
        return raw, eff, loss

    def replicas(self):
        """Every shard's weights (for tests)."""
        return self._wait([self._submit(k, _replica) for k in range(len(self.keys))])

    def lost_worker(self):
        """True when a worker that held a shard is gone."""
        alive = set(self.client.scheduler_info()["workers"])
        return any(a not in alive for a in self.addresses)


def train(model, client, plan, corpus, *, compute_loss, callbacks, on_progress, options=None,
          checkpoint=None, checkpoint_every=1):
    """Train ``model`` (vocabulary built) on the cluster behind ``client``; returns
    (effective words, raw words) as :meth:`Word2Vec.train`.  The weights end in
    the driver's ``model``, identical to every replica after the last sync;
    ``model.last_sync_stats`` says how many syncs there were, how many bytes
    of changes the shards sent each other, and the largest peak resident memory
    of a worker process.
    ``checkpoint``: the driver saves the model there after every
    ``checkpoint_every`` epochs (the replicas equal its weights at an epoch's end),
    for ``train(..., resume=True)`` on this cluster, another one or one machine."""
    distributed = _require_dask()
    from w2v.word2vec import TrainingProgress, _call
    _check_file_corpus(corpus)
    options = options or DistributedOptions()
    cluster = _Cluster(model, client, corpus, plan, options, compute_loss)
    t_start = time.perf_counter()
    words_done = plan.words_done
    total = plan.schedule_words(model.vocab)
    raw_all = eff_all = 0
    model.running_training_loss = 0.0
    model.epoch_losses = []

    def reporter(epoch, loss_before):
        def report(done, loss):
            if on_progress is not None:
                alpha = plan.start_alpha - (plan.start_alpha - plan.end_alpha) * min(1, done / total)
                on_progress(TrainingProgress(done, total, alpha, epoch + 1, plan.epochs,
                                             time.perf_counter() - t_start,
                                             loss_before + loss if compute_loss else None))
        return report

    checkpointed = 0
    for cb in callbacks:
        _call(cb, "on_train_begin", model)
    try:
        cluster.start_shards()
        for epoch in range(plan.epoch, plan.epochs):
            for cb in callbacks:
                _call(cb, "on_epoch_begin", model)
            t0 = time.perf_counter()
            for attempt in range(_MAX_RESTARTS + 1):
                try:
                    raw, eff, loss = cluster.run_epoch(
                        words_done, reporter(epoch, model.running_training_loss))
                    break
                except (_LostWorker, distributed.comm.CommClosedError,
                        distributed.KilledWorker) as exc:
                    if attempt == _MAX_RESTARTS:
                        raise RuntimeError(f"gave up on epoch {epoch + 1} after losing workers "
                                           f"{_MAX_RESTARTS + 1} times") from exc
                    # the driver's weights are still the epoch's start (they change only
                    # at its end)
                    logger.warning("lost a worker in epoch %d (%s): restarting the epoch from "
                                   "its start on the remaining workers", epoch + 1, exc)
                    client.wait_for_workers(1, timeout=60)
                    cluster.start_shards()
            secs = time.perf_counter() - t0
            words_done += raw
            raw_all += raw
            eff_all += eff
            model.epoch_losses.append(loss)
            model.running_training_loss += loss
            logger.info("EPOCH %d: %d raw words (%d effective) in %.2fs, %.0f effective words/s "
                        "on %d processes, %d syncs, %.1f MB exchanged%s", epoch + 1, raw, eff, secs,
                        eff / max(secs, 1e-9), len(cluster.keys), cluster.syncs,
                        cluster.bytes_sent / 1e6,
                        f", loss {loss:.6g}" if compute_loss else "")
            for cb in callbacks:
                _call(cb, "on_epoch_end", model)
            if checkpoint is not None and (epoch + 1) % int(checkpoint_every) == 0 \
                    and epoch + 1 < plan.epochs:
                state = plan.at_epoch(epoch + 1, words_done, [])
                if model._write_checkpoint(state, epoch + 1, checkpoint, checkpointed,
                                           plan.words_done):
                    checkpointed = epoch + 1
    finally:
        cluster.close()
        model.words_done += words_done - plan.words_done
        model.wv.fill_norms(force=True)
    model.training_state = None
    model.last_sync_stats = {"syncs": cluster.syncs, "bytes_sent": cluster.bytes_sent,
                             "worker_peak_rss": cluster.worker_peak_rss,
                             "rounds": cluster.rounds, "processes": len(cluster.ranges)}
    for cb in callbacks:
        _call(cb, "on_train_end", model)
    return eff_all, raw_all
