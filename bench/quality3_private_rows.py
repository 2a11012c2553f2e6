"""3-epoch quality with and without the private output rows that multithreaded
skip-gram uses (csrc/train.h, "Private output rows"): the same training, seeds
and evaluation, only the rows each worker copies change (bench/RESULTS.md,
"Private output rows").

    python bench/quality3_private_rows.py {sg|cbow|sg-hs|sg-shared} ROWS NODES SEED...

ROWS syn1neg rows and NODES syn1 nodes per worker (0 0: every row written in
place, as before); 2 workers, the 10M-word slice, settings of the suite's
quality-3epochs section.  Prints one JSON line per seed.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's w2v
import w2v.word2vec  # noqa: E402
from w2v import Word2Vec  # noqa: E402
from w2v.bench import corpora  # noqa: E402

config, rows, nodes, seeds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
sg = config.startswith("sg")
hs = config == "sg-hs"
corpus = str(corpora.resolve_corpus("10M").path)
questions, wordsim = corpora.eval_files()
if questions is None or wordsim is None:
    raise SystemExit("evaluation files not found (set W2V_EVAL_DATA)")
# every worker gets this run's rows, whatever the architecture (Word2Vec itself
# gives CBOW none)
_worker = w2v.word2vec.Worker
w2v.word2vec.Worker = lambda *a, **kw: _worker(*a, **{**kw, "private_rows": rows,
                                                     "private_nodes": nodes})
for seed in seeds:
    t = time.perf_counter()
    m = Word2Vec(corpus_file=corpus, sg=int(sg), hs=int(hs), negative=0 if hs else 5,
                 shared_negatives=config == "sg-shared", workers=2, epochs=3, vector_size=100,
                 window=5, sample=1e-3, min_count=5, alpha=0.025 if sg else 0.05, seed=int(seed))
    wall = time.perf_counter() - t
    acc, _ = m.wv.evaluate_word_analogies(str(questions), restrict_vocab=30000)
    ws = m.wv.evaluate_word_pairs(str(wordsim))[1][0]
    print(json.dumps(dict(config=config, rows=rows, nodes=nodes, seed=int(seed), wall_s=round(wall, 1),
                          analogy=round(100 * acc, 2), ws353=round(float(ws), 4))), flush=True)
