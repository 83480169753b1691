"""Keyless Sigstore signing and verification with the ``sigstore`` library (4.5.x).

Signing: the job's GitHub OIDC token (``id-token: write``) is exchanged at
Fulcio for a short-lived certificate; each signature goes into Rekor v1
(pinned: cosign 2.6.0-3.0.4 cannot verify Rekor v2 entries, SPEC §15) and the
bundle (``Bundle.to_json()``, protobuf bundle v0.3) is what cosign verifies.
Transient failures (429, 5xx, a dropped connection) are retried with backoff;
what still fails becomes one sentence naming the hosts a runner must reach.
Verification: ``Verifier`` with the production trusted root; ``offline=True``
uses the root shipped inside the package (no network).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TypeVar

import requests
from sigstore.dsse import Statement
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, ClientTrustConfig, InvalidBundle
from sigstore.oidc import IdentityToken, detect_credential
from sigstore.sign import SigningContext
from sigstore.verify import Verifier

from bot.signing.flow import Backend
from bot.signing.policy import IdentityPolicy
from bot.signing.signer import IN_TOTO_PAYLOAD_TYPE, BundleRefused
from bot.workflow import mask
from flipbot.errors import InputError

log = logging.getLogger("bot")
T = TypeVar("T")

SIGSTORE_HOSTS = (
    "fulcio.sigstore.dev",
    "rekor.sigstore.dev",
    "timestamp.sigstore.dev",
    "tuf-repo-cdn.sigstore.dev",
)
REKOR_VERSION = 1
RETRIES = 4  # attempts after the first; waits 1, 2, 4, 8 s
# Errors that are flipbot's own bugs, never a service's answer: they stay exit 3.
_BUGS = (AssertionError, AttributeError, NameError, TypeError)


def _unreachable(what: str, exc: BaseException) -> InputError:
    return InputError(
        f"signing: {what} failed ({type(exc).__name__}: {str(exc)[:200]}); a self-hosted runner "
        f"must reach {', '.join(SIGSTORE_HOSTS)} and the job's OIDC endpoint "
        "(ACTIONS_ID_TOKEN_REQUEST_URL) over HTTPS, or set input 'sign' to off"
    )


def _status(exc: BaseException) -> int | None:
    """The HTTP status somewhere in ``exc``'s chain (sigstore wraps requests' errors)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        response = getattr(seen, "response", None)
        if isinstance(seen, requests.HTTPError) and response is not None:
            return int(response.status_code)
        seen = seen.__cause__ or seen.__context__
    return None


# The OIDC token request (package ``id``, urllib3) reports its status only in its message.
_MESSAGE_STATUS = re.compile(r"code=(429|5[0-9][0-9])\b|timed out")


def _transient(exc: BaseException) -> bool:
    status = _status(exc)
    if status is not None:
        return status == 429 or status >= 500
    if _MESSAGE_STATUS.search(str(exc)):
        return True
    seen: BaseException | None = exc
    for _ in range(8):
        if isinstance(seen, (requests.ConnectionError, requests.Timeout)):
            return True
        if seen is None:
            break
        seen = seen.__cause__ or seen.__context__
    return False


def with_retries(
    what: str, call: Callable[[], T], sleep: Callable[[float], None] = time.sleep
) -> T:
    """``call()``, retried with backoff on 429/5xx/connection errors; then an InputError."""
    for attempt in range(RETRIES + 1):
        try:
            return call()
        except _BUGS:
            raise
        except Exception as exc:  # sigstore's Fulcio/Rekor clients raise plain Exceptions
            if not _transient(exc):
                raise InputError(
                    f"signing: {what} failed ({type(exc).__name__}: {str(exc)[:200]}); "
                    "check the job's `id-token: write` permission, or set input 'sign' to off"
                ) from None
            if attempt == RETRIES:
                raise _unreachable(f"{what} ({RETRIES + 1} attempts)", exc) from None
            log.warning("signing: %s failed (%s); retrying", what, type(exc).__name__)
            sleep(2.0**attempt)
    raise AssertionError("unreachable")


def oidc_token(sleep: Callable[[float], None] = time.sleep) -> str:
    """The job's OIDC token for Fulcio (audience ``sigstore``); never logged."""
    token = with_retries("requesting the job's OIDC token", detect_credential, sleep)
    if not token:
        raise InputError(
            "signing: the job has no OIDC token; add `permissions: id-token: write` to the job "
            "that runs the bot, or set input 'sign' to off"
        )
    mask(token)  # a credential like the write token: hidden in every later log line
    return token


class SigstoreSigner:
    """Signs with the public-good instance, Rekor v1; one certificate for the whole run."""

    def __init__(
        self, trust: ClientTrustConfig, token: str, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._sleep = sleep
        trust.force_tlog_version = REKOR_VERSION
        self._context = SigningContext.from_trust_config(trust)
        try:
            self._identity = IdentityToken(token)
        except SigstoreError as exc:
            raise InputError(
                f"signing: the job's OIDC token is not usable for Sigstore ({exc}); "
                "check `permissions: id-token: write` on the job, or set input 'sign' to off"
            ) from None

    def sign_blob(self, data: bytes) -> bytes:
        return self._sign(lambda signer: signer.sign_artifact(data))

    def sign_statement(self, statement: bytes) -> bytes:
        return self._sign(lambda signer: signer.sign_dsse(Statement(statement)))

    def _sign(self, act: Callable[..., Bundle]) -> bytes:
        def once() -> Bundle:
            with self._context.signer(self._identity, cache=True) as signer:
                return act(signer)

        return with_retries("signing at Fulcio and Rekor", once, self._sleep).to_json().encode()


class SigstoreChecker:
    """Verifies bundles against a trusted root (production; offline: the package's own copy)."""

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier

    @classmethod
    def production(cls, *, offline: bool = True) -> SigstoreChecker:
        return cls(Verifier.production(offline=offline))

    def check_blob(self, data: bytes, bundle: bytes, policy: IdentityPolicy) -> None:
        try:
            self._verifier.verify_artifact(data, _bundle(bundle), policy)
        except SigstoreError as exc:
            raise BundleRefused(str(exc) or type(exc).__name__) from None

    def check_statement(self, bundle: bytes, policy: IdentityPolicy) -> bytes:
        try:
            kind, payload = self._verifier.verify_dsse(_bundle(bundle), policy)
        except SigstoreError as exc:
            raise BundleRefused(str(exc) or type(exc).__name__) from None
        if kind != IN_TOTO_PAYLOAD_TYPE:
            raise BundleRefused(f"DSSE payload type is {kind!r}, not {IN_TOTO_PAYLOAD_TYPE!r}")
        return payload


def _bundle(data: bytes) -> Bundle:
    try:
        return Bundle.from_json(data)
    except (InvalidBundle, ValueError) as exc:
        raise BundleRefused(f"not a Sigstore bundle ({str(exc)[:120]})") from None


def sigstore_backend(sleep: Callable[[float], None] = time.sleep) -> Backend:
    """The production instance: its trusted root now (TUF), a signer once something needs one."""
    trust = with_retries(
        "reading Sigstore's trusted root (TUF)", ClientTrustConfig.production, sleep
    )
    trust.force_tlog_version = REKOR_VERSION
    checker = SigstoreChecker(Verifier(trusted_root=trust.trusted_root))
    return Backend(checker, lambda: SigstoreSigner(trust, oidc_token(sleep), sleep))
