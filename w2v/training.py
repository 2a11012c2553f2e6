"""The plan of one ``Word2Vec.train()`` call: the learning-rate schedule it follows and
the position reached in it.  Its JSON form is a checkpoint's ``training_state``
(model.json): :meth:`TrainingPlan.from_json` is the one place where that untrusted
input is checked.
"""
import dataclasses
import math
from dataclasses import dataclass

__all__ = ["TrainingPlan", "thread_seed"]

_INT32_MAX = 2**31 - 1     # as Word2Vec's epochs (PARAM_LIMITS)
_INT64_MAX = 2**63 - 1
_UINT64_LIMIT = 2**64


@dataclass(frozen=True)
class TrainingPlan:
    """A learning-rate schedule and where a run stands in it.

    The rate falls linearly from ``start_alpha`` to ``end_alpha`` over
    :meth:`schedule_words` in-vocabulary words: ``epochs`` times the in-vocabulary
    share of ``total_words``, the raw corpus words per epoch (ARCHITECTURE.md,
    "Learning rate").  ``epoch`` (0-based) is the first epoch to run, ``words_done``
    the schedule's word counter when it starts and ``rng_states`` the workers' RNG
    states there: 0, 0 and () for a fresh run; a checkpoint's position on resume.
    """
    epochs: int
    start_alpha: float
    end_alpha: float
    total_words: float
    epoch: int = 0
    words_done: int = 0
    rng_states: tuple = ()

    def __post_init__(self):
        _integer("epochs", self.epochs, low=1, high=_INT32_MAX)
        _integer("epoch", self.epoch, low=0)
        if self.epoch >= self.epochs:
            raise ValueError(f"epoch {self.epoch} is not within 0..{self.epochs - 1}")
        _integer("words_done", self.words_done, low=0, high=_INT64_MAX)
        start, end = _real("start_alpha", self.start_alpha), _real("end_alpha", self.end_alpha)
        if not start > 0:
            raise ValueError(f"start_alpha must be > 0, got {start}")
        if not 0 <= end <= start:
            raise ValueError(f"end_alpha must be in [0, start_alpha={start}], got {end}")
        total = _real("total_words", self.total_words)
        if not 0 <= total * self.epochs <= _INT64_MAX:
            raise ValueError(f"total_words must be >= 0 and total_words x epochs must fit in "
                             f"int64, got {total} x {self.epochs}")
        if not isinstance(self.rng_states, tuple):
            raise ValueError(f"rng_states must be a tuple, got {type(self.rng_states).__name__}")
        for i, state in enumerate(self.rng_states):
            _integer(f"rng_states[{i}]", state, low=0, high=_UINT64_LIMIT - 1)

    @classmethod
    def fresh(cls, vocab, *, epochs, start_alpha, end_alpha, total_examples=None, total_words=None):
        """The plan of a new run over a corpus of ``total_words`` raw words, or of
        ``total_examples`` sentences (scaled by the vocabulary's words per sentence)."""
        if total_words is None:
            if total_examples is None:
                raise ValueError("give the corpus size: total_examples (e.g. model.corpus_count) "
                                 "or total_words (e.g. model.corpus_total_words)")
            total_words = vocab.raw_words * total_examples / max(1, vocab.n_sentences)
        return cls(epochs=epochs, start_alpha=float(start_alpha), end_alpha=float(end_alpha),
                   total_words=total_words)

    def schedule_words(self, vocab):
        """In-vocabulary words over which the rate falls: the kernels' progress counter
        reaches it at the end of the last epoch."""
        per_epoch = self.total_words * vocab.retained_words / max(1, vocab.raw_words)
        return max(1, int(round(per_epoch * self.epochs)))

    def at_epoch(self, epoch, words_done, rng_states):
        """This plan resumed at the start of ``epoch`` (a checkpoint's position)."""
        return dataclasses.replace(self, epoch=epoch, words_done=words_done,
                                   rng_states=tuple(rng_states))

    def to_json(self):
        return {"epoch": self.epoch, "epochs": self.epochs, "words_done": self.words_done,
                "total_words": self.total_words, "start_alpha": self.start_alpha,
                "end_alpha": self.end_alpha, "rng_states": list(self.rng_states)}

    @classmethod
    def from_json(cls, data):
        """A checkpoint's ``training_state`` (parsed JSON, untrusted); ValueError naming the
        field for anything but a position strictly inside a valid schedule."""
        if not isinstance(data, dict):
            raise ValueError(f"training_state must be an object, got {type(data).__name__}")
        required = ("epoch", "epochs", "words_done", "total_words", "start_alpha", "end_alpha")
        missing = [key for key in required if key not in data]
        unknown = sorted(set(data) - set(required) - {"rng_states"})
        if missing or unknown:
            raise ValueError(f"training_state: missing {missing}, unknown {unknown}")
        rng_states = data.get("rng_states", [])
        if not isinstance(rng_states, list):
            raise ValueError(f"training_state: rng_states must be a list, got "
                             f"{type(rng_states).__name__}")
        try:
            plan = cls(**{key: data[key] for key in required}, rng_states=tuple(rng_states))
        except ValueError as e:
            raise ValueError(f"training_state: {e}") from None
        if plan.epoch == 0:
            raise ValueError("training_state: epoch 0 is no checkpoint (nothing trained yet)")
        return plan


def thread_seed(seed, call, thread):
    """A distinct, reproducible RNG seed per (model seed, train() call, thread)."""
    return (seed * 0x9E3779B1 + call * 0x85EBCA77 + thread * 0xC2B2AE3D + 1) & (_UINT64_LIMIT - 1)


def _integer(name, value, low, high=None):
    if (not isinstance(value, int) or isinstance(value, bool) or value < low
            or (high is not None and value > high)):
        bounds = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an integer {bounds}, got {value!r}")


def _real(name, value):
    try:
        finite = not isinstance(value, bool) and math.isfinite(value)
    except (TypeError, OverflowError):   # not a number, or an int beyond float
        finite = False
    if not finite:
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value
