"""A real bare git repository driven through git's plumbing commands.

Every object the stand-in serves (blobs, trees, commits) lives here, so a test
can check what the bot wrote with plain ``git cat-file`` / ``git ls-tree``.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_FULL_SHA = re.compile(r"[0-9a-f]{40}")

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True)
class Signature:
    name: str
    email: str
    date: str  # ISO 8601, e.g. "2026-01-01T00:00:00Z"


@dataclass(frozen=True)
class TreeEntry:
    mode: str  # "100644", "100755", "040000", "120000", "160000"
    type: str  # "blob", "tree", "commit"
    sha: str
    path: str
    size: int | None = None


@dataclass(frozen=True)
class CommitObject:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Signature
    committer: Signature
    message: str


@dataclass(frozen=True)
class RefChange:
    """One ref move, as GitHub's "List repository activities" reports it."""

    id: int
    ref: str  # "refs/heads/x"
    before: str | None  # None: the ref was created
    after: str | None  # None: the ref was deleted
    actor: str  # the GitHub login that moved it
    timestamp: str
    kind: str | None = None  # e.g. "pr_merge"; None: derived from before/after


class GitError(RuntimeError):
    """A git plumbing command failed (unknown object, bad ref, ...)."""


def _parse_signature(raw: str) -> Signature:
    # "Name <email> 1700000000 +0000"
    name, rest = raw.split(" <", 1)
    email, rest = rest.split("> ", 1)
    seconds, _tz = rest.split(" ")
    from datetime import UTC, datetime

    date = datetime.fromtimestamp(int(seconds), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Signature(name=name, email=email, date=date)


class GitStore:
    """Plumbing over one bare repository; ref updates are serialised by a lock.

    Objects are immutable, so what is read by full sha is cached; refs are
    mirrored in memory (every ref change goes through ``set_ref``/``delete_ref``).
    Together these save most of the ~10 ms a git process costs here.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._cache: dict[tuple[str, ...], Any] = {}
        if not (path / "HEAD").exists():
            path.mkdir(parents=True, exist_ok=True)
            self._git("init", "--bare", "--quiet", "--initial-branch=main")
        out = self._git("for-each-ref", "--format=%(refname) %(objectname)")
        self._refs: dict[str, str] = dict(
            line.split(" ", 1) for line in out.decode().splitlines() if line
        )
        self.ref_log: list[RefChange] = []  # every ref move since start, oldest first

    def _cached(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        if key in self._cache:
            return self._cache[key]
        value = compute()
        if _FULL_SHA.fullmatch(key[-1]):
            self._cache[key] = value
        return value

    def _git(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> bytes:
        full_env = {**os.environ, "GIT_DIR": str(self.path), "GIT_CONFIG_NOSYSTEM": "1"}
        full_env.update(env or {})
        proc = subprocess.run(
            ["git", *args], input=stdin, capture_output=True, env=full_env, check=False
        )
        if proc.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    # objects -----------------------------------------------------------------
    def write_blob(self, data: bytes) -> str:
        return self._git("hash-object", "-w", "--stdin", stdin=data).decode().strip()

    def object_type(self, sha: str) -> str | None:
        def compute() -> str | None:
            try:
                return self._git("cat-file", "-t", sha).decode().strip()
            except GitError:
                return None

        kind = self._cached(("type", sha), compute)
        if kind is None:  # an object written later must not stay "missing"
            self._cache.pop(("type", sha), None)
        return kind

    def read_blob(self, sha: str) -> bytes:
        return self._cached(("blob", sha), lambda: self._git("cat-file", "blob", sha))

    def write_tree(self, entries: list[TreeEntry]) -> str:
        lines = "".join(f"{e.mode} {e.type} {e.sha}\t{e.path}\n" for e in entries)
        return self._git("mktree", "--missing", stdin=lines.encode()).decode().strip()

    def read_tree(self, sha: str, *, recursive: bool = False) -> list[TreeEntry]:
        flag = "-r" if recursive else ""
        return list(
            self._cached(("tree", flag, sha), lambda: self._ls(*([flag] if flag else []), sha))
        )

    def _ls(self, *args: str) -> list[TreeEntry]:
        try:
            out = self._git("ls-tree", "-l", "-z", "-t", *args)
        except GitError:
            return []
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, path = record.decode().split("\t", 1)
            mode, kind, obj, size = meta.split()
            entries.append(TreeEntry(mode, kind, obj, path, None if size == "-" else int(size)))
        return entries

    def entry(self, treeish: str, path: str) -> TreeEntry | None:
        """The entry at ``path`` (file or folder) of a commit or tree, or None."""
        found = [e for e in self._ls(treeish, "--", path) if e.path == path]
        return found[0] if found else None

    def write_commit(
        self, tree: str, parents: list[str], message: str, author: Signature, committer: Signature
    ) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": author.date,
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": committer.date,
        }
        # commit-tree appends a newline to a message given on stdin; GitHub keeps it verbatim
        return self._git(*args, stdin=message.encode(), env=env).decode().strip()

    def read_commit(self, sha: str) -> CommitObject:
        return self._cached(("commit", sha), lambda: self._read_commit(sha))

    def _read_commit(self, sha: str) -> CommitObject:
        raw = self._git("cat-file", "commit", sha).decode()
        header, _, message = raw.partition("\n\n")
        tree, parents, author, committer = "", [], None, None
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key == "author":
                author = _parse_signature(value)
            elif key == "committer":
                committer = _parse_signature(value)
        assert author is not None and committer is not None, raw
        return CommitObject(sha, tree, tuple(parents), author, committer, message.rstrip("\n"))

    # refs --------------------------------------------------------------------
    def resolve(self, rev: str) -> str | None:
        """A ref name or (abbreviated) sha to the commit sha it names, or None."""
        if rev in self._refs:
            return self._refs[rev]
        if _FULL_SHA.fullmatch(rev):
            return rev if self.object_type(rev) == "commit" else None
        try:
            return (
                self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
            )
        except GitError:
            return None

    def ref_sha(self, ref: str) -> str | None:
        """SHA a full ref name ("refs/heads/x") points at, or None."""
        return self._refs.get(ref)

    def refs(self, prefix: str = "refs/") -> list[tuple[str, str]]:
        with self.lock:
            return sorted((n, s) for n, s in self._refs.items() if n.startswith(prefix))

    def set_ref(
        self,
        ref: str,
        sha: str,
        old: str | None = None,
        *,
        actor: str = "",
        kind: str | None = None,
    ) -> None:
        with self.lock:
            before = self._refs.get(ref)
            self._git("update-ref", ref, sha, *([old] if old else []))
            self._refs[ref] = sha
            self._log(ref, before, sha, actor, kind)

    def delete_ref(self, ref: str, *, actor: str = "") -> None:
        with self.lock:
            before = self._refs.get(ref)
            self._git("update-ref", "-d", ref)
            self._refs.pop(ref, None)
            self._log(ref, before, None, actor, None)

    def _log(
        self, ref: str, before: str | None, after: str | None, actor: str, kind: str | None
    ) -> None:
        from datetime import UTC, datetime

        stamp = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        change = RefChange(len(self.ref_log) + 1, ref, before, after, actor, stamp, kind)
        self.ref_log.append(change)

    def activity_type(self, change: RefChange) -> str:
        """GitHub's activity_type of a ref move: creation, deletion, push or force_push."""
        if change.kind:
            return change.kind
        if change.before is None:
            return "branch_creation"
        if change.after is None:
            return "branch_deletion"
        return "push" if self.is_ancestor(change.before, change.after) else "force_push"

    # history -----------------------------------------------------------------
    def history(self, sha: str, limit: int | None = None, exclude: str | None = None) -> list[str]:
        args = ["rev-list"] + ([f"--max-count={limit}"] if limit else []) + [sha]
        if exclude:
            args.append(f"^{exclude}")
        key = ("history", str(limit), exclude or "", sha)
        return list(self._cached(key, lambda: self._git(*args).decode().split()))

    def merge_base(self, a: str, b: str) -> str | None:
        try:
            return self._git("merge-base", a, b).decode().strip() or None
        except GitError:
            return None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self._git("merge-base", "--is-ancestor", ancestor, descendant)
            return True
        except GitError:
            return False

    def files(self, treeish: str) -> dict[str, bytes]:
        """Every blob reachable from a commit or tree, as {path: bytes}."""
        return {
            e.path: self.read_blob(e.sha)
            for e in self.read_tree(treeish, recursive=True)
            if e.type == "blob"
        }

    def merge_tree(self, ours: str, theirs: str) -> str:
        """The tree of merging two commits (git merge-tree); GitError on a conflict."""
        return self._git("merge-tree", "--write-tree", ours, theirs).decode().split()[0]

    def changed_files(self, sha: str) -> list[tuple[str, str, str, int, int]]:
        """(status A/M/D, path, blob sha or zeros, additions, deletions) against the first parent."""

        def compute() -> list[tuple[str, str, str, int, int]]:
            parents = self.read_commit(sha).parents
            base = [parents[0]] if parents else ["--root"]
            raw = self._git("diff-tree", "-r", "--no-commit-id", "--raw", *base, sha).decode()
            nums = self._git("diff-tree", "-r", "--no-commit-id", "--numstat", *base, sha).decode()
            counts = {}
            for line in nums.splitlines():
                a, d, path = line.split("\t", 2)
                counts[path] = (int(a) if a != "-" else 0, int(d) if d != "-" else 0)
            out = []
            for line in raw.splitlines():
                meta, path = line.split("\t", 1)
                _, _, _, new, status = meta.split()
                out.append((status[0], path, new, *counts.get(path, (0, 0))))
            return out

        return list(self._cached(("changes", sha), compute))

    def diff_stat(self, base: str, head: str) -> tuple[int, int, int]:
        """(changed files, additions, deletions) of head against its merge base with base."""
        merge_base = self._git("merge-base", base, head).decode().strip()
        out = self._git("diff", "--numstat", merge_base, head).decode()
        files = added = deleted = 0
        for line in out.splitlines():
            a, d, _ = line.split("\t", 2)
            files += 1
            added += int(a) if a != "-" else 0
            deleted += int(d) if d != "-" else 0
        return files, added, deleted
