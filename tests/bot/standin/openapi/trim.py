"""Trim GitHub's OpenAPI description to the operations the stand-in serves.

Reads ``generated/api.github.com.json`` from the npm package
``@octokit/openapi`` (version pinned in README.md), keeps only the
(path, method) pairs listed in OPERATIONS plus every component they ``$ref``
(transitively), drops media-type ``examples`` (documentation only, never used
for validation), fixes the defects listed in ``_patch`` and writes ``github-rest.trimmed.json`` beside this file.

    npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz
    python tests/bot/standin/openapi/trim.py package/generated/api.github.com.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "github-rest.trimmed.json"

R = "/repos/{owner}/{repo}"
# (path, methods) the stand-in serves; keep in step with standin/routes.py.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "/rate_limit": ("get",),
    "/user": ("get",),
    "/users/{username}": ("get",),
    R: ("get",),
    f"{R}/branches/{{branch}}": ("get",),
    f"{R}/git/ref/{{ref}}": ("get",),
    f"{R}/git/matching-refs/{{ref}}": ("get",),
    f"{R}/git/refs": ("post",),
    f"{R}/git/refs/{{ref}}": ("patch", "delete"),
    f"{R}/git/blobs": ("post",),
    f"{R}/git/blobs/{{file_sha}}": ("get",),
    f"{R}/git/trees": ("post",),
    f"{R}/git/trees/{{tree_sha}}": ("get",),
    f"{R}/git/commits": ("post",),
    f"{R}/git/commits/{{commit_sha}}": ("get",),
    f"{R}/commits": ("get",),
    f"{R}/commits/{{ref}}": ("get",),
    f"{R}/compare/{{basehead}}": ("get",),
    f"{R}/activity": ("get",),
    f"{R}/contents/{{path}}": ("get",),
    f"{R}/pulls": ("get", "post"),
    f"{R}/pulls/{{pull_number}}": ("get", "patch"),
    f"{R}/pulls/{{pull_number}}/commits": ("get",),
    f"{R}/pulls/{{pull_number}}/requested_reviewers": ("post",),
    f"{R}/issues/{{issue_number}}/assignees": ("post",),
    f"{R}/issues/{{issue_number}}": ("get", "patch"),
    f"{R}/issues/{{issue_number}}/comments": ("get", "post"),
    f"{R}/issues/{{issue_number}}/labels": ("get", "post", "put", "delete"),
    f"{R}/issues/{{issue_number}}/labels/{{name}}": ("delete",),
    f"{R}/labels": ("get", "post"),
    f"{R}/labels/{{name}}": ("get",),
}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _drop_examples(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _drop_examples(v)
            for k, v in node.items()
            if not (k == "examples" and isinstance(v, dict) and _is_example_map(v))
        }
    if isinstance(node, list):
        return [_drop_examples(v) for v in node]
    return node


def _is_example_map(value: dict[str, Any]) -> bool:
    # media-type "examples" map name -> {"$ref"|"value"}; a schema's "examples" is a list
    return all(isinstance(v, dict) and ("$ref" in v or "value" in v) for v in value.values())


def _patch(paths: dict[str, Any]) -> None:
    """Known defects of the description, fixed here so they are visible and reviewable."""
    # GET contents: a folder is a JSON array, but the oneOf carries a discriminator on
    # the "type" property that an array cannot have, so no folder could ever validate.
    # Dropping the discriminator keeps the oneOf (every branch still checked).
    contents = paths[f"{R}/contents/{{path}}"]["get"]["responses"]["200"]["content"]
    del contents["application/json"]["schema"]["discriminator"]


def _patch_components(components: dict[str, dict[str, Any]]) -> None:
    """Defects in components, fixed after they are collected."""
    # The REST commit's "author"/"committer" (GitHub users) are null for an email no account
    # holds, and the description says `nullable: true`, but beside a oneOf without `type`,
    # where OpenAPI 3.0.3 ignores it ("nullable ... only applies if type is specified"), so
    # no such commit could validate. A null branch in the oneOf says what was meant.
    commit = components.get("schemas", {}).get("commit")
    if commit is not None:
        for key in ("author", "committer"):
            prop = commit["properties"][key]
            if prop.get("nullable") and "type" not in prop:
                prop["oneOf"] = [
                    *prop["oneOf"],
                    {"type": "object", "nullable": True, "enum": [None]},
                ]


def trim(source: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, methods in OPERATIONS.items():
        item = source["paths"][path]
        kept = {m: item[m] for m in methods}
        if "parameters" in item:
            kept["parameters"] = item["parameters"]
        paths[path] = _drop_examples(kept)
    _patch(paths)
    components: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    _refs(paths, pending)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)  # "#/components/<kind>/<name>"
        body = _drop_examples(source["components"][kind][name])
        components.setdefault(kind, {})[name] = body
        _refs(body, pending)
    _patch_components(components)
    return {
        "openapi": source["openapi"],
        "info": {
            "title": source["info"]["title"],
            "version": source["info"]["version"],
            "description": "Trimmed by tests/bot/standin/openapi/trim.py; see README.md.",
        },
        "servers": source["servers"],
        "paths": paths,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="generated/api.github.com.json from the package")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the trimmed spec")
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    trimmed = trim(json.loads(raw))
    args.out.write_text(json.dumps(trimmed, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"source sha256 {hashlib.sha256(raw).hexdigest()}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, {len(trimmed['paths'])} paths)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
