"""GitHubStandin: the object tests hold — server lifecycle, state helpers, journal."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from github import Auth, Github

from .api import Backend
from .faults import Faults
from .gitstore import CommitObject, GitStore, Signature
from .routes_pulls import settle_pulls
from .server import Journal, Recorded, make_server
from .shapes import Site
from .state import IssueState, Milestone, Pull, now
from .trees import create_tree

BOT_LOGIN = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
HUMAN = ("Octo Human", "human@example.com", "octohuman")


class GitHubStandin:
    """A stateful GitHub REST stand-in on 127.0.0.1 backed by a real bare git repo."""

    def __init__(
        self,
        root: Path,
        *,
        owner: str = "octo",
        repo: str = "models",
        token: str = "standin-test-token",  # plainly fake: no secret scanner matches it
        login: str = BOT_LOGIN,
        login_email: str = BOT_EMAIL,
        default_branch: str = "main",
    ) -> None:
        self.token = token
        self.git = GitStore(root / f"{repo}.git")
        self.git_dir = self.git.path
        self.issues = IssueState()
        self.faults = Faults(f"{owner}/{repo}")
        self.journal = Journal([], [], threading.Lock())
        self.backend = Backend(
            site=Site("http://127.0.0.1:0", owner, repo),
            git=self.git,
            issues=self.issues,
            default_branch=default_branch,
            login=login,
            login_email=login_email,
            logins_by_email={login_email: login, HUMAN[1]: HUMAN[2]},
        )
        self._server = make_server(self.backend, self.faults, self.journal, token)
        port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.backend.site = Site(self.base_url, owner, repo)
        self.repo_full_name = f"{owner}/{repo}"
        self.default_branch = default_branch
        # a short poll interval: shutdown() waits up to one interval
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # lifecycle -----------------------------------------------------------------
    def start(self) -> GitHubStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.faults.release_all()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> GitHubStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pygithub(self, **kwargs: Any) -> Github:
        """A PyGithub client for this stand-in: no retries, no client-side throttling.

        PyGithub waits 0.25 s between requests and 1 s between writes by
        default; tests turn that off (pass the same arguments to the bot).
        """
        options: dict[str, Any] = {
            "retry": None,
            "seconds_between_requests": 0,
            "seconds_between_writes": 0,
            **kwargs,
        }
        return Github(base_url=self.base_url, auth=Auth.Token(self.token), **options)

    # journal -------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self.journal.lock:
            return list(self.journal.requests)

    @property
    def validation_errors(self) -> list[str]:
        with self.journal.lock:
            return list(self.journal.errors)

    def writes(self) -> list[Recorded]:
        """Every non-GET request, in order (including refused and injected ones)."""
        return [r for r in self.requests if r.method != "GET"]

    def count_writes(self) -> int:
        return len(self.writes())

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        """Recorded requests with this method (None: any) whose path matches ``path`` (re.search)."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or re.search(path, r.path))
        ]

    def clear_journal(self) -> None:
        """Forget recorded requests (validation errors are kept: they must still fail the test)."""
        with self.journal.lock:
            self.journal.requests.clear()

    def assert_valid(self) -> None:
        errors = self.validation_errors
        assert not errors, "GitHub OpenAPI validation failed:\n" + "\n\n".join(errors)

    def expect_validation_errors(self) -> list[str]:
        """Take the recorded validation errors (for tests that provoke them on purpose)."""
        with self.journal.lock:
            taken = list(self.journal.errors)
            self.journal.errors.clear()
        return taken

    # git state -----------------------------------------------------------------
    def seed(self, files: dict[str, bytes], message: str = "Initial commit") -> str:
        """Make the first commit of the default branch from {path: bytes}."""
        return self.commit_to_branch(self.default_branch, files, message=message)

    def commit_to_branch(
        self,
        branch: str,
        files: Mapping[str, bytes | None],
        *,
        message: str = "Human edit",
        author: tuple[str, str] = (HUMAN[0], HUMAN[1]),
        login: str | None = None,
        start_from: str | None = None,
    ) -> str:
        """Commit ``files`` (None deletes a path) on top of ``branch``; move the branch.

        A branch that does not exist yet starts from ``start_from`` (a branch),
        or from the default branch, or as a root commit in an empty repository.
        """
        name, email = author
        if login:
            self.backend.logins_by_email[email] = login
        with self.git.lock:
            ref = f"refs/heads/{branch}"
            parent = self.git.ref_sha(ref) or self.git.ref_sha(
                f"refs/heads/{start_from or self.default_branch}"
            )
            base_tree = self.git.read_commit(parent).tree if parent else None
            entries = [
                {"path": p, "mode": "100644", "type": "blob", "sha": None}
                if data is None
                else {"path": p, "mode": "100644", "type": "blob", "sha": self.git.write_blob(data)}
                for p, data in files.items()
            ]
            tree = create_tree(self.git, base_tree, entries)
            sig = Signature(name, email, now())
            sha = self.git.write_commit(tree, [parent] if parent else [], message, sig, sig)
            self.git.set_ref(ref, sha, actor=self.backend.logins_by_email.get(email, HUMAN[2]))
        settle_pulls(self.backend, branch)
        return sha

    def create_branch(self, branch: str, from_branch: str | None = None) -> str:
        sha = self.branch_sha(from_branch or self.default_branch)
        assert sha, f"no branch {from_branch or self.default_branch}"
        self.git.set_ref(f"refs/heads/{branch}", sha, actor=HUMAN[2])
        return sha

    def branch_sha(self, branch: str) -> str | None:
        return self.git.ref_sha(f"refs/heads/{branch}")

    def branch_files(self, branch: str) -> dict[str, bytes]:
        sha = self.branch_sha(branch)
        assert sha, f"no branch {branch}"
        return self.git.files(sha)

    def branch_commits(self, branch: str, since: str | None = None) -> list[CommitObject]:
        """Commits of ``branch`` newest first (not reachable from branch ``since``)."""
        sha = self.branch_sha(branch)
        assert sha, f"no branch {branch}"
        exclude = self.branch_sha(since) if since else None
        return [self.git.read_commit(s) for s in self.git.history(sha, exclude=exclude)]

    def branches(self) -> list[str]:
        return [name.removeprefix("refs/heads/") for name, _ in self.git.refs("refs/heads/")]

    # issues and pulls ------------------------------------------------------------
    def pulls(self, state: str = "all") -> list[Pull]:
        with self.issues.lock:
            return [p for p in self.issues.pulls.values() if state in ("all", p.state)]

    def pull(self, number: int) -> Pull:
        return self.issues.pulls[number]

    def open_pull(
        self,
        head: str,
        title: str = "Flip",
        body: str | None = None,
        base: str | None = None,
        user: str | None = None,
    ) -> Pull:
        """Create a PR directly in state (e.g. one a previous run left)."""
        return self.issues.add_pull(
            title=title,
            body=body,
            head=head,
            base=base or self.default_branch,
            user=user or self.backend.login,
        )

    def close_pull(self, number: int) -> None:
        pull = self.pull(number)
        pull.closed_head_sha = self.branch_sha(pull.head)
        pull.state, pull.closed_at = "closed", now()

    def merge_pull(self, number: int, *, squash: bool = False) -> str:
        """Merge a PR as a maintainer would on GitHub (merge commit, or squash); returns the sha."""
        pull = self.pull(number)
        base, head = self.branch_sha(pull.base), self.branch_sha(pull.head)
        assert base and head and pull.state == "open", f"PR #{number} cannot be merged"
        tree = self.git.merge_tree(base, head)
        sig = Signature(HUMAN[0], HUMAN[1], now())
        message = (
            f"Merge pull request #{number} from {self.repo_full_name.split('/')[0]}/{pull.head}"
        )
        sha = self.git.write_commit(tree, [base] if squash else [base, head], message, sig, sig)
        self.git.set_ref(f"refs/heads/{pull.base}", sha, base, actor=HUMAN[2], kind="pr_merge")
        stamp = now()
        pull.state, pull.closed_at, pull.merged_at, pull.closed_head_sha = (
            "closed",
            stamp,
            stamp,
            head,
        )
        return sha

    def add_label(self, number: int, name: str) -> None:
        """Put a label on a PR as a human would (creates the repo label if needed)."""
        label = self.issues.ensure_label(name)
        pull = self.pull(number)
        if label.name not in pull.labels:
            pull.labels.append(label.name)

    def labels_of(self, number: int) -> list[str]:
        return list(self.pull(number).labels)

    def comments_of(self, number: int) -> list[str]:
        return [c.body for c in self.pull(number).comments]

    def add_comment(self, number: int, body: str, user: str = HUMAN[2]) -> None:
        self.issues.add_comment(self.pull(number), body, user)

    def repo_labels(self) -> list[str]:
        return [label.name for label in self.issues.labels.values()]

    def add_milestone(self, title: str) -> int:
        """A repository milestone; returns its number."""
        with self.issues.lock:
            number = len(self.issues.milestones) + 1
            self.issues.milestones[number] = Milestone(number, self.issues.next_id(), title)
            return number

    def add_collaborator(self, login: str) -> None:
        """Someone with push access: may be requested as a reviewer and assigned."""
        self.issues.collaborators.add(login)

    def add_team(self, slug: str) -> None:
        self.issues.teams.add(slug)

    def review(self, number: int, login: str, state: str = "APPROVED") -> None:
        """A person reviews the PR: their review request is fulfilled, the review stays."""
        pull = self.pull(number)
        with self.issues.lock:
            pull.reviews.append((login, state))
            pull.requested_reviewers = [r for r in pull.requested_reviewers if r != login]
