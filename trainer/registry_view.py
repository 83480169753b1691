"""A read-only look at the model registry: which rows an export targets.

Export never writes the registry (SPEC §7 decision: the bot's registry
module does). The registry may be JSON or YAML (same rows), read by
:func:`flipbot.registry.registry_rows`, the reader the bot uses too. It
only checks that every seed it will export has exactly one row, and learns
from each row where the ONNX file lives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flipbot.errors import InputError
from flipbot.fields import need
from flipbot.plan_file import FILENAME as PLAN_FILENAME
from flipbot.registry import read_registry, registry_rows

DEFAULT_ENSEMBLE_ID = "fr_regressor_v2_ensemble_v1"


def seed_row_id(ensemble_id: str, seed: int) -> str:
    return f"{ensemble_id}_seed{seed}"


@dataclass(frozen=True)
class RegistryTargets:
    registry: str  # the registry's path relative to its repository root (POSIX)
    folder: str  # the registry's folder, same base; "" for the root
    seed_onnx: dict[int, str]  # seed -> the row's `onnx` file name
    ensemble_onnx: str | None  # the ensemble-level row's `onnx` file name, if it has one
    # Every seed the registry lists as a member ({ensemble_id}_seed{N}), flipped or not: an
    # ensemble-level row may only flip when the verdict covers all of them.
    member_seeds: tuple[int, ...] = ()

    def repo_path(self, file_name: str) -> str:
        return f"{self.folder}/{file_name}" if self.folder else file_name


def read_targets(registry: str | Path, ensemble_id: str, seeds: tuple[int, ...]) -> RegistryTargets:
    path = Path(registry)
    # JSON or YAML by the name, CRLF and a BOM too: what the bot accepts, read by the same reader.
    rows = registry_rows(read_registry(path).text, str(path))

    def onnx_name(row_id: str) -> str:
        name = need(rows[row_id], "onnx", str, f"{path}: row '{row_id}'")
        if Path(name).name != name or not name.endswith(".onnx"):
            raise InputError(
                f"{path}: row '{row_id}' has onnx '{name}'; it must be a plain *.onnx file name "
                "in the registry's folder"
            )
        return name

    seed_onnx = {}
    for seed in seeds:
        row_id = seed_row_id(ensemble_id, seed)
        if row_id not in rows:
            raise InputError(
                f"registry: no row with id '{row_id}' in {path}; check the verdict's flip set, "
                "--ensemble-id or the registry path"
            )
        seed_onnx[seed] = onnx_name(row_id)
    ensemble_onnx = onnx_name(ensemble_id) if ensemble_id in rows else None
    _refuse_shared_outputs(path, [*seed_onnx.values(), *([ensemble_onnx] if ensemble_onnx else [])])
    rel = repo_relative(path)
    folder = rel.rpartition("/")[0]
    member = re.compile(re.escape(ensemble_id) + r"_seed([0-9]+)")
    members = sorted(int(m.group(1)) for r in rows if (m := member.fullmatch(r)))
    return RegistryTargets(
        registry=rel,
        folder=folder,
        seed_onnx=seed_onnx,
        ensemble_onnx=ensemble_onnx,
        member_seeds=tuple(members),
    )


def _refuse_shared_outputs(path: Path, onnx_names: list[str]) -> None:
    """Each row's files (``x.onnx`` and ``x.json``) must be its own, and not the plan's name."""
    stems = [Path(n).stem for n in onnx_names]
    clashes = sorted({s for s in stems if stems.count(s) > 1 or f"{s}.json" == PLAN_FILENAME})
    if clashes:
        raise InputError(
            f"{path}: rows share, or clash with flip_plan.json on, the output name(s) "
            f"{', '.join(clashes)}; give each row its own onnx file name"
        )


def repo_relative(path: Path) -> str:
    """``path`` relative to the enclosing git checkout, else to the working folder, else as given."""
    resolved = path.resolve()
    for parent in resolved.parents:
        if (parent / ".git").exists():
            return resolved.relative_to(parent).as_posix()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
