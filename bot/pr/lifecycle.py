"""The flip PR's lifecycle: create, update, leave alone, close, or mark stale (SPEC §9).

Every run rebuilds the fixed branch ``flipbot/<registry-stem>`` on the base
commit the verifier checked (read once, through the API: :mod:`bot.flip.base`);
:mod:`bot.pr.commit_plan` plans the flip on it, and one commit (blobs -> tree ->
commit, its parent that base commit) is published by ONE ref write; the pull
request is created last. Reads decide everything first, so an identical rerun
writes nothing, and a run that crashed between the ref write and the PR
creation converges on the next one.

A person's commit is never lost: a branch commit is flipbot's only when its
author and committer are the bot's identity, it carries the trailer, and it is
the branch's one commit on a base commit; anything else leaves the branch
alone. Every move of an existing branch goes through :mod:`bot.pr.branch_guard`
(re-read right before the write, then a check of what the write replaced).
The ``stop-updating`` label wins over every other action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.body import BodyContext, build_body, read_hidden
from bot.config import BotConfig
from bot.conventions import Rendered
from bot.flip import Flip, ShippedFile
from bot.github_api import CommitInfo, GitHubError, GitHubRepo, PullInfo, TreeEntry, git_blob_sha
from bot.manifest import Removal
from bot.outcome import STALE_LABEL, STOP_LABEL, Operation, Outcome
from bot.pr.branch_guard import move_branch
from bot.pr.commit_plan import BaseMoved, plan_commit, verified_base
from bot.pr.exits import (
    TRAILER,
    close_done,
    foreign_commits,
    frozen,
    head_moved,
    leave_human_commits,
    mark_stale,
)
from bot.pr.people import on_create, on_update
from bot.registry import (
    Prior,
    RegistryEdit,
)
from bot.signing import (
    Signed,
    SignSetup,
    sign_setup,
)
from bot.workflow import Phase
from bot.workflow import phase as log_phase
from flipbot.errors import InputError


def commit_message(message: str, flip: Flip, config: BotConfig) -> str:
    """The rendered message plus the trailers: Signed-off-by (if asked) and the verdict."""
    trailers = []
    if config.signoff:
        trailers.append(f"Signed-off-by: {config.committer}")
    trailers.append(f"{TRAILER}: {flip.verdict_sha256}")
    return message.rstrip() + "\n\n" + "\n".join(trailers) + "\n"


@dataclass(frozen=True)
class Base:
    sha: str
    tree: dict[str, TreeEntry]
    edit: RegistryEdit
    # Files whose bytes differ from the base: what the commit writes (None: the commit
    # deletes it, a data file only a replaced model used; bot.manifest.external_data).
    pending: dict[str, bytes | None]
    prior: Prior  # the base registry's rows and the base tree's paths
    derived: tuple[ShippedFile, ...]  # the verdict (audit trail) and the synced manifest
    rendered: Rendered  # title, commit message, extra files, row updates
    manifest_notes: tuple[str, ...] = ()  # what the manifest sync changed, what is stale
    signed: Signed | None = None  # the bundles and the promotion record (or why there are none)
    removed: tuple[Removal, ...] = ()  # data files the flip deletes


def setup_for(config: BotConfig) -> SignSetup:
    return sign_setup(config.sign, config.mode, config.oidc, config.policy, ghes=config.ghes)


def read_base(
    api: GitHubRepo, config: BotConfig, flip: Flip, setup: SignSetup | None = None
) -> Base:
    """The flip commit planned on the base commit the verifier checked, and what it changes."""
    view = verified_base(flip)
    if view.commit is None or view.tree is None:
        raise ValueError("PR mode needs the base commit the verifier read through the API")
    tree = dict(view.tree)
    setup = setup or setup_for(config)
    earlier = _earlier(api, config, tree) if setup.backend else lambda path: []
    plan = plan_commit(config, flip, setup, earlier)
    pending: dict[str, bytes | None] = {
        path: data
        for path, data in sorted(plan.desired.items())
        if path not in tree or tree[path].sha != git_blob_sha(data)
    }
    pending.update({r.path: None for r in plan.removed})
    return Base(
        sha=view.commit,
        tree=tree,
        edit=plan.edit,
        pending=pending,
        prior=plan.prior,
        derived=plan.derived,
        rendered=plan.rendered,
        manifest_notes=plan.manifest_notes,
        signed=plan.signed,
        removed=plan.removed,
    )


def still_at(api: GitHubRepo, config: BotConfig, sha: str) -> None:
    """The base branch is still at the commit the flip was verified (and planned) on."""
    tip = api.ref_sha(config.base)
    if tip != sha:
        raise BaseMoved(config.base, sha, tip)


def _earlier(
    api: GitHubRepo, config: BotConfig, base_tree: dict[str, TreeEntry]
) -> Callable[[str], list[bytes]]:
    """Bytes an earlier run left at a path: on the flip branch's head, then on the base."""
    head = api.ref_sha(config.branch)
    trees = [api.tree(api.commit(head).tree_sha)] if head else []
    trees.append(base_tree)

    def read(path: str) -> list[bytes]:
        shas = [t[path].sha for t in trees if path in t and t[path].type == "blob"]
        return [api.blob(sha) for sha in dict.fromkeys(shas)]  # one read per distinct blob

    return read


