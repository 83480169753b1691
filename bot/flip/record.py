"""What one bot run ships: the verdict, the flip plan and the exported files.

A ``Flip`` is only ever built by ``bot.trust.verify`` (the one verifier of the
trusted side), after every check there passed; nothing here checks anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.flip.base import BaseView
from bot.flip.drift import DriftReport
from bot.registry import RowChange, Target
from flipbot.errors import InputError
from flipbot.plan_file import FlipPlan
from flipbot.verdict_file import Verdict
from gate.calibration_file import FILENAME as CALIBRATION_FILENAME
from gate.calibration_file import Calibration


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
    # The derived rows and files (bot.registry.destinations), in the order of the plan's rows.
    targets: tuple[Target, ...] = ()
    # Recipe fields the shipped models were fitted with that differ from the judged recipe,
    # allowed only by --allow-recipe-override (the PR then says so in bold).
    recipe_override: tuple[str, ...] = ()
    # Export's informational drift.json (pinned by the plan), when it measured one.
    drift: DriftReport | None = None
    # The flipped members run on the whole pinned corpus (bot.trust.models.in_sample): the
    # ensemble manifest's in-sample `eval`.
    in_sample: dict[str, Any] | None = None
    # The base the verifier checked (bot.flip.base): the flip commit is built on it. None on a
    # refusal (no plan, so no base was read).
    base: BaseView | None = None

    @property
    def changes(self) -> tuple[RowChange, ...]:
        if self.plan is None:
            return ()
        return tuple(RowChange(r.id, r.sha256, r.smoke) for r in self.plan.rows)

    def shipping_plan(self) -> FlipPlan:
        """The plan of a flip that ships; asking a refusal (no plan) for one is a bug (exit 3)."""
        if self.plan is None:
            raise ValueError("a refused flip has no plan: nothing ships")
        return self.plan

    @property
    def flipped_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.changes)


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
