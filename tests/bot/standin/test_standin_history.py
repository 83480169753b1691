"""Repository activities, compare and request hooks, through PyGithub (OpenAPI-checked)."""

from __future__ import annotations

from typing import Any

from standin import GitHubStandin
from standin.flows import BRANCH, flip_commit, seeded


def activity(standin: GitHubStandin, **params: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    repo = standin.pygithub().get_repo(standin.repo_full_name)
    headers, items = repo._requester.requestJsonAndCheck(
        "GET", f"{repo.url}/activity", parameters=params
    )
    return headers, items


def test_activity_lists_every_ref_move_newest_first_with_before_and_after(
    github_standin: GitHubStandin,
) -> None:
    base = seeded(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    bot = flip_commit(github_standin)
    repo.create_git_ref(f"refs/heads/{BRANCH}", bot)
    human = github_standin.commit_to_branch(BRANCH, {"NOTE.md": b"n\n"})  # fast-forward push
    replaced = flip_commit(github_standin, "again\n")
    repo.get_git_ref(f"heads/{BRANCH}").edit(replaced, force=True)  # force push over `human`
    repo.get_git_ref(f"heads/{BRANCH}").delete()
    _, items = activity(github_standin, ref=f"refs/heads/{BRANCH}")
    got = [(i["activity_type"], i["before"], i["after"], i["actor"]["login"]) for i in items]
    zero = "0" * 40
    assert got == [
        ("branch_deletion", replaced, zero, "github-actions[bot]"),
        ("force_push", human, replaced, "github-actions[bot]"),
        ("push", bot, human, "octohuman"),
        ("branch_creation", zero, bot, "github-actions[bot]"),
    ]
    _, forced = activity(github_standin, ref=BRANCH, activity_type="force_push")
    assert [i["before"] for i in forced] == [human]
    _, main = activity(github_standin, ref="main", direction="asc")
    assert [(i["activity_type"], i["after"]) for i in main] == [("branch_creation", base)]


def test_activity_pages_with_an_after_cursor(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    for i in range(5):
        github_standin.commit_to_branch("main", {f"f{i}": b"x"})
    headers, first = activity(github_standin, ref="main", per_page=4)
    assert len(first) == 4 and 'rel="next"' in headers["link"]
    cursor = headers["link"].split("after=")[1].split(">")[0]
    headers, rest = activity(github_standin, ref="main", per_page=4, after=cursor)
    assert [i["id"] for i in first + rest] == [6, 5, 4, 3, 2, 1] and "link" not in headers


def test_compare_lists_what_head_has_that_base_lacks(github_standin: GitHubStandin) -> None:
    base = seeded(github_standin)
    one = github_standin.commit_to_branch(BRANCH, {"a": b"a"})
    two = github_standin.commit_to_branch(BRANCH, {"b": b"b"})
    moved = github_standin.commit_to_branch("main", {"c": b"c"})
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    found = repo.compare("main", BRANCH)
    assert (found.status, found.ahead_by, found.behind_by) == ("diverged", 2, 1)
    assert [c.sha for c in found.commits] == [one, two]
    assert found.merge_base_commit.sha == base and found.base_commit.sha == moved
    assert found.commits[0].commit.author.email == "human@example.com"
    assert repo.compare(base, one).status == "ahead"
    assert repo.compare(one, one).status == "identical"


def test_hooks_run_before_or_after_the_matching_request(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    seen: list[str | None] = []
    before = github_standin.faults.hook(
        "GET", r"/branches/main$", lambda: seen.append(github_standin.branch_sha("main"))
    )
    after = github_standin.faults.hook(
        "GET",
        r"/branches/main$",
        lambda: github_standin.commit_to_branch("main", {"x": b"x"}),
        when="after",
    )
    answered = repo.get_branch("main").commit.sha
    assert (before.fired, after.fired) == (1, 1)
    assert seen == [answered] and github_standin.branch_sha("main") != answered
    repo.get_branch("main")
    assert (before.fired, after.fired) == (1, 1)  # times=1 each
