"""Progress of a training run for a person watching it: a tqdm bar on a terminal, log
lines otherwise (``ProgressReporter``, the ``progress=`` hook of ``Word2Vec.train``; the
``w2v train`` command uses it), and the number formats they share."""
import io
import math
import os
import sys
import time

__all__ = ["ProgressReporter", "hms", "si"]


def si(n):
    """1234567 -> '1.23M' (words, words/s)."""
    n = float(n)
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{n:.0f}"


def hms(seconds):
    seconds = int(round(max(0.0, seconds)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _terminal_columns(stream):
    # a pseudo-terminal may report 0 columns (some CI runners): tqdm would draw nothing
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 0


class ProgressReporter:
    """The ``progress=`` hook of ``Word2Vec.train``: a tqdm bar on a terminal, otherwise a
    log line every `every_seconds` or every `every_fraction` of the run, whichever comes
    first. Shows percent done, words/s, learning rate, loss (when computed: the mean
    per word since training began) and ETA.

    `info` (what train passes) has words_done, total_words, fraction, alpha, loss (float
    or None, summed since train() began), words_per_sec, epoch, epochs, seconds.
    """

    def __init__(self, stream=None, tty=None, every_seconds=5.0, every_fraction=0.1,
                 label="w2v train", clock=time.monotonic):
        self.stream = sys.stderr if stream is None else stream
        if tty is None:
            isatty = getattr(self.stream, "isatty", None)
            tty = bool(isatty and isatty()) and _terminal_columns(self.stream) > 0
        self.tty = tty
        self.every_seconds = float(every_seconds)
        self.every_fraction = float(every_fraction)
        self.label = label
        self.clock = clock
        self.bar = None
        self.lines = 0
        self._next_fraction = self.every_fraction
        self._last_time = clock()     # training starts when the reporter is made

    @staticmethod
    def _mean_loss(info):
        # Mean loss per word since train() began. Not the loss of the last interval: the
        # trainer adds a worker's loss when it finishes a piece of work (up to ~1M words on
        # the file path) while words_done moves every ~10k words, so short intervals alias.
        if info.loss is None or info.loss <= 0 or info.words_done <= 0:
            return None
        return info.loss / info.words_done

    def __call__(self, info):
        if self.tty:
            self._update_bar(info)
        else:
            self._maybe_log(info)

    def _update_bar(self, info):
        from tqdm import tqdm

        total = max(1, int(info.total_words))
        if self.bar is None:
            self.bar = tqdm(total=total, unit="word", unit_scale=True, file=self.stream,
                            dynamic_ncols=True, leave=True, smoothing=0.1)
        done = min(int(info.words_done), total)
        self.bar.set_description(f"epoch {info.epoch}/{info.epochs}", refresh=False)
        postfix = f"alpha={info.alpha:.5f}"
        loss = self._mean_loss(info)
        if loss is not None:
            postfix += f", loss={loss:.4g}"
        self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.update(done - self.bar.n)

    def _maybe_log(self, info):
        now = self.clock()
        fraction = info.fraction
        due_fraction = fraction >= self._next_fraction - 1e-9
        if not due_fraction and now - self._last_time < self.every_seconds:
            return
        self._last_time = now
        while self._next_fraction <= fraction + 1e-9:
            self._next_fraction += self.every_fraction
        rate = info.words_per_sec
        eta = (info.total_words - info.words_done) / rate if rate > 0 else float("nan")
        parts = [f"{self.label}: {100.0 * fraction:5.1f}%",
                 f"{si(info.words_done)}/{si(info.total_words)} words",
                 f"epoch {info.epoch}/{info.epochs}",
                 f"{si(rate)} words/s",
                 f"alpha {info.alpha:.5f}"]
        loss = self._mean_loss(info)
        if loss is not None:
            parts.append(f"loss {loss:.4g}")
        parts.append("ETA " + (hms(eta) if math.isfinite(eta) else "?"))
        print(", ".join(parts), file=self.stream, flush=True)
        self.lines += 1

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
