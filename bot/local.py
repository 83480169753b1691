"""Local runs without GitHub: ``--dry-run`` (print only) and ``--apply-local`` (write the working tree).

The repository root is where the plan's registry path meets ``--registry``:
``--registry model/tiny/registry.json`` with a plan for
``model/tiny/registry.json`` means the current folder is the root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.body import Body, BodyContext, build_body
from bot.body_prior import prior_from_registry
from bot.config import BotConfig
from bot.flip import Flip
from bot.outcome import Outcome
from bot.registry import RegistryEdit, flip_registry, is_yaml, parse_json, write_registry
from bot.registry_schema import schema_path_for
from flipbot.errors import InputError
from flipbot.jsonfile import write_atomic


@dataclass(frozen=True)
class LocalRun:
    outcome: Outcome
    edit: RegistryEdit
    body: Body


def repo_root(registry: Path, plan_registry: str) -> Path:
    """The folder that holds ``plan_registry`` at ``registry``; an InputError if they disagree."""
    resolved = registry.resolve()
    parts = Path(plan_registry).parts
    if resolved.parts[-len(parts) :] != parts:
        raise InputError(
            f"--registry {registry} is not the registry the plan was made for ({plan_registry}); "
            "pass the same registry to export and bot"
        )
    return Path(*resolved.parts[: -len(parts)])


def _local_schema(registry: Path, doc: Any) -> dict[str, Any] | None:
    ref = schema_path_for(doc)
    path = registry.parent / ref if ref else None
    if path is None or not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); fix the schema file") from None


def run_local(config: BotConfig, flip: Flip) -> LocalRun:
    assert flip.plan is not None
    root = repo_root(config.registry, flip.plan.registry)
    try:
        text = config.registry.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{config.registry}: file not found; check --registry") from None
    except UnicodeDecodeError:
        raise InputError(f"{config.registry}: not UTF-8 text; fix the registry file") from None
    schema = None
    if not is_yaml(str(config.registry)):
        schema = _local_schema(config.registry, parse_json(text, str(config.registry)))
    edit = flip_registry(text, flip.changes, flip.plan.registry, schema=schema)
    present = frozenset(f.path for f in flip.files if (root / f.path).is_file())
    prior = prior_from_registry(text, flip.plan.registry, present)
    body = build_body(
        BodyContext(flip, "", flip.plan.registry, config.run_url, config.plots_url, prior=prior)
    )
    if config.mode == "dry-run":
        return LocalRun(Outcome("dry-run", flipped=flip.flipped_ids), edit, body)
    wrote = False
    for shipped in flip.files:
        target = root / shipped.path
        if not target.is_file() or target.read_bytes() != shipped.data:
            write_atomic(target, shipped.data)
            wrote = True
    if edit.after != edit.before:
        write_registry(config.registry, edit)
        wrote = True
    return LocalRun(
        Outcome("updated" if wrote else "unchanged", flipped=flip.flipped_ids), edit, body
    )
