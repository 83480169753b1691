"""The ensemble manifest kept in sync with a flip (``<registry folder>/<ensemble_id>.json``).

Model repositories describe an ensemble in a manifest beside its members
(kind ``fr_ensemble``: ``members[]`` with id/onnx/sha256/seed, the scaler,
the input layout, ``confidence`` constants). A flip that replaces members
must not leave it describing the old ones. flipbot owns, and changes only:

- each flipped member's ``sha256`` (and ``onnx`` name); members the flip does
  not touch stay as they are;
- the members' inputs where the manifest has them: ``feature_order``,
  ``feature_mean``/``feature_std``, ``encoder_vocab`` (+ version) and
  ``codec_block_layout``; a vocabulary whose length differs from the
  members' codec input is *wrong*, not merely old, and is said so;
- ``codec_vocab`` and ``codec_vocab_version``: the repository's loader builds
  the codec input as a one-hot of width ``len(codec_vocab)`` and feeds it to every
  member, so ``codec_vocab`` names the members' 14 codec columns (docs/EXPORT.md,
  "The ensemble manifest"); a kept member whose codec input has another width
  cannot match any vocabulary: refused (exit 2);
- ``confidence``: the keys the loader reads (``conformal_q_residual``,
  ``gaussian_z``, ``method``, ``nominal_coverage``) from this run's LOSO
  predictions, and flipbot's own interval constants beside them; the other keys
  of the block are kept;
- ``eval``: the new members' numbers, named ``in_sample_*`` or ``loso_*`` as
  they are; ``gate`` (the verdict's evidence), added when missing;
- ``smoke: false`` once every member is production.

The conformal quantile and ``eval`` describe the whole ensemble: they are only
written when the flip replaces every member; otherwise they are named stale.
Every other byte stays (:mod:`bot.manifest.text`); fields flipbot knows but
cannot vouch for are named as stale, fields it does not know as not vouched
for. The verdict itself is committed beside it as the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.manifest.inputs import ManifestInputs
from bot.manifest.loader import loader_fields
from bot.manifest.text import set_values
from flipbot.errors import InputError

KINDS = ("fr_ensemble", "flipbot.ensemble_manifest")
INPUT_FIELDS = (
    "feature_order",
    "feature_mean",
    "feature_std",
    "encoder_vocab",
    "encoder_vocab_version",
    "codec_block_layout",
)
# Fields a manifest may carry that describe the old members and that a flip cannot vouch for.
STALE_FIELDS = ("eval", "evaluation", "metrics", "training", "corpus", "calibration")
# Fields a flip writes or that name the manifest itself; any other top-level field is
# kept as it was and named in the PR as one flipbot cannot vouch for.
OWNED_FIELDS = frozenset(
    {"kind", "id", "members", "smoke", "gate", "confidence", "eval", "codec_vocab",
     "codec_vocab_version", "schema_version", "aggregation", *INPUT_FIELDS}
)  # fmt: skip
ONE_HOT_SLOTS = 12  # the members' codec input: 12 vocabulary slots, preset_norm, crf_norm


def manifest_path(folder: str, ensemble_id: str) -> str:
    return f"{folder}/{ensemble_id}.json" if folder else f"{ensemble_id}.json"


def verdict_path(folder: str, ensemble_id: str) -> str:
    """Default path of the committed verdict (the audit trail)."""
    return f"{folder}/{ensemble_id}.verdict.json" if folder else f"{ensemble_id}.verdict.json"


@dataclass(frozen=True)
class ManifestEdit:
    where: str
    before: str
    after: str
    changed: tuple[str, ...]  # owned fields whose value changed ("members[2].sha256", ...)
    stale: tuple[str, ...]  # known fields the flip cannot vouch for, kept as they were
    notes: tuple[str, ...]
    unvouched: tuple[str, ...] = ()  # fields flipbot does not know, kept as they were


def sync_manifest(text: str, where: str, given: ManifestInputs) -> ManifestEdit:
    """``text`` with only flipbot's fields brought in line with the flip."""
    doc = _parse(text, where)
    members = doc["members"]
    by_id = {m.get("id"): i for i, m in enumerate(members)}
    changes: list[tuple[tuple[str | int, ...], Any]] = []
    notes = []
    production = given.production_ids
    for member in given.members:
        i = by_id.get(member.id)
        if i is None:
            notes.append(f"{where}: lists no member '{member.id}'; it was not added")
            continue
        changes.append((("members", i, "sha256"), member.sha256))
        if "onnx" in members[i]:
            changes.append((("members", i, "onnx"), member.onnx))
    vocab = doc.get("encoder_vocab")
    if isinstance(vocab, list) and len(vocab) != ONE_HOT_SLOTS:
        notes.append(
            f"{where}: encoder_vocab had {len(vocab)} entries but the members' codec input has "
            f"{ONE_HOT_SLOTS} vocabulary slots: it was wrong, not merely old; corrected"
        )
    changes += [((k,), v) for k, v in given.inputs.items() if k in doc]
    found = loader_fields(doc, where, given)
    changes += found.changes
    notes += found.notes
    changes.append((("gate",), dict(given.gate)))
    if "smoke" in doc and all(m.get("id") in production for m in members):
        changes.append((("smoke",), False))
    after = set_values(text, changes)
    changed = tuple(_name(p) for p, v in changes if _get(doc, p) != v)
    stale: list[str] = []
    if changed:
        replaced = {p[0] for p, _ in changes}
        stale = [k for k in STALE_FIELDS if k in doc and k not in replaced] + list(found.stale)
    unvouched = tuple(
        k
        for k in doc
        if k not in OWNED_FIELDS
        and k not in STALE_FIELDS
        and not (k == "ensemble_size" and doc[k] == len(members))  # checked: it holds
    )
    notes += list(found.caveats) if changed else []
    return ManifestEdit(
        where, text, after, changed, tuple(stale) if changed else (), tuple(notes), unvouched
    )


