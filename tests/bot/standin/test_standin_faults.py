"""Injected faults: order, ready-made GitHub failures, dropped and parked requests."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from github import GithubException
from github.GithubException import (
    RateLimitExceededException,
)

from standin import GitHubStandin
from standin.flows import BRANCH, flip_commit, seeded


def test_faults_fire_in_order_then_the_real_answer_returns(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    github_standin.faults.server_error(method="GET", path=r"/branches/main$")
    github_standin.faults.secondary_rate_limit(method="GET", path=r"/branches/main$")
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    with pytest.raises(GithubException) as first:
        repo.get_branch("main")
    with pytest.raises(RateLimitExceededException) as second:
        repo.get_branch("main")
    assert (first.value.status, second.value.status) == (500, 403)
    assert second.value.headers is not None and second.value.headers["retry-after"] == "1"
    assert "secondary rate limit" in second.value.data["message"]
    assert repo.get_branch("main").commit.sha == github_standin.branch_sha("main")
    assert [r.status for r in github_standin.calls("GET", r"/branches/")] == [500, 403, 200]
    assert github_standin.faults.pending() == []


def test_ready_made_pull_faults(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    github_standin.commit_to_branch(BRANCH, {"x.txt": b"x"})
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    github_standin.faults.actions_may_not_create_pulls()
    github_standin.faults.pull_already_exists(BRANCH)
    with pytest.raises(GithubException) as forbidden:
        repo.create_pull(title="t", body="", head=BRANCH, base="main")
    assert (
        forbidden.value.data["message"]
        == "GitHub Actions is not permitted to create or approve pull requests."
    )
    with pytest.raises(GithubException) as exists:
        repo.create_pull(title="t", body="", head=BRANCH, base="main")
    assert (
        exists.value.data["errors"][0]["message"]
        == f"A pull request already exists for octo:{BRANCH}."
    )
    assert github_standin.pulls() == []

    github_standin.faults.node_not_resolvable_after_create()
    pr = repo.create_pull(title="t", body="", head=BRANCH, base="main")
    with pytest.raises(GithubException) as lagging:
        pr.add_to_labels("flipbot")
    assert lagging.value.data["message"].startswith(
        "Could not resolve to a node with the global id of"
    )
    pr.add_to_labels("flipbot")
    assert github_standin.labels_of(pr.number) == ["flipbot"]


def test_crash_after_ref_write_drops_the_next_request(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    sha = flip_commit(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    github_standin.faults.crash_after("POST", r"/git/refs$")
    repo.create_git_ref(f"refs/heads/{BRANCH}", sha)
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_pull(title="t", body="", head=BRANCH, base="main")
    assert github_standin.branch_sha(BRANCH) == sha
    assert github_standin.pulls() == []
    assert github_standin.requests[-1].status == 0
    # the next run finds the branch and opens the PR
    assert repo.create_pull(title="t", body="", head=BRANCH, base="main").number == 1


def test_hold_after_parks_the_next_request_until_released(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    sha = flip_commit(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    hold = github_standin.faults.hold_after("POST", r"/git/refs$")
    repo.create_git_ref(f"refs/heads/{BRANCH}", sha)
    outcome: list[BaseException] = []

    def open_pull() -> None:
        try:
            repo.create_pull(title="t", body="", head=BRANCH, base="main")
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=open_pull)
    worker.start()
    assert hold.reached.wait(timeout=10)
    assert github_standin.pulls() == []  # parked: this is where a test kills the bot
    hold.release()
    worker.join(timeout=10)
    assert [type(e) for e in outcome] == [requests.exceptions.ConnectionError]
    assert github_standin.pulls() == []


def test_primary_rate_limit_sets_the_rate_headers(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    github_standin.faults.primary_rate_limit(method="GET", path=r"/branches/main$", reset_in=5)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    with pytest.raises(RateLimitExceededException) as info:
        repo.get_branch("main")
    headers = info.value.headers or {}
    assert headers["x-ratelimit-remaining"] == "0"
    assert 0 < int(headers["x-ratelimit-reset"]) - time.time() <= 5
    assert info.value.data["message"].startswith("API rate limit exceeded")


def test_missing_permission_answers_resource_not_accessible(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    sha = flip_commit(github_standin)
    github_standin.faults.resource_not_accessible()
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    with pytest.raises(GithubException) as info:
        repo.create_git_ref(f"refs/heads/{BRANCH}", sha)
    assert (info.value.status, info.value.data["message"]) == (
        403,
        "Resource not accessible by integration",
    )
    assert github_standin.branch_sha(BRANCH) is None
    assert [(r.status, r.injected) for r in github_standin.writes()][-1] == (403, True)
