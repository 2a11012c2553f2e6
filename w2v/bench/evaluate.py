"""One evaluator for every tool: load its word2vec-format vectors with w2v's reader,
then score word analogies and WordSim-353 the same way for all.

Scores follow gensim 4.4 (which w2v's :class:`~w2v.keyedvectors.KeyedVectors`
reproduces question by question): analogy accuracy is 3CosAdd over the
``restrict_vocab`` most frequent words, counting only questions whose four words
are all among them; WordSim-353 is the Spearman correlation of cosine similarity
with the human scores over the pairs whose two words are in the vocabulary.
Words are compared upper-cased (case-insensitive), as gensim does by default.
"""
from __future__ import annotations

import logging
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Dict, Optional

ANALOGY_RESTRICT_VOCAB = 30_000
PAIRS_RESTRICT_VOCAB = 300_000   # gensim's default for evaluate_word_pairs


@dataclass
class Scores:
    """Quality of one set of vectors; None where a score could not be computed (see ``note``).

    ``analogy``: fraction correct over ``analogy_answered`` questions (of
    ``analogy_total`` in the file); ``ws353_spearman`` / ``ws353_pearson`` over the
    pairs not out of vocabulary (``ws353_oov_pct`` percent were).
    """
    analogy: Optional[float] = None
    analogy_answered: Optional[int] = None
    analogy_total: Optional[int] = None
    ws353_spearman: Optional[float] = None
    ws353_pearson: Optional[float] = None
    ws353_oov_pct: Optional[float] = None
    load_s: Optional[float] = None
    eval_s: Optional[float] = None
    note: str = ""

    def to_dict(self) -> Dict[str, object]:
        return asdict(self)


def evaluate_vectors(path: str, binary: bool, questions: Optional[str], wordsim: Optional[str], *,
                     restrict_vocab: int = ANALOGY_RESTRICT_VOCAB) -> Scores:
    """Score the word2vec-format file ``path`` (``binary`` or text) on the given files.

    A missing evaluation file leaves its scores None with a note; a file the
    vectors cannot answer at all (no question or pair in vocabulary) too.
    """
    from w2v.evaluation import count_questions
    from w2v.keyedvectors import KeyedVectors

    scores = Scores()
    notes = []
    t = time.perf_counter()
    # surrogateescape: a C tool may cut a long word inside a UTF-8 sequence.
    kv = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")
    scores.load_s = time.perf_counter() - t
    t = time.perf_counter()
    quiet = logging.getLogger("w2v.evaluation")
    level = quiet.level
    quiet.setLevel(logging.WARNING)   # the per-section accuracy lines are not wanted here
    try:
        if questions:
            _, sections = kv.evaluate_word_analogies(questions, restrict_vocab=restrict_vocab)
            total = sections[-1]
            answered = len(total["correct"]) + len(total["incorrect"])
            scores.analogy_answered = answered
            scores.analogy_total = count_questions(questions)
            if answered:
                scores.analogy = len(total["correct"]) / answered
            else:
                notes.append("no analogy question in vocabulary")
        else:
            notes.append("questions-words.txt not found: no analogy score")
        if wordsim:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")   # scipy warns on constant input
                    pearson, spearman, oov = kv.evaluate_word_pairs(
                        wordsim, restrict_vocab=PAIRS_RESTRICT_VOCAB)
                scores.ws353_spearman = _finite(spearman[0])
                scores.ws353_pearson = _finite(pearson[0])
                scores.ws353_oov_pct = float(oov)
            except ValueError as exc:     # raised when no pair is in vocabulary
                notes.append(f"WordSim-353 not scored: {str(exc)[:100]}")
        else:
            notes.append("wordsim353.tsv not found: no WS353 score")
    finally:
        quiet.setLevel(level)
    scores.eval_s = time.perf_counter() - t
    scores.note = "; ".join(notes)
    return scores


def _finite(x) -> Optional[float]:
    x = float(x)
    return x if x == x and abs(x) != float("inf") else None
