"""Small flows the stand-in's tests share: a seeded repository, a commit made through PyGithub."""

from __future__ import annotations

import subprocess
from pathlib import Path

from github import InputGitAuthor, InputGitTreeElement

from .standin import GitHubStandin

REGISTRY = Path(__file__).resolve().parents[3] / "model" / "tiny" / "registry.json"
BRANCH = "flipbot/registry"


def cat_file(standin: GitHubStandin, *args: str) -> str:
    out = subprocess.run(
        ["git", "--git-dir", str(standin.git_dir), "cat-file", *args],
        capture_output=True,
        check=True,
        text=True,
    )
    return out.stdout


def seeded(standin: GitHubStandin) -> str:
    return standin.seed(
        {"model/tiny/registry.json": REGISTRY.read_bytes(), "README.md": b"models\n"}
    )


def flip_commit(standin: GitHubStandin, content: str = "flipped\n") -> str:
    """blob -> tree -> commit through PyGithub; returns the commit sha (no ref written)."""
    repo = standin.pygithub().get_repo(standin.repo_full_name)
    base = repo.get_branch("main").commit.sha
    blob = repo.create_git_blob(content, "utf-8")
    tree = repo.create_git_tree(
        [InputGitTreeElement("model/tiny/registry.json", "100644", "blob", sha=blob.sha)],
        base_tree=repo.get_git_tree(base),
    )
    author = InputGitAuthor("flipbot", "bot@example.com", "2026-01-02T03:04:05Z")
    commit = repo.create_git_commit("Flip seeds", tree, [repo.get_git_commit(base)], author, author)
    return commit.sha
