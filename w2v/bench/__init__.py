"""The benchmark suite behind ``w2v bench``: w2v against gensim, fastText, word2vec.c
and pWord2Vec with identical hyperparameters, each tool a separate measured process,
every tool's vectors scored by one evaluator.

Modules: :mod:`~w2v.bench.corpora` (benchmark corpora), :mod:`~w2v.bench.measure`
(wall time, peak RSS, machine facts), :mod:`~w2v.bench.peers` (one interface over
the tools), :mod:`~w2v.bench.run_w2v` (w2v's child process),
:mod:`~w2v.bench.evaluate` (analogies and WordSim-353), :mod:`~w2v.bench.suite`
(repeated runs, Markdown tables, plots; ``main(argv)``).
Nothing here is imported by ``import w2v``.
"""
