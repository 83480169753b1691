"""GitHub Actions plumbing: step outputs, the job summary, annotations, secret masking, phases.

Every function is a no-op outside Actions (when the environment variable
it writes to is unset), so local runs print and write nothing extra.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO

from flipbot.untrusted_text import MAX_LINE, one_line

log = logging.getLogger("bot")

OUTPUT_NAMES = (
    "pull-request-number",
    "pull-request-url",
    "pull-request-operation",
    "pull-request-head-sha",
    "pull-request-branch",
    "flipped",
    "refusal-reason",
)


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts (escapeData)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _annotation(message: str) -> str:
    """An annotation's text (it may quote the training side): bounded, control characters
    escaped; its newlines stay as ``%0A`` (shown as line breaks, never a new log line)."""
    text = "".join(c if c.isprintable() or c in "\r\n" else one_line(c) for c in message)
    return _escape_data(text[:MAX_LINE])


def annotate_error(message: str, stream: TextIO | None = None) -> None:
    print(f"::error::{_annotation(message)}", file=stream or sys.stdout)


def annotate_warning(message: str, stream: TextIO | None = None) -> None:
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::warning::{_annotation(message)}", file=stream or sys.stdout)


def mask(secret: str, stream: TextIO | None = None) -> None:
    """Ask the runner to hide ``secret`` in every later log line (only under Actions)."""
    if secret and os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::add-mask::{_escape_data(secret)}", file=stream or sys.stdout)


def print_verbatim(text: str, stream: TextIO | None = None) -> None:
    """Print multi-line text (a body, a report, a diff) so that no line of it is read as a
    workflow command: under Actions, between ``::stop-commands::<token>`` and ``::<token>::``
    with a token nobody can guess (the runner ignores commands in between)."""
    out = stream or sys.stdout
    if os.environ.get("GITHUB_ACTIONS") != "true":
        print(text, file=out)
        return
    token = f"flipbot-{secrets.token_hex(16)}"
    print(f"::stop-commands::{token}", file=out)
    print(text, file=out)
    print(f"::{token}::", file=out, flush=True)


def write_outputs(values: Mapping[str, str], path: str | None = None) -> None:
    """Append ``name<<DELIM`` blocks to ``$GITHUB_OUTPUT`` (safe for multi-line values)."""
    target = path or os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    unknown = set(values) - set(OUTPUT_NAMES)
    if unknown:
        raise ValueError(f"unknown step outputs {sorted(unknown)}")
    with open(target, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def append_summary(markdown: str, path: str | None = None) -> None:
    target = path or os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(markdown.rstrip("\n") + "\n\n")


@contextmanager
def phase(
    name: str, *, command: str = "", timings: dict[str, float] | None = None
) -> Iterator[None]:
    """One phase of a run: a log group in a workflow (as create-pull-request opens one per
    phase), its start and its time in the log. Groups do not nest: phases follow each other."""
    grouped = os.environ.get("GITHUB_ACTIONS") == "true"
    label = command or "bot"
    if grouped:
        print(f"::group::flipbot{' ' + command if command else ''}: {name}", flush=True)
    log.info("%s: %s", label, name)
    start = time.perf_counter()
    try:
        yield
    finally:
        took = time.perf_counter() - start
        if timings is not None:
            timings[name] = took
        log.info("%s: %s done in %.1f s", label, name, took)
        sys.stdout.flush()
        if grouped:
            print("::endgroup::", flush=True)


@contextmanager
def no_phase(name: str) -> Iterator[None]:
    """A phase that leaves no trace: a local run prints its report and nothing else."""
    yield


# How a caller names its phases: ``phase`` with its command (and timings) bound, or ``no_phase``.
Phase = Callable[[str], AbstractContextManager[None]]
