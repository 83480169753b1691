"""Git Data API: refs, blobs, trees, commits."""

from __future__ import annotations

import base64
import binascii

from .api import ApiError, Call, Reply, Route, not_found, route
from .gitstore import Signature
from .routes_pulls import settle_pulls
from .state import now
from .trees import create_tree

R = "/repos/{owner}/{repo}"


def _full_ref(ref: str) -> str:
    return ref if ref.startswith("refs/") else f"refs/{ref}"


def get_ref(call: Call) -> Reply:
    name = _full_ref(call.params["ref"])
    sha = call.backend.git.ref_sha(name)
    if sha is None:
        raise not_found()
    return Reply(200, call.backend.site.ref(name, sha))


def matching_refs(call: Call) -> Reply:
    prefix = _full_ref(call.params["ref"])
    refs = [
        call.backend.site.ref(name, sha)
        for name, sha in call.backend.git.refs()
        if name.startswith(prefix)
    ]
    return Reply(200, refs)


def create_ref(call: Call) -> Reply:
    b = call.backend
    name, sha = str(call.field("ref", "")), str(call.field("sha", ""))
    if not name.startswith("refs/") or name.count("/") < 2:
        raise ApiError(422, "Reference name is invalid")
    if b.git.object_type(sha) != "commit":
        raise ApiError(422, "Object does not exist")
    with b.git.lock:
        if b.git.ref_sha(name) is not None:
            raise ApiError(422, "Reference already exists")
        b.git.set_ref(name, sha, actor=b.login)
    return Reply(201, b.site.ref(name, sha), {"Location": f"{b.site.api}/git/{name}"})


def update_ref(call: Call) -> Reply:
    b = call.backend
    name, sha = _full_ref(call.params["ref"]), str(call.field("sha", ""))
    force = bool(call.field("force", False))
    with b.git.lock:
        old = b.git.ref_sha(name)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        if b.git.object_type(sha) != "commit":
            raise ApiError(422, "Object does not exist")
        if not force and not b.git.is_ancestor(old, sha):
            raise ApiError(422, "Update is not a fast forward")
        b.git.set_ref(name, sha, old, actor=b.login)
    if name.startswith("refs/heads/"):
        settle_pulls(b, name.removeprefix("refs/heads/"))
    return Reply(200, b.site.ref(name, sha))


def delete_ref(call: Call) -> Reply:
    b = call.backend
    name = _full_ref(call.params["ref"])
    with b.git.lock:
        old = b.git.ref_sha(name)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        b.git.delete_ref(name, actor=b.login)
    with b.issues.lock:  # GitHub closes the open pulls whose head branch is deleted
        for pull in b.issues.pulls.values():
            if pull.state == "open" and name == f"refs/heads/{pull.head}":
                pull.state, pull.closed_at, pull.closed_head_sha = "closed", now(), old
    return Reply(204)


def create_blob(call: Call) -> Reply:
    content, encoding = call.field("content"), call.field("encoding", "utf-8")
    if not isinstance(content, str):
        raise ApiError(422, "content is not a string")
    if encoding == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except binascii.Error as exc:
            raise ApiError(422, f"content is not valid Base64: {exc}") from exc
    elif encoding in ("utf-8", "utf8"):
        data = content.encode("utf-8")
    else:
        raise ApiError(422, f"encoding {encoding!r} is not supported")
    sha = call.backend.git.write_blob(data)
    url = f"{call.backend.site.api}/git/blobs/{sha}"
    return Reply(201, {"url": url, "sha": sha}, {"Location": url})


def get_blob(call: Call) -> Reply:
    git, sha = call.backend.git, call.params["file_sha"]
    if git.object_type(sha) != "blob":
        raise not_found()
    return Reply(200, call.backend.site.blob(sha, git.read_blob(sha)))


def create_tree_route(call: Call) -> Reply:
    entries = call.field("tree")
    if not isinstance(entries, list):
        raise ApiError(422, "tree is not an array")
    git = call.backend.git
    sha = create_tree(git, call.field("base_tree"), entries)
    return Reply(201, call.backend.site.tree(sha, git.read_tree(sha)))


def get_tree(call: Call) -> Reply:
    git, sha = call.backend.git, call.params["tree_sha"]
    resolved = sha if git.object_type(sha) == "tree" else None
    if resolved is None:  # a commit sha or branch name names its tree too
        commit = git.resolve(sha)
        resolved = git.read_commit(commit).tree if commit else None
    if resolved is None:
        raise not_found()
    # GitHub: "setting recursive to any value (0, 1, true, false) returns the subtrees"
    recursive = "recursive" in call.query
    return Reply(
        200, call.backend.site.tree(resolved, git.read_tree(resolved, recursive=recursive))
    )


def _signature(raw: object, fallback: Signature) -> Signature:
    if not isinstance(raw, dict):
        return fallback
    return Signature(str(raw["name"]), str(raw["email"]), str(raw.get("date") or now()))


def create_commit(call: Call) -> Reply:
    b = call.backend
    tree, parents = str(call.field("tree", "")), call.field("parents", [])
    if b.git.object_type(tree) != "tree":
        raise ApiError(422, "Tree SHA does not exist")
    for parent in parents:
        if b.git.object_type(str(parent)) != "commit":
            raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    author = _signature(call.field("author"), b.signature())
    committer = _signature(call.field("committer"), author)
    sha = b.git.write_commit(
        tree, [str(p) for p in parents], str(call.field("message")), author, committer
    )
    body = b.site.git_commit(b.git.read_commit(sha))
    return Reply(201, body, {"Location": body["url"]})


def get_commit(call: Call) -> Reply:
    git, sha = call.backend.git, call.params["commit_sha"]
    if git.object_type(sha) != "commit":
        raise not_found()
    return Reply(200, call.backend.site.git_commit(git.read_commit(sha)))


ROUTES: list[Route] = [
    route("GET", f"{R}/git/ref/{{ref}}", get_ref),
    route("GET", f"{R}/git/matching-refs/{{ref}}", matching_refs),
    route("POST", f"{R}/git/refs", create_ref),
    route("PATCH", f"{R}/git/refs/{{ref}}", update_ref),
    route("DELETE", f"{R}/git/refs/{{ref}}", delete_ref),
    route("POST", f"{R}/git/blobs", create_blob),
    route("GET", f"{R}/git/blobs/{{file_sha}}", get_blob),
    route("POST", f"{R}/git/trees", create_tree_route),
    route("GET", f"{R}/git/trees/{{tree_sha}}", get_tree),
    route("POST", f"{R}/git/commits", create_commit),
    route("GET", f"{R}/git/commits/{{commit_sha}}", get_commit),
]