def describe(edit: ManifestEdit) -> list[str]:
    """Markdown lines for the PR body / job summary: what changed, what is stale, the notes."""
    if not edit.changed and not edit.notes:
        return [f"- `{edit.where}` already describes these members."]
    lines = [f"- `{edit.where}`: updated {', '.join(f'`{c}`' for c in edit.changed) or 'nothing'}."]
    lines += [
        f"- `{edit.where}`: `{k}` describes the old members and was kept; it is **stale** now."
        for k in edit.stale
    ]
    lines += [f"- {n}" for n in edit.notes]
    if edit.unvouched:
        shown = ", ".join(f"`{k}`" for k in edit.unvouched)
        lines.append(f"- `{edit.where}`: kept as they were, not vouched for by this flip: {shown}.")
    return lines


def verify_manifest(text: str, where: str, folder: str, committed: Mapping[str, str]) -> None:
    """Every member whose file the commit carries must name that file's sha256 (repo path -> sha)."""
    doc = _parse(text, where)
    for member in doc["members"]:
        onnx = member.get("onnx") or f"{member.get('id')}.onnx"
        path = f"{folder}/{onnx}" if folder else onnx
        if path in committed and member.get("sha256") != committed[path]:
            raise InputError(
                f"{where}: member '{member.get('id')}' names sha256 {str(member.get('sha256'))[:12]} "
                f"but the committed {path} has {committed[path][:12]}; rerun the bot on the base"
            )


def inputs_from_sidecars(sidecars: Iterable[Mapping[str, Any]], where: str) -> dict[str, Any]:
    """The input fields every flipped member's sidecar agrees on; disagreement is refused."""
    found: dict[str, Any] = {}
    for side in sidecars:
        for key in INPUT_FIELDS:
            if key in side and found.setdefault(key, side[key]) != side[key]:
                raise InputError(
                    f"{where}: the flipped members' sidecars disagree on {key}; rerun export"
                )
    return found


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{where}: not valid JSON ({exc}); fix or remove the manifest") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("members"), list):
        raise InputError(f"{where}: an ensemble manifest needs a 'members' list; fix the manifest")
    if doc.get("kind", KINDS[0]) not in KINDS:
        raise InputError(
            f"{where}: kind {doc.get('kind')!r} is not an ensemble manifest ({' or '.join(KINDS)})"
        )
    if not all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in doc["members"]):
        raise InputError(f"{where}: every member needs a string 'id'; fix the manifest")
    return doc


def _get(doc: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        if isinstance(doc, list) and isinstance(key, int):
            doc = doc[key]
            continue
        if not (isinstance(doc, dict) and key in doc):
            return None
        doc = doc[key]
    return doc


def _name(path: tuple[str | int, ...]) -> str:
    return "".join(
        f"[{k}]" if isinstance(k, int) else (f".{k}" if i else k) for i, k in enumerate(path)
    )
