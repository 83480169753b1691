"""Export acts only on the verdict's own inputs: check its pins (SPEC §6-§7).

The gate pinned the sha256 of the corpus and of every ``loso_seed{N}.json``
it judged. Export refuses (InputError, exit 2) unless the corpus it is given
and the loso files beside the verdict still have those digests, so a flip
can never ship a model fitted on data the gate did not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flipbot.errors import InputError
from flipbot.jsonfile import sha256_file
from flipbot.verdict_file import NO_SEED_CLEARED, Verdict, find_verdict
from gate.rejudge import rejudge


class NothingToExport(Exception):
    """A legitimate "no" (exit 1): the verdict refused, or no seed cleared the gate."""


@dataclass(frozen=True)
class PinnedVerdict:
    path: Path
    sha256: str  # of the verdict file's bytes, copied into the flip plan
    verdict: Verdict


def read_pinned_verdict(verdict_dir: str | Path, corpus: str | Path) -> PinnedVerdict:
    """The verdict in ``verdict_dir``, once the corpus and every pinned loso file match it."""
    folder = Path(verdict_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: --verdict-dir is not a folder; pass the gate's LOSO folder")
    path = find_verdict(folder)
    sha = sha256_file(path)
    verdict = Verdict.read(path)
    pins = verdict.pins

    corpus_path = Path(corpus)
    if not corpus_path.is_file():
        raise InputError(f"{corpus_path}: corpus file not found; check --corpus")
    corpus_sha = sha256_file(corpus_path)
    if corpus_sha != pins.corpus_sha256:
        raise InputError(
            f"{corpus_path}: sha256 {corpus_sha} differs from {pins.corpus_sha256} pinned by "
            f"{path}; pass the corpus the gate judged, or rerun loso and the gate on this corpus"
        )
    if not pins.loso_files:
        raise InputError(f"{path}: pins.loso_files is empty; rerun the gate")
    for name, pinned in sorted(pins.loso_files.items()):
        if Path(name).name != name or name in ("", ".", ".."):
            raise InputError(
                f"{path}: pinned loso file '{name}' is not a plain file name; rerun the gate"
            )
        loso = folder / name
        if not loso.is_file():
            raise InputError(
                f"{loso}: pinned by {path} but missing; restore it or rerun loso and the gate"
            )
        actual = sha256_file(loso)
        if actual != pinned:
            raise InputError(
                f"{loso}: sha256 {actual} differs from {pinned} pinned by {path}; the file changed "
                "after the gate ran: restore it or rerun the gate"
            )
    # The verdict is a claim: the gate re-judges the pinned loso files before anything is fitted
    # (a HOLD edited to PROMOTE, or a flip list naming a seed never judged, is refused here).
    rejudge(verdict, path)
    return PinnedVerdict(path=path, sha256=sha, verdict=verdict)


def seeds_to_export(verdict: Verdict, where: Path) -> tuple[int, ...]:
    """The flip set in ascending order; NothingToExport when the verdict ships nothing."""
    if verdict.refused:
        reason = verdict.refusal_reason or "the spread rule failed"
        raise NothingToExport(f"{where}: the gate refused the flip ({reason}); nothing to export")
    if not verdict.flip:
        raise NothingToExport(
            f"{where}: {verdict.decision} with an empty flip set; {NO_SEED_CLEARED}, nothing to export"
        )
    if len(set(verdict.flip)) != len(verdict.flip):
        raise InputError(f"{where}: flip set {list(verdict.flip)} repeats a seed; rerun the gate")
    return tuple(sorted(verdict.flip))
