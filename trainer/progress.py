"""Epoch progress for long training runs.

On a terminal: one bar redrawn in place on stderr, with an ETA. Anywhere else
(CI logs): a quiet log line about every 10% of the run, never more often
than every ``min_interval`` seconds, plus the last epoch.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger("trainer")


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d}"


class EpochProgress:
    """Callable ``(epochs done, epochs in total)``; pass it to ``train_stacked``."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        tty: bool | None = None,
        min_interval: float = 5.0,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.min_interval = min_interval
        self.start = time.monotonic()
        self.last_logged = -1.0
        self.last_decile = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.start
        eta = elapsed / done * (total - done) if done else 0.0
        if self.tty:
            width = 30
            filled = int(width * done / total)
            bar = "#" * filled + "." * (width - filled)
            end = "\n" if done == total else ""
            self.stream.write(
                f"\r{self.label} [{bar}] epoch {done}/{total} {_clock(elapsed)} eta {_clock(eta)}{end}"
            )
            self.stream.flush()
            return
        decile = 10 * done // total
        due = decile > self.last_decile and elapsed - self.last_logged >= self.min_interval
        if due or done == total:
            self.last_decile, self.last_logged = decile, elapsed
            log.info(
                "%s: epoch %d/%d, %s elapsed, eta %s",
                self.label,
                done,
                total,
                _clock(elapsed),
                _clock(eta),
            )
