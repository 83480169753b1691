"""``python -m bot verify-signatures``: check a checkout's signed models, offline.

Exit codes: 0 every production row and promotion record verifies, 1 something
does not (each finding says what), 2 bad input (no registry, a bad pattern).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.signing.check import check_checkout
from bot.signing.policy import GITHUB_ISSUER, runtime_pattern
from bot.signing.setup import identity_policy
from bot.signing.signer import BundleChecker
from flipbot.cli import run_guarded
from flipbot.errors import EXIT_NO, EXIT_OK, InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot verify-signatures",
        description=(
            "Check, without network, that every production row's ONNX file has the registry's "
            "and its sidecar's sha256, that its Sigstore bundle verifies for the identity, and "
            "that each promotion record's subjects and predicate match the committed files."
        ),
    )
    parser.add_argument(
        "--registry", required=True, help="registry path, e.g. model/tiny/registry.json"
    )
    parser.add_argument(
        "--root", default=".", help="the checkout's root (default: the current folder)"
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--repo", help=f"OWNER/NAME: use the runtime's pattern {runtime_pattern('OWNER/NAME')}"
    )
    who.add_argument(
        "--identity-regexp",
        help="certificate identity pattern, matched unanchored as cosign does (anchor it with ^...$)",
    )
    parser.add_argument(
        "--issuer", default=GITHUB_ISSUER, help="OIDC issuer (default: %(default)s)"
    )
    return parser


def main(argv: list[str] | None = None, checker: BundleChecker | None = None) -> int:
    args = build_parser().parse_args(argv)

    def run() -> int:
        if args.repo is not None and "/" not in args.repo:
            raise InputError(
                f"--repo '{args.repo}' is not OWNER/NAME; pass e.g. --repo octo-org/vmaf"
            )
        policy = identity_policy(
            args.repo or "", "https://github.com", args.identity_regexp, args.issuer
        )
        if checker is None:
            # Lazy: sigstore (and its crypto stack) loads only where a bundle is checked.
            from bot.signing.sigstore_backend import SigstoreChecker

            use: BundleChecker = SigstoreChecker.production(offline=True)
        else:
            use = checker
        findings = check_checkout(Path(args.root), args.registry, policy, use)
        for f in findings:
            print(f"{'ok  ' if f.ok else 'FAIL'} {f.what}: {f.detail}")
        bad = [f for f in findings if not f.ok]
        print(
            f"{len(findings) - len(bad)} verified, {len(bad)} failed (identity {policy.pattern!r})"
        )
        return EXIT_NO if bad or not findings else EXIT_OK

    return run_guarded("bot verify-signatures", run)
