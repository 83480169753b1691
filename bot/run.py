"""Verify and flip: the part of ``python -m bot`` that ``python -m bot promote`` runs too."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.body import BodyContext, render_refusal, render_summary
from bot.config import MISSING_TOKEN, BotConfig
from bot.flip import BaseView, Flip
from bot.github_api import GitHubRepo
from bot.outcome import Outcome
from bot.pr import BaseMoved, extra_files_diff, run_local, run_pr
from bot.signing import sign_setup
from bot.trust import TrustOptions, api_base, verify, worktree_base
from bot.workflow import (
    Phase,
    annotate_error,
    annotate_warning,
    append_summary,
    phase,
    print_verbatim,
    write_outputs,
)
from flipbot.errors import EXIT_NO, EXIT_OK, InputError
from flipbot.verdict_file import NO_SEED_CLEARED

log = logging.getLogger("bot")


def _refusal(config: BotConfig, flip: Flip, outcome: Outcome) -> int:
    report = render_refusal(flip)
    print_verbatim(report)
    append_summary(report)
    annotate_error(f"flipbot refused the flip: {outcome.refusal_reason}")
    write_outputs(outcome.outputs())
    return EXIT_NO if config.fail_on_refusal else EXIT_OK


def open_base(config: BotConfig) -> tuple[GitHubRepo | None, Callable[[str], BaseView]]:
    """The GitHub client (PR mode) and the reader of the base the flip is checked against."""
    if config.mode != "pr":
        return None, worktree_base(config.registry)
    if not config.token:  # build_config refuses this already; a config made otherwise too
        raise InputError(MISSING_TOKEN)
    api = GitHubRepo(
        config.api_url,
        config.token,
        config.repo,
        max_wait_s=config.max_wait_s,
        backoff_s=config.backoff_s,
        write_interval_s=config.write_interval_s,
    )
    return api, api_base(api, config.base, config.registry)


# How often a plain run verifies again when the base branch moves between verification and
# commit (each time on the new tip); past that it refuses (exit 2) and the next run starts over.
MAX_VERIFICATIONS = 3


def flip_verified(
    config: BotConfig,
    api: GitHubRepo | None,
    base: Callable[[str], BaseView],
    step: Phase = phase,
) -> int:
    """Verify the verdict and export folder against ``base``, then flip (or report the refusal).

    The flip commit is built on the very base commit the verifier checked. If the base branch
    moved in between, the flip is verified again on the new tip (``base`` reads it anew) and
    planned there; a ``base`` that can only show the old commit (``bot promote``: its gate and
    export ran on it) refuses instead: the next run starts from the new base.
    """
    options = TrustOptions(config.ensemble_id, config.allow_recipe_override)
    # The one verifier: nothing below runs (and nothing is written) unless it passes.
    with step("verify"):
        flip = verify(config.verdict_dir, config.artifacts, base, options)
    verifications = 1
    while True:
        try:
            return _flip(config, api, flip, step)
        except BaseMoved as moved:
            if verifications == MAX_VERIFICATIONS:
                raise
            note = f"{moved} (verifying again on the new tip)"
            log.warning(note)
            annotate_warning(note)
            with step("verify"):
                flip = verify(config.verdict_dir, config.artifacts, base, options)
            verifications += 1
            if flip.base is not None and flip.base.commit == moved.verified:
                raise  # the same old base again (bot promote): verifying again cannot help


def _flip(config: BotConfig, api: GitHubRepo | None, flip: Flip, step: Phase) -> int:
    for note in flip.recipe_override:
        annotate_warning(f"recipe override: {note}")
    refused = flip.verdict.refused or not flip.changes
    reason = flip.verdict.refusal_reason or NO_SEED_CLEARED
    unsigned = sign_setup(
        config.sign, config.mode, config.oidc, config.policy, ghes=config.ghes
    ).unsigned
    if not refused and config.sign == "auto" and config.mode != "dry-run" and unsigned:
        note = f"the flipped models are not signed: {unsigned}"
        log.warning(note)
        annotate_warning(note)
    if config.mode != "pr":
        if refused:
            return _refusal(config, flip, Outcome(operation="refused", refusal_reason=reason))
        done = run_local(config, flip, phase=step)
        diff = (
            done.edit.diff() or f"(registry {config.registry} already holds this flip: no change)\n"
        ) + extra_files_diff(done)
        title = f"title: {done.rendered.title}\n\n{done.rendered.message}\n"
        print_verbatim("\n".join((title, done.body.text, diff)))
        append_summary(
            render_summary(done.context, done.outcome.operation, None) + f"\n```diff\n{diff}```\n"
        )
        write_outputs(done.outcome.outputs())
        return EXIT_OK
    if api is None:  # open_base gives PR mode its client
        raise ValueError("PR mode without a GitHub client")
    outcome = run_pr(config, flip, api, phase=step)
    for note in outcome.notes:
        log.warning(note)
        annotate_warning(note)
    if refused:
        return _refusal(config, flip, outcome)
    print(f"flipbot: {outcome.operation} {outcome.url or ''}".rstrip())
    if flip.plan is not None:
        context = BodyContext(
            flip, outcome.base_sha or "", flip.plan.registry, config.run_url, config.plots_url
        )
        notes = "".join(f"- {note}\n" for note in outcome.notes)
        append_summary(render_summary(context, outcome.operation, outcome.url) + "\n" + notes)
    write_outputs(outcome.outputs())
    return EXIT_OK
