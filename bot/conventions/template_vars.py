"""The variables every repository template sees: the facts of one flip, as plain values.

Titles, commit messages, extra files and row updates get these; body
templates get them plus every part of the default body (see
:func:`bot.body.pr_body.body_parts`). Plain str/int/float/bool/list/dict values only,
so the sandbox has nothing with attributes to reach into.
"""

from __future__ import annotations

from typing import Any

from bot.flip import Flip
from flipbot import __version__


def flip_facts(flip: Flip, *, base_sha: str, registry: str, run_url: str | None) -> dict[str, Any]:
    verdict = flip.verdict
    rules = {r.name: r.value for r in verdict.rules}
    seeds = [s.seed for s in verdict.seeds if s.flips]
    return {
        "decision": verdict.decision,
        "partial": verdict.decision == "HOLD",
        "ensemble": flip.plan.ensemble_id if flip.plan else "",
        "seeds": seeds,
        "seeds_text": ", ".join(str(s) for s in seeds),
        "stay_smoke": [s.seed for s in verdict.seeds if not s.flips],
        "flipped_ids": list(flip.flipped_ids),
        "n_flipped": len(flip.flipped_ids),
        "mean_plcc": rules.get("mean_plcc"),
        "plcc_spread": rules.get("plcc_spread"),
        "min_plcc": rules.get("per_seed_min"),
        "thresholds_overridden": verdict.thresholds_overridden,
        "sources": list(verdict.sources),
        "corpus": verdict.pins.corpus,
        "corpus_sha256": verdict.pins.corpus_sha256,
        "training_commit": verdict.pins.git_commit or "",
        "verdict_file": flip.verdict_path.name,
        "verdict_sha256": flip.verdict_sha256,
        "base_sha": base_sha,
        "short_sha": base_sha[:12],
        "registry": registry,
        "run_url": run_url or "",
        "version": __version__,
    }


def row_facts(
    facts: dict[str, Any], row_id: str, seed: int | None, old: dict[str, Any]
) -> dict[str, Any]:
    """``facts`` plus the row a ``row-updates`` value is rendered for."""
    plain = {k: v for k, v in old.items() if isinstance(v, (str, int, float, bool)) or v is None}
    return facts | {"row_id": row_id, "seed": seed, "row": plain}
