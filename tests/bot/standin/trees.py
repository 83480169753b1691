"""POST /git/trees semantics on top of ``git mktree``: base_tree, nested paths, deletes."""

from __future__ import annotations

from typing import Any

from .api import ApiError, validation_failed
from .gitstore import GitStore, TreeEntry

Flat = dict[str, TreeEntry]  # path -> blob/submodule entry (never a tree)


def _flatten(git: GitStore, tree_sha: str, prefix: str = "") -> Flat:
    flat: Flat = {}
    for e in git.read_tree(tree_sha, recursive=True):
        if e.type != "tree":
            path = prefix + e.path
            flat[path] = TreeEntry(e.mode, e.type, e.sha, path)
    return flat


def _drop(flat: Flat, path: str) -> None:
    for key in [k for k in flat if k == path or k.startswith(path + "/")]:
        del flat[key]


def _write(git: GitStore, flat: Flat) -> str:
    """Write the nested trees bottom-up with mktree; return the root tree sha."""
    children: dict[str, dict[str, TreeEntry]] = {"": {}}
    for path, e in flat.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            children.setdefault("/".join(parts[:depth]), {})
        parent = "/".join(parts[:-1])
        children[parent][parts[-1]] = TreeEntry(e.mode, e.type, e.sha, parts[-1])
    for directory in sorted(children, key=lambda d: d.count("/") + (d != ""), reverse=True):
        if directory == "":
            continue
        sha = git.write_tree(list(children[directory].values()))
        parent, _, name = directory.rpartition("/")
        children[parent][name] = TreeEntry("040000", "tree", sha, name)
    return git.write_tree(list(children[""].values()))


def create_tree(git: GitStore, base_tree: str | None, entries: list[dict[str, Any]]) -> str:
    flat: Flat = {}
    if base_tree:
        if git.object_type(base_tree) != "tree":
            raise ApiError(422, "base_tree is not a valid tree oid")
        flat = _flatten(git, base_tree)
    for index, item in enumerate(entries):
        path, mode, kind = item.get("path", ""), item.get("mode"), item.get("type")
        if not path or path.startswith("/") or path.endswith("/") or "//" in path:
            raise validation_failed(
                {"resource": "Tree", "field": f"tree[{index}].path", "code": "invalid"}
            )
        has_sha, has_content = "sha" in item, "content" in item
        if has_sha and has_content:
            raise ApiError(422, "tree.sha and tree.content are mutually exclusive")
        if has_sha and item["sha"] is None:
            _drop(flat, path)
            continue
        if has_content:
            sha = git.write_blob(str(item["content"]).encode("utf-8"))
        elif has_sha:
            sha = str(item["sha"])
        else:
            raise ApiError(422, f"Must supply tree.sha or tree.content for {path}")
        want = {"040000": "tree", "160000": "commit"}.get(str(mode), "blob")
        if kind and kind != want:
            raise ApiError(422, f"tree.type {kind} does not match mode {mode} for {path}")
        if want != "commit" and git.object_type(sha) != want:
            raise ApiError(422, f"tree.sha {sha} is not a valid {want}")
        _drop(flat, path)
        parts = path.split("/")
        for depth in range(1, len(parts)):  # a file where a folder must go is replaced
            flat.pop("/".join(parts[:depth]), None)
        if want == "tree":
            flat.update(_flatten(git, sha, prefix=path + "/"))
        else:
            flat[path] = TreeEntry(str(mode), want, sha, path)
    return _write(git, flat)
