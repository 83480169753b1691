"""A stand-in for Sigstore: bundles as small JSON documents, no network, no keys.

A stub bundle names the identity and issuer it was "signed" as and the sha256
of the bytes (or the statement) it covers, plus a fresh nonce, so two
signatures of the same bytes differ like real ones do. The checker applies
the real identity policy's rules (issuer equal, pattern searched unanchored).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field

from bot.signing.flow import Backend, SignSetup
from bot.signing.policy import GITHUB_ISSUER, IdentityPolicy
from bot.signing.signer import BundleRefused
from flipbot.jsonfile import sha256_bytes

WORKFLOW = "https://github.com/octo/models/.github/workflows/flip.yml@refs/heads/main"


@dataclass
class StubSigner:
    identity: str = WORKFLOW
    issuer: str = GITHUB_ISSUER
    signed: list[str] = field(default_factory=list)  # "blob <sha256>" / "statement"

    def _bundle(self, doc: dict) -> bytes:
        doc |= {"identity": self.identity, "issuer": self.issuer, "nonce": len(self.signed)}
        return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()

    def sign_blob(self, data: bytes) -> bytes:
        self.signed.append(f"blob {sha256_bytes(data)}")
        return self._bundle({"stub": "blob", "sha256": sha256_bytes(data)})

    def sign_statement(self, statement: bytes) -> bytes:
        self.signed.append("statement")
        return self._bundle({"stub": "dsse", "payload": base64.b64encode(statement).decode()})


class StubChecker:
    def _doc(self, bundle: bytes, policy: IdentityPolicy) -> dict:
        try:
            doc = json.loads(bundle)
        except ValueError:
            raise BundleRefused("not a stub bundle") from None
        if doc.get("issuer") != policy.issuer or not re.search(policy.pattern, doc["identity"]):
            raise BundleRefused(f"identity {doc.get('identity')} does not match {policy.pattern}")
        return doc

    def check_blob(self, data: bytes, bundle: bytes, policy: IdentityPolicy) -> None:
        doc = self._doc(bundle, policy)
        if doc.get("stub") != "blob" or doc.get("sha256") != sha256_bytes(data):
            raise BundleRefused("digest mismatch")

    def check_statement(self, bundle: bytes, policy: IdentityPolicy) -> bytes:
        doc = self._doc(bundle, policy)
        if doc.get("stub") != "dsse":
            raise BundleRefused("no DSSE envelope")
        return base64.b64decode(doc["payload"])


def stub_setup(
    signer: StubSigner, repo: str = "octo/models", pattern: str | None = None
) -> SignSetup:
    policy = IdentityPolicy(pattern or f"https://github.com/{repo}/.github/workflows/.+")
    return SignSetup(policy, lambda: Backend(StubChecker(), lambda: signer))
