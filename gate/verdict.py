"""One gate run: checked loso files -> rules -> flip policy -> a Verdict (not yet written)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from flipbot.loso_file import loso_filename
from flipbot.verdict_file import Verdict
from gate.fold_scores import check_distinct_predictions, rescore
from gate.leakage import twin_sources
from gate.loso_set import LosoSet, load_loso_set
from gate.per_source import seed_plcc, source_rows
from gate.pins import collect_pins
from gate.policy import decide
from gate.rules import Thresholds, evaluate_rules


def judge(
    loso_dir: str | Path,
    seeds: tuple[int, ...],
    thresholds: Thresholds | None = None,
    *,
    thresholds_overridden: bool = False,
    cwd: str | Path | None = None,
) -> Verdict:
    """Read and check the loso files of ``seeds``, and judge them. Raises InputError."""
    run = load_loso_set(loso_dir, seeds)
    return judge_run(run, thresholds, thresholds_overridden=thresholds_overridden, cwd=cwd)


def judge_run(
    run: LosoSet,
    thresholds: Thresholds | None = None,
    *,
    thresholds_overridden: bool = False,
    cwd: str | Path | None = None,
) -> Verdict:
    """Judge an already checked run, on numbers recomputed from its predictions.

    ``load_loso_set`` already re-derived them; doing it again here (about 1 ms a
    fold) keeps the guarantee for a LosoSet built any other way.
    """
    run = replace(
        run,
        artefacts=tuple(rescore(a, run.folder / loso_filename(a.seed)) for a in run.artefacts),
    )
    check_distinct_predictions(run.artefacts, run.folder)
    th = thresholds or Thresholds()
    per_seed = seed_plcc(run)
    rules = evaluate_rules(per_seed, th)
    d = decide(per_seed, rules, th, epochs=run.first.epochs)
    return Verdict(
        decision=d.decision,
        refused=d.refused,
        refusal_reason=d.refusal_reason,
        rules=rules,
        seeds=d.seeds,
        flip=d.flip,
        ensemble_flip=d.ensemble_flip,
        diagnosis=d.diagnosis,
        thresholds=th.as_dict(),
        thresholds_overridden=thresholds_overridden,
        sources=tuple(sorted(run.sources)),
        per_source=source_rows(run),
        recipe=recipe_of(run),
        pins=collect_pins(run, cwd=cwd),
        warnings=tuple(t.warning() for t in twin_sources(run)),
    )


def recipe_of(run: LosoSet) -> dict[str, Any]:
    """The upstream recipe keys of the loso files, then their ``recipe`` dict (equal across seeds)."""
    a = run.first
    upstream = {
        "epochs": a.epochs,
        "batch_size": a.batch_size,
        "lr": a.lr,
        "weight_decay": a.weight_decay,
        "num_codecs": a.num_codecs,
        "encoder_vocab_version": a.encoder_vocab_version,
    }
    return upstream | dict(a.recipe)
