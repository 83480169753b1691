"""The manifest fields the repository's ensemble loader reads (SPEC §14): vocabulary, confidence, eval.

- ``codec_vocab`` (+ version): the loader's one-hot has width ``len(codec_vocab)``
  and goes to every member; a kept member whose codec input has another width
  cannot match any vocabulary: refused (exit 2);
- ``confidence``: flipbot's constants merged into the block, the loader's keys
  from this run only when the flip replaces every member (else the old
  ``conformal_q_residual`` is named stale);
- ``eval``: replaced by the new members' numbers, also only for a whole flip.

The caveats are said in the PR only when the flip changes the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.manifest.inputs import ManifestInputs
from flipbot.errors import InputError

Change = tuple[tuple[str | int, ...], Any]


@dataclass(frozen=True)
class LoaderFields:
    changes: tuple[Change, ...]
    notes: tuple[str, ...]  # always said
    caveats: tuple[str, ...]  # said when the manifest changes
    stale: tuple[str, ...]  # fields kept that no longer describe the ensemble


def loader_fields(doc: dict[str, Any], where: str, given: ManifestInputs) -> LoaderFields:
    flipped = {m.id for m in given.members}
    every = all(m.get("id") in flipped for m in doc["members"])
    changes: list[Change] = []
    notes: list[str] = []
    caveats: list[str] = []
    stale: list[str] = []
    if given.codec_vocab is not None:
        changes += _codec_vocab(doc, where, given, given.codec_vocab, notes, caveats)
    confidence = dict(doc["confidence"]) if isinstance(doc.get("confidence"), dict) else {}
    if given.confidence is not None:
        confidence.update(given.confidence)
    if given.loader_confidence is not None and every:
        confidence.update(given.loader_confidence)
        caveats.append(
            f"{where}: `confidence.conformal_q_residual` is calibrated on the LOSO held-out "
            "predictions (the fold models of the judged seeds), not on the shipped full-corpus "
            "fits, which no held-out data is left to calibrate."
        )
    elif given.loader_confidence is not None and confidence.get("conformal_q_residual") is not None:
        stale.append("confidence.conformal_q_residual")
    if confidence != doc.get("confidence") and (given.confidence or given.loader_confidence):
        changes.append((("confidence",), confidence))
    if given.eval is not None and every:
        changes.append((("eval",), dict(given.eval)))
        caveats.append(
            f"{where}: `eval` now describes the new members: `in_sample_*` and "
            "`mean_sigma_train` on the corpus they were fitted on (in-sample), `loso_*` on "
            "held-out sources."
        )
    return LoaderFields(tuple(changes), tuple(notes), tuple(caveats), tuple(stale))


def _codec_vocab(
    doc: dict[str, Any],
    where: str,
    given: ManifestInputs,
    vocab: tuple[str, ...],
    notes: list[str],
    caveats: list[str],
) -> list[Change]:
    """``codec_vocab`` (+ version) for the members' codec input; exit 2 if a kept member differs."""
    width = len(vocab)
    odd = {i: w for i, w in given.kept_widths.items() if w is not None and w != width}
    if odd:
        shown = ", ".join(f"'{i}' takes {w}" for i, w in sorted(odd.items()))
        raise InputError(
            f"{where}: the loader feeds every member a one-hot of width len(codec_vocab), but the "
            f"flipped members take {width} codec columns while kept members differ ({shown}); "
            "no codec_vocab fits both: flip every member, or remove the others from the manifest"
        )
    old = doc.get("codec_vocab")
    if isinstance(old, list) and len(old) != width:
        notes.append(
            f"{where}: codec_vocab had {len(old)} entries but the members' codec input has "
            f"{width} columns (a loader's one-hot of that width fails in onnxruntime); corrected"
        )
    caveats.append(
        f"{where}: `codec_vocab` names the members' {width} codec columns (the encoder slots, "
        "then `preset_norm`, `crf_norm`); a loader that one-hots the last two feeds 0 or 1 "
        "where the members were fitted with 0.5 and the CQ position: flipbot cannot vouch for "
        "scores built that way (build the block from a seed sidecar's `codec_block_layout`)."
    )
    out: list[Change] = [(("codec_vocab",), list(vocab))]
    if given.codec_vocab_version is not None:
        out.append((("codec_vocab_version",), given.codec_vocab_version))
    return out
