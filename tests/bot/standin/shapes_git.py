"""Git Data JSON shapes: commits (git and REST), refs, trees, blobs, branches."""

from __future__ import annotations

import base64
from typing import Any

from .gitstore import CommitObject, Signature, TreeEntry
from .shapes_repo import RepoShapes, node_id


class GitShapes(RepoShapes):
    def git_user(self, sig: Signature) -> dict[str, Any]:
        return {"name": sig.name, "email": sig.email, "date": sig.date}

    def git_commit(self, c: CommitObject) -> dict[str, Any]:
        return {
            "sha": c.sha,
            "node_id": node_id("C", c.sha),
            "url": f"{self.api}/git/commits/{c.sha}",
            "html_url": f"{self.html}/commit/{c.sha}",
            "author": self.git_user(c.author),
            "committer": self.git_user(c.committer),
            "message": c.message,
            "tree": {"sha": c.tree, "url": f"{self.api}/git/trees/{c.tree}"},
            "parents": [
                {
                    "sha": p,
                    "url": f"{self.api}/git/commits/{p}",
                    "html_url": f"{self.html}/commit/{p}",
                }
                for p in c.parents
            ],
            "verification": self.verification(),
        }

    def verification(self) -> dict[str, Any]:
        return {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        }

    def commit(self, c: CommitObject, login: str | None) -> dict[str, Any]:
        """The /commits shape; ``author``/``committer`` are GitHub users (null if unknown)."""
        user = self.user(login) if login else None
        return {
            "sha": c.sha,
            "node_id": node_id("C", c.sha),
            "url": f"{self.api}/commits/{c.sha}",
            "html_url": f"{self.html}/commit/{c.sha}",
            "comments_url": f"{self.api}/commits/{c.sha}/comments",
            "commit": {
                "url": f"{self.api}/git/commits/{c.sha}",
                "author": self.git_user(c.author),
                "committer": self.git_user(c.committer),
                "message": c.message,
                "comment_count": 0,
                "tree": {"sha": c.tree, "url": f"{self.api}/git/trees/{c.tree}"},
                "verification": self.verification(),
            },
            "author": user,
            "committer": user,
            "parents": [
                {"sha": p, "url": f"{self.api}/commits/{p}", "html_url": f"{self.html}/commit/{p}"}
                for p in c.parents
            ],
        }

    def diff_entry(
        self, commit: str, status: str, path: str, blob: str, added: int, deleted: int
    ) -> dict[str, Any]:
        """One entry of a commit's ``files``."""
        word = {"A": "added", "D": "removed", "M": "modified", "R": "renamed"}.get(
            status, "changed"
        )
        return {
            "sha": blob,
            "filename": path,
            "status": word,
            "additions": added,
            "deletions": deleted,
            "changes": added + deleted,
            "blob_url": f"{self.html}/blob/{commit}/{path}",
            "raw_url": f"{self.html}/raw/{commit}/{path}",
            "contents_url": f"{self.api}/contents/{path}?ref={commit}",
        }

    def ref(self, name: str, sha: str) -> dict[str, Any]:
        return {
            "ref": name,
            "node_id": node_id("REF", name),
            "url": f"{self.api}/git/{name}",
            "object": {"type": "commit", "sha": sha, "url": f"{self.api}/git/commits/{sha}"},
        }

    def tree(self, sha: str, entries: list[TreeEntry]) -> dict[str, Any]:
        items = []
        for e in entries:
            item: dict[str, Any] = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
            if e.type == "blob":
                item["size"] = e.size
                item["url"] = f"{self.api}/git/blobs/{e.sha}"
            elif e.type == "tree":
                item["url"] = f"{self.api}/git/trees/{e.sha}"
            items.append(item)
        return {"sha": sha, "url": f"{self.api}/git/trees/{sha}", "tree": items, "truncated": False}

    def blob(self, sha: str, data: bytes) -> dict[str, Any]:
        return {
            "sha": sha,
            "node_id": node_id("B", sha),
            "url": f"{self.api}/git/blobs/{sha}",
            "size": len(data),
            "content": base64.encodebytes(data).decode(),
            "encoding": "base64",
        }

    def branch(self, name: str, c: CommitObject, login: str | None) -> dict[str, Any]:
        return {
            "name": name,
            "commit": self.commit(c, login),
            "_links": {"self": f"{self.api}/branches/{name}", "html": f"{self.html}/tree/{name}"},
            "protected": False,
            "protection": {"enabled": False},
            "protection_url": f"{self.api}/branches/{name}/protection",
        }
