"""Sigstore signing of the flip (promotion record, bundles, identity policy) and ``python -m bot verify-signatures``.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.signing.bundle_plan import plan_bundles
from bot.signing.flow import Signed, SignSetup, check_bundle_fields, sign_flip, with_bundle_fields
from bot.signing.policy import GITHUB_ISSUER, IdentityPolicy
from bot.signing.setup import NO_TOKEN, SIGN_MODES, SignMode, has_oidc, identity_policy, sign_setup
from bot.signing.verify import main as verify_signatures_main

__all__ = [
    "GITHUB_ISSUER",
    "NO_TOKEN",
    "SIGN_MODES",
    "IdentityPolicy",
    "SignMode",
    "SignSetup",
    "Signed",
    "check_bundle_fields",
    "has_oidc",
    "identity_policy",
    "plan_bundles",
    "sign_flip",
    "sign_setup",
    "verify_signatures_main",
    "with_bundle_fields",
]
