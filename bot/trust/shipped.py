"""The files a flip ships, read from the export folder and bound to their rows (bot.trust.verify step 4-5).

Each artefact is a regular file (never through a symlink) whose bytes hash to the plan's
sha256; each row's sha256 is its file's; each seed's sidecar names that row, seed, ONNX
file and sha256, and has the target repository's shape with the verdict's gate numbers
(``bot.trust.sidecars``); the recipe the models were fitted with (the plan's and every sidecar's
``training.recipe``) equals the recipe the verdict judged, unless an override is allowed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bot.flip import ShippedFile
from bot.registry import Target
from bot.trust.models import ShippedModel
from bot.trust.sidecars import check_seed_sidecar
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes
from flipbot.plan_file import FILENAME as PLAN_FILENAME
from flipbot.plan_file import FlipPlan
from flipbot.verdict_file import Verdict
from gate.rejudge import read_regular, same

# Verdict recipe keys that describe the inputs (the trainer checks them), not the fit.
_INPUT_KEYS = frozenset({"num_codecs", "encoder_vocab_version"})


def parse_json_bytes(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{where}: not valid JSON ({exc}); regenerate the file") from None


def _reject_constant(token: str) -> float:
    raise ValueError(f"non-finite number {token}")


def read_artifacts(
    plan: FlipPlan,
    folder: Path,
    targets: tuple[Target, ...],
    verdict: Verdict,
    allow_recipe_override: bool,
) -> tuple[tuple[ShippedFile, ...], tuple[ShippedModel, ...], list[str]]:
    """The plan's files, read and bound to rows and sidecars; the models; recipe overrides."""
    plan_where = str(folder / PLAN_FILENAME)
    data: dict[str, bytes] = {}
    files = []
    for entry in plan.files:
        source = folder / entry.artifact
        raw = read_regular(source, f"artifact listed in {PLAN_FILENAME}")
        if sha256_bytes(raw) != entry.sha256:
            raise InputError(
                f"{source}: sha256 {sha256_bytes(raw)[:12]} differs from the plan's "
                f"{str(entry.sha256)[:12]}; the export folder changed after export, rerun it"
            )
        data[entry.path] = raw
        files.append(ShippedFile(entry.path, raw, entry.sha256))
    sha_by_row = {r.id: r.sha256 for r in plan.rows}
    override = recipe_differences(verdict.recipe, plan.recipe, f"{plan_where}: field 'recipe'")
    models = []
    for t in targets:
        if sha_by_row[t.row_id] != sha256_bytes(data[t.path]):
            raise InputError(
                f"{plan_where}: row '{t.row_id}' field 'sha256' is not the sha256 of {t.artifact}; "
                "rerun `trainer export`"
            )
        if t.seed is None or t.sidecar_path is None:
            continue
        where = str(folder / str(t.sidecar_artifact))
        sidecar = parse_json_bytes(data[t.sidecar_path], where)
        expected = {
            "id": t.row_id,
            "seed": t.seed,
            "onnx": t.artifact,
            "sha256": sha_by_row[t.row_id],
        }
        for key, value in expected.items():
            got = sidecar.get(key) if isinstance(sidecar, dict) else None
            if not same(got, value):
                raise InputError(
                    f"{where}: field '{key}' is {got!r} but the row gives {value!r}; rerun export"
                )
        check_seed_sidecar(sidecar, data[t.sidecar_path], where, verdict, t.seed)
        training = sidecar.get("training")
        shipped = training.get("recipe") if isinstance(training, dict) else None
        override += recipe_differences(verdict.recipe, shipped, f"{where}: field 'training.recipe'")
        models.append(
            ShippedModel(
                t.seed,
                data[t.path],
                _floats(sidecar, "feature_mean", where),
                _floats(sidecar, "feature_std", where),
                str(folder / t.artifact),
            )
        )
    if override and not allow_recipe_override:
        where, first = override[0]
        raise InputError(
            f"{where} differs from the recipe the verdict judged ({first}); export with the "
            "judged recipe, or pass --allow-recipe-override (Action input allow-recipe-override) "
            "to ship it knowingly"
        )
    return tuple(files), tuple(models), sorted({text for _, text in override})


def recipe_differences(judged: dict[str, Any], shipped: Any, where: str) -> list[tuple[str, str]]:
    """``(where, "key shipped (judged: value)")`` per judged recipe field the shipped one changes."""
    if not isinstance(shipped, dict):
        raise InputError(f"{where} is missing; rerun `trainer export` with this flipbot version")
    return [
        (where, f"{key} {shipped.get(key)!r} (judged: {value!r})")
        for key, value in sorted(judged.items())
        if key not in _INPUT_KEYS and not same(shipped.get(key), value)
    ]


def _floats(doc: dict[str, Any], key: str, where: str) -> tuple[float, ...]:
    values = doc.get(key)
    if not isinstance(values, list) or not all(_finite(v) for v in values):
        raise InputError(f"{where}: field '{key}' must be a list of finite numbers; rerun export")
    return tuple(float(v) for v in values)


def _finite(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer of hundreds of digits
        return False
