"""The Action's PR-convention inputs: templates, extra files, row updates, who reviews.

Checked here on the runner's plain python3 (no Jinja2 yet): types, lengths,
names, and that every file named is inside the workspace. The bot checks
the templates themselves (sandbox, syntax, undefined names) before writing
anything, so a bad template is exit 2 either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flipbot.errors import InputError

# A verdict audit path: plain characters only (it lands in a tree entry and the PR body).
SAFE_PATH = re.compile(r"[A-Za-z0-9._/-]+")

LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
IDENTITY = re.compile(r"^[^<>\x00-\x1f]{1,100} <[^<>\s@]{1,64}@[^<>\s@]{1,190}>$")
BAD_REF = re.compile(r"(\.\.|@\{|//|[\x00-\x20\x7f~^:?*\[\\])")
MAX_TEMPLATE = 64 * 1024
DRAFTS = ("true", "false", "always-true")
# Inputs bounded by MAX_TEMPLATE rather than input_bounds.MAX_INPUT (checked again, per input, below).
TEMPLATE_INPUTS = frozenset(
    (
        "TITLE_TEMPLATE",
        "COMMIT_MESSAGE_TEMPLATE",
        "BODY_HEADER",
        "BODY_FOOTER",
        "EXTRA_FILES",
        "ROW_UPDATES",
    )
)


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


SIGN_MODES = ("auto", "required", "off")


def _sign_inputs(get: Callable[[str, str], str]) -> tuple[str, str]:
    sign = get("SIGN", "auto").strip().lower() or "auto"
    if sign not in SIGN_MODES:
        raise InputError(f"input 'sign': {sign[:20]!r} is not one of {', '.join(SIGN_MODES)}")
    pattern = get("IDENTITY_REGEXP", "").strip()
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InputError(
            f"input 'identity-regexp': not a regular expression ({exc}); fix the pattern"
        ) from None
    if len(pattern) > 500 or "\n" in pattern or "\x00" in pattern:
        raise InputError("input 'identity-regexp': one line of at most 500 characters")
    return sign, pattern


def _text(name: str, value: str, most: int = MAX_TEMPLATE) -> str:
    if len(value) > most or "\x00" in value:
        raise InputError(f"input '{name}': more than {most} characters (or a NUL); shorten it")
    return value


def _names(name: str, value: str, pattern: re.Pattern[str], most: int) -> tuple[str, ...]:
    names = tuple(
        dict.fromkeys(w.strip().lstrip("@") for w in re.split(r"[,\n]", value) if w.strip())
    )
    for item in names:
        if not pattern.match(item):
            raise InputError(f"input '{name}': {item[:60]!r} is not a GitHub name; fix '{name}'")
    if len(names) > most:
        raise InputError(f"input '{name}': {len(names)} names, at most {most}")
    return names


def _lines(name: str, value: str) -> list[tuple[int, str, str]]:
    out = []
    for number, line in enumerate(value.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        left, sep, right = line.partition("=") if name == "row-updates" else line.rpartition("=")
        if not sep or not left.strip() or not right.strip():
            raise InputError(f"input '{name}': line {number} is not LEFT=RIGHT")
        out.append((number, left.strip(), right.strip()))
    if len(out) > 20:
        raise InputError(f"input '{name}': {len(out)} entries, at most 20")
    return out


def parse_pr_inputs(
    get: Callable[[str, str], str],
    in_workspace: Callable[[str, str], str],
    base: str,
) -> PrInputs:
    """``get(KEY, default)`` reads FLIPBOT_INPUT_KEY; ``in_workspace(name, path)`` confines a file."""
    body = get("BODY_TEMPLATE", "").strip()
    extra = _text("extra-files", get("EXTRA_FILES", ""))
    lines = []
    for _number, path, template in _lines("extra-files", extra):
        lines.append(f"{path}={in_workspace('extra-files', template)}")
    updates = _text("row-updates", get("ROW_UPDATES", ""))
    for number, field, _value in _lines("row-updates", updates):
        if not FIELD.match(field) or field in ("id", "sha256", "smoke"):
            raise InputError(
                f"input 'row-updates': line {number}: {field[:60]!r} cannot be updated; "
                "name another field of the rows, e.g. notes"
            )
    milestone = get("MILESTONE", "").strip()
    if milestone and (not re.fullmatch(r"[0-9]{1,9}", milestone) or int(milestone) < 1):
        raise InputError(f"input 'milestone': {milestone[:40]!r} is not a milestone number")
    identities = {k: get(k.upper(), "").strip() for k in ("author", "committer")}
    for key, value in identities.items():
        if value and not IDENTITY.match(value):
            raise InputError(f"input '{key}': {value[:80]!r} is not 'Name <email>'")
    signoff = get("SIGNOFF", "false").strip().lower()
    draft = get("DRAFT", "false").strip().lower()
    if signoff not in ("true", "false") or draft not in DRAFTS:
        bad = "signoff" if signoff not in ("true", "false") else "draft"
        raise InputError(
            f"input '{bad}': not one of {'true, false' if bad == 'signoff' else ', '.join(DRAFTS)}"
        )
    branch = get("BRANCH", "").strip().removeprefix("refs/heads/")
    if branch and (
        len(branch) > 200
        or branch == base
        or branch.startswith(("-", "/", "."))
        or branch.endswith(("/", ".", ".lock"))
        or BAD_REF.search(branch)
    ):
        raise InputError(f"input 'branch': {branch[:80]!r} is not a usable branch name")
    verdict_file = get("VERDICT_FILE", "").strip()
    if verdict_file and (
        len(verdict_file) > 1024
        or not verdict_file.endswith(".json")
        or not SAFE_PATH.fullmatch(verdict_file)
        or PurePosixPath(verdict_file).is_absolute()
        or any(part in ("", ".", "..", ".git", ".github") for part in verdict_file.split("/"))
    ):
        raise InputError(
            f"input 'verdict-file': {verdict_file[:80]!r} is not a clean repository-relative "
            "*.json path; give e.g. model/tiny/fr_regressor_v2_ensemble_v1.verdict.json"
        )
    sign, identity_regexp = _sign_inputs(get)
    reviewers = _names("reviewers", get("REVIEWERS", ""), LOGIN, 15)
    teams = _names("team-reviewers", get("TEAM_REVIEWERS", ""), TEAM, 15)
    if len(reviewers) + len(teams) > 15:
        raise InputError("inputs 'reviewers'/'team-reviewers': more than 15 in all")
    return PrInputs(
        title_template=_text("title-template", get("TITLE_TEMPLATE", ""), 1024),
        commit_message_template=_text(
            "commit-message-template", get("COMMIT_MESSAGE_TEMPLATE", "")
        ),
        body_template=in_workspace("body-template", body) if body else "",
        body_header=_text("body-header", get("BODY_HEADER", "")),
        body_footer=_text("body-footer", get("BODY_FOOTER", "")),
        extra_files="\n".join(lines),
        row_updates=updates,
        reviewers=reviewers,
        team_reviewers=teams,
        assignees=_names("assignees", get("ASSIGNEES", ""), LOGIN, 10),
        milestone=milestone,
        author=identities["author"],
        committer=identities["committer"],
        signoff=signoff == "true",
        draft=draft,
        branch=branch,
        verdict_file=verdict_file,
        sign=sign,
        identity_regexp=identity_regexp,
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


def workspace_file(workspace: Path) -> Callable[[str, str], str]:
    """A checker that a template file is inside ``workspace`` (resolved, so symlinks count)."""
    from flipbot.action.inputs import workspace_path

    def check(name: str, text: str) -> str:
        return workspace_path(name, text, workspace, must_exist=True)

    return check
