"""``python -m bot``: apply a flip plan to the registry and open (or update) the flip PR.

Exit codes: 0 done, 1 refusal (unless --no-fail-on-refusal), 2 bad input or a
GitHub error with its fix, 3 a bug.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from bot.base_view import api_base, worktree_base
from bot.body import BodyContext, render_refusal, render_summary
from bot.config import BotConfig, Mode, build_config
from bot.conventions import build_conventions
from bot.flip import Flip
from bot.outcome import Outcome
from bot.sign_setup import sign_setup
from bot.verify import TrustOptions, verify
from bot.workflow import (
    annotate_error,
    annotate_warning,
    append_summary,
    mask,
    print_verbatim,
    write_outputs,
)
from flipbot.cli import run_guarded
from flipbot.errors import EXIT_INPUT, EXIT_NO, EXIT_OK, InputError
from flipbot.untrusted_text import configure_logging, log_line

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=(
            "Apply the flip plan written by `trainer export` to the registry on the base branch and "
            "open or update one flip pull request; on a refused verdict, write nothing and report why. "
            "The token comes only from the environment (FLIPBOT_TOKEN, else GITHUB_TOKEN)."
        ),
        epilog=(
            "The PR lives on the branch flipbot/<registry-stem>, rebuilt from the base tip on every "
            "run; an identical rerun writes nothing. Add the label 'stop-updating' to freeze the PR; "
            "commits pushed by people are never overwritten. Step outputs go to $GITHUB_OUTPUT, the "
            "report to $GITHUB_STEP_SUMMARY. Exit codes: 0 done, 1 refused (unless "
            "--no-fail-on-refusal), 2 bad input or a GitHub error (the message names the fix), 3 a bug."
        ),
    )
    parser.add_argument(
        "--verdict-dir", required=True, help="folder with PROMOTE.json or HOLD.json"
    )
    parser.add_argument(
        "--artifacts", required=True, help="export folder with flip_plan.json, ONNX files, sidecars"
    )
    parser.add_argument(
        "--registry", required=True, help="registry path, e.g. model/tiny/registry.json"
    )
    parser.add_argument("--repo", required=True, help="OWNER/NAME of the repository")
    parser.add_argument("--base", required=True, help="base branch the flip PR targets, e.g. main")
    local = parser.add_mutually_exclusive_group()
    local.add_argument(
        "--dry-run",
        action="store_true",
        help="no token, no network: print the PR body and the registry diff",
    )
    local.add_argument(
        "--apply-local",
        action="store_true",
        help="write the registry change and copy the ONNX files/sidecars into the working tree",
    )
    parser.add_argument(
        "--labels", default="", help="comma-separated labels for the PR, e.g. models,flip"
    )
    parser.add_argument(
        "--draft",
        nargs="?",
        const="true",
        default="false",
        choices=("true", "false", "always-true"),
        help="open the PR as a draft; always-true: also turn it back into a draft on every update",
    )
    parser.add_argument(
        "--no-fail-on-refusal",
        dest="fail_on_refusal",
        action="store_false",
        help="exit 0 instead of 1 when the verdict refuses the flip",
    )
    parser.add_argument(
        "--ensemble-id",
        default="fr_regressor_v2_ensemble_v1",
        help="registry rows flipped are <id>_seed<N>, as in `trainer export` (default: %(default)s)",
    )
    parser.add_argument(
        "--allow-recipe-override",
        action="store_true",
        help="ship models fitted with another recipe than the verdict judged (the PR says so)",
    )
    parser.add_argument(
        "--api-url",
        default=None,
        help="GitHub API URL (default: $GITHUB_API_URL or api.github.com)",
    )
    parser.add_argument(
        "--sign",
        default="auto",
        choices=("auto", "required", "off"),
        help="Sigstore-sign the flipped models and the promotion record with the job's OIDC token: "
        "auto (default) when the job has one, else warn; required: exit 2 without one; off",
    )
    parser.add_argument(
        "--identity-regexp",
        default=None,
        help="identity a bundle must match (unanchored, as cosign); default the runtime's "
        "https://github.com/<repo>/.github/workflows/.+",
    )
    parser.add_argument(
        "--issuer", default=None, help="OIDC issuer of the signatures (default: GitHub Actions)"
    )
    add_convention_flags(parser)
    return parser


def add_convention_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "repository conventions",
        "Templates are Jinja2 (sandboxed, undefined variables are errors); files are paths "
        "inside the repository (the current folder). See the README for the variables.",
    )
    group.add_argument("--title-template", help="PR title template (default: Conventional Commits)")
    group.add_argument("--commit-message-template", help="commit message template")
    group.add_argument("--body-template", help="Markdown template file for the whole PR body")
    group.add_argument("--body-header", help="template put above the default body")
    group.add_argument("--body-footer", help="template put below the default body")
    group.add_argument(
        "--extra-files",
        default="",
        help="lines PATH_TEMPLATE=TEMPLATE_FILE: files added to the flip commit",
    )
    group.add_argument(
        "--row-updates",
        default="",
        help="lines FIELD=VALUE_TEMPLATE: other string fields of the flipped rows, e.g. notes",
    )
    group.add_argument("--reviewers", default="", help="comma list of GitHub users to request")
    group.add_argument("--team-reviewers", default="", help="comma list of team slugs to request")
    group.add_argument("--assignees", default="", help="comma list of GitHub users to assign")
    group.add_argument("--milestone", default=None, help="milestone number for the PR")
    group.add_argument("--author", default=None, help="commit author, 'Name <email>'")
    group.add_argument("--committer", default=None, help="commit committer, 'Name <email>'")
    group.add_argument(
        "--signoff", action="store_true", help="add a Signed-off-by trailer to the commit"
    )
    group.add_argument("--branch", default=None, help="flip branch (default flipbot/<registry>)")
    group.add_argument(
        "--verdict-file",
        default=None,
        help="where the commit keeps the verdict as the audit trail, inside the registry's folder "
        "(default <registry folder>/<ensemble id>.verdict.json)",
    )


def _config(args: argparse.Namespace) -> BotConfig:
    mode: Mode = "dry-run" if args.dry_run else "apply-local" if args.apply_local else "pr"
    return build_config(
        verdict_dir=args.verdict_dir,
        artifacts=args.artifacts,
        registry=args.registry,
        repo=args.repo,
        base=args.base,
        mode=mode,
        labels=args.labels,
        draft=args.draft == "true",
        fail_on_refusal=args.fail_on_refusal,
        api_url=args.api_url,
        ensemble_id=args.ensemble_id,
        allow_recipe_override=args.allow_recipe_override,
        conventions=build_conventions(
            root=Path.cwd(),
            title_template=args.title_template,
            commit_message_template=args.commit_message_template,
            body_template=args.body_template,
            body_header=args.body_header,
            body_footer=args.body_footer,
            extra_files=args.extra_files,
            row_updates=args.row_updates,
            reviewers=args.reviewers,
            team_reviewers=args.team_reviewers,
            assignees=args.assignees,
            milestone=args.milestone,
        ),
        author=args.author,
        committer=args.committer,
        signoff=args.signoff,
        draft_always=args.draft == "always-true",
        branch=args.branch,
        verdict_file=args.verdict_file,
        sign=args.sign,
        identity_regexp=args.identity_regexp,
        issuer=args.issuer,
    )


def _refusal(config: BotConfig, flip: Flip, outcome: Outcome) -> int:
    report = render_refusal(flip)
    print_verbatim(report)
    append_summary(report)
    annotate_error(f"flipbot refused the flip: {outcome.refusal_reason}")
    write_outputs(outcome.outputs())
    return EXIT_NO if config.fail_on_refusal else EXIT_OK


def _run(config: BotConfig) -> int:
    if config.token:
        mask(config.token)  # before anything else can log
    options = TrustOptions(config.ensemble_id, config.allow_recipe_override)
    api = None
    if config.mode == "pr":
        assert config.token is not None
        from bot.github_api import GitHubRepo

        api = GitHubRepo(
            config.api_url,
            config.token,
            config.repo,
            max_wait_s=config.max_wait_s,
            backoff_s=config.backoff_s,
            write_interval_s=config.write_interval_s,
        )
        base = api_base(api, config.base, config.registry)
    else:
        base = worktree_base(config.registry)
    # The one verifier: nothing below runs (and nothing is written) unless it passes.
    flip = verify(config.verdict_dir, config.artifacts, base, options)
    for note in flip.recipe_override:
        annotate_warning(f"recipe override: {note}")
    refused = flip.verdict.refused or not flip.changes
    reason = flip.verdict.refusal_reason or "no seed cleared the gate"
    unsigned = sign_setup(
        config.sign, config.mode, config.oidc, config.policy, ghes=config.ghes
    ).unsigned
    if not refused and config.sign == "auto" and config.mode != "dry-run" and unsigned:
        note = f"the flipped models are not signed: {unsigned}"
        log.warning(note)
        annotate_warning(note)
    if config.mode != "pr":
        if refused:
            return _refusal(config, flip, Outcome("refused", refusal_reason=reason))
        from bot.local import extra_files_diff, run_local

        done = run_local(config, flip)
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
    from bot.lifecycle import run_pr

    assert api is not None
    outcome = run_pr(config, flip, api)
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


def main(argv: list[str] | None = None) -> int:
    configure_logging("%(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["verify-signatures"]:
        from bot.verify_signatures import main as verify_signatures

        return verify_signatures(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        config = _config(args)
    except InputError as exc:
        print(f"error: {log_line(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    return execute(config)


def execute(config: BotConfig) -> int:
    """Run the bot for ``config``; print errors and map them to exit codes."""
    annotate = annotate_error if os.environ.get("GITHUB_ACTIONS") == "true" else None
    return run_guarded("bot", lambda: _run(config), on_input_error=annotate)


if __name__ == "__main__":
    sys.exit(main())
