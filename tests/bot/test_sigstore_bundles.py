"""Real Sigstore bundles signed by GitHub Actions workflows, verified offline with the
policy the bot signs and checks with (cosign's unanchored identity match)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.signing.policy import GITHUB_ISSUER, IdentityPolicy, runtime_pattern
from bot.signing.signer import BundleRefused
from bot.signing.sigstore_backend import SigstoreChecker

# Public test data copied unchanged from sigstore-python and sigstore-conformance
# (Apache-2.0, data/sigstore/README.md says where from).
FIXTURES = Path(__file__).resolve().parent / "data" / "sigstore"
WHL = FIXTURES / "sigstore-python/bundle_v3_github.whl"
WHL_BUNDLE = FIXTURES / "sigstore-python/bundle_v3_github.whl.sigstore"
A_TXT = FIXTURES / "sigstore-conformance/a.txt"
CONFORMANCE = FIXTURES / "sigstore-conformance"
WHL_IDENTITY = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
BEACON = "sigstore-conformance/extremely-dangerous-public-oidc-beacon"


@pytest.fixture(scope="module")
def checker() -> SigstoreChecker:
    return SigstoreChecker.production(offline=True)


def test_a_real_github_bundle_verifies_for_the_runtime_pattern_of_its_repository(checker):
    checker.check_blob(
        WHL.read_bytes(),
        WHL_BUNDLE.read_bytes(),
        IdentityPolicy(runtime_pattern("trailofbits/rfc8785.py")),
    )


@pytest.mark.parametrize("folder", ["happy-path-v0.3", "happy-path-v0.3-new-mediaType"])
def test_conformance_bundles_verify(checker, folder):
    bundle = (CONFORMANCE / folder / "bundle.sigstore.json").read_bytes()
    checker.check_blob(A_TXT.read_bytes(), bundle, IdentityPolicy(runtime_pattern(BEACON)))


def test_a_tampered_artifact_is_refused(checker):
    with pytest.raises(BundleRefused):
        checker.check_blob(
            WHL.read_bytes() + b"\0",
            WHL_BUNDLE.read_bytes(),
            IdentityPolicy(runtime_pattern("trailofbits/rfc8785.py")),
        )


def test_a_digest_mismatch_bundle_is_refused(checker):
    bundle = (CONFORMANCE / "message-digest-mismatch_fail/bundle.sigstore.json").read_bytes()
    with pytest.raises(BundleRefused, match="digest mismatch"):
        checker.check_blob(A_TXT.read_bytes(), bundle, IdentityPolicy(runtime_pattern(BEACON)))


@pytest.mark.parametrize(
    "pattern, issuer",
    [
        (runtime_pattern("lusoris/vmaf"), GITHUB_ISSUER),  # another repository
        (
            runtime_pattern("trailofbits/rfc8785.py"),
            "https://accounts.google.com",
        ),  # another issuer
        (
            r"^https://github\.com/trailofbits/rfc8785\.py/\.github/workflows/release\.yml@refs/heads/main$",
            GITHUB_ISSUER,
        ),
    ],
)
def test_a_wrong_identity_or_issuer_is_refused(checker, pattern, issuer):
    with pytest.raises(BundleRefused, match="issuer|identity"):
        checker.check_blob(
            WHL.read_bytes(), WHL_BUNDLE.read_bytes(), IdentityPolicy(pattern, issuer)
        )


def test_the_identity_is_matched_unanchored_as_cosign_does_and_anchoring_works(checker):
    data, bundle = WHL.read_bytes(), WHL_BUNDLE.read_bytes()
    # Go's regexp.MatchString finds the pattern anywhere: a bare fragment matches.
    checker.check_blob(data, bundle, IdentityPolicy("rfc8785"))
    anchored = r"^https://github\.com/trailofbits/rfc8785\.py/\.github/workflows/release\.yml@refs/tags/v0\.1\.2$"
    checker.check_blob(data, bundle, IdentityPolicy(anchored))
    assert IdentityPolicy(
        runtime_pattern("trailofbits/rfc8785.py")
    ).pattern + "" in runtime_pattern("trailofbits/rfc8785.py")


def test_the_dsse_bundle_verifies_through_the_dsse_path_only(checker):
    bundle = (CONFORMANCE / "happy-path-intoto-in-dsse-v3/bundle.sigstore.json").read_bytes()
    policy = IdentityPolicy(runtime_pattern(BEACON))
    statement = json.loads(checker.check_statement(bundle, policy))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [
        {"name": "a.txt", "digest": {"sha256": hashlib.sha256(A_TXT.read_bytes()).hexdigest()}}
    ]
    with pytest.raises(BundleRefused, match="Missing bundle message signature"):
        checker.check_blob(A_TXT.read_bytes(), bundle, policy)
    with pytest.raises(BundleRefused, match="identity"):
        checker.check_statement(bundle, IdentityPolicy(runtime_pattern("lusoris/vmaf")))
    with pytest.raises(BundleRefused, match="DSSE"):
        checker.check_statement(
            WHL_BUNDLE.read_bytes(), IdentityPolicy(runtime_pattern("trailofbits/rfc8785.py"))
        )


def test_garbage_is_not_a_bundle(checker):
    with pytest.raises(BundleRefused, match="not a Sigstore bundle"):
        checker.check_blob(b"x", b'{"mediaType": 1}', IdentityPolicy("x"))


def _checkout(root: Path) -> Path:
    """A repository whose one production row's model is the real signed artifact."""
    folder = root / "model/tiny"
    folder.mkdir(parents=True)
    data = WHL.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    (folder / "m.onnx").write_bytes(data)
    (folder / "m.json").write_text(json.dumps({"sha256": digest}))
    shutil.copy(WHL_BUNDLE, folder / "m.onnx.sigstore.json")
    row = {
        "id": "m",
        "onnx": "m.onnx",
        "sha256": digest,
        "smoke": False,
        "sigstore_bundle": "m.onnx.sigstore.json",
    }
    smoke = {
        "id": "s",
        "onnx": "s.onnx",
        "sha256": "0" * 64,
        "smoke": True,
        "sigstore_bundle": None,
    }
    (folder / "registry.json").write_text(json.dumps({"models": [row, smoke]}, indent=2) + "\n")
    return root


