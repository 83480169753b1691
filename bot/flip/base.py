"""The base a flip is verified on and then built on: one read of it, shared by both.

PR mode reads the base branch's tip once through the API (never a checkout: the job's checkout
may be stale or tampered with); local runs read the working tree the registry lives in. The
verifier checks the flip against this view and hands it on inside the ``Flip``; the commit
planner (:mod:`bot.pr.commit_plan`) builds the flip commit on ``commit``, the same commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.github_api import TreeEntry


@dataclass(frozen=True)
class BaseView:
    where: str  # how messages name the base: "main 1a2b3c4d5e6f" or "the working tree at /x"
    registry_path: str  # repository-relative (POSIX)
    registry_text: str  # exact text, no newline translation, no BOM (see ``bom``)
    # Repository-relative path -> its bytes, None if absent; a symlink is refused (InputError).
    read: Callable[[str], bytes | None]
    # The same for files the flip may replace or delete: a regular file's bytes, None for
    # anything else (absent, a folder, a symlink); never raises, never reads through a link.
    read_plain: Callable[[str], bytes | None]
    commit: str | None = None  # the base commit's sha (PR mode): the flip commit's parent
    bom: bool = False  # the registry file starts with a UTF-8 BOM (put back on write)
    tree: Mapping[str, TreeEntry] | None = None  # the base commit's tree (PR mode)

    @property
    def paths(self) -> frozenset[str] | None:
        """Every path of the base commit's tree (PR mode), None for a working tree."""
        return None if self.tree is None else frozenset(self.tree)

    def is_folder(self, path: str) -> bool:
        entry = self.tree.get(path) if self.tree is not None else None
        return entry is not None and entry.type != "blob"

    def blob_sha(self, path: str) -> str | None:
        """The git blob sha of ``path`` on the base commit (PR mode), else None."""
        entry = self.tree.get(path) if self.tree is not None else None
        return None if entry is None else entry.sha
