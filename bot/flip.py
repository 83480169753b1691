"""What one bot run ships: the verdict, the flip plan and the exported files, cross-checked.

Nothing is written anywhere before these checks pass: the plan must have
been made from this verdict (same file sha256, same pins), every file it
lists must hash to what the plan says, and the rows must be the seeds the
verdict flips.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from bot.drift_report import DriftReport, load_drift
from bot.registry import RowChange
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes, sha256_file
from flipbot.plan_file import FILENAME as PLAN_FILENAME
from flipbot.plan_file import FlipPlan
from flipbot.verdict_file import Verdict, find_verdict
from gate.calibration_file import FILENAME as CALIBRATION_FILENAME
from gate.calibration_file import Calibration

# Destinations are plain model files: no spaces, quotes, backticks or pipes that
# could break a path in the PR body or a tree entry.
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")


@dataclass(frozen=True)
class ShippedFile:
    path: str  # repository-relative destination (posix)
    data: bytes
    sha256: str


@dataclass(frozen=True)
class Flip:
    verdict: Verdict
    verdict_path: Path
    verdict_sha256: str
    plan: FlipPlan | None  # None on a refusal: export does not run then
    files: tuple[ShippedFile, ...]
    # The gate's informational calibration.json, when it wrote one next to the verdict.
    calibration: Calibration | None = None
    # Export's informational drift.json (pinned by the plan), when it measured one.
    drift: DriftReport | None = None

    @property
    def changes(self) -> tuple[RowChange, ...]:
        if self.plan is None:
            return ()
        return tuple(RowChange(r.id, r.sha256, r.smoke) for r in self.plan.rows)

    @property
    def flipped_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.changes)


def check_repo_path(path: str, where: str) -> str:
    """A plan destination must stay inside the repository."""
    pure = PurePosixPath(path)
    unsafe = not _SAFE_PATH.match(path) or pure.is_absolute() or ".." in pure.parts
    if unsafe or str(pure) != path:
        raise InputError(
            f"{where}: destination '{path}' is not a clean repository-relative path; rerun export"
        )
    return path


def load_calibration(verdict_path: Path, verdict: Verdict) -> Calibration | None:
    """calibration.json beside the verdict, if any; it must pin the same loso files."""
    path = verdict_path.parent / CALIBRATION_FILENAME
    if not path.exists():
        return None
    calibration = Calibration.read(path)
    if calibration.loso_files != verdict.pins.loso_files:
        raise InputError(
            f"{path}: pins other loso files than {verdict_path}; rerun the gate on this folder"
        )
    return calibration


def load_flip(verdict_dir: str | Path, artifacts_dir: str | Path) -> Flip:
    verdict_path = find_verdict(verdict_dir)
    verdict = Verdict.read(verdict_path)
    verdict_sha = sha256_file(verdict_path)
    calibration = load_calibration(verdict_path, verdict)
    if verdict.refused or (not verdict.flip and not verdict.ensemble_flip):
        # Nothing flips: export has nothing to ship, so there may be no plan at all.
        return Flip(verdict, verdict_path, verdict_sha, None, (), calibration)
    plan_path = Path(artifacts_dir) / PLAN_FILENAME
    plan = FlipPlan.read(plan_path)
    where = str(plan_path)
    if plan.verdict_sha256 != verdict_sha or plan.verdict_file != verdict_path.name:
        raise InputError(
            f"{where}: made from verdict {plan.verdict_file} {plan.verdict_sha256[:12]}, but "
            f"{verdict_path} has sha256 {verdict_sha[:12]}; rerun `trainer export` on this verdict"
        )
    if plan.pins != asdict(verdict.pins):
        raise InputError(
            f"{where}: its pins differ from {verdict_path}'s pins; rerun `trainer export`"
        )
    plan_seeds = sorted(r.seed for r in plan.rows if r.seed is not None)
    if plan_seeds != sorted(verdict.flip):
        raise InputError(
            f"{where}: rows flip seeds {plan_seeds} but the verdict flips {sorted(verdict.flip)}; "
            "rerun `trainer export`"
        )
    if any(r.seed is None for r in plan.rows) and not verdict.ensemble_flip:
        raise InputError(
            f"{where}: flips the ensemble row but the verdict does not allow it; rerun export"
        )
    ids = [r.id for r in plan.rows]
    if len(set(ids)) != len(ids):
        raise InputError(f"{where}: a registry id appears twice in rows; rerun export")
    if any(r.smoke for r in plan.rows):
        raise InputError(
            f"{where}: a row keeps smoke: true; a flip sets smoke: false; rerun export"
        )
    files = []
    for entry in plan.files:
        check_repo_path(entry.path, where)
        source = Path(artifacts_dir) / entry.artifact
        if Path(entry.artifact).name != entry.artifact:
            raise InputError(
                f"{where}: artifact '{entry.artifact}' is not a plain file name; rerun export"
            )
        try:
            data = source.read_bytes()
        except OSError:
            raise InputError(
                f"{source}: listed in {where} but missing; rerun `trainer export`"
            ) from None
        digest = sha256_bytes(data)
        if digest != entry.sha256:
            raise InputError(
                f"{source}: sha256 {digest[:12]} differs from the plan's {entry.sha256[:12]}; "
                "the export folder changed after export, rerun `trainer export`"
            )
        files.append(ShippedFile(entry.path, data, digest))
    shipped = {f.sha256 for f in files}
    for row in plan.rows:
        if row.sha256 not in shipped:
            raise InputError(
                f"{where}: row '{row.id}' names sha256 {row.sha256[:12]} but no listed file has it"
            )
    if len({f.path for f in files}) != len(files):
        raise InputError(f"{where}: two files share one destination; rerun export")
    drift = load_drift(artifacts_dir, plan)
    return Flip(verdict, verdict_path, verdict_sha, plan, tuple(files), calibration, drift)
