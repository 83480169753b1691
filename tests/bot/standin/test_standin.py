"""The stand-in itself, driven by real PyGithub calls."""

from __future__ import annotations

import base64

import pytest
from github import GithubException, InputGitTreeElement
from github.GithubException import (
    UnknownObjectException,
)

from standin import GitHubStandin
from standin.flows import BRANCH, REGISTRY, cat_file, flip_commit, seeded


def test_create_pr_flow_stores_real_git_objects(github_standin: GitHubStandin) -> None:
    base = seeded(github_standin)
    sha = flip_commit(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    repo.create_git_ref(f"refs/heads/{BRANCH}", sha)
    pr = repo.create_pull(title="Flip", body="numbers", head=BRANCH, base="main")

    assert (pr.number, pr.head.sha, pr.base.sha, pr.commits, pr.changed_files) == (
        1,
        sha,
        base,
        1,
        1,
    )
    raw = cat_file(github_standin, "-p", sha)
    assert f"parent {base}" in raw
    assert "author flipbot <bot@example.com> 1767323045 +0000" in raw
    tree = raw.split("\n")[0].removeprefix("tree ")
    assert cat_file(github_standin, "-t", tree) == "tree\n"
    assert github_standin.branch_files(BRANCH) == {
        "model/tiny/registry.json": b"flipped\n",
        "README.md": b"models\n",
    }
    assert [(w.method, w.path.rsplit("/", 1)[-1], w.status) for w in github_standin.writes()] == [
        ("POST", "blobs", 201),
        ("POST", "trees", 201),
        ("POST", "commits", 201),
        ("POST", "refs", 201),
        ("POST", "pulls", 201),
    ]
    assert github_standin.writes()[4].body["head"] == BRANCH
    assert [p.head for p in github_standin.pulls("open")] == [BRANCH]


def test_pull_lookup_by_head_labels_and_comments(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    github_standin.commit_to_branch(BRANCH, {"x.txt": b"x"}, message="bot")
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    pr = repo.create_pull(title="Flip", body="b", head=BRANCH, base="main", draft=True)
    pr.add_to_labels("flipbot", "stale")
    pr.remove_from_labels("stale")
    pr.create_issue_comment("numbers are stale")

    found = list(repo.get_pulls(state="open", head=f"octo:{BRANCH}", base="main"))
    assert [p.number for p in found] == [pr.number]
    assert list(repo.get_pulls(head="someone-else:" + BRANCH)) == []
    assert found[0].draft is True
    assert github_standin.labels_of(pr.number) == ["flipbot"]
    assert github_standin.comments_of(pr.number) == ["numbers are stale"]
    assert [c.body for c in repo.get_issue(pr.number).get_comments()] == ["numbers are stale"]

    pr.edit(title="Flip v2", state="closed")
    assert repo.get_pulls(state="open").totalCount == 0
    assert [p.title for p in repo.get_pulls(state="closed")] == ["Flip v2"]


def test_second_pull_for_same_head_is_refused_like_github(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    github_standin.commit_to_branch(BRANCH, {"x.txt": b"x"})
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    repo.create_pull(title="Flip", body="", head=BRANCH, base="main")
    with pytest.raises(GithubException) as info:
        repo.create_pull(title="Flip", body="", head=BRANCH, base="main")
    assert info.value.status == 422
    assert (
        info.value.data["errors"][0]["message"]
        == f"A pull request already exists for octo:{BRANCH}."
    )


def test_ref_update_refuses_non_fast_forward_unless_forced(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    first = github_standin.commit_to_branch(BRANCH, {"a.txt": b"1"})
    human = github_standin.commit_to_branch(BRANCH, {"b.txt": b"2"})
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    ref = repo.get_git_ref(f"heads/{BRANCH}")
    assert ref.object.sha == human

    with pytest.raises(GithubException) as info:
        ref.edit(first)
    assert (info.value.status, info.value.data["message"]) == (422, "Update is not a fast forward")
    ref.edit(first, force=True)
    assert github_standin.branch_sha(BRANCH) == first

    with pytest.raises(GithubException) as exists:
        repo.create_git_ref(f"refs/heads/{BRANCH}", first)
    assert exists.value.data["message"] == "Reference already exists"
    assert [r.ref for r in repo.get_git_matching_refs("heads/flipbot/")] == [f"refs/heads/{BRANCH}"]
    ref.delete()
    assert github_standin.branch_sha(BRANCH) is None


def test_human_commit_shows_up_with_its_author(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    bot = github_standin.commit_to_branch(
        BRANCH,
        {"a.txt": b"1"},
        author=("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com"),
    )
    human = github_standin.commit_to_branch(BRANCH, {"a.txt": b"2"}, message="tweak")
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    commits = list(repo.get_commits(sha=BRANCH))
    assert [c.sha for c in commits[:2]] == [human, bot]
    assert [c.author.login for c in commits[:2]] == ["octohuman", "github-actions[bot]"]
    assert commits[0].commit.author.email == "human@example.com"
    pr = repo.create_pull(title="t", body="", head=BRANCH, base="main")
    assert [c.sha for c in pr.get_commits()] == [bot, human]


def test_trees_handle_nested_paths_deletes_and_recursive_reads(
    github_standin: GitHubStandin,
) -> None:
    main = seeded(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    base = repo.get_git_tree(main)
    blob = repo.create_git_blob(base64.b64encode(b"\x00\x01bin").decode(), "base64")
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("model/tiny/new/deep.bin", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("README.md", "100644", "blob", sha=None),
        ],
        base_tree=base,
    )
    listed = {e.path: e.type for e in repo.get_git_tree(tree.sha, recursive=True).tree}
    assert listed == {
        "model": "tree",
        "model/tiny": "tree",
        "model/tiny/new": "tree",
        "model/tiny/new/deep.bin": "blob",
        "model/tiny/registry.json": "blob",
    }
    assert (
        repo.get_git_blob(blob.sha).content.replace("\n", "")
        == base64.b64encode(b"\x00\x01bin").decode()
    )


def test_contents_serves_files_and_folders(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    file = repo.get_contents("model/tiny/registry.json", ref="main")
    assert not isinstance(file, list)
    assert file.decoded_content == REGISTRY.read_bytes()
    folder = repo.get_contents("model/tiny", ref="main")
    assert isinstance(folder, list)
    assert [(f.path, f.type) for f in folder] == [("model/tiny/registry.json", "file")]
    with pytest.raises(GithubException) as info:
        repo.get_contents("nope.txt", ref="main")
    assert info.value.status == 404


def test_lists_are_paginated_with_link_headers(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    for i in range(35):
        github_standin.issues.ensure_label(f"label-{i:02d}")
    repo = github_standin.pygithub(per_page=10).get_repo(github_standin.repo_full_name)
    labels = repo.get_labels()
    assert [label.name for label in labels] == [f"label-{i:02d}" for i in range(35)]
    assert labels.totalCount == 35
    pages = [
        r.query.get("page", ["1"])[0] for r in github_standin.requests if r.path.endswith("/labels")
    ]
    assert pages[:4] == ["1", "2", "3", "4"]


def test_missing_things_answer_404_in_githubs_shape(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    with pytest.raises(UnknownObjectException) as ref:
        repo.get_git_ref("heads/nope")
    with pytest.raises(UnknownObjectException) as branch:
        repo.get_branch("nope")
    with pytest.raises(UnknownObjectException):
        repo.get_pull(99)
    with pytest.raises(UnknownObjectException):
        repo.get_label("nope")
    assert ref.value.data == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }
    assert branch.value.data["message"] == "Branch not found"


def test_labels_are_created_set_removed_and_cleared(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    github_standin.commit_to_branch(BRANCH, {"x.txt": b"x"})
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    repo.create_label("flip", "00ff00", "model flips")
    with pytest.raises(GithubException) as dup:
        repo.create_label("FLIP", "000000")
    assert dup.value.data["errors"] == [
        {"resource": "Label", "code": "already_exists", "field": "name"}
    ]
    assert (repo.get_label("flip").color, repo.get_label("flip").description) == (
        "00ff00",
        "model flips",
    )
    pr = repo.create_pull(title="t", body="", head=BRANCH, base="main")
    pr.set_labels("flip", "stale")
    assert github_standin.labels_of(pr.number) == ["flip", "stale"]
    with pytest.raises(GithubException) as absent:
        pr.remove_from_labels("never-there")
    assert (absent.value.status, absent.value.data["message"]) == (404, "Label does not exist")
    pr.as_issue().edit(labels=["stop-updating"])
    assert [label.name for label in pr.get_labels()] == ["stop-updating"]
    pr.delete_labels()
    assert github_standin.labels_of(pr.number) == []
    pr.set_labels("flip")
    pr.set_labels()  # PUT []: documented in the prose as "remove all labels"
    assert github_standin.labels_of(pr.number) == []
    assert sorted(github_standin.repo_labels()) == ["flip", "stale", "stop-updating"]


def test_closed_pull_keeps_its_head_after_the_branch_goes(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    head = github_standin.commit_to_branch(BRANCH, {"x.txt": b"x"})
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    pr = repo.create_pull(title="t", body="", head=BRANCH, base="main")
    pr.edit(state="closed")
    repo.get_git_ref(f"heads/{BRANCH}").delete()
    closed = repo.get_pull(pr.number)
    assert (closed.state, closed.head.sha, closed.closed_at is not None) == ("closed", head, True)
    with pytest.raises(GithubException) as reopen:
        pr.edit(state="open")
    assert reopen.value.status == 422


def test_rate_limit_and_token_user(github_standin: GitHubStandin) -> None:
    client = github_standin.pygithub()
    assert client.get_rate_limit().resources.core.remaining == 4999
    assert client.get_user().login == "github-actions[bot]"


def test_lazy_completion_follows_urls_back_to_the_standin(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    github_standin.commit_to_branch(BRANCH, {"x.txt": b"x"})
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    repo.create_pull(title="t", body="", head=BRANCH, base="main")
    github_standin.issues.ensure_label("needs review")
    [listed] = list(repo.get_pulls())
    assert (listed.user.login, listed.user.type) == ("github-actions[bot]", "Bot")
    assert (
        listed.user.created_at is not None
    )  # completes through GET /users/github-actions%5Bbot%5D
    label = repo.get_labels()[0]
    assert label.url.endswith("/labels/needs%20review")
    assert repo.get_label("needs review").name == "needs review"
    assert listed.commits == 1  # a pull from the list completes through GET /pulls/1


def test_single_commit_by_branch_or_sha(github_standin: GitHubStandin) -> None:
    main = seeded(github_standin)
    repo = github_standin.pygithub().get_repo(github_standin.repo_full_name)
    by_branch, by_sha = repo.get_commit("main"), repo.get_commit(main[:12])
    assert (by_branch.sha, by_sha.sha) == (main, main)
    assert by_branch.commit.message == "Initial commit"
    with pytest.raises(GithubException) as info:
        repo.get_commit("deadbeef")
    assert (info.value.status, info.value.data["message"]) == (
        422,
        "No commit found for SHA: deadbeef",
    )


def test_single_commit_lists_its_changed_files(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    sha = github_standin.commit_to_branch(
        "main", {"README.md": None, "model/tiny/registry.json": b"{}\n", "new.txt": b"a\nb\n"}
    )
    commit = github_standin.pygithub().get_repo(github_standin.repo_full_name).get_commit(sha)
    assert sorted((f.filename, f.status, f.additions) for f in commit.files) == [
        ("README.md", "removed", 0),
        ("model/tiny/registry.json", "modified", 1),
        ("new.txt", "added", 2),
    ]
    assert commit.stats.additions == 3
