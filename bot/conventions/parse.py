"""A repository's PR conventions as bot inputs, parsed and validated once.

Templates for the title, the commit message and the body (or a header and
footer around the default body), extra templated files for the flip commit
(e.g. a changelog fragment), templated values for other fields of the flipped
rows (e.g. ``notes``), and who reviews: reviewers, team reviewers, assignees,
milestone. Each bad value is an :class:`InputError` naming the input and the
fix (exit 2), raised before anything is read from GitHub or written; each value
the Action also takes is checked by the same rule (:mod:`flipbot.inputs`).

Files named here (the body template, extra files' content templates) are
paths inside the repository: relative to ``root`` (the repository checkout,
the current folder by default), never leaving it, never through a symlink
that leaves it.
"""

from __future__ import annotations

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
from flipbot.inputs import files, rules


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


def parse_names(name: str, text: str, *, team: bool = False, most: int) -> tuple[str, ...]:
    return rules.github_names(f"--{name}", check_length(f"--{name}", text), team=team, most=most)


def parse_identity(name: str, text: str | None) -> Identity | None:
    """``Name <email>`` (bounded lengths) as the lifecycle's :class:`Identity`, or None."""
    pair = rules.identity(f"--{name}", text or "")
    return Identity(*pair) if pair else None


def parse_milestone(text: str | None) -> int | None:
    return rules.milestone("--milestone", check_length("--milestone", text or ""))


def repo_file(name: str, text: str, root: Path) -> tuple[Path, str]:
    """A file inside the repository at ``root``: (its path, its repository-relative name)."""
    shown = files.inside(f"--{name}", text, root, must_exist=True)
    return root.resolve() / shown, shown


def parse_extra_files(text: str, root: Path) -> tuple[ExtraFile, ...]:
    """Lines ``PATH_TEMPLATE=CONTENT_TEMPLATE_FILE``; the file is split off at the last '='."""
    extra = []
    for _number, path, content in files.pairs("--extra-files", text, "extra-files"):
        template_path, shown = repo_file("extra-files", content, root)
        extra.append(ExtraFile(inline(path, "extra-files"), from_file(template_path, shown)))
    return tuple(extra)


def parse_row_updates(text: str) -> tuple[RowUpdate, ...]:
    """Lines ``FIELD=VALUE_TEMPLATE``; the field is split off at the first '='."""
    updates = [
        RowUpdate(key, inline(value, f"row-updates ({key})"))
        for key, value in files.row_update_fields("--row-updates", text)
    ]
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
    people = parse_names("reviewers", reviewers, most=rules.MAX_REVIEWERS)
    teams = parse_names("team-reviewers", team_reviewers, team=True, most=rules.MAX_REVIEWERS)
    rules.reviewers_in_all("--reviewers/--team-reviewers", people, teams)
    title = rules.template("--title-template", title_template or "", rules.MAX_TITLE_TEMPLATE)
    return Conventions(
        title=inline(title or DEFAULT_TITLE, "title-template"),
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
        assignees=parse_names("assignees", assignees, most=rules.MAX_ASSIGNEES),
        milestone=parse_milestone(milestone),
    )
