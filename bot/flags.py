"""The flags of a flip, shared by ``python -m bot`` and ``python -m bot promote``."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import BotConfig, Mode, build_config
from bot.conventions import build_conventions
from flipbot.inputs import rules


def add_flip_flags(parser: argparse.ArgumentParser) -> None:
    """Every flag of the flip itself: shared by `python -m bot` and `python -m bot promote`."""
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
        choices=rules.DRAFTS,
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
        choices=rules.SIGN_MODES,
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


def config_from_args(args: argparse.Namespace, verdict_dir: str, artifacts: str) -> BotConfig:
    """The BotConfig of the flip flags; ``verdict_dir``/``artifacts`` say what to flip."""
    mode: Mode = "dry-run" if args.dry_run else "apply-local" if args.apply_local else "pr"
    return build_config(
        verdict_dir=verdict_dir,
        artifacts=artifacts,
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
