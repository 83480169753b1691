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
from bot.config import BotConfig
from bot.conventions import Rendered, render_conventions
from bot.flip import Flip
from bot.manifest import describe, ensemble_files, other_models, stale_data_files
from bot.outcome import Outcome
from bot.registry import (
    RegistryEdit,
    flip_registry,
    is_yaml,
    parse_json,
    prior_from_registry,
    schema_path_for,
    write_registry,
)
from bot.signing import (
    SignSetup,
    check_bundle_fields,
    plan_bundles,
    sign_flip,
    sign_setup,
    with_bundle_fields,
)
from bot.trust import check_commit, confined
from flipbot.errors import InputError
from flipbot.jsonfile import write_atomic
from flipbot.registry_text import read_registry


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


def _read_plain(root: Path, path: str) -> bytes | None:
    """A regular file of the working tree inside ``root``; None for a symlink or anything else."""
    target = root / path
    inside = root.resolve() in target.resolve().parents
    if target.is_symlink() or not target.is_file() or not inside:
        return None
    return target.read_bytes()


def _read_text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _read_bytes(root: Path, path: str) -> bytes | None:
    target = root / path
    return target.read_bytes() if target.is_file() and not target.is_symlink() else None


def run_local(config: BotConfig, flip: Flip, setup: SignSetup | None = None) -> LocalRun:
    assert flip.plan is not None
    root = repo_root(config.registry, flip.plan.registry)
    # Bytes in, bytes out: no newline translation, the BOM kept (flipbot.registry_text).
    raw = read_registry(config.registry)
    schema = None
    if not is_yaml(str(config.registry)):
        schema = _local_schema(config.registry, parse_json(raw.text, str(config.registry)))
    registry = flip.plan.registry
    conventions = config.conventions
    prior = prior_from_registry(raw.text, registry)
    rendered = render_conventions(conventions, flip, base_sha="", registry=registry, prior=prior)
    setup = setup or sign_setup(
        config.sign, config.mode, config.oidc, config.policy, ghes=config.ghes
    )
    slots = plan_bundles(flip.targets, registry, raw.text) if setup.backend else ()
    # Row updates (and sigstore_bundle of rows that had none) are part of the bot's own
    # registry rewrite: check_commit sees only that.
    changes = with_bundle_fields(rendered.changes(flip), slots)
    edit = flip_registry(raw.text, changes, registry, schema=schema, bom=raw.bom)
    extra = ensemble_files(
        flip,
        edit.after,
        lambda p: _read_text(root / p),
        verdict_to=config.verdict_file,
        read_bytes=lambda p: _read_plain(root, p),
    )
    signed = sign_flip(
        setup,
        flip,
        slots,
        next(f for f in extra.files if f.sha256 == flip.verdict_sha256),
        lambda p: [b] if (b := _read_bytes(root, p)) is not None else [],
        registry=registry,
        repository=config.repo,
        base_sha="",
        run_url=config.run_url,
        audit=config.audit,
    )
    check_bundle_fields(edit.after, registry, signed)
    own = (*extra.files, *signed.files)
    shipped_files = (*flip.files, *own, *rendered.extra_files)
    removed = stale_data_files(
        flip.targets,
        other_models(raw.text, registry, flip),
        lambda p: _read_plain(root, p),
        [f.path for f in shipped_files] + [registry],
    )
    committed = {**{f.path: f.data for f in shipped_files}, registry: edit.after_bytes()}
    check_commit(flip, registry, edit, committed, own=own, extra=rendered.extra_files)
    for added in rendered.extra_files:
        _confined(root, added.path)
    targets = {f.path: confined(root.resolve(), f.path) for f in shipped_files}
    present = frozenset(f.path for f in shipped_files if (root / f.path).is_file())
    context = BodyContext(
        flip,
        "",
        registry,
        config.run_url,
        config.plots_url,
        prior=replace(prior, paths=present),
        extra_files=rendered.extra_files,
        derived_files=extra.files,
        manifest_notes=tuple(describe(extra.manifest)) if extra.manifest else (),
        row_updates=rendered.row_updates,
        signing=signed,
        removed=removed,
    )
    body = build_body(context, layout=conventions.layout)
    if config.mode == "dry-run":
        return LocalRun(
            Outcome("dry-run", flipped=flip.flipped_ids), edit, body, rendered, context, root
        )
    wrote = False
    for shipped in shipped_files:
        target = targets[shipped.path]
        if not target.is_file() or target.read_bytes() != shipped.data:
            write_atomic(target, shipped.data)
            wrote = True
    if edit.after != edit.before:
        write_registry(config.registry, edit)
        wrote = True
    for gone in removed:  # data files only the replaced models used
        (root / gone.path).unlink()
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
