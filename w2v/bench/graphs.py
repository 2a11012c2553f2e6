"""Small vocabularies: DeepWalk-style random walks over a planted-partition graph.

word2vec is used on walks over graphs (DeepWalk, node2vec) and on item
sequences, where the "vocabulary" is a few hundred nodes.  This section trains
on uniform random walks over a planted-partition graph (``communities`` blocks
of ``size`` nodes; an edge with probability ``p_in`` inside a block, ``p_out``
between blocks) and scores the node vectors against the planted communities:

* **NMI**: normalised mutual information (arithmetic mean normalisation) of a
  k-means clustering (k = communities, best inertia of 10 k-means++ starts);
* **purity**: the share of each node's 10 nearest neighbours (cosine) that are
  in its community, averaged over the nodes.

Everything here is numpy (no networkx / scikit-learn), seeded, so the graph,
the walks and the scores depend only on the seed; the trainers' own thread
timing is the only source of noise.  ``w2v bench graphs`` runs w2v and gensim at
several worker counts and writes a section of bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import functools
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


def planted_partition(communities: int, size: int, p_in: float, p_out: float,
                      seed: int) -> List[np.ndarray]:
    """Adjacency lists of a random planted-partition graph (node n is in community n // size)."""
    rng = np.random.default_rng(seed)
    n = communities * size
    block = np.arange(n) // size
    p = np.where(block[:, None] == block[None, :], p_in, p_out)
    upper = np.triu(rng.random((n, n)) < p, k=1)
    adj = upper | upper.T
    return [np.flatnonzero(row) for row in adj]


def random_walks(adjacency: Sequence[np.ndarray], walks_per_node: int, length: int,
                 seed: int) -> List[List[str]]:
    """``walks_per_node`` uniform random walks of ``length`` nodes from every node
    (each round over the nodes in a new random order), as lists of str; a walk
    that reaches a node without neighbours ends there."""
    rng = np.random.default_rng(seed)
    n = len(adjacency)
    degree = np.array([len(nb) for nb in adjacency])
    offsets = np.concatenate([[0], np.cumsum(degree)])
    flat = np.concatenate([np.asarray(nb, dtype=np.int64) for nb in adjacency] + [np.zeros(1, np.int64)])
    walks = []
    for _ in range(walks_per_node):
        steps = np.empty((n, length), dtype=np.int64)
        steps[:, 0] = rng.permutation(n)
        for t in range(1, length):
            cur = steps[:, t - 1]
            pick = (rng.random(n) * np.maximum(degree[cur], 1)).astype(np.int64)
            # a node without neighbours (-1 from here on) ends its walk
            steps[:, t] = np.where((cur >= 0) & (degree[np.maximum(cur, 0)] > 0),
                                   flat[offsets[np.maximum(cur, 0)] + pick], -1)
        walks += [[str(x) for x in row if x >= 0] for row in steps.tolist()]
    return walks


def kmeans(x: np.ndarray, k: int, seed: int, starts: int = 10, iters: int = 100) -> np.ndarray:
    """Labels of the lowest-inertia Lloyd's k-means of ``starts`` k-means++ seedings."""
    rng = np.random.default_rng(seed)
    best, best_inertia = None, np.inf
    for _ in range(starts):
        centres = [x[rng.integers(len(x))]]
        for _ in range(1, k):
            d2 = np.min(((x[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
            centres.append(x[rng.choice(len(x), p=d2 / d2.sum())])
        centres = np.array(centres)
        labels = None
        for _ in range(iters):
            d2 = ((x[:, None, :] - centres[None]) ** 2).sum(-1)
            new = d2.argmin(1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            for c in range(k):
                if np.any(labels == c):
                    centres[c] = x[labels == c].mean(0)
        inertia = float(((x - centres[labels]) ** 2).sum())
        if inertia < best_inertia:
            best, best_inertia = labels, inertia
    return best


def nmi(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised mutual information of two labelings, 2 I / (H(a) + H(b))."""
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    joint = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(joint, (ia, ib), 1)
    joint /= joint.sum()
    pa, pb = joint.sum(1), joint.sum(0)
    nz = joint > 0
    mi = float((joint[nz] * np.log(joint[nz] / np.outer(pa, pb)[nz])).sum())
    h = -float((pa * np.log(pa)).sum()) - float((pb * np.log(pb)).sum())
    return 2 * mi / h if h > 0 else 1.0


def purity(x: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Mean share of each row's k nearest neighbours (cosine) with its label."""
    xn = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    sim = xn @ xn.T
    np.fill_diagonal(sim, -np.inf)
    nn = np.argsort(-sim, axis=1)[:, :k]
    return float(np.mean(labels[nn] == labels[:, None]))


# The setting (networkx.planted_partition_graph(4, 50, 0.15, 0.03), 10
# walks of 40 nodes per node, vector_size 64, window 5, 5 epochs).
GRAPH = {"communities": 4, "size": 50, "p_in": 0.15, "p_out": 0.03}
WALKS = {"walks_per_node": 10, "length": 40}
TRAIN = {"vector_size": 64, "window": 5, "min_count": 0, "epochs": 5}


@functools.lru_cache(maxsize=8)
def _graph_and_walks(seed: int, communities: int, size: int, p_in: float, p_out: float):
    adjacency = planted_partition(communities, size, p_in, p_out, seed)
    return adjacency, random_walks(adjacency, seed=seed, **WALKS)


def score(lib: str, workers: int, seed: int, sg: int = 1, hs: int = 0, negative: int = 5,
          batch_words: int = 10000, graph: Optional[Dict] = None) -> Tuple[float, float]:
    """(NMI, purity) of one training run of ``lib`` ("w2v" or "gensim") on the walks of seed ``seed``."""
    g = dict(GRAPH, **(graph or {}))
    adjacency, walks = _graph_and_walks(seed, **g)
    if lib == "w2v":
        from w2v import Word2Vec
    else:
        from gensim.models import Word2Vec
    model = Word2Vec(walks, sg=sg, hs=hs, negative=negative, workers=workers, seed=seed,
                     batch_words=batch_words, **TRAIN)
    keys = [str(n) for n in range(len(adjacency))]
    x = np.array([model.wv[k] for k in keys], dtype=np.float64)
    truth = np.arange(len(adjacency)) // g["size"]
    return nmi(truth, kmeans(x, g["communities"], seed=0)), purity(x, truth)


def mean_scores(lib: str, workers: int, seeds: int, **kw) -> Tuple[float, float, List[float]]:
    """Mean NMI, mean purity and the per-seed NMIs over seeds 0..seeds-1."""
    runs = [score(lib, workers, seed, **kw) for seed in range(seeds)]
    return (float(np.mean([r[0] for r in runs])), float(np.mean([r[1] for r in runs])),
            [r[0] for r in runs])


ARCHS = {"sg-ns": {"sg": 1, "hs": 0, "negative": 5}, "cbow-ns": {"sg": 0, "hs": 0, "negative": 5},
         "sg-hs": {"sg": 1, "hs": 1, "negative": 0}}


def run(libs: Sequence[str], workers: Sequence[int], archs: Sequence[str], seeds: int,
        batch_words: int, log=print) -> List[Dict[str, object]]:
    rows = []
    if "gensim" in libs:
        try:
            import gensim  # noqa: F401
        except ImportError:
            log("gensim is not installed: w2v alone")
            libs = [x for x in libs if x != "gensim"]
    for arch in archs:
        for n in workers:
            for lib in libs:
                t0 = time.perf_counter()
                nmi_mean, pur_mean, per_seed = mean_scores(lib, n, seeds, batch_words=batch_words,
                                                           **ARCHS[arch])
                row = {"arch": arch, "workers": n, "lib": lib, "nmi": nmi_mean, "purity": pur_mean,
                       "nmi_per_seed": per_seed, "seconds": time.perf_counter() - t0}
                log(f"{arch} workers={n} {lib}: NMI {nmi_mean:.3f} purity {pur_mean:.3f} "
                    f"(NMI per seed {', '.join(f'{v:.3f}' for v in per_seed)})")
                rows.append(row)
    return rows


def markdown(rows: List[Dict[str, object]], command: str, seeds: int, batch_words: int) -> str:
    g, w = GRAPH, WALKS
    lines = [f"Command: `{command}`", "",
             f"Planted-partition graph ({g['communities']} communities of {g['size']} nodes, "
             f"p_in {g['p_in']}, p_out {g['p_out']}; `w2v.bench.graphs`, numpy only), "
             f"{w['walks_per_node']} walks of {w['length']} nodes per node, "
             f"vector_size {TRAIN['vector_size']}, window {TRAIN['window']}, "
             f"{TRAIN['epochs']} epochs, batch_words {batch_words}; means of {seeds} seeds "
             f"(the seed picks the graph, the walks and the trainer's seed). NMI: k-means "
             f"(k = communities) against the communities; purity: share of the 10 nearest "
             f"neighbours in the node's community.", "",
             "| arch | workers | lib | NMI | purity | NMI per seed |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['arch']} | {r['workers']} | {r['lib']} | {r['nmi']:.3f} | "
                     f"{r['purity']:.3f} | {', '.join(f'{v:.3f}' for v in r['nmi_per_seed'])} |")
    return "\n".join(lines) + "\n"


def build_parser(prog: str = "w2v bench graphs") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("--libs", default="w2v,gensim", help="comma-separated: w2v, gensim")
    p.add_argument("--workers", default="1,2,4", help="comma-separated worker counts")
    p.add_argument("--archs", default="sg-ns,cbow-ns", help=f"comma-separated, of {', '.join(ARCHS)}")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--batch-words", type=int, default=10000)
    p.add_argument("--results", help="Markdown file whose section 'graphs' is (re)written")
    return p


def main(argv: Optional[Sequence[str]] = None, prog: str = "w2v bench graphs") -> int:
    import shlex
    import sys
    args = build_parser(prog).parse_args(argv)
    archs = [a for a in args.archs.split(",") if a]
    unknown = [a for a in archs if a not in ARCHS]
    if unknown:
        raise SystemExit(f"unknown arch {unknown[0]!r}: expected one of {', '.join(ARCHS)}")
    rows = run([x for x in args.libs.split(",") if x], [int(x) for x in args.workers.split(",")],
               archs, args.seeds, args.batch_words)
    command = " ".join([prog] + [shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)])
    body = markdown(rows, command, args.seeds, args.batch_words)
    if args.results:
        from w2v.bench.suite import update_results
        update_results(args.results, "graphs",
                       "## Small vocabularies: graph walks (issue 13)\n\n" + body)
    else:
        print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
