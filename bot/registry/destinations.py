"""Where a flip may write: derived from the registry and the re-judged flip set, never from the plan.

For each seed the gate flips, the row is ``<ensemble_id>_seed<N>``; its ONNX
file is ``<registry folder>/<row's onnx>`` and its sidecar the ``.json`` of
the same stem beside it. The ensemble-level row (when the re-judged policy
lets it flip, the registry has it and its members are exactly the flipped
seeds) ships its manifest, ``<registry folder>/<stem of its onnx>.json``.
Every destination is a clean relative path inside the registry's folder:
not the registry itself, nothing under ``.git`` or ``.github``, no ``..``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.registry.flip import is_yaml, parse_json
from flipbot.errors import InputError
from flipbot.verdict_file import Verdict

# Plain model file names: no spaces, quotes, backticks or pipes that could break a tree entry
# or the PR body.
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")
_FORBIDDEN_DIRS = (".git", ".github")


@dataclass(frozen=True)
class Target:
    """One registry row the flip changes and the file whose sha256 the row gets."""

    row_id: str
    seed: int | None  # None: the ensemble-level row (its file is the manifest)
    artifact: str  # the file name export wrote (ONNX, or the manifest for the ensemble row)
    path: str  # its repository destination
    sidecar_artifact: str | None  # the sidecar's file name beside a seed's ONNX
    sidecar_path: str | None


def clean_repo_path(path: str, where: str) -> str:
    """A relative POSIX path with plain characters, no ``..``, outside ``.git``/``.github``."""
    pure = PurePosixPath(path)
    unsafe = (
        not _SAFE_PATH.fullmatch(path)
        or pure.is_absolute()
        or any(part in ("..", ".") for part in pure.parts)
        or str(pure) != path
    )
    if unsafe or any(part.lower() in _FORBIDDEN_DIRS for part in pure.parts):
        raise InputError(
            f"{where}: '{path}' is not a clean repository-relative path outside .git and .github; "
            "rerun export with a registry in a plain model folder"
        )
    return path


def registry_rows(text: str, where: str, path: str | None = None) -> dict[str, dict[str, Any]]:
    """Registry rows by id, from JSON or YAML text (by ``path``'s suffix); duplicated ids refused."""
    if is_yaml(path or where):
        try:
            doc = YAML(typ="safe").load(text)
        except YAMLError:
            raise InputError(f"{where}: not valid YAML; fix the registry file") from None
    else:
        doc = parse_json(text, where)
    models = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(models, list):
        raise InputError(f"{where}: field 'models' must be a list of rows; fix the registry file")
    rows: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(models):
        row_id = row.get("id") if isinstance(row, dict) else None
        if not isinstance(row_id, str):
            raise InputError(f"{where}: models[{i}] has no string 'id'; fix the registry file")
        if row_id in rows:
            raise InputError(f"{where}: id '{row_id}' appears twice; keep one row per id")
        rows[row_id] = row
    return rows


def _onnx_name(rows: dict[str, dict[str, Any]], row_id: str, where: str) -> str:
    name = rows[row_id].get("onnx")
    if not isinstance(name, str) or PurePosixPath(name).name != name or not name.endswith(".onnx"):
        raise InputError(
            f"{where}: row '{row_id}' field 'onnx' is {name!r}; it must be a plain *.onnx file "
            "name in the registry's folder, fix the registry"
        )
    return name


def derive_targets(
    verdict: Verdict,
    *,
    ensemble_id: str,
    registry_path: str,
    registry_text: str,
    with_ensemble_row: bool,
    base: str = "",
) -> tuple[Target, ...]:
    """The rows and files this flip may change, derived from the re-judged verdict and registry."""
    clean_repo_path(registry_path, f"--registry {registry_path}")
    where = f"{registry_path} (on {base})" if base else registry_path
    rows = registry_rows(registry_text, where, registry_path)
    folder = PurePosixPath(registry_path).parent

    def dest(name: str) -> str:
        return clean_repo_path(str(folder / name) if str(folder) != "." else name, where)

    if registry_path in (".", ""):
        raise InputError(f"--registry {registry_path}: not a file path; pass the registry file")

    targets = []
    for seed in verdict.flip:
        row_id = f"{ensemble_id}_seed{seed}"
        if row_id not in rows:
            raise InputError(
                f"{where}: no row '{row_id}' for seed {seed}, which the verdict flips; check "
                "--ensemble-id and the registry"
            )
        onnx = _onnx_name(rows, row_id, where)
        sidecar = PurePosixPath(onnx).stem + ".json"
        targets.append(Target(row_id, seed, onnx, dest(onnx), sidecar, dest(sidecar)))
    if with_ensemble_row:
        if not verdict.ensemble_flip:
            raise InputError(
                f"flip_plan.json: flips the ensemble row '{ensemble_id}' but the re-judged verdict "
                "does not let it flip; rerun `trainer export` on this verdict"
            )
        member = re.compile(re.escape(ensemble_id) + r"_seed([0-9]+)")
        members = sorted(int(m.group(1)) for r in rows if (m := member.fullmatch(r)))
        if ensemble_id not in rows or members != sorted(verdict.flip):
            raise InputError(
                f"flip_plan.json: flips the ensemble row '{ensemble_id}' but {where} has no such "
                f"row or lists members {members}, not the flipped seeds; rerun `trainer export`"
            )
        manifest = PurePosixPath(_onnx_name(rows, ensemble_id, where)).stem + ".json"
        targets.append(Target(ensemble_id, None, manifest, dest(manifest), None, None))
    paths = [p for t in targets for p in (t.path, t.sidecar_path) if p is not None]
    if len(set(paths)) != len(paths) or registry_path in paths:
        raise InputError(
            f"{where}: rows share one file, or a row's file is the registry itself; give each "
            "row its own onnx file name"
        )
    return tuple(targets)
