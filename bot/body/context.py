"""What the PR body is made from: the flip, where it lands, and what the base held before."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.flip import Flip, ShippedFile
from bot.manifest import Removal
from bot.registry import Prior
from bot.signing import Signed


@dataclass(frozen=True)
class BodyContext:
    flip: Flip
    base_sha: str  # the base commit the flip was built on ("" in a local dry run)
    registry: str  # repository-relative registry path
    run_url: str | None  # link to the workflow run; left out of the hidden block's content hash
    # Link to the uploaded LOSO pictures (an Actions artifact); per run, so also left out.
    plots_url: str | None = None
    prior: Prior | None = None  # the registry rows (and paths) before the flip; None: unknown
    extra_files: tuple[ShippedFile, ...] = ()  # templated files the repository asked for
    # Files the bot derives itself: the verdict (audit trail) and the synced ensemble manifest.
    derived_files: tuple[ShippedFile, ...] = ()
    # What the flip changes in the ensemble manifest and which of its fields are now stale
    # (bot.manifest.sync.describe); empty when the repository has no manifest.
    manifest_notes: tuple[str, ...] = ()
    # Other fields of the flipped rows that the row-updates input changes: id -> field -> value.
    row_updates: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    branch: str = ""  # the flip branch, for the controls footer ("" in a local run)
    # The Sigstore bundles and the promotion record the commit adds, or why there are none.
    signing: Signed | None = None
    # Data files of replaced models that nothing uses after the flip: the commit deletes them.
    removed: tuple[Removal, ...] = ()

    @property
    def signed_files(self) -> tuple[ShippedFile, ...]:
        return self.signing.files if self.signing is not None else ()

    @property
    def ensemble_id(self) -> str:
        return self.flip.plan.ensemble_id if self.flip.plan else "ensemble"
