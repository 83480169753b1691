"""The body's how-to sections: verify the flip locally, revert it, and the bot's controls.

Every command names the pinned inputs (training commit, corpus and its
sha256, seeds, epochs) so a reviewer can rebuild the verdict and the ONNX
files and compare sha256 without reading any other page.
"""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from bot.body.context import BodyContext
from bot.body.signing import verify_signatures
from bot.outcome import STOP_LABEL


def verify_locally(ctx: BodyContext) -> str:
    verdict, plan = ctx.flip.verdict, ctx.flip.plan
    pins = verdict.pins
    seeds = ",".join(str(s.seed) for s in verdict.seeds)
    epochs = verdict.recipe.get("epochs")
    corpus, registry = shlex.quote(pins.corpus), shlex.quote(ctx.registry)
    checks = [f"{ctx.flip.verdict_sha256}  verify/loso/{ctx.flip.verdict_path.name}"]
    if plan is not None:
        checks += [
            f"{f.sha256}  verify/export/{f.artifact}"
            for f in plan.files
            if PurePosixPath(f.artifact).suffix == ".onnx"
        ]
    lines = [
        "```sh",
        f"git checkout {pins.git_commit or '<the training commit>'}",
        f"echo '{pins.corpus_sha256}  {pins.corpus}' | sha256sum -c -",
        f"python -m trainer loso --corpus {corpus} --seeds {seeds}"
        + (f" --epochs {epochs}" if isinstance(epochs, int) else "")
        + " --out-dir verify/loso",
        f"python -m gate verify/loso --seeds {seeds} --exit-zero",
        f"python -m trainer export --corpus {corpus} --verdict-dir verify/loso \\\n"
        f"  --registry {registry} --ensemble-id {shlex.quote(ctx.ensemble_id)} "
        "--out-dir verify/export",
        "sha256sum -c <<'EOF'",
        *checks,
        "EOF",
        "```",
        "",
        "Byte-identical files need the same library versions and CPU kernels (each sidecar "
        "records them); on other hardware compare the gate table instead.",
    ]
    return "\n".join(lines) + "\n" + verify_signatures(ctx)


def revert(ctx: BodyContext) -> str:
    files = (*ctx.flip.files, *ctx.derived_files, *ctx.signed_files, *ctx.extra_files)
    known = ctx.prior.paths if ctx.prior is not None else None
    new = [f.path for f in files if known is not None and f.path not in known]
    removed = [r.path for r in ctx.removed]
    paths = [ctx.registry, *(f.path for f in files if f.path not in new), *removed]
    base = ctx.base_sha or "<the base commit>"
    quoted = " \\\n  ".join(shlex.quote(p) for p in paths)
    lines = [
        "Revert the merge of this pull request (GitHub's **Revert** button, or "
        "`git revert -m 1 <merge commit>`): the flipped rows go back to their previous "
        "`sha256` and `smoke`, and the files to their previous bytes, all of which are in the "
        f"base commit `{base[:12] if ctx.base_sha else base}`. To restore single files instead:",
        "",
        "```sh",
        f"git checkout {base} -- \\\n  {quoted}",
        *(["git rm -- \\\n  " + " \\\n  ".join(shlex.quote(p) for p in new)] if new else []),
        "```",
    ]
    if new:
        lines += ["", f"The `git rm` line deletes the {len(new)} files this flip adds."]
    if removed:
        lines += [
            "",
            f"The checkout also restores the {len(removed)} external-data file"
            f"{'s' if len(removed) > 1 else ''} this flip deletes (the weights of the replaced "
            "models, which the new self-contained models do not use).",
        ]
    return "\n".join(lines) + "\n"


def controls(ctx: BodyContext) -> str:
    branch = f"`{ctx.branch}`" if ctx.branch else "the flip branch"
    return (
        "**Controls:** add the label "
        f"`{STOP_LABEL}` to freeze this pull request (flipbot then leaves it as it is). "
        "Closing it without merging keeps this verdict out: flipbot does not reopen it, and a "
        f"new verdict opens a new pull request. Commits you push to {branch} are never "
        "overwritten; flipbot then stops updating it and says so here.\n"
    )