def test_verify_signatures_checks_a_checkout_offline(tmp_path, capsys):
    root = _checkout(tmp_path)
    args = ["verify-signatures", "--root", str(root), "--registry", "model/tiny/registry.json"]
    assert main([*args, "--repo", "trailofbits/rfc8785.py"]) == 0
    assert "1 verified, 0 failed" in capsys.readouterr().out
    assert main([*args, "--repo", "lusoris/vmaf"]) == 1
    assert "bundle m.onnx.sigstore.json does not verify" in capsys.readouterr().out
    (root / "model/tiny/m.onnx").write_bytes(WHL.read_bytes() + b"\0")
    assert main([*args, "--repo", "trailofbits/rfc8785.py"]) == 1
    assert "m.onnx has sha256" in capsys.readouterr().out
    assert main([*args, "--identity-regexp", "("]) == 2


def _http_error(status: int) -> Exception:
    import requests

    response = requests.Response()
    response.status_code = status
    try:
        raise requests.HTTPError(f"{status}", response=response)
    except requests.HTTPError as inner:
        try:
            raise RuntimeError("sigstore wrapped it") from inner
        except RuntimeError as outer:
            return outer


def test_signing_retries_429_and_5xx_with_backoff_then_names_the_hosts():
    from bot.signing.sigstore_backend import with_retries
    from flipbot.errors import InputError

    waits: list[float] = []
    answers = iter([_http_error(429), _http_error(503)])

    def flaky() -> str:
        for exc in answers:
            raise exc
        return "signed"

    def failing(status: int):
        def call() -> str:
            raise _http_error(status)

        return call

    assert with_retries("signing", flaky, waits.append) == "signed"
    assert waits == [1.0, 2.0]
    waits.clear()
    with pytest.raises(InputError, match="must reach fulcio.sigstore.dev, rekor.sigstore.dev"):
        with_retries("signing", failing(502), waits.append)
    assert waits == [1.0, 2.0, 4.0, 8.0]
    with pytest.raises(InputError, match="id-token: write") as refused:
        with_retries("signing", failing(400), waits.append)
    assert "must reach" not in str(refused.value) and len(waits) == 4


def _job_token() -> str:
    """A GitHub Actions OIDC token's shape (unsigned claims are all sigstore reads locally)."""
    import time

    import jwt

    now = int(time.time())
    claims = {
        "iss": GITHUB_ISSUER,
        "aud": "sigstore",
        "sub": "repo:octo/models:ref:refs/heads/main",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "job_workflow_ref": "octo/models/.github/workflows/flip.yml@refs/heads/main",
    }
    return jwt.encode(claims, "k" * 32, algorithm="HS256")


