"""Re-judge a received verdict: run the gate again on the loso files it pins (SPEC §6, §11).

A verdict file is a claim. The stages after the gate (``trainer export`` and
the bot) never act on it as written: they re-read the loso files the verdict
pins (present beside it, regular files, same sha256), run the gate's own
checks, rules and flip policy on them (``gate.verdict.judge_run``, never a
copy) under the verdict's thresholds (re-validated: a loosened one only with
``thresholds_overridden``), and refuse unless every judged field of the file
equals what the gate gives: decision, refusal and its reason, rule values,
seed outcomes, flip list, ensemble flip, per-source numbers, sources,
recipe, the corpus pin and the file name (``PROMOTE.json``/``HOLD.json``).

Floats are compared to 1e-9 relative: the same numbers recomputed with
another numpy build differ by a few ulps (1e-16), an edit by far more.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import asdict
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes
from flipbot.verdict_file import Verdict, check_file_name
from gate.loso_set import LOSO_NAME, load_loso_set
from gate.rules import MEAN_PLCC, PER_SEED_MIN, PLCC_SPREAD, resolve_thresholds
from gate.verdict import judge_run

REL_TOLERANCE = 1e-9
# Judged fields, in the order a reader checks them; pins.git_commit and versions are provenance.
_JUDGED = (
    "decision",
    "refused",
    "flip",
    "ensemble_flip",
    "rules",
    "seeds",
    "refusal_reason",
    "diagnosis",
    "thresholds_overridden",
    "sources",
    "per_source",
    "recipe",
    "warnings",
)


def read_regular(path: Path, what: str) -> bytes:
    """The bytes of ``path`` if it is a regular file, never through a symlink."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise InputError(
            f"{path}: {what} is missing; restore it or rerun the stage that made it"
        ) from None
    except OSError:
        raise InputError(
            f"{path}: {what} is a symlink or unreadable; pass the real file, not a link"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # before fdopen, which refuses a folder itself
        os.close(fd)
        raise InputError(f"{path}: {what} is not a regular file; pass the real file")
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def pinned_seeds(verdict: Verdict, verdict_path: Path) -> tuple[int, ...]:
    """The seeds of the loso files the verdict pins, each present with the pinned sha256."""
    folder = verdict_path.parent
    pins = verdict.pins.loso_files
    if not isinstance(pins, dict) or not pins:
        raise InputError(f"{verdict_path}: field 'pins.loso_files' is empty; rerun the gate")
    seeds = []
    for name, pinned in sorted(pins.items()):
        match = LOSO_NAME.fullmatch(name) if isinstance(name, str) else None
        if match is None or f"loso_seed{int(match.group(1))}.json" != name:
            raise InputError(
                f"{verdict_path}: field 'pins.loso_files' names {name!r}, not a loso_seed<N>.json "
                "file name; rerun the gate"
            )
        data = read_regular(folder / name, f"loso file pinned by {verdict_path.name}")
        if sha256_bytes(data) != pinned:
            raise InputError(
                f"{folder / name}: sha256 {sha256_bytes(data)[:12]} differs from "
                f"'pins.loso_files' of {verdict_path} ({str(pinned)[:12]}); the file changed after "
                "the gate ran: restore it or rerun the gate"
            )
        seeds.append(int(match.group(1)))
    return tuple(sorted(seeds))


def rejudge(verdict: Verdict, verdict_path: Path) -> Verdict:
    """The gate's verdict on the pinned loso files; InputError unless ``verdict`` says the same."""
    where = str(verdict_path)
    check_file_name(verdict, verdict_path)  # first: the precise message for a renamed verdict
    seeds = pinned_seeds(verdict, verdict_path)
    run = load_loso_set(verdict_path.parent, seeds)
    th = verdict.thresholds
    if not isinstance(th, dict) or set(th) != {MEAN_PLCC, PLCC_SPREAD, PER_SEED_MIN}:
        raise InputError(
            f"{where}: field 'thresholds' must hold exactly {MEAN_PLCC}, {PLCC_SPREAD} and "
            f"{PER_SEED_MIN}; rerun the gate"
        )
    for key, value in th.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where}: field 'thresholds.{key}' must be a number; rerun the gate")
    try:
        chosen, loosened = resolve_thresholds(
            mean_plcc=float(th[MEAN_PLCC]),
            plcc_spread=float(th[PLCC_SPREAD]),
            per_seed_min=float(th[PER_SEED_MIN]),
            allow_override=verdict.thresholds_overridden is True,
        )
    except InputError as exc:
        raise InputError(
            f"{where}: field 'thresholds' loosens the gate without 'thresholds_overridden' ({exc})"
        ) from None
    judged = judge_run(run, chosen, thresholds_overridden=loosened)
    mine, theirs = asdict(verdict), asdict(judged)
    for name in _JUDGED:
        found = first_difference(mine[name], theirs[name], name)
        if found is not None:
            field, got, want = found
            raise InputError(
                f"{where}: field '{field}' is {_short(got)} but the gate gives "
                f"{_short(want)} on the loso files it pins; rerun the gate on that folder"
            )
    for name in ("loso_files", "corpus", "corpus_sha256"):
        if not same(mine["pins"][name], theirs["pins"][name]):
            raise InputError(
                f"{where}: field 'pins.{name}' differs from the loso files it pins; rerun the gate"
            )
    return verdict


def same(a: Any, b: Any) -> bool:
    """Equal, types included (a seed "0" is not 0, True is not 1), floats to REL_TOLERANCE."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        if not all(isinstance(v, (int, float)) for v in (a, b)):
            return False
        return math.isfinite(a) and math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def first_difference(a: Any, b: Any, path: str) -> tuple[str, Any, Any] | None:
    """The innermost field where ``a`` and ``b`` differ (``rules[1].value``), or None."""
    if same(a, b):
        return None
    both_lists = isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))
    if both_lists and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if (found := first_difference(x, y, f"{path}[{i}]")) is not None:
                # A whole seed list reads better than one element of it.
                return found if isinstance(x, (dict, list, tuple)) else (path, a, b)
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for key in a:
            if (found := first_difference(a[key], b[key], f"{path}.{key}")) is not None:
                return found
    return path, a, b


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
