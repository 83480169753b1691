"""What the Action's helper steps hand to later steps: step outputs.

Values go to ``$GITHUB_OUTPUT`` in the heredoc form with a random
delimiter, so even a value with a newline cannot forge another output.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from flipbot.action.inputs import Inputs
from flipbot.action.pr_inputs import pr_outputs
from flipbot.verdict_file import VERDICT_NAMES, Verdict, find_verdict

# Not "refusal-reason": the promote step writes that one, and the verdict step runs after it.
VERDICT_OUTPUTS = ("verdict", "refused", "flip", "verdict-refusal-reason")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def input_outputs(inp: Inputs) -> dict[str, str]:
    """The validated inputs, as the strings later steps read from ``steps.inputs.outputs``."""
    th = inp.thresholds
    out = {
        "corpus": inp.corpus,
        "corpus-bytes": inp.corpus_bytes,
        "corpus-copy": inp.corpus_copy,
        "registry": inp.registry,
        "artifacts-dir": inp.artifacts_dir,
        "loso-dir": inp.loso_dir,
        "promote-dir": inp.promote_dir,
        "seeds": ",".join(str(s) for s in inp.seeds),
        "epochs": str(inp.epochs),
        "device": inp.device,
        "audit-sample": inp.audit_sample,
        "base": inp.base,
        "repository": inp.repository,
        "api-url": inp.api_url,
        "plots-url": inp.plots_url,
        "labels": ",".join(inp.labels),
        "draft": _flag(inp.draft),
        "allow-recipe-override": _flag(inp.allow_recipe_override),
        "dry-run": _flag(inp.dry_run),
        "fail-on-refusal": _flag(inp.fail_on_refusal),
        "train-python": inp.train_python,
        "venv-dir": inp.venv_dir,
        "thresholds": _flag(th is not None),
        "mean-plcc-min": repr(th.mean_plcc_min) if th else "",
        "plcc-spread-max": repr(th.plcc_spread_max) if th else "",
        "per-seed-plcc-min": repr(th.per_seed_plcc_min) if th else "",
        "allow-threshold-override": _flag(th.allow_override if th else False),
        # Which venvs to build. The trusted side builds both in a new private folder, from
        # hash-pinned locks: the bot's (no torch) and torch's for the promote command's children.
        "trusted": _flag(inp.trusted),
        "bot-venv": _flag(inp.trusted),
        "torch-venv": _flag(inp.trusted or not inp.train_python),
    }
    out |= {f"run-{stage}": _flag(stage in inp.stages) for stage in ("train", "promote")}
    out |= pr_outputs(inp.pr)  # the PR conventions; "draft" becomes true/false/always-true
    if not inp.trusted:
        out["draft"] = _flag(inp.draft)
    return out


def verdict_outputs(folder: str | Path, *, if_present: bool = False) -> dict[str, str]:
    """``verdict``, ``refused`` and ``flip`` of the one verdict in ``folder``, or in the loso
    folder of the promote command's work dir below it (all empty when ``if_present`` and the run
    stopped before the gate wrote one)."""
    folder = verdict_folder(Path(folder))
    if if_present and not any((folder / name).exists() for name in VERDICT_NAMES):
        return dict.fromkeys(VERDICT_OUTPUTS, "")
    verdict = Verdict.read(find_verdict(folder))
    values = (
        verdict.decision,
        _flag(verdict.refused),
        ",".join(str(s) for s in verdict.flip),
        verdict.refusal_reason or "",
    )
    return dict(zip(VERDICT_OUTPUTS, values, strict=True))


def verdict_folder(folder: Path) -> Path:
    """``folder`` itself, or ``folder/flipbot-promote-*/loso`` (``bot promote --work-dir``; the
    newest when a rerun left several)."""
    if any((folder / name).exists() for name in VERDICT_NAMES):
        return folder
    work = sorted(folder.glob("flipbot-promote-*/loso"), key=lambda p: p.stat().st_mtime)
    return work[-1] if work else folder


def write_outputs(values: Mapping[str, str], path: str | None = None) -> str:
    """Append ``values`` to ``$GITHUB_OUTPUT`` (or return the text when unset)."""
    lines = []
    for key, value in values.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
        lines.append(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
    text = "".join(lines)
    target = path if path is not None else os.environ.get("GITHUB_OUTPUT", "")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(text)
    return text