def run_pr(
    config: BotConfig,
    flip: Flip,
    api: GitHubRepo,
    setup: SignSetup | None = None,
    *,
    phase: Phase = log_phase,
) -> Outcome:
    pull = api.find_pull(config.branch, config.base)
    if pull is not None and STOP_LABEL in pull.labels:
        return frozen(config, flip, pull)  # wins over everything: update, close, stale mark
    if flip.verdict.refused or not flip.changes:
        return mark_stale(config, flip, api, pull)
    with phase("plan"):
        base = read_base(api, config, flip, setup)
        still_at(api, config, base.sha)  # else bot/run.py verifies again on the new tip
    with phase("commit and pull request"):
        return _publish(config, flip, api, base, pull)


def _publish(
    config: BotConfig, flip: Flip, api: GitHubRepo, base: Base, pull: PullInfo | None
) -> Outcome:
    """The flip commit on ``base``, the branch moved to it (never over a person's commit), the PR."""
    branch = config.branch
    head_sha = api.ref_sha(branch)
    if not base.pending:
        return close_done(config, flip, api, pull, head_sha, base.sha)
    if pull is None:
        closed = closed_for_verdict(api, config, flip)
        if closed is not None:
            note = (
                f"#{closed.number} was closed for this same verdict: not reopened; "
                "a new verdict opens a new pull request"
            )
            return Outcome.about(
                "unchanged",
                closed,
                head_sha=None,
                branch=branch,
                flipped=flip.flipped_ids,
                notes=(note,),
            )
    message = commit_message(base.rendered.message, flip, config)
    wrote = False
    notes: list[str] = []
    comments: list[str] = []
    if head_sha is None:
        head_sha = api.write_commit(
            base.sha,
            list(base.pending.items()),
            message,
            author=config.author,
            committer=config.committer,
        ).sha
        try:
            api.create_ref(branch, head_sha)  # fails (422) if the branch appeared meanwhile
        except GitHubError as exc:
            if exc.status != 422:
                raise
            found = api.ref_sha(branch)
            note = (
                f"'{branch}' was created by someone else while flipbot was working (at "
                f"{found[:12] if found else 'an unknown commit'}): not updated; the next run "
                "decides again on what it then finds"
            )
            return head_moved(config, flip, pull, head_sha, found, (note,))
        wrote = True
    else:
        comparison = api.compare(base.sha, head_sha)
        foreign = foreign_commits(config, comparison, head_sha)
        if foreign:
            return leave_human_commits(config, flip, api, pull, head_sha, foreign)
        head_tree = api.tree(api.commit(head_sha).tree_sha)
        if not _branch_holds(base, head_sha, list(comparison.commits), head_tree):
            # Blobs the branch already has (e.g. unchanged ONNX files) are reused, not re-uploaded.
            known = {e.sha for e in head_tree.values() if e.type == "blob"}
            new = api.write_commit(
                base.sha,
                list(base.pending.items()),
                message,
                known,
                author=config.author,
                committer=config.committer,
            )
            move = move_branch(api, branch, head_sha, new.sha)
            if not move.written:
                return head_moved(config, flip, pull, head_sha, move.head, move.notes)
            notes += move.notes
            comments += move.comments
            head_sha = new.sha
            wrote = True
    context = BodyContext(
        flip,
        base.sha,
        base.edit.where,
        config.run_url,
        config.plots_url,
        prior=base.prior,
        extra_files=base.rendered.extra_files,
        derived_files=base.derived,
        manifest_notes=base.manifest_notes,
        row_updates=base.rendered.row_updates,
        branch=branch,
        signing=base.signed,
        removed=base.removed,
        audit=config.audit,
    )
    body = build_body(context, layout=config.conventions.layout)
    title = base.rendered.title
    if pull is None:
        created = api.create_pull(branch, config.base, title, body.text, config.draft)
        if created is not None:
            if config.labels:
                api.add_labels(created.number, config.labels)
            for comment in comments:
                api.comment(created.number, comment)
            on_create(api, config, created.number)
            return Outcome.about(
                "created",
                created,
                head_sha=head_sha,
                branch=branch,
                flipped=flip.flipped_ids,
                notes=tuple(notes),
                base_sha=base.sha,
            )
        pull = api.find_pull(branch, config.base)
        if pull is None:
            raise InputError(
                f"GitHub says a pull request from '{branch}' exists but none is open; rerun the job"
            )
    for comment in comments:
        api.comment(pull.number, comment)
    edited = False
    if read_hidden(pull.body) != body.hidden or pull.title != title:
        api.edit_pull(pull.number, title=title, body=body.text)
        edited = True
    missing = [label for label in config.labels if label not in pull.labels]
    if missing:
        api.add_labels(pull.number, missing)
    if STALE_LABEL in pull.labels:
        api.remove_label(pull.number, STALE_LABEL)
    people = on_update(api, config, pull)
    touched = wrote or edited or bool(missing) or STALE_LABEL in pull.labels or people
    operation: Operation = "updated" if touched else "unchanged"
    return Outcome.about(
        operation,
        pull,
        head_sha=head_sha,
        branch=branch,
        flipped=flip.flipped_ids,
        notes=tuple(notes),
        base_sha=base.sha,
    )


def closed_for_verdict(api: GitHubRepo, config: BotConfig, flip: Flip) -> PullInfo | None:
    """The newest closed flip PR made for this verdict, looking at every closed one (all pages)."""
    for closed in api.find_pulls(config.branch, config.base, state="closed"):
        hidden = read_hidden(closed.body)
        if hidden and hidden.get("verdict_sha256") == flip.verdict_sha256:
            return closed
    return None


def _branch_holds(
    base: Base, head_sha: str, extra: list[CommitInfo], tree: dict[str, TreeEntry]
) -> bool:
    """The branch is one bot commit on the current base tip with exactly the desired files."""
    if len(extra) != 1 or extra[0].sha != head_sha or extra[0].parents != (base.sha,):
        return False
    wanted = {
        path: None if data is None else git_blob_sha(data) for path, data in base.pending.items()
    }
    old = {p: e.sha for p, e in base.tree.items() if e.type != "tree"}
    new = {p: e.sha for p, e in tree.items() if e.type != "tree"}
    differ = {p for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
    return differ == set(wanted) and all(new.get(p) == sha for p, sha in wanted.items())
