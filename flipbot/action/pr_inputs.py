"""The Action's PR-convention inputs: templates, extra files, row updates, who reviews.

Checked here on the runner's plain python3 (no Jinja2 yet) by the rules the
bot's flags use too (:mod:`flipbot.inputs`): types, lengths, names, and that
every file named is inside the workspace. The bot checks
the templates themselves (sandbox, syntax, undefined names) before writing
anything, so a bad template is exit 2 either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flipbot.inputs import files, rules


@dataclass(frozen=True)
class PrInputs:
    title_template: str = ""
    commit_message_template: str = ""
    body_template: str = ""  # workspace-relative path, or ""
    body_header: str = ""
    body_footer: str = ""
    extra_files: str = ""  # lines PATH_TEMPLATE=TEMPLATE_FILE (the file workspace-relative)
    row_updates: str = ""  # lines FIELD=VALUE_TEMPLATE
    reviewers: tuple[str, ...] = ()
    team_reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    milestone: str = ""
    author: str = ""
    committer: str = ""
    signoff: bool = False
    draft: str = "false"  # true | false | always-true
    branch: str = ""
    verdict_file: str = ""  # repository-relative, inside the registry's folder, or ""
    sign: str = "auto"  # auto | required | off (Sigstore signing with the job's OIDC token)
    identity_regexp: str = ""  # the identity bundles must match; "" means the runtime's pattern


def parse_pr_inputs(get: Callable[[str, str], str], workspace: Path, base: str) -> PrInputs:
    """``get(KEY, default)`` reads FLIPBOT_INPUT_KEY; every file named stays in ``workspace``."""

    def where(key: str) -> str:
        return f"input '{key.lower().replace('_', '-')}'"

    def text(key: str, most: int = rules.MAX_TEMPLATE) -> str:
        return rules.template(where(key), get(key, ""), most)

    extra = where("EXTRA_FILES")
    lines = [
        f"{path}={files.inside(extra, template, workspace, must_exist=True)}"
        for _number, path, template in files.pairs(extra, text("EXTRA_FILES"), "extra-files")
    ]
    updates = text("ROW_UPDATES")
    files.row_update_fields(where("ROW_UPDATES"), updates)
    milestone = rules.milestone(where("MILESTONE"), get("MILESTONE", ""))
    for key in ("AUTHOR", "COMMITTER"):
        rules.identity(where(key), get(key, ""))
    people = rules.github_names(where("REVIEWERS"), get("REVIEWERS", ""), most=rules.MAX_REVIEWERS)
    teams = rules.github_names(
        where("TEAM_REVIEWERS"), get("TEAM_REVIEWERS", ""), team=True, most=rules.MAX_REVIEWERS
    )
    rules.reviewers_in_all("inputs 'reviewers'/'team-reviewers'", people, teams)
    body = get("BODY_TEMPLATE", "")
    return PrInputs(
        title_template=text("TITLE_TEMPLATE", rules.MAX_TITLE_TEMPLATE),
        commit_message_template=text("COMMIT_MESSAGE_TEMPLATE"),
        body_template=(
            files.inside(where("BODY_TEMPLATE"), body, workspace, must_exist=True)
            if body.strip()
            else ""
        ),
        body_header=text("BODY_HEADER"),
        body_footer=text("BODY_FOOTER"),
        extra_files="\n".join(lines),
        row_updates=updates,
        reviewers=people,
        team_reviewers=teams,
        assignees=rules.github_names(
            where("ASSIGNEES"), get("ASSIGNEES", ""), most=rules.MAX_ASSIGNEES
        ),
        milestone=str(milestone) if milestone else "",
        author=get("AUTHOR", "").strip(),
        committer=get("COMMITTER", "").strip(),
        signoff=rules.boolean(where("SIGNOFF"), get("SIGNOFF", "false")),
        draft=rules.draft(where("DRAFT"), get("DRAFT", "false")),
        branch=rules.flip_branch(where("BRANCH"), get("BRANCH", ""), base),
        verdict_file=files.verdict_file(where("VERDICT_FILE"), get("VERDICT_FILE", "")),
        sign=rules.sign(where("SIGN"), get("SIGN", "auto")),
        identity_regexp=rules.identity_regexp(where("IDENTITY_REGEXP"), get("IDENTITY_REGEXP", "")),
    )


def pr_outputs(pr: PrInputs) -> dict[str, str]:
    """The validated values as step outputs, read by the bot step's ``env:``."""
    return {
        "title-template": pr.title_template,
        "commit-message-template": pr.commit_message_template,
        "body-template": pr.body_template,
        "body-header": pr.body_header,
        "body-footer": pr.body_footer,
        "extra-files": pr.extra_files,
        "row-updates": pr.row_updates,
        "reviewers": ",".join(pr.reviewers),
        "team-reviewers": ",".join(pr.team_reviewers),
        "assignees": ",".join(pr.assignees),
        "milestone": pr.milestone,
        "author": pr.author,
        "committer": pr.committer,
        "signoff": "true" if pr.signoff else "false",
        "draft": pr.draft,
        "branch": pr.branch,
        "verdict-file": pr.verdict_file,
        "sign": pr.sign,
        "identity-regexp": pr.identity_regexp,
    }
