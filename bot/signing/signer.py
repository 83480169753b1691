"""The signing seam: what signs a blob or a statement, and what checks a bundle.

The flip never talks to Sigstore directly: it holds a :class:`Signer` (keyless
signing with the job's OIDC token, :mod:`bot.signing.sigstore_backend`) and a
:class:`BundleChecker` (verification against a trusted root). Tests drive the
whole flow with stand-ins for both, with no network. A checker raises
:class:`BundleRefused` with the reason; it never returns a half-answer.
"""

from __future__ import annotations

from typing import Protocol

from bot.signing.policy import IdentityPolicy

# The in-toto payload type of a DSSE envelope (https://github.com/in-toto/attestation).
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


class BundleRefused(Exception):
    """A bundle does not verify for these bytes and this identity (the message says why)."""


class Signer(Protocol):
    def sign_blob(self, data: bytes) -> bytes:
        """A Sigstore bundle (JSON bytes) whose message signature covers exactly ``data``."""
        ...

    def sign_statement(self, statement: bytes) -> bytes:
        """A Sigstore bundle (JSON bytes) holding a DSSE envelope of the in-toto ``statement``."""
        ...


class BundleChecker(Protocol):
    def check_blob(self, data: bytes, bundle: bytes, policy: IdentityPolicy) -> None:
        """Raise BundleRefused unless ``bundle`` signs ``data`` for ``policy``'s identity."""
        ...

    def check_statement(self, bundle: bytes, policy: IdentityPolicy) -> bytes:
        """The verified in-toto statement bytes of a DSSE ``bundle``; else BundleRefused."""
        ...
