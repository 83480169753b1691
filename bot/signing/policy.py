"""Who may have signed a model: the runtime's identity check, done the way cosign does it.

libvmaf's ``--tiny-model-verify`` runs ``cosign verify-blob
--certificate-identity-regexp https://github.com/<owner>/<repo>/.github/workflows/.+
--certificate-oidc-issuer https://token.actions.githubusercontent.com``. cosign
matches the pattern with Go's ``regexp.MatchString``: UNANCHORED, so the
pattern may match anywhere in a certificate's SAN. sigstore-python's own
``Identity`` policy compares whole strings, so this module writes the policy
itself (``re.search`` on each SAN, the issuer from Fulcio's extensions) and
every check of the bot (after signing, on reruns, in ``verify-signatures``)
uses the same one. docs/SIGNING.md says why the runtime's pattern is weak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flipbot.errors import InputError

if TYPE_CHECKING:  # sigstore and cryptography load only where a certificate is checked
    from cryptography.x509 import Certificate

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# Fulcio's issuer extensions: v2 (a DER UTF8String) is what cosign reads first; v1 is raw text.
_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_OTHERNAME_SAN = "1.3.6.1.4.1.57264.1.7"
_MAX_PATTERN = 500


def runtime_pattern(repo: str, server: str = "https://github.com") -> str:
    """The identity pattern the runtime passes to cosign for ``repo`` (OWNER/NAME), verbatim."""
    return f"{server.rstrip('/')}/{repo}/.github/workflows/.+"


@dataclass(frozen=True)
class IdentityPolicy:
    """sigstore's ``VerificationPolicy``: the issuer, and a SAN the pattern matches (unanchored)."""

    pattern: str
    issuer: str = GITHUB_ISSUER

    def __post_init__(self) -> None:
        if not self.pattern or len(self.pattern) > _MAX_PATTERN:
            raise InputError(
                f"--identity-regexp: give a pattern of 1-{_MAX_PATTERN} characters, e.g. "
                f"{runtime_pattern('OWNER/REPO')}"
            )
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise InputError(
                f"--identity-regexp '{self.pattern[:80]}' is not a regular expression ({exc}); "
                "fix the pattern"
            ) from None

    def verify(self, cert: Certificate) -> None:
        """Raise sigstore's VerificationError unless ``cert`` matches (cosign's semantics)."""
        from sigstore.errors import VerificationError

        issuer = cert_issuer(cert)
        if issuer != self.issuer:
            raise VerificationError(f"certificate issuer is {issuer!r}, expected {self.issuer!r}")
        sans = cert_identities(cert)
        if not any(re.search(self.pattern, san) for san in sans):
            raise VerificationError(
                f"certificate identity {sorted(sans)} does not match {self.pattern!r}"
            )


def cert_issuer(cert: Certificate) -> str | None:
    """The OIDC issuer Fulcio wrote into ``cert`` (extension v2, else v1)."""
    from cryptography.x509 import ExtensionNotFound, ObjectIdentifier

    try:
        raw = cert.extensions.get_extension_for_oid(ObjectIdentifier(_ISSUER_V2)).value.value  # type: ignore[attr-defined]
        return _der_utf8(raw)
    except ExtensionNotFound:
        pass
    try:
        return cert.extensions.get_extension_for_oid(
            ObjectIdentifier(_ISSUER_V1)
        ).value.value.decode()  # type: ignore[attr-defined]
    except ExtensionNotFound:
        return None


def cert_identities(cert: Certificate) -> set[str]:
    """Every SAN of ``cert``: URIs (GitHub workflows), e-mails, Sigstore's other-names."""
    from cryptography.x509 import (
        ExtensionNotFound,
        ObjectIdentifier,
        OtherName,
        RFC822Name,
        SubjectAlternativeName,
        UniformResourceIdentifier,
    )

    try:
        san = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
    except ExtensionNotFound:
        return set()
    names: set[str] = set(san.get_values_for_type(UniformResourceIdentifier))
    names.update(san.get_values_for_type(RFC822Name))
    names.update(
        other.value.decode("utf-8", "replace")
        for other in san.get_values_for_type(OtherName)
        if other.type_id == ObjectIdentifier(_OTHERNAME_SAN)
    )
    return names


def _der_utf8(raw: bytes) -> str:
    """Decode one DER UTF8String (tag 0x0C, short or long length)."""
    from sigstore.errors import VerificationError

    if len(raw) < 2 or raw[0] != 0x0C:
        raise VerificationError("certificate issuer extension is not a UTF8String")
    length, start = raw[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
    return raw[start : start + length].decode("utf-8")
