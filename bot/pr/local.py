"""Local runs without GitHub: ``--dry-run`` (print only) and ``--apply-local`` (write the working tree).

The flip is planned by :mod:`bot.pr.commit_plan` on the working tree the verifier read
(:func:`bot.trust.worktree_base`), exactly as PR mode plans it on the verified base commit.

The repository root is where the plan's registry path meets ``--registry``:
``--registry model/tiny/registry.json`` with a plan for
``model/tiny/registry.json`` means the current folder is the root.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path

from bot.body import Body, BodyContext, build_body
from bot.config import BotConfig
from bot.conventions import Rendered
from bot.flip import Flip, ShippedFile
from bot.manifest import Removal
from bot.outcome import Outcome
from bot.pr.commit_plan import plan_commit, verified_base
from bot.registry import (
    RegistryEdit,
    write_registry,
)
from bot.signing import (
    SignSetup,
    sign_setup,
)
from bot.trust import confined
from bot.workflow import Phase
from bot.workflow import phase as log_phase
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
    shipped: tuple[ShippedFile, ...] = ()  # every file the flip writes but the registry
    removed: tuple[Removal, ...] = ()  # data files only the replaced models used


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


def run_local(
    config: BotConfig, flip: Flip, setup: SignSetup | None = None, *, phase: Phase = log_phase
) -> LocalRun:
    with phase("plan"):
        run = _plan_local(config, flip, setup)
    if config.mode == "dry-run":
        return run
    with phase("write the working tree"):
        return _apply(config, flip, run)


def _plan_local(config: BotConfig, flip: Flip, setup: SignSetup | None) -> LocalRun:
    view = verified_base(flip)
    registry = view.registry_path
    root = repo_root(config.registry, registry)
    setup = setup or sign_setup(
        config.sign, config.mode, config.oidc, config.policy, ghes=config.ghes
    )
    plan = plan_commit(
        config, flip, setup, lambda p: [b] if (b := view.read_plain(p)) is not None else []
    )
    edit, rendered, removed, shipped_files = plan.edit, plan.rendered, plan.removed, plan.shipped
    for added in rendered.extra_files:
        _confined(root, added.path)
    for shipped in shipped_files:
        confined(root.resolve(), shipped.path)  # no symlink on the way: refused in dry runs too
    present = frozenset(f.path for f in shipped_files if (root / f.path).is_file())
    context = BodyContext(
        flip,
        "",
        registry,
        config.run_url,
        config.plots_url,
        prior=replace(plan.prior, paths=present),
        extra_files=rendered.extra_files,
        derived_files=plan.derived,
        manifest_notes=plan.manifest_notes,
        row_updates=rendered.row_updates,
        signing=plan.signed,
        removed=removed,
        audit=config.audit,
    )
    body = build_body(context, layout=config.conventions.layout)
    outcome = Outcome(operation="dry-run", flipped=flip.flipped_ids)
    return LocalRun(outcome, edit, body, rendered, context, root, shipped_files, removed)


def _apply(config: BotConfig, flip: Flip, run: LocalRun) -> LocalRun:
    """Write the planned files into the working tree (each confined to it), delete the removed."""
    wrote = False
    for shipped in run.shipped:
        target = confined(run.root.resolve(), shipped.path)
        if not target.is_file() or target.read_bytes() != shipped.data:
            write_atomic(target, shipped.data)
            wrote = True
    if run.edit.after != run.edit.before:
        write_registry(config.registry, run.edit)
        wrote = True
    for gone in run.removed:  # data files only the replaced models used
        (run.root / gone.path).unlink()
        wrote = True
    outcome = Outcome(operation="updated" if wrote else "unchanged", flipped=flip.flipped_ids)
    return replace(run, outcome=outcome)


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
