"""GitHub rules the stand-in enforces beyond the OpenAPI description."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from github import GithubException

from standin import GitHubStandin

BRANCH = "flipbot/registry"


def opened(standin: GitHubStandin) -> int:
    standin.seed({"README.md": b"models\n"})
    standin.commit_to_branch(BRANCH, {"x.txt": b"x"})
    repo = standin.pygithub().get_repo(standin.repo_full_name)
    return repo.create_pull(title="t", body="", head=BRANCH, base="main").number


def test_head_filter_without_owner_is_ignored_like_github(github_standin: GitHubStandin) -> None:
    opened(github_standin)
    github_standin.commit_to_branch("other", {"y.txt": b"y"})
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    repo.create_pull(title="other", body="", head="other", base="main")
    assert [p.head.ref for p in repo.get_pulls(head=BRANCH)] == ["other", BRANCH]
    assert [p.head.ref for p in repo.get_pulls(head=f"octo:{BRANCH}")] == [BRANCH]


def test_body_over_65536_characters_is_refused(github_standin: GitHubStandin) -> None:
    number = opened(github_standin)
    pr = github_standin.pygithub().get_repo(github_standin.repo_full_name).get_pull(number)
    with pytest.raises(GithubException) as info:
        pr.edit(body="x" * 65537)
    assert info.value.status == 422
    assert (
        info.value.data["errors"][0]["message"] == "body is too long (maximum is 65536 characters)"
    )
    pr.edit(body="x" * 65536)
    assert len(github_standin.pull(number).body or "") == 65536


def test_deleting_the_head_branch_closes_the_pull(github_standin: GitHubStandin) -> None:
    number = opened(github_standin)
    head = github_standin.branch_sha(BRANCH)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    repo.get_git_ref(f"heads/{BRANCH}").delete()
    pull = repo.get_pull(number)
    assert (pull.state, pull.head.sha) == ("closed", head)


def test_pull_without_commits_ahead_is_refused(github_standin: GitHubStandin) -> None:
    github_standin.seed({"README.md": b"models\n"})
    github_standin.create_branch(BRANCH)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    with pytest.raises(GithubException) as info:
        repo.create_pull(title="t", body="", head=BRANCH, base="main")
    assert info.value.data["errors"][0]["message"] == f"No commits between main and {BRANCH}"


def test_label_color_must_be_six_hex_digits(github_standin: GitHubStandin) -> None:
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    with pytest.raises(GithubException) as info:
        repo.create_label("flip", "green")
    assert info.value.data["errors"] == [{"resource": "Label", "code": "invalid", "field": "color"}]


def test_any_recursive_value_lists_subtrees_like_github(github_standin: GitHubStandin) -> None:
    main = github_standin.seed({"model/tiny/registry.json": b"{}\n"})
    requester = github_standin.pygithub().requester
    url = f"/repos/{github_standin.repo_full_name}/git/trees/{main}"
    _, flat = requester.requestJsonAndCheck("GET", url)
    _, zero = requester.requestJsonAndCheck("GET", url, parameters={"recursive": "0"})
    assert [e["path"] for e in flat["tree"]] == ["model"]
    assert [e["path"] for e in zero["tree"]] == ["model", "model/tiny", "model/tiny/registry.json"]


def test_factory_makes_standins_with_other_names(
    github_standin_factory: Callable[..., GitHubStandin],
) -> None:
    standin = github_standin_factory(owner="acme", repo="zoo", default_branch="trunk")
    standin.seed({"a.txt": b"a"})
    repo = standin.pygithub().get_repo("acme/zoo")
    assert (repo.full_name, repo.default_branch) == ("acme/zoo", "trunk")
    assert repo.get_branch("trunk").commit.sha == standin.branch_sha("trunk")


def test_pushing_the_head_into_the_base_merges_the_pull(github_standin: GitHubStandin) -> None:
    number = opened(github_standin)
    head = github_standin.branch_sha(BRANCH)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    assert head is not None
    repo.get_git_ref("heads/main").edit(head)  # a fast-forward push of the base
    pull = repo.get_pull(number)
    assert (pull.state, pull.merged, pull.merge_commit_sha) == ("closed", True, head)


def test_squash_merge_by_a_maintainer_closes_the_pull_as_merged(
    github_standin: GitHubStandin,
) -> None:
    number = opened(github_standin)
    github_standin.commit_to_branch("main", {"docs.md": b"d"})  # the base moved meanwhile
    squashed = github_standin.merge_pull(number, squash=True)
    assert github_standin.branch_files("main") == {
        "README.md": b"models\n",
        "docs.md": b"d",
        "x.txt": b"x",
    }
    assert len(github_standin.git.read_commit(squashed).parents) == 1
    pull = github_standin.pygithub().get_repo(github_standin.repo_full_name).get_pull(number)
    assert (pull.state, pull.merged) == ("closed", True)