def test_the_signer_pins_rekor_v1_even_when_the_signing_config_offers_v2():
    from sigstore._internal.rekor.client import RekorClient
    from sigstore.models import ClientTrustConfig

    from bot.signing.sigstore_backend import SigstoreSigner

    trust = ClientTrustConfig.production(offline=True)
    v1 = trust._inner.signing_config.rekor_tlog_urls[0]
    v2 = v1.model_copy(
        update={"url": "https://log2025-1.rekor.sigstore.dev", "major_api_version": 2}
    )
    trust._inner.signing_config.rekor_tlog_urls.append(v2)
    assert [t.major_api_version for t in trust.signing_config._tlogs] == [2]  # unpinned: v2
    signer = SigstoreSigner(trust, _job_token())
    rekor = signer._context._rekor
    assert isinstance(rekor, RekorClient) and rekor.url.startswith("https://rekor.sigstore.dev")
    assert signer._context._fulcio.url == "https://fulcio.sigstore.dev"


def test_a_token_sigstore_cannot_use_is_exit_2_with_the_fix():
    from sigstore.models import ClientTrustConfig

    from bot.signing.sigstore_backend import SigstoreSigner
    from flipbot.errors import InputError

    with pytest.raises(InputError, match="id-token: write"):
        SigstoreSigner(ClientTrustConfig.production(offline=True), "not-a-jwt")


class _TokenEndpoint:
    """GitHub's OIDC token endpoint on localhost: answers with the queued statuses, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        import http.server
        import threading

        self.statuses, self.seen = list(statuses), []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Authorization")))
                status = outer.statuses.pop(0) if outer.statuses else 200
                body = json.dumps({"value": _job_token()} if status == 200 else {"m": "no"})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/token?api-version=2.0"

    def close(self) -> None:
        self.server.shutdown()


@pytest.mark.parametrize("statuses, waits", [([], []), ([503, 429], [1.0, 2.0])])
def test_the_job_token_is_requested_retried_and_masked(monkeypatch, capsys, statuses, waits):
    from bot.signing.sigstore_backend import oidc_token

    endpoint = _TokenEndpoint(statuses)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", endpoint.url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-secret")
    slept: list[float] = []
    try:
        token = oidc_token(slept.append)
    finally:
        endpoint.close()
    assert token.count(".") == 2 and slept == waits
    assert endpoint.seen[-1] == (
        "/token?api-version=2.0&audience=sigstore",
        "bearer request-secret",
    )
    assert f"::add-mask::{token}" in capsys.readouterr().out


def test_a_job_without_token_permission_is_exit_2_with_the_fix(monkeypatch):
    from bot.signing.sigstore_backend import oidc_token
    from flipbot.errors import InputError

    endpoint = _TokenEndpoint([403])
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", endpoint.url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-secret")
    try:
        with pytest.raises(InputError, match="code=403.*id-token: write"):
            oidc_token(lambda s: None)
    finally:
        endpoint.close()


def test_the_promotion_record_is_a_statement_sigstore_signs_as_dsse(tmp_path):
    """sigstore's own Statement model accepts the record, and its DSSE envelope round-trips
    with a key (what ``Signer.sign_dsse`` does after Fulcio hands out the certificate)."""
    from bot_inputs import make_verdict, unverified_flip, write_inputs
    from cryptography.hazmat.primitives.asymmetric import ec
    from sigstore import dsse

    from bot.flip.record import ShippedFile
    from bot.signing.record import build_statement, statement_bytes

    write_inputs(tmp_path, make_verdict(seeds=(0, 1)))
    flip = unverified_flip(tmp_path)
    verdict = ShippedFile("model/tiny/e.verdict.json", b"{}", hashlib.sha256(b"{}").hexdigest())
    models = [f for f in flip.files if f.path.endswith(".onnx")]
    doc = build_statement(
        flip, models, verdict, registry="model/tiny/registry.json", repository="o/r",
        base_sha="ab" * 20, run_url=None,
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    envelope = dsse._sign(key, dsse.Statement(statement_bytes(doc)))
    assert dsse._verify(key.public_key(), envelope) == statement_bytes(doc)
    assert json.loads(statement_bytes(doc))["subject"][0]["name"] == "model/tiny/e.verdict.json"
