"""A repository's PR conventions as bot inputs, parsed and validated once.

Templates for the title, the commit message and the body (or a header and
footer around the default body), extra templated files for the flip commit
(e.g. a changelog fragment), templated values for other fields of the flipped
rows (e.g. ``notes``), and who reviews: reviewers, team reviewers, assignees,
milestone. Each bad value is an :class:`InputError` naming the input and the
fix (exit 2), raised before anything is read from GitHub or written.

Files named here (the body template, extra files' content templates) are
paths inside the repository: relative to ``root`` (the repository checkout,
the current folder by default), never leaving it, never through a symlink
that leaves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.conventions.templates import (
    DEFAULT_COMMIT,
    DEFAULT_TITLE,
    BodyLayout,
    Template,
    from_file,
    inline,
)
from bot.github_api import Identity
from flipbot.errors import InputError
from flipbot.input_bounds import check_length

LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")  # a GitHub user name
TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")  # a team slug
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
IDENTITY = re.compile(r"^([^<>\x00-\x1f]{1,100}) <([^<>\s@]{1,64}@[^<>\s@]{1,190})>$")
NOT_UPDATABLE = ("id", "sha256", "smoke", "sigstore_bundle")  # the flip itself owns these
MAX_REVIEWERS, MAX_ASSIGNEES, MAX_ENTRIES = 15, 10, 20


@dataclass(frozen=True)
class ExtraFile:
    path: Template  # rendered to a repository-relative path
    content: Template  # a template file of the repository


@dataclass(frozen=True)
class RowUpdate:
    field: str  # an existing string field of the flipped rows, e.g. "notes"
    value: Template


@dataclass(frozen=True)
class Conventions:
    title: Template = field(default_factory=lambda: inline(DEFAULT_TITLE, "title-template"))
    commit_message: Template = field(
        default_factory=lambda: inline(DEFAULT_COMMIT, "commit-message-template")
    )
    layout: BodyLayout = field(default_factory=BodyLayout)
    extra_files: tuple[ExtraFile, ...] = ()
    row_updates: tuple[RowUpdate, ...] = ()
    reviewers: tuple[str, ...] = ()
    team_reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    milestone: int | None = None


def split_list(text: str) -> tuple[str, ...]:
    """Comma- or newline-separated names, blanks dropped, order kept, duplicates once."""
    names = [w.strip().removeprefix("@") for w in re.split(r"[,\n]", text) if w.strip()]
    return tuple(dict.fromkeys(names))


def parse_names(name: str, text: str, pattern: re.Pattern[str], most: int) -> tuple[str, ...]:
    names = split_list(check_length(f"--{name}", text))
    for value in names:
        if not pattern.match(value):
            raise InputError(
                f"--{name}: '{value[:60]}' is not a GitHub {'team slug' if pattern is TEAM else 'user name'}; "
                f"fix --{name}"
            )
    if len(names) > most:
        raise InputError(f"--{name}: {len(names)} names, GitHub takes at most {most}; list fewer")
    return names


def parse_identity(name: str, text: str | None) -> Identity | None:
    """``Name <email>`` (bounded lengths) as the lifecycle's :class:`Identity`, or None."""
    if not text:
        return None
    match = IDENTITY.match(text.strip())
    if match is None:
        raise InputError(
            f"--{name}: {text[:80]!r} is not 'Name <email>'; give e.g. "
            "'flipbot <flipbot@users.noreply.github.com>'"
        )
    return Identity(match.group(1).strip(), match.group(2))


def parse_milestone(text: str | None) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", check_length("--milestone", text).strip()) or int(text) < 1:
        raise InputError(f"--milestone: {text[:40]!r} is not a milestone number (1 or more)")
    return int(text)


def repo_file(name: str, text: str, root: Path) -> tuple[Path, str]:
    """A file inside the repository at ``root``: (its path, its repository-relative name)."""
    if not text.strip() or any(c in text for c in "\n\r\x00"):
        raise InputError(f"--{name}: give the path of a file inside the repository")
    base = root.resolve()
    target = (base / text.strip()).resolve()  # follows symlinks: a link out of the tree is caught
    if base not in target.parents:
        raise InputError(
            f"--{name}: '{text.strip()}' is outside the repository {base}; "
            "give a path inside the repository"
        )
    if not target.is_file():
        raise InputError(f"--{name}: '{text.strip()}' is not a file in the repository")
    return target, target.relative_to(base).as_posix()


