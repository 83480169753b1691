"""Sign what the flip commits: a bundle per flipped ONNX and the signed promotion record.

Runs on the trusted side after :func:`bot.trust.verify.verify` passed, on the exact
bytes the commit writes. Each new bundle is verified at once with the same
policy the runtime applies (:mod:`bot.signing.policy`); one that does not verify
stops the flip (exit 2) before anything is written. A bundle already in the
repository (on the base or on the flip branch) that verifies for the same
bytes and identity is kept as it is, so an identical rerun signs nothing and
writes nothing; only changed models are signed again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from bot.flip import Flip, ShippedFile
from bot.registry import BUNDLE_KEY, RowChange, registry_rows
from bot.signing.bundle_plan import BundleSlot, record_path
from bot.signing.policy import IdentityPolicy
from bot.signing.record import build_statement, same_promotion, statement_bytes
from bot.signing.signer import BundleChecker, BundleRefused, Signer
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes


@dataclass(frozen=True)
class Backend:
    """A checker, and the signer made only when something must be signed (it asks for a token)."""

    checker: BundleChecker
    signer: Callable[[], Signer]


@dataclass(frozen=True)
class SignSetup:
    policy: IdentityPolicy
    backend: Callable[[], Backend] | None  # None: this run signs nothing (``unsigned`` says why)
    unsigned: str | None = None


@dataclass(frozen=True)
class Signed:
    """What signing adds to the commit, for the commit, ``check_commit`` and the PR body."""

    policy: IdentityPolicy
    files: tuple[ShippedFile, ...] = ()  # bundles, then the promotion record
    slots: tuple[BundleSlot, ...] = ()
    record: str | None = None  # the promotion record's path
    unsigned: str | None = None  # why the models carry no signature (None: they do)
    kept: tuple[str, ...] = field(default=())  # paths kept from an earlier run

    def is_bundle(self, path: str) -> bool:
        return any(s.path == path for s in self.slots)


def field_updates(slots: Iterable[BundleSlot]) -> dict[str, dict[str, str]]:
    """Registry fields to set: ``sigstore_bundle`` of rows that had none."""
    return {s.row_id: {BUNDLE_KEY: s.field} for s in slots if s.set_field}


def sign_flip(
    setup: SignSetup,
    flip: Flip,
    slots: Sequence[BundleSlot],
    verdict: ShippedFile,
    existing: Callable[[str], Sequence[bytes]],
    *,
    registry: str,
    repository: str,
    base_sha: str,
    run_url: str | None,
    audit: Mapping[str, Any] | None = None,
) -> Signed:
    """Bundles for ``slots`` and the promotion record; ``existing(path)`` gives earlier bytes."""
    if setup.backend is None:
        return Signed(setup.policy, unsigned=setup.unsigned)
    backend = setup.backend()
    policy, signer_box = setup.policy, _Lazy(backend.signer)
    by_path = {f.path: f for f in flip.files}
    files, kept = [], []
    for slot in slots:
        data = by_path[slot.model_path].data
        bundle = _kept_blob(backend.checker, data, existing(slot.path), policy)
        if bundle is None:
            bundle = signer_box.get().sign_blob(data)
            with _must_verify(slot.path, policy):
                backend.checker.check_blob(data, bundle, policy)
        else:
            kept.append(slot.path)
        files.append(ShippedFile(slot.path, bundle, sha256_bytes(bundle)))
    models = [by_path[s.model_path] for s in slots]
    # The predicate's "audit": what `bot promote` re-derived (null for a plain flip).
    statement = build_statement(
        flip,
        models,
        verdict,
        registry=registry,
        repository=repository,
        base_sha=base_sha,
        run_url=run_url,
        audit=dict(audit) if audit is not None else None,
    )
    where = record_path(registry, flip.plan.ensemble_id if flip.plan else "ensemble")
    record = _kept_record(backend.checker, statement, existing(where), policy)
    if record is None:
        record = signer_box.get().sign_statement(statement_bytes(statement))
        with _must_verify(where, policy):
            payload = backend.checker.check_statement(record, policy)
        if payload != statement_bytes(statement):
            raise InputError(f"signing: {where} signs another statement than the flip's; rerun")
    else:
        kept.append(where)
    files.append(ShippedFile(where, record, sha256_bytes(record)))
    return Signed(policy, tuple(files), tuple(slots), where, None, tuple(kept))


class _Lazy:
    """The signer, made on first use: a rerun that keeps every bundle asks for no token."""

    def __init__(self, make: Callable[[], Signer]) -> None:
        self._make = make
        self._made: Signer | None = None

    def get(self) -> Signer:
        if self._made is None:
            self._made = self._make()
        return self._made


def _kept_blob(
    checker: BundleChecker, data: bytes, olds: Sequence[bytes], policy: IdentityPolicy
) -> bytes | None:
    for old in olds:
        try:
            checker.check_blob(data, old, policy)
            return old
        except BundleRefused:
            continue
    return None


def _kept_record(
    checker: BundleChecker, statement: dict, olds: Sequence[bytes], policy: IdentityPolicy
) -> bytes | None:
    for old in olds:
        try:
            payload = checker.check_statement(old, policy)
            if same_promotion(json.loads(payload), statement):
                return old
        except (BundleRefused, ValueError):
            continue
    return None


@contextmanager
def _must_verify(where: str, policy: IdentityPolicy) -> Iterator[None]:
    """A bundle just made must verify with the runtime's policy, or the flip stops (exit 2)."""
    try:
        yield
    except BundleRefused as exc:
        raise InputError(
            f"signing: the bundle just made for {where} does not verify for issuer "
            f"{policy.issuer} and identity {policy.pattern!r} ({exc}); nothing was written. "
            "The job signs as its calling workflow: check --identity-regexp (input "
            "'identity-regexp') against that workflow's path and ref"
        ) from None


def with_bundle_fields(
    changes: Sequence[RowChange], slots: Iterable[BundleSlot]
) -> tuple[RowChange, ...]:
    """The row changes plus ``sigstore_bundle`` for rows that had none (set with the flip)."""
    updates = field_updates(slots)
    return tuple(
        replace(c, updates=c.updates + tuple(updates.get(c.id, {}).items())) for c in changes
    )


def check_bundle_fields(registry_after: str, registry: str, signed: Signed) -> None:
    """After the edit: every flipped row names the bundle the commit writes for it."""
    rows = registry_rows(registry_after, registry, registry)
    for slot in signed.slots:
        if rows.get(slot.row_id, {}).get(BUNDLE_KEY) != slot.field:
            raise InputError(
                f"{registry}: row '{slot.row_id}' field '{BUNDLE_KEY}' would not name "
                f"{slot.path}; rerun the bot"
            )
