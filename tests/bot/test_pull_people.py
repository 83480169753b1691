"""Reviewers, assignees, milestone, commit identity, signoff, draft and branch via the stand-in.

Every request is checked against GitHub's OpenAPI description by the
stand-in (and the draft conversion against the GraphQL mutation's shape).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from bot_inputs import (
    CORPUS,
    CORPUS_BYTES,
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    make_verdict,
    write_inputs,
)

from bot.config import build_config
from bot.conventions.parse import build_conventions
from bot.github_api.repo import GitHubRepo
from bot.outcome import Outcome
from bot.pr.lifecycle import TRAILER, run_pr
from bot.trust.base_view import api_base
from bot.trust.verify import verify
from flipbot.errors import InputError

PEOPLE = {"reviewers": "alice,bob", "team_reviewers": "model-owners", "assignees": "carol"}


def seed(standin) -> None:
    standin.seed(
        {
            REGISTRY: SHIPPED_REGISTRY.read_bytes(),
            "model/tiny/registry.schema.json": SCHEMA.read_bytes(),
            CORPUS: CORPUS_BYTES,
        }
    )
    for login in ("alice", "bob", "carol"):
        standin.add_collaborator(login)
    standin.add_team("model-owners")


def run(standin, root: Path, *, conventions: dict | None = None, **kw) -> Outcome:
    config = build_config(
        verdict_dir=str(root / "loso"),
        artifacts=str(root / "export"),
        registry=REGISTRY,
        repo=standin.repo_full_name,
        base="main",
        mode="pr",
        labels="models",
        api_url=standin.base_url,
        env={"FLIPBOT_TOKEN": standin.token},
        conventions=build_conventions(root=root, **(conventions or {})),
        **kw,
    )
    config = replace(config, write_interval_s=0.0, backoff_s=0.01, max_wait_s=3.0)
    api = GitHubRepo(
        config.api_url, standin.token, config.repo, write_interval_s=0.0, sleep=lambda s: None
    )
    flip = verify(root / "loso", root / "export", api_base(api, config.base, config.registry))
    return run_pr(config, flip, api)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), sources=("a", "b")))
    return tmp_path


def test_reviewers_assignees_and_milestone_are_set_on_creation_and_a_rerun_writes_nothing(
    github_standin, inputs
):
    seed(github_standin)
    milestone = github_standin.add_milestone("models 2.0")
    out = run(github_standin, inputs, conventions=PEOPLE | {"milestone": str(milestone)})
    assert out.operation == "created"
    pull = github_standin.pull(out.number)
    assert pull.requested_reviewers == ["alice", "bob"]
    assert pull.requested_teams == ["model-owners"]
    assert pull.assignees == ["carol"] and pull.milestone.title == "models 2.0"
    posted = [(r.method, r.path, r.body) for r in github_standin.writes()]
    assert ("POST", f"/repos/octo/models/pulls/{out.number}/requested_reviewers",
            {"reviewers": ["alice", "bob"], "team_reviewers": ["model-owners"]}) in posted  # fmt: skip
    assert ("PATCH", f"/repos/octo/models/issues/{out.number}", {"milestone": milestone}) in posted

    github_standin.clear_journal()
    again = run(github_standin, inputs, conventions=PEOPLE | {"milestone": str(milestone)})
    assert again.operation == "unchanged" and github_standin.writes() == []


def test_a_reviewed_pr_keeps_its_reviews_labels_and_milestone_on_update(github_standin, inputs):
    seed(github_standin)
    out = run(github_standin, inputs, conventions=PEOPLE)
    github_standin.review(out.number, "alice", "APPROVED")
    github_standin.add_label(out.number, "needs-benchmark")
    chosen = github_standin.add_milestone("chosen by a person")
    github_standin.pull(out.number).milestone = github_standin.issues.milestones[chosen]
    github_standin.clear_journal()

    write_inputs(inputs, make_verdict(seeds=(0, 1), sources=("a", "b")), generation=1)
    other = github_standin.add_milestone("the input's")
    updated = run(github_standin, inputs, conventions=PEOPLE | {"milestone": str(other)})
    assert updated.operation == "updated"
    pull = github_standin.pull(out.number)
    assert pull.reviews == [("alice", "APPROVED")]
    assert pull.requested_reviewers == ["bob"]  # alice is not asked again
    assert set(pull.labels) == {"models", "needs-benchmark"}
    assert pull.milestone.title == "chosen by a person"
    paths = {f"{r.method} {r.path}" for r in github_standin.writes()}
    assert not any("requested_reviewers" in p or "labels" in p for p in paths), paths


def test_author_committer_and_signoff_reach_the_commit(github_standin, inputs):
    seed(github_standin)
    out = run(
        github_standin,
        inputs,
        author="Model Bot <models@example.com>",
        committer="Release Team <release@example.com>",
        signoff=True,
    )
    [commit] = github_standin.branch_commits(out.branch, since="main")
    assert (commit.author.name, commit.author.email) == ("Model Bot", "models@example.com")
    assert (commit.committer.name, commit.committer.email) == (
        "Release Team",
        "release@example.com",
    )
    trailers = commit.message.rstrip().splitlines()[-2:]
    assert trailers[0] == "Signed-off-by: Release Team <release@example.com>"
    assert trailers[1].startswith(f"{TRAILER}: ")


def test_signoff_without_an_identity_names_the_bot_identity(github_standin, inputs):
    seed(github_standin)
    out = run(github_standin, inputs, signoff=True)
    [commit] = github_standin.branch_commits(out.branch, since="main")
    bot = ("flipbot[bot]", "flipbot[bot]@users.noreply.github.com")
    assert (commit.author.name, commit.author.email) == bot
    assert (commit.committer.name, commit.committer.email) == bot
    assert f"Signed-off-by: {bot[0]} <{bot[1]}>\n{TRAILER}: " in commit.message


def test_a_chosen_author_is_the_committer_too_and_its_commit_stays_the_bots(github_standin, inputs):
    seed(github_standin)
    who = "Model Bot <models@example.com>"
    out = run(github_standin, inputs, author=who)
    [commit] = github_standin.branch_commits(out.branch, since="main")
    assert (commit.committer.name, commit.committer.email) == ("Model Bot", "models@example.com")
    github_standin.clear_journal()  # the lifecycle takes the commit for its own: nothing to do
    assert run(github_standin, inputs, author=who).operation == "unchanged"
    assert github_standin.writes() == []
    # with another identity the same commit is someone else's: left alone, never overwritten
    again = run(github_standin, inputs, author="Someone Else <else@example.com>")
    assert again.operation == "unchanged" and again.notes
    assert github_standin.branch_commits(out.branch, since="main")[0].sha == commit.sha


def test_draft_always_true_turns_a_ready_pr_back_into_a_draft(github_standin, inputs):
    seed(github_standin)
    out = run(github_standin, inputs, draft_always=True)
    assert github_standin.pull(out.number).draft is True
    github_standin.pull(out.number).draft = False  # someone marks it ready for review
    github_standin.clear_journal()
    again = run(github_standin, inputs, draft_always=True)
    assert again.operation == "updated" and github_standin.pull(out.number).draft is True
    assert [f"{r.method} {r.path}" for r in github_standin.writes()] == ["POST /graphql"]
    github_standin.clear_journal()
    assert run(github_standin, inputs, draft_always=True).operation == "unchanged"
    assert github_standin.writes() == []
    # plain draft: only at creation, a ready PR stays ready
    github_standin.pull(out.number).draft = False
    assert run(github_standin, inputs, draft=True).operation == "unchanged"
    assert github_standin.pull(out.number).draft is False


def test_the_branch_input_names_the_flip_branch(github_standin, inputs):
    seed(github_standin)
    out = run(github_standin, inputs, branch="models/flip-ensemble")
    assert out.branch == "models/flip-ensemble"
    assert "flipbot/registry" not in github_standin.branches()
    assert github_standin.pull(out.number).head == "models/flip-ensemble"


def test_a_reviewer_who_is_not_a_collaborator_is_a_github_error_with_the_fix(
    github_standin, inputs
):
    seed(github_standin)
    with pytest.raises(InputError, match="request reviews on #1") as err:
        run(github_standin, inputs, conventions={"reviewers": "stranger"})
    assert "not a collaborator" in str(err.value)
