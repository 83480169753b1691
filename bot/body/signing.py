"""The body's word on signatures: signed or not (and why), and how to check them offline.

The cosign line is the one libvmaf's ``--tiny-model-verify`` runs, with the
pattern the runtime uses; ``python -m bot verify-signatures`` checks the whole
checkout (models, sidecars, bundles and the promotion record) without network.
"""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from bot.body.context import BodyContext
from bot.body.sections import code
from bot.registry import BUNDLE_KEY


def status(ctx: BodyContext) -> str:
    """One paragraph: what is signed, or that the models are unsigned and why."""
    signing = ctx.signing
    if signing is None or not ctx.flip.changes:
        return ""
    if signing.unsigned is not None:
        stale = _stale_bundles(ctx)
        return (
            "**Unsigned:** the flipped models carry no Sigstore bundle in this pull request: "
            f"{signing.unsigned}. A runtime that verifies models (libvmaf's "
            "`--tiny-model-verify`) refuses them until a run signs them."
            + (
                f" The registry still names {', '.join(code(b) for b in stale)}, which "
                "signed the previous bytes and does not verify for the new ones."
                if stale
                else ""
            )
            + "\n"
        )
    # Nothing here may depend on whether a bundle was kept or made anew: the body of an
    # identical rerun must be the same text (no edit of the PR).
    return (
        f"**Signed:** {len(signing.slots)} model(s) and the promotion record, keyless "
        "(Sigstore), as the workflow that ran the bot; identity checked against "
        f"`{signing.policy.pattern}`.\n"
    )


def _stale_bundles(ctx: BodyContext) -> list[str]:
    """Bundle paths the flipped rows named before the flip (they sign the old bytes)."""
    if ctx.prior is None:
        return []
    names = (ctx.prior.rows.get(c.id, {}).get(BUNDLE_KEY) for c in ctx.flip.changes)
    return [n for n in names if isinstance(n, str)]


def verify_signatures(ctx: BodyContext) -> str:
    """The Verify section's part on signatures (empty when nothing is signed)."""
    signing = ctx.signing
    if signing is None or signing.unsigned is not None or not signing.slots:
        return ""
    policy = signing.policy
    folder = PurePosixPath(ctx.registry).parent
    lines = [
        "",
        "Signatures, offline (this checkout, the trusted root shipped with `sigstore`):",
        "",
        "```sh",
        f"python -m bot verify-signatures --registry {shlex.quote(ctx.registry)} "
        f"--identity-regexp {shlex.quote(policy.pattern)}",
        "```",
        "",
        "What the runtime runs for each model (cosign ≥ 2.4.2):",
        "",
        "```sh",
    ]
    for slot in signing.slots:
        lines.append(
            f"cosign verify-blob --bundle {shlex.quote(slot.path)} \\\n"
            f"  --certificate-identity-regexp {shlex.quote(policy.pattern)} \\\n"
            f"  --certificate-oidc-issuer {shlex.quote(policy.issuer)} \\\n"
            f"  {shlex.quote(slot.model_path)}"
        )
    lines += ["```", ""]
    if signing.record:
        lines.append(
            f"The promotion record `{signing.record}` is an in-toto statement in a DSSE envelope "
            "(subjects: the models and the verdict; predicate: the gate's evidence); "
            f"`verify-signatures` checks it against the files in `{folder}`."
        )
    return "\n".join(lines) + "\n"
