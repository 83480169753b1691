"""Everything the bot asks of GitHub, through PyGithub; the only module that imports it.

The rest of the bot sees plain dataclasses and :class:`GitHubError`, an
InputError whose message names the failed action and the fix (the
permission to grant, the setting to change). Retries live here too:
PyGithub's ``GithubRetry`` (a urllib3 ``Retry``) retries 5xx, 429 and
secondary-rate-limit 403s with a bounded backoff and honours Retry-After up
to a maximum wait.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

import github
from github import Auth, GithubException, GithubRetry, InputGitAuthor, InputGitTreeElement
from requests.exceptions import RequestException

from bot.github_api.errors import CONTENTS, PULLS, GitHubError, explain
from bot.github_api.git_objects import (
    CommitInfo,
    Comparison,
    Identity,
    PullInfo,
    RefActivity,
    TreeEntry,
    git_blob_sha,
)
from flipbot import __version__

T = TypeVar("T")


def translate(exc: GithubException, action: str, permission: str) -> GitHubError:
    data = exc.data if isinstance(exc.data, dict) else {}
    text = str(data.get("message") or exc.data or "")
    errors = data.get("errors")
    if isinstance(errors, list):
        text += " " + "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
        )
    return explain(exc.status, text.strip(), action, permission)


@contextmanager
def _call(action: str, permission: str = CONTENTS) -> Iterator[None]:
    try:
        yield
    except GithubException as exc:
        raise translate(exc, action, permission) from None
    except RequestException as exc:
        raise GitHubError(
            f"{action}: the request failed ({type(exc).__name__}); rerun the job later"
        ) from None


def _plain_text(data: bytes) -> bool:
    """Bytes that survive a tree entry's ``content`` string unchanged: UTF-8, no CR, no BOM.

    Anything else (ONNX files, a CRLF or BOM registry) goes up as a base64 blob,
    whose sha is the sha of exactly these bytes.
    """
    if b"\r" in data or data.startswith(b"\xef\xbb\xbf"):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class GitHubRepo:
    """One repository, with the few calls the flip lifecycle needs."""

    def __init__(
        self,
        api_url: str,
        token: str,
        full_name: str,
        *,
        max_wait_s: float = 60.0,
        backoff_s: float = 0.5,
        write_interval_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        retry = GithubRetry(
            total=4,
            backoff_factor=backoff_s,
            backoff_max=max_wait_s,
            secondary_rate_wait=min(60.0, max_wait_s),
            max_rate_limit_wait=max_wait_s,
            retry_after_max=int(max_wait_s),
            status_forcelist=[429, 500, 502, 503, 504],
            raise_on_status=False,  # the last answer reaches PyGithub, which raises with GitHub's message
        )
        self._gh = github.Github(
            base_url=api_url,
            auth=Auth.Token(token),
            retry=retry,
            user_agent=f"flipbot/{__version__}",
            seconds_between_requests=0,
            seconds_between_writes=write_interval_s,
            timeout=30,
        )
        with _call(f"read repository {full_name}"):
            self._repo = self._gh.get_repo(full_name)
        self._owner = full_name.split("/", 1)[0]
        self._sleep = sleep
        self._write_interval_s = write_interval_s
        self._commits: dict[str, Any] = {}
        self._refs: dict[str, Any] = {}
        self._pulls: dict[int, Any] = {}

    # --- reads ----------------------------------------------------------------
    def ref_sha(self, branch: str) -> str | None:
        try:
            ref = self._repo.get_git_ref(f"heads/{branch}")
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise translate(exc, f"read branch '{branch}'", CONTENTS) from None
        self._refs[branch] = ref
        return str(ref.object.sha)

    def commit(self, sha: str) -> CommitInfo:
        with _call(f"read commit {sha[:12]}"):
            obj = self._commits.get(sha) or self._repo.get_git_commit(sha)
            self._commits[sha] = obj
            return CommitInfo(
                obj.sha,
                obj.tree.sha,
                tuple(p.sha for p in obj.parents),
                obj.message,
                _identity(obj.author),
                _identity(obj.committer),
            )

    def tree(self, tree_sha: str) -> dict[str, TreeEntry]:
        with _call(f"read tree {tree_sha[:12]}"):
            tree = self._repo.get_git_tree(tree_sha, recursive=True)
            if tree.raw_data.get("truncated"):
                raise GitHubError(
                    f"read tree {tree_sha[:12]}: the listing is truncated; the repository is too large"
                )
            return {e.path: TreeEntry(e.path, e.mode, e.type, e.sha) for e in tree.tree}

    def blob(self, sha: str) -> bytes:
        with _call(f"read blob {sha[:12]}"):
            blob = self._repo.get_git_blob(sha)
            return (
                base64.b64decode(blob.content)
                if blob.encoding == "base64"
                else blob.content.encode()
            )

    def pull_commits(self, number: int) -> list[CommitInfo]:
        """The commits of an open PR that its base does not hold, oldest first."""
        with _call(f"list the commits of #{number}", PULLS):
            return [_commit_info(c) for c in self._pull(number).get_commits()]

    def compare(self, base_sha: str, head_sha: str) -> Comparison:
        """``base...head``: what head has that base lacks (GitHub lists at most 250 commits)."""
        with _call(f"compare {base_sha[:12]}...{head_sha[:12]}"):
            found = self._repo.compare(base_sha, head_sha)
            commits = tuple(_commit_info(c) for c in islice(found.commits, 250))
            return Comparison(found.merge_base_commit.sha, commits, found.ahead_by)

    def ref_activity(self, branch: str, after_sha: str, attempts: int = 3) -> RefActivity | None:
        """The newest recorded move of ``branch`` to ``after_sha`` ("List repository activities").

        Filtered by ``ref`` only, not ``activity_type``: a write that turned out to be a
        fast-forward is listed as a "push", and finding it proves nothing was overwritten.
        None when GitHub has not listed it (yet); a GitHubError (404/403 on GitHub
        Enterprise Server versions without the endpoint) when it cannot be asked.
        """
        url = f"{self._repo.url}/activity"
        for attempt in range(attempts):
            if attempt:
                self._sleep(0.5 * 2**attempt)  # the activity list may lag the write a moment
            with _call(f"list the activity of '{branch}'"):
                _, items = self._repo._requester.requestJsonAndCheck(
                    "GET", url, parameters={"ref": f"refs/heads/{branch}", "per_page": 30}
                )
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("after") == after_sha:
                    return RefActivity(
                        str(item.get("before")), after_sha, str(item.get("activity_type"))
                    )
        return None

    def find_pulls(self, branch: str, base: str, state: str) -> list[PullInfo]:
        """Every PR from ``branch`` into ``base`` in ``state``, newest first (all pages)."""
        with _call(f"list pull requests for '{branch}'", PULLS):
            pulls = self._repo.get_pulls(state=state, head=f"{self._owner}:{branch}", base=base)
            found = []
            for pull in pulls:
                self._pulls[pull.number] = pull
                found.append(self._info(pull))
            return found

    def find_pull(self, branch: str, base: str, state: str = "open") -> PullInfo | None:
        """The newest PR from ``branch`` into ``base`` in ``state`` ("open" or "closed")."""
        with _call(f"list pull requests for '{branch}'", PULLS):
            pulls = self._repo.get_pulls(state=state, head=f"{self._owner}:{branch}", base=base)
            for pull in pulls:
                self._pulls[pull.number] = pull
                return self._info(pull)
        return None

    def comments(self, number: int) -> list[str]:
        with _call(f"read comments of #{number}", PULLS):
            return [c.body or "" for c in self._pull(number).get_issue_comments()]

    # --- writes ----------------------------------------------------------------
    def write_commit(
        self,
        parent_sha: str,
        files: Sequence[tuple[str, bytes | None]],
        message: str,
        known_blobs: Collection[str] = (),
        *,
        author: Identity | None = None,
        committer: Identity | None = None,
    ) -> CommitInfo:
        """Blobs -> tree (on the parent's tree) -> commit. Nothing is visible until a ref moves."""
        with _call("write the flip commit"):
            parent = self._commits.get(parent_sha) or self._repo.get_git_commit(parent_sha)
            elements = []
            for path, data in files:
                if data is None:  # the commit deletes this path (a tree entry with sha null)
                    elements.append(InputGitTreeElement(path, "100644", "blob", sha=None))
                elif _plain_text(data):
                    elements.append(
                        InputGitTreeElement(path, "100644", "blob", content=data.decode("utf-8"))
                    )
                else:
                    sha = git_blob_sha(data)
                    if sha in known_blobs:  # already in the repository: no upload
                        elements.append(InputGitTreeElement(path, "100644", "blob", sha=sha))
                        continue
                    blob = self._repo.create_git_blob(
                        base64.b64encode(data).decode("ascii"), "base64"
                    )
                    elements.append(InputGitTreeElement(path, "100644", "blob", sha=blob.sha))
            tree = self._repo.create_git_tree(elements, base_tree=parent.tree)
            who = {
                key: InputGitAuthor(person.name, person.email)
                for key, person in (("author", author), ("committer", committer))
                if person is not None
            }
            commit = self._repo.create_git_commit(message, tree, [parent], **who)
            self._commits[commit.sha] = commit
            return CommitInfo(commit.sha, tree.sha, (parent.sha,), message, author, committer)

    def create_ref(self, branch: str, sha: str) -> None:
        try:
            with _call(f"create branch '{branch}'"):
                self._refs[branch] = self._repo.create_git_ref(f"refs/heads/{branch}", sha)
        except GitHubError as exc:
            # A retried POST whose first try landed: the ref exists and already points at sha.
            if exc.status != 422 or self.ref_sha(branch) != sha:
                raise

    def settle_writes(self) -> None:
        """Wait out the pause PyGithub keeps between writes, so it does not sleep before the next.

        Called before the last read ahead of a ref write: the pause then falls before
        that read instead of inside the window between the read and the write.
        """
        if self._write_interval_s > 0:
            self._sleep(self._write_interval_s)

    def force_ref(self, branch: str, sha: str) -> None:
        with _call(f"update branch '{branch}'"):
            ref = self._refs.get(branch) or self._repo.get_git_ref(f"heads/{branch}")
            ref.edit(sha, force=True)

    def delete_ref(self, branch: str) -> None:
        with _call(f"delete branch '{branch}'"):
            ref = self._refs.pop(branch, None) or self._repo.get_git_ref(f"heads/{branch}")
            ref.delete()

    def create_pull(
        self, branch: str, base: str, title: str, body: str, draft: bool
    ) -> PullInfo | None:
        """Open the PR; None when GitHub says one already exists for this head (the update path)."""
        try:
            with _call(f"open the pull request from '{branch}'", PULLS):
                pull = self._repo.create_pull(
                    base=base, head=branch, title=title, body=body, draft=draft
                )
        except GitHubError as exc:
            if exc.status == 422 and "already exists" in str(exc).lower():
                return None
            raise
        self._pulls[pull.number] = pull
        return self._info(pull)

    def edit_pull(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> None:
        changes = {
            k: v for k, v in (("title", title), ("body", body), ("state", state)) if v is not None
        }
        self._retrying(f"update pull request #{number}", lambda: self._pull(number).edit(**changes))

    def comment(self, number: int, body: str) -> None:
        self._retrying(
            f"comment on #{number}", lambda: self._pull(number).create_issue_comment(body)
        )

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        self._retrying(f"label #{number}", lambda: self._pull(number).add_to_labels(*labels))

    def remove_label(self, number: int, label: str) -> None:
        self._retrying(f"unlabel #{number}", lambda: self._pull(number).remove_from_labels(label))

    def request_reviewers(
        self, number: int, reviewers: Sequence[str], team_reviewers: Sequence[str]
    ) -> None:
        self._retrying(
            f"request reviews on #{number}",
            lambda: self._pull(number).create_review_request(
                reviewers=list(reviewers), team_reviewers=list(team_reviewers)
            ),
        )

    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        self._retrying(f"assign #{number}", lambda: self._pull(number).add_to_assignees(*assignees))

    def set_milestone(self, number: int, milestone: int) -> None:
        # PyGithub's Issue.edit wants a Milestone object (one more GET); the API takes the number.
        url = f"{self._repo.url}/issues/{number}"
        self._retrying(
            f"set the milestone of #{number}",
            lambda: self._gh.requester.requestJsonAndCheck(
                "PATCH", url, input={"milestone": milestone}
            ),
        )

    def convert_to_draft(self, number: int) -> None:
        """REST cannot make a PR a draft again; GitHub's GraphQL mutation can."""
        self._retrying(
            f"turn #{number} into a draft", lambda: self._pull(number).convert_to_draft()
        )

    # --- internals ---------------------------------------------------------------
    def _pull(self, number: int) -> Any:
        if number not in self._pulls:
            with _call(f"read pull request #{number}", PULLS):
                self._pulls[number] = self._repo.get_pull(number)
        return self._pulls[number]

    def _retrying(self, action: str, call: Callable[[], T], attempts: int = 4) -> T:
        """Retry the 422 'could not resolve to a node' a fresh PR gives for a moment after creation."""
        for attempt in range(attempts):
            try:
                with _call(action, PULLS):
                    return call()
            except GitHubError as exc:
                fresh = exc.status == 422 and "could not resolve to a node" in str(exc).lower()
                if not fresh or attempt == attempts - 1:
                    raise
                self._sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    @staticmethod
    def _info(pull: Any) -> PullInfo:
        return PullInfo(
            number=pull.number,
            url=pull.html_url,
            title=pull.title or "",
            body=pull.body or "",
            labels=tuple(label.name for label in pull.labels),
            head_sha=pull.head.sha,
            draft=bool(pull.draft),
            assignees=tuple(a.login for a in pull.assignees),
            milestone=pull.milestone.number if pull.milestone else None,
        )


def _identity(person: Any) -> Identity | None:
    name, email = getattr(person, "name", None), getattr(person, "email", None)
    return Identity(name, email) if isinstance(name, str) and isinstance(email, str) else None


def _commit_info(c: Any) -> CommitInfo:
    """A REST commit (``/commits``, ``/pulls/N/commits``, compare) as a CommitInfo."""
    return CommitInfo(
        c.sha,
        c.commit.tree.sha,
        tuple(p.sha for p in c.parents),
        c.commit.message,
        _identity(c.commit.author),
        _identity(c.commit.committer),
    )
