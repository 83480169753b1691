"""Check a checkout's signed models offline: bytes, registry, sidecars, bundles, record.

For every production row (``smoke: false``) of the registry: the ONNX file's
sha256 equals the row's and its sidecar's, and the row's ``sigstore_bundle``
verifies for those bytes and the configured identity (cosign's semantics,
:mod:`bot.signing.policy`). For every promotion record in the registry's folder:
the DSSE envelope verifies for the same identity, each subject is a file of
the checkout with that sha256, and the predicate's verdict, decision and rows
match the committed verdict and the registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from bot.registry import BUNDLE_KEY, registry_rows
from bot.signing.bundle_plan import RECORD_SUFFIX
from bot.signing.policy import IdentityPolicy
from bot.signing.record import PREDICATE_TYPE, STATEMENT_TYPE
from bot.signing.signer import BundleChecker, BundleRefused
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes
from flipbot.registry_text import read_registry


@dataclass(frozen=True)
class Finding:
    what: str  # the file or row checked
    ok: bool
    detail: str


def check_checkout(
    root: Path, registry: str, policy: IdentityPolicy, checker: BundleChecker
) -> list[Finding]:
    """Every finding, in registry order, then the promotion records (sorted by path)."""
    path = root / registry
    if not path.is_file():
        raise InputError(
            f"--registry {registry}: no such file under {root}; pass the registry path"
        )
    text = read_registry(path).text
    rows = registry_rows(text, registry, registry)
    folder = path.parent
    found = [
        _row(folder, rid, row, policy, checker)
        for rid, row in rows.items()
        if row.get("smoke") is False
    ]
    for record in sorted(folder.glob("*" + RECORD_SUFFIX)):
        found.append(_record(root, record, rows, policy, checker))
    return found


def _inside(root: Path, name: Any) -> Path | None:
    """``root/name`` for a relative path without ``..``; None for anything else."""
    if not isinstance(name, str) or not name:
        return None
    pure = PurePosixPath(name)
    return None if pure.is_absolute() or ".." in pure.parts else root / name


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() and not path.is_symlink() else None


def _row(
    folder: Path, rid: str, row: dict[str, Any], policy: IdentityPolicy, checker: BundleChecker
) -> Finding:
    name, bundle_name = row.get("onnx"), row.get(BUNDLE_KEY)
    if not isinstance(name, str) or PurePosixPath(name).name != name:
        return Finding(rid, False, f"field 'onnx' is {name!r}, not a file name")
    data = _read(folder / name)
    if data is None:
        manifest = _read(folder / (PurePosixPath(name).stem + ".json"))
        if manifest is not None and sha256_bytes(manifest) == row.get("sha256"):
            # An ensemble row: its file is the manifest (not a model, not signed on its own).
            return Finding(rid, True, "ensemble row: its manifest has the registry's sha256")
        return Finding(rid, False, f"{name} is missing")
    digest = sha256_bytes(data)
    if digest != row.get("sha256"):
        return Finding(
            rid,
            False,
            f"{name} has sha256 {digest[:16]}, the registry {str(row.get('sha256'))[:16]}",
        )
    sidecar = _read(folder / (PurePosixPath(name).stem + ".json"))
    if sidecar is not None:
        try:
            side_sha = json.loads(sidecar).get("sha256")
        except (ValueError, AttributeError):
            side_sha = None
        if side_sha != digest:
            return Finding(rid, False, f"the sidecar of {name} names sha256 {str(side_sha)[:16]}")
    if not isinstance(bundle_name, str):
        return Finding(
            rid, False, f"field '{BUNDLE_KEY}' is {bundle_name!r}: the model is unsigned"
        )
    where = _inside(folder, bundle_name)
    bundle = _read(where) if where is not None else None
    if bundle is None:
        return Finding(rid, False, f"bundle {bundle_name} is missing")
    try:
        checker.check_blob(data, bundle, policy)
    except BundleRefused as exc:
        return Finding(rid, False, f"bundle {bundle_name} does not verify: {exc}")
    return Finding(
        rid, True, f"{name} sha256 {digest[:16]}, sidecar and bundle {bundle_name} verify"
    )


def _record(
    root: Path,
    path: Path,
    rows: dict[str, dict[str, Any]],
    policy: IdentityPolicy,
    checker: BundleChecker,
) -> Finding:
    what = path.relative_to(root).as_posix()
    try:
        doc = json.loads(checker.check_statement(path.read_bytes(), policy))
    except BundleRefused as exc:
        return Finding(what, False, f"does not verify: {exc}")
    except ValueError:
        return Finding(what, False, "its statement is not JSON")
    problem = _record_problem(root, doc, rows)
    return Finding(
        what, problem is None, problem or "statement verifies; subjects and predicate match"
    )


def _record_problem(root: Path, doc: Any, rows: dict[str, dict[str, Any]]) -> str | None:
    if not isinstance(doc, dict) or doc.get("_type") != STATEMENT_TYPE:
        return "not an in-toto Statement v1"
    if doc.get("predicateType") != PREDICATE_TYPE:
        return f"predicateType is {doc.get('predicateType')!r}, not {PREDICATE_TYPE}"
    pred = doc.get("predicate")
    subjects = doc.get("subject")
    if not isinstance(pred, dict) or not isinstance(subjects, list):
        return "no predicate or subjects"
    digests: dict[str, Any] = {}
    for subject in subjects:
        name = subject.get("name") if isinstance(subject, dict) else None
        want = subject.get("digest", {}).get("sha256") if isinstance(subject, dict) else None
        where = _inside(root, name)
        data = _read(where) if where is not None else None
        if data is None or sha256_bytes(data) != want:
            return f"subject {name!r} is missing or has other bytes than the record's sha256"
        digests[str(name)] = want
    verdict = pred.get("verdict")
    if not isinstance(verdict, dict) or digests.get(str(verdict.get("path"))) != verdict.get(
        "sha256"
    ):
        return "the predicate's verdict is not one of its subjects"
    try:
        committed = json.loads((root / verdict["path"]).read_bytes())
    except ValueError:
        committed = None
    if not isinstance(committed, dict) or committed.get("decision") != pred.get("decision"):
        return f"decision {pred.get('decision')!r} differs from {verdict['path']}"
    for row in pred.get("rows") or []:
        have = rows.get(row.get("id"), {})
        if (have.get("sha256"), have.get("smoke")) != (row.get("sha256"), row.get("smoke")):
            return f"row {row.get('id')!r} of the record differs from the registry"
    return None
