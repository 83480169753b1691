"""The files a flip adds for the ensemble: the synced manifest and the committed verdict.

Both the local run (``--apply-local``) and the PR commit call
:func:`ensemble_files` with a reader for the base (the working tree, or the
base branch through the API) and add what it returns to the files they
write. The manifest is synced only when it exists; the verdict is always
committed (default ``<registry folder>/<ensemble_id>.verdict.json``) so the
evidence outlives the workflow's artifacts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from bot.flip import Flip, ShippedFile
from bot.manifest.inputs import ManifestInputs, Member
from bot.manifest.numbers import kept_member_widths, loso_numbers, members_eval
from bot.manifest.sync import (
    ManifestEdit,
    inputs_from_sidecars,
    manifest_path,
    sync_manifest,
    verdict_path,
    verify_manifest,
)
from flipbot.ensemble_numbers import CODEC_VOCAB
from flipbot.errors import InputError
from flipbot.features import ENCODER_VOCAB_VERSION
from flipbot.jsonfile import sha256_bytes


@dataclass(frozen=True)
class EnsembleFiles:
    files: tuple[ShippedFile, ...]  # to write or commit beside the flip's own files
    manifest: ManifestEdit | None  # None: the repository has no manifest


def ensemble_files(
    flip: Flip,
    registry_after: str,
    read: Callable[[str], str | None],
    *,
    verdict_to: str | None = None,
    read_bytes: Callable[[str], bytes | None] | None = None,
) -> EnsembleFiles:
    """``read(repo_path)`` gives the base's text of a file, or None when it has none;
    ``read_bytes`` its bytes (the kept members' ONNX files, to check their codec width)."""
    plan = flip.shipping_plan()
    parent = str(PurePosixPath(plan.registry).parent)
    folder = "" if parent == "." else parent
    ensemble = plan.ensemble_id
    verdict_bytes = flip.verdict_path.read_bytes()
    if sha256_bytes(verdict_bytes) != flip.verdict_sha256:
        raise InputError(f"{flip.verdict_path}: changed while the bot ran; rerun the bot")
    files = [
        ShippedFile(
            verdict_to or verdict_path(folder, ensemble), verdict_bytes, flip.verdict_sha256
        )
    ]
    where = manifest_path(folder, ensemble)
    if any(f.path == where for f in flip.files):
        # The registry has an ensemble row: export wrote this manifest and the row pins its
        # sha256, so it ships as exported (SPEC §7) and is not edited here.
        return EnsembleFiles(tuple(files), None)
    text = read(where)
    if text is None:
        return EnsembleFiles(tuple(files), None)
    given = inputs_from_flip(flip, registry_after)
    kept = kept_member_widths(text, where, folder, given, read_bytes)
    edit = sync_manifest(text, where, replace(given, kept_widths=kept))
    data = edit.after.encode("utf-8")
    committed = {f.path: f.sha256 for f in flip.files}
    verify_manifest(edit.after, where, folder, committed)
    if edit.after != edit.before:
        files.append(ShippedFile(where, data, sha256_bytes(data)))
    return EnsembleFiles(tuple(files), edit)


def inputs_from_flip(flip: Flip, registry_after: str) -> ManifestInputs:
    plan = flip.shipping_plan()
    by_sha = {f.sha256: f for f in flip.files}
    members = tuple(
        Member(r.id, r.seed, PurePosixPath(by_sha[r.sha256].path).name, r.sha256)
        for r in plan.rows
        if r.seed is not None
    )
    sidecars = []
    for f in flip.files:
        if f.path.endswith(".json"):
            doc = json.loads(f.data)
            if isinstance(doc, dict) and "feature_mean" in doc:
                sidecars.append(doc)
    verdict = flip.verdict
    gate: dict[str, Any] = {
        "decision": verdict.decision,
        "verdict_sha256": flip.verdict_sha256,
        "corpus_sha256": verdict.pins.corpus_sha256,
        "rules": {
            r.name: {"value": r.value, "threshold": r.threshold, "passed": r.passed}
            for r in verdict.rules
        },
        "seed_loso_plcc": {str(s.seed): s.plcc for s in verdict.seeds},
    }
    confidence = None
    if flip.calibration is not None:
        # flipbot's own interval constants, beside the loader's keys (never in their place).
        confidence = {
            "flipbot_intervals": {
                "method": flip.calibration.method,
                "levels": list(flip.calibration.levels),
                "interval": flip.calibration.interval,
                "docs": "docs/CALIBRATION.md",
            }
        }
    loso = loso_numbers(flip)
    return ManifestInputs(
        members=members,
        inputs=inputs_from_sidecars(sidecars, plan.registry),
        confidence=confidence,
        gate=gate,
        production_ids=_production_ids(registry_after),
        codec_vocab=CODEC_VOCAB,
        codec_vocab_version=ENCODER_VOCAB_VERSION,
        loader_confidence=loso.confidence,
        eval=members_eval(flip.in_sample, loso.eval),
    )


def _production_ids(registry_text: str) -> frozenset[str]:
    try:
        doc = json.loads(registry_text)
    except ValueError:
        from ruamel.yaml import YAML

        doc = YAML(typ="safe").load(registry_text)
    rows = doc.get("models", []) if isinstance(doc, dict) else []
    return frozenset(r["id"] for r in rows if isinstance(r, dict) and r.get("smoke") is False)