def _pairs(name: str, text: str) -> list[tuple[str, str]]:
    """``LEFT=RIGHT`` lines (comments with '#' and blank lines skipped)."""
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        left, sep, right = line.partition("=") if name == "row-updates" else line.rpartition("=")
        if not sep or not left.strip() or not right.strip():
            example = (
                "notes=Member {{ seed }} of {{ ensemble }}"
                if name == "row-updates"
                else "changelog.d/added/{{ ensemble }}.md=.github/flipbot/changelog.md.j2"
            )
            raise InputError(f"--{name}: line {number} is not LEFT=RIGHT; e.g. '{example}'")
        pairs.append((left.strip(), right.strip()))
    if len(pairs) > MAX_ENTRIES:
        raise InputError(f"--{name}: {len(pairs)} entries, at most {MAX_ENTRIES}; list fewer")
    return pairs


def parse_extra_files(text: str, root: Path) -> tuple[ExtraFile, ...]:
    """Lines ``PATH_TEMPLATE=CONTENT_TEMPLATE_FILE``; the file is split off at the last '='."""
    files = []
    for path, content in _pairs("extra-files", text):
        template_path, shown = repo_file("extra-files", content, root)
        files.append(ExtraFile(inline(path, "extra-files"), from_file(template_path, shown)))
    return tuple(files)


def parse_row_updates(text: str) -> tuple[RowUpdate, ...]:
    """Lines ``FIELD=VALUE_TEMPLATE``; the field is split off at the first '='."""
    updates: list[RowUpdate] = []
    for key, value in _pairs("row-updates", text):
        if not FIELD.match(key) or key in NOT_UPDATABLE:
            raise InputError(
                f"--row-updates: '{key[:60]}' cannot be updated; name another field of the "
                f"rows (e.g. notes), not {', '.join(NOT_UPDATABLE)}"
            )
        if key in {u.field for u in updates}:
            raise InputError(f"--row-updates: field '{key}' is listed twice; list it once")
        updates.append(RowUpdate(key, inline(value, f"row-updates ({key})")))
    return tuple(updates)


def build_conventions(
    *,
    root: Path,
    title_template: str | None = None,
    commit_message_template: str | None = None,
    body_template: str | None = None,
    body_header: str | None = None,
    body_footer: str | None = None,
    extra_files: str = "",
    row_updates: str = "",
    reviewers: str = "",
    team_reviewers: str = "",
    assignees: str = "",
    milestone: str | None = None,
) -> Conventions:
    body = None
    if body_template:
        path, shown = repo_file("body-template", body_template, root)
        body = from_file(path, shown)
    if body and (body_header or body_footer):
        raise InputError(
            "--body-header/--body-footer cannot be combined with --body-template; "
            "put them in the template ({{ default_body }} is the default body)"
        )
    people = parse_names("reviewers", reviewers, LOGIN, MAX_REVIEWERS)
    teams = parse_names("team-reviewers", team_reviewers, TEAM, MAX_REVIEWERS)
    if len(people) + len(teams) > MAX_REVIEWERS:
        raise InputError(
            f"--reviewers/--team-reviewers: {len(people) + len(teams)} in all, at most {MAX_REVIEWERS}"
        )
    return Conventions(
        title=inline(title_template or DEFAULT_TITLE, "title-template"),
        commit_message=inline(commit_message_template or DEFAULT_COMMIT, "commit-message-template"),
        layout=BodyLayout(
            template=body,
            header=inline(body_header, "body-header") if body_header else None,
            footer=inline(body_footer, "body-footer") if body_footer else None,
        ),
        extra_files=parse_extra_files(extra_files, root),
        row_updates=parse_row_updates(row_updates),
        reviewers=people,
        team_reviewers=teams,
        assignees=parse_names("assignees", assignees, LOGIN, MAX_ASSIGNEES),
        milestone=parse_milestone(milestone),
    )
