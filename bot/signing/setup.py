"""Whether this run signs, and with which identity policy (the ``sign`` input, SPEC §15).

``auto`` (default) signs when the job can get an OIDC token and otherwise
warns and leaves the models unsigned (the PR says so and why); ``required``
refuses to start without a token (exit 2 before any write, in
:func:`bot.config.build_config`); ``off`` never signs. A dry run never signs:
signing writes an entry to the public transparency log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from bot.signing.flow import Backend, SignSetup
from bot.signing.policy import IdentityPolicy, runtime_pattern

SignMode = Literal["auto", "required", "off"]
SIGN_MODES: tuple[SignMode, ...] = ("auto", "required", "off")
OIDC_ENV = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
NO_TOKEN = (
    "the job has no OIDC token (give the job that runs the bot `permissions: id-token: write`; "
    "pull requests from forks never get one)"
)


def has_oidc(env: Mapping[str, str]) -> bool:
    """The job may request an OIDC token (GitHub sets both variables under ``id-token: write``)."""
    return env.get("GITHUB_ACTIONS") == "true" and all(env.get(name) for name in OIDC_ENV)


def identity_policy(repo: str, server: str, pattern: str | None, issuer: str) -> IdentityPolicy:
    """``pattern`` as given, else the runtime's own pattern for ``repo`` on ``server``."""
    return IdentityPolicy(pattern or runtime_pattern(repo, server), issuer)


GHES = (
    "this is GitHub Enterprise Server, whose OIDC tokens the public Sigstore instance does not "
    "trust (set input `sign: off` to say so, or `required` to try anyway)"
)


def sign_setup(
    sign: SignMode, mode: str, oidc: bool, policy: IdentityPolicy, *, ghes: bool = False
) -> SignSetup:
    """The production setup: Sigstore's public instance, only when this run may sign."""
    if sign == "off":
        return SignSetup(policy, None, "signing is off (input `sign: off`)")
    if mode == "dry-run":
        return SignSetup(
            policy, None, "a dry run signs nothing (signing writes to the public transparency log)"
        )
    if not oidc:
        return SignSetup(policy, None, NO_TOKEN)
    if ghes and sign == "auto":
        return SignSetup(policy, None, GHES)

    def backend() -> Backend:
        # Lazy: sigstore (and its crypto stack) loads only where a bundle is made.
        from bot.signing.sigstore_backend import sigstore_backend

        return sigstore_backend()

    return SignSetup(policy, backend)
