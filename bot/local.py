"""Local runs without GitHub: ``--dry-run`` (print only) and ``--apply-local`` (write the working tree).

The repository root is where the plan's registry path meets ``--registry``:
``--registry model/tiny/registry.json`` with a plan for
``model/tiny/registry.json`` means the current folder is the root.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.body import Body, BodyContext, build_body
from bot.body_prior import prior_from_registry
from bot.config import BotConfig
from bot.conventions_render import Rendered, render_conventions
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
    rendered: Rendered  # title, commit message, extra files, row updates
    context: BodyContext
    root: Path


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
    conventions = config.conventions
    prior = prior_from_registry(text, flip.plan.registry)
    rendered = render_conventions(
        conventions, flip, base_sha="", registry=flip.plan.registry, prior=prior
    )
    edit = flip_registry(text, rendered.changes(flip), flip.plan.registry, schema=schema)
    shipped_files = (*flip.files, *rendered.extra_files)
    for extra in rendered.extra_files:
        _confined(root, extra.path)
    present = frozenset(f.path for f in shipped_files if (root / f.path).is_file())
    context = BodyContext(
        flip,
        "",
        flip.plan.registry,
        config.run_url,
        config.plots_url,
        prior=replace(prior, paths=present),
        extra_files=rendered.extra_files,
        row_updates=rendered.row_updates,
    )
    body = build_body(context, layout=conventions.layout)
    if config.mode == "dry-run":
        return LocalRun(
            Outcome("dry-run", flipped=flip.flipped_ids), edit, body, rendered, context, root
        )
    wrote = False
    for shipped in shipped_files:
        target = root / shipped.path
        if not target.is_file() or target.read_bytes() != shipped.data:
            write_atomic(target, shipped.data)
            wrote = True
    if edit.after != edit.before:
        write_registry(config.registry, edit)
        wrote = True
    outcome = Outcome("updated" if wrote else "unchanged", flipped=flip.flipped_ids)
    return LocalRun(outcome, edit, body, rendered, context, root)


def _confined(root: Path, path: str) -> None:
    """An extra file must land inside the repository, also through symlinked folders."""
    base = root.resolve()
    if base not in (base / path).resolve().parents:
        raise InputError(
            f"input 'extra-files': '{path}' leads outside the repository {base} (a symlink?); "
            "choose another path"
        )


def extra_files_diff(run: LocalRun) -> str:
    """A unified diff of each extra file against the working tree (new files from /dev/null)."""
    out: list[str] = []
    for extra in run.rendered.extra_files:
        target = run.root / extra.path
        old = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else ""
        new = extra.data.decode("utf-8")
        out += difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{extra.path}" if target.is_file() else "/dev/null",
            tofile=f"b/{extra.path}",
        )
    return "".join(out)
