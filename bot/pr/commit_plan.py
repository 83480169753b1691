"""The flip commit, planned once on the base the verifier checked (PR mode and --apply-local).

The verifier (:mod:`bot.trust.verify`) reads the base once and hands its view on inside the
``Flip``; everything the commit holds is derived here from that same view: the registry
rewrite, the ensemble manifest and verdict, the signatures, the extra files and the data
files to remove. The flip commit's parent is ``view.commit``, never a second read of the
base branch: what was verified is what the commit is built on. When the base branch has
moved on since, :class:`BaseMoved` says so and ``bot/run.py`` verifies again on the new tip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from bot.config import BotConfig
from bot.conventions import Rendered, render_conventions
from bot.flip import BaseView, Flip, ShippedFile
from bot.manifest import Removal, describe, ensemble_files, other_models, stale_data_files
from bot.registry import (
    Prior,
    RegistryEdit,
    flip_registry,
    is_yaml,
    parse_json,
    prior_from_registry,
    schema_path_for,
)
from bot.signing import (
    Signed,
    SignSetup,
    check_bundle_fields,
    plan_bundles,
    sign_flip,
    with_bundle_fields,
)
from bot.trust import check_commit
from flipbot.errors import InputError


class BaseMoved(InputError):
    """The base branch is no longer at the commit the flip was verified on."""

    def __init__(self, branch: str, verified: str, now: str | None) -> None:
        self.verified, self.now = verified, now
        super().__init__(
            f"--base '{branch}' moved from {verified[:12]} to "
            f"{now[:12] if now else 'nowhere (deleted)'} after flipbot verified the flip on "
            f"{verified[:12]}; rerun the job"
        )


@dataclass(frozen=True)
class CommitPlan:
    base: BaseView  # the view the verifier checked: the commit's parent is base.commit
    edit: RegistryEdit
    # Every file the flip commit holds (path -> bytes), the registry's rewrite last.
    desired: dict[str, bytes]
    shipped: tuple[ShippedFile, ...]  # the flip's files, the derived, signed and extra files
    removed: tuple[Removal, ...]  # data files only the replaced models used: deleted
    prior: Prior  # the base registry's rows (and, in PR mode, the base tree's paths)
    derived: tuple[ShippedFile, ...]  # the verdict (audit trail) and the synced manifest
    rendered: Rendered  # title, commit message, extra files, row updates
    manifest_notes: tuple[str, ...]  # what the manifest sync changed, what is stale
    signed: Signed  # the bundles and the promotion record (or why there are none)


def verified_base(flip: Flip) -> BaseView:
    """The base view the verifier checked; a flip without one was not built by the verifier."""
    if flip.base is None:  # only the verifier builds a Flip that ships, and it sets the base
        raise ValueError("a flip reached the commit without the base it was verified on")
    return flip.base


def _schema(view: BaseView, text: str) -> dict[str, Any] | None:
    """The JSON Schema the registry names (``$schema``) when the base holds it."""
    registry = view.registry_path
    ref = None if is_yaml(registry) else schema_path_for(parse_json(text, registry))
    if ref is None:
        return None
    path = str(PurePosixPath(registry).parent / ref)
    data = view.read_plain(path)
    if data is None:
        return None
    return parse_json(data.decode("utf-8", "replace"), path)


def plan_commit(
    config: BotConfig,
    flip: Flip,
    setup: SignSetup,
    earlier: Callable[[str], list[bytes]],
) -> CommitPlan:
    """Everything the flip commit holds, on the base ``flip`` was verified on.

    ``earlier(path)``: bytes an earlier run left at a path (signing reuses an identical
    promotion); each call reads nothing else.
    """
    view = verified_base(flip)
    registry = view.registry_path
    text = view.registry_text
    schema = _schema(view, text)
    prior = prior_from_registry(text, registry, view.paths)
    rendered = render_conventions(
        config.conventions, flip, base_sha=view.commit or "", registry=registry, prior=prior
    )
    for added in rendered.extra_files:
        if view.is_folder(added.path):
            raise InputError(
                f"input 'extra-files': '{added.path}' is a folder on {view.where}; choose a file path"
            )
    slots = plan_bundles(flip.targets, registry, text) if setup.backend else ()
    # Row updates (and sigstore_bundle of rows that had none) are part of the bot's own
    # registry rewrite: check_commit sees only that.
    changes = with_bundle_fields(rendered.changes(flip), slots)
    edit = flip_registry(text, changes, registry, schema=schema, bom=view.bom)

    def base_text(path: str) -> str | None:
        data = view.read_plain(path)
        return None if data is None else data.decode("utf-8")

    extra = ensemble_files(
        flip, edit.after, base_text, verdict_to=config.verdict_file, read_bytes=view.read_plain
    )  # manifest in sync + the verdict
    signed = sign_flip(
        setup,
        flip,
        slots,
        next(f for f in extra.files if f.sha256 == flip.verdict_sha256),
        earlier,
        registry=registry,
        repository=config.repo,
        base_sha=view.commit or "",
        run_url=config.run_url,
        audit=config.audit,
    )
    check_bundle_fields(edit.after, registry, signed)
    own = (*extra.files, *signed.files)
    shipped = (*flip.files, *own, *rendered.extra_files)
    # The registry's bytes are only ever the bot's own rewrite: listed last, nothing replaces them.
    desired = {**{f.path: f.data for f in shipped}, registry: edit.after_bytes()}
    check_commit(flip, registry, edit, desired, own=own, extra=rendered.extra_files)
    removed = stale_data_files(
        flip.targets, other_models(text, registry, flip), view.read_plain, desired, view.blob_sha
    )
    notes = tuple(describe(extra.manifest)) if extra.manifest else ()
    return CommitPlan(
        base=view,
        edit=edit,
        desired=desired,
        shipped=shipped,
        removed=removed,
        prior=prior,
        derived=extra.files,
        rendered=rendered,
        manifest_notes=notes,
        signed=signed,
    )
