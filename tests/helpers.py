"""What several test files share: kernel inputs and small corpora, a planted-structure
corpus with its score, and running the `w2v` command.  Test files import from here,
never from each other."""
import os
import subprocess
import sys
import threading
import time
from collections import namedtuple
from pathlib import Path

import numpy as np

import reference as ref

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "w2v" / "data" / "austen.txt.xz"


# ------------------------------------------------------------------ kernel inputs

def make_inputs(V, d, seed, sample=0.0):
    """Random weights and valid tables for a vocabulary with Zipf-like counts."""
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.zipf(1.3, V).astype(np.int64) + 1)[::-1].copy()
    codes, points, offsets = ref.build_huffman(counts)
    prob, alias = ref.build_alias(counts ** 0.75)
    return dict(
        syn0=((rng.random((V, d)) - 0.5) / d * 8).astype(np.float32),
        syn1neg=rng.normal(0, 0.3, (V, d)).astype(np.float32),
        syn1=rng.normal(0, 0.3, (max(V - 1, 1), d)).astype(np.float32),
        keep_thresholds=ref.keep_thresholds(counts, sample),
        alias_prob=prob, alias_index=alias,
        hs_codes=codes, hs_points=points, hs_offsets=offsets,
    ), counts


def make_corpus(counts, n_sentences, seed, max_len=30, trailing_eos=True):
    """Word ids drawn i.i.d. by ``counts``, sentences of 1..max_len ids ended by -1."""
    rng = np.random.default_rng(seed)
    p = counts / counts.sum()
    out = []
    for _ in range(n_sentences):
        out += list(rng.choice(len(counts), size=rng.integers(1, max_len + 1), p=p))
        out.append(-1)
    if not trailing_eos:
        out.pop()
    return np.array(out, dtype=np.int32)


def copies(arrays):
    return {k: v.copy() for k, v in arrays.items()}


def train_then_stop(train, progress, while_running=None):
    """Run train() on a thread; once it has counted words (which also shows it
    released the GIL), call while_running(), ask it to stop, and return what
    train() returned after the thread ended."""
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", train()))
    t.start()
    deadline = time.monotonic() + 60
    while progress.words_done == 0 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert progress.words_done > 0
    if while_running is not None:
        while_running()
    progress.request_stop()
    t.join(timeout=60)
    assert not t.is_alive()
    return result["r"]


# ------------------------------------------------------------------ planted structure

def planted_groups(n_groups=16, per_group=20, n_sentences=1500, length=12, stay=0.6, seed=0):
    """Word ids in groups with Zipf-like frequencies; each sentence walks within a
    group and jumps to a random group with probability 1 - stay per token (hard
    enough that no kernel is perfect, so a difference would show).
    Returns (ids with -1 ending each sentence, counts, group of each id)."""
    rng = np.random.default_rng(seed)
    V = n_groups * per_group
    group = np.repeat(np.arange(n_groups), per_group)
    weights = 1.0 / np.arange(1, per_group + 1) ** 0.8
    weights /= weights.sum()
    out = []
    for _ in range(n_sentences):
        g = rng.integers(n_groups)
        for _ in range(length):
            if rng.random() > stay:
                g = rng.integers(n_groups)
            out.append(g * per_group + rng.choice(per_group, p=weights))
        out.append(-1)
    ids = np.array(out, dtype=np.int32)
    counts = np.bincount(ids[ids >= 0], minlength=V)
    return ids, counts, group


def as_sentences(ids):
    """Ids with -1 ending each sentence -> lists of tokens 'w<id>' (for Word2Vec)."""
    sentences, sent = [], []
    for t in ids:
        if t < 0:
            sentences.append(sent)
            sent = []
        else:
            sent.append(f"w{t}")
    return sentences


def group_precision(vectors, group):
    """Mean over words of the fraction of its k nearest others (cosine) in its own
    group, k = group size - 1 (1.0: the groups are recovered exactly)."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    k = np.bincount(group).min() - 1
    nearest = np.argsort(-sims, axis=1)[:, :k]
    return float(np.mean(group[nearest] == group[:, None]))


# ------------------------------------------------------------------ the w2v command

def _env():
    """The environment for `python -m w2v`: this source tree first on PYTHONPATH when
    its extensions are built in place (else the installed w2v is used)."""
    env = dict(os.environ)
    built = [p for p in (REPO / "w2v").iterdir() if p.name.startswith("_train.")
             and p.suffix in (".so", ".pyd")]
    if built:
        env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("W2V_DEBUG", None)
    return env


ENV = _env()
Result = namedtuple("Result", "rc out err")


def w2v(*args, cwd, timeout=120, env=None):
    """Run `python -m w2v ARGS` in `cwd`; output decoded losslessly (surrogateescape)."""
    proc = subprocess.run([sys.executable, "-m", "w2v", *map(os.fsencode, args)], cwd=cwd,
                          env=env or ENV, capture_output=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout.decode("utf-8", "surrogateescape"),
                  proc.stderr.decode("utf-8", "surrogateescape"))


def one_line_error(res):
    """The one stderr line of a command that failed cleanly (exit status 1, no traceback)."""
    lines = res.err.strip().splitlines()
    assert res.rc == 1, res
    assert len(lines) == 1, f"expected one line on stderr, got:\n{res.err}"
    assert "Traceback" not in res.err
    return lines[0]
