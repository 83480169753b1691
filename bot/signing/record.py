"""The promotion record: one in-toto Statement v1 binding the promoted bytes to their evidence.

Subjects are the flipped ONNX files and the committed verdict (repository
path + sha256). The predicate (type :data:`PREDICATE_TYPE`, documented in
docs/SIGNING.md) is the evidence the trusted side re-derived: the decision,
each rule with its value and threshold, each seed's LOSO PLCC, the corpus and
loso pins, the audit result (``null`` until the audit runs), the recipe, the
base commit, the workflow run and the flipbot version. The record is signed
as a DSSE envelope with the same identity as the models.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.flip import Flip, ShippedFile
from flipbot import __version__

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://flipbot.dev/promotion/v1"
# Fields that name the run that signed, not the promotion: an identical rerun keeps the record
# (the audit draws a new secret sample every run; the kept record holds the sample that passed).
RUN_FIELDS = ("workflow_run", "audit")


def build_statement(
    flip: Flip,
    models: Sequence[ShippedFile],
    verdict: ShippedFile,
    *,
    registry: str,
    repository: str,
    base_sha: str,
    run_url: str | None,
    audit: dict[str, Any] | None = None,
) -> dict[str, Any]:
    v = flip.verdict
    subjects = [
        {"name": f.path, "digest": {"sha256": f.sha256}}
        for f in sorted((*models, verdict), key=lambda f: f.path)
    ]
    predicate = {
        "decision": v.decision,
        "verdict": {"path": verdict.path, "sha256": verdict.sha256},
        "rules": [
            {
                "name": r.name,
                "value": r.value,
                "op": r.op,
                "threshold": r.threshold,
                "passed": r.passed,
            }
            for r in v.rules
        ],
        "thresholds_overridden": v.thresholds_overridden,
        "seeds": [
            {"seed": s.seed, "loso_plcc": s.plcc, "passed": s.passed, "flips": s.flips}
            for s in v.seeds
        ],
        "corpus": {"path": v.pins.corpus, "sha256": v.pins.corpus_sha256},
        "loso_files": dict(sorted(v.pins.loso_files.items())),
        "training_commit": v.pins.git_commit,
        "audit": audit,
        "recipe": v.recipe,
        "recipe_override": list(flip.recipe_override),
        "registry": registry,
        "rows": [{"id": c.id, "sha256": c.sha256, "smoke": c.smoke} for c in flip.changes],
        "repository": repository,
        "base_commit": base_sha or None,
        "workflow_run": run_url,
        "flipbot_version": __version__,
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def statement_bytes(statement: dict[str, Any]) -> bytes:
    """The signed payload: compact JSON with sorted keys (one byte string per statement)."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def same_promotion(old: Any, new: dict[str, Any]) -> bool:
    """``old`` (a verified payload, parsed) records the same promotion as ``new``, run aside."""
    if not isinstance(old, dict) or not isinstance(old.get("predicate"), dict):
        return False

    def stable(doc: dict[str, Any]) -> dict[str, Any]:
        pred = {k: v for k, v in doc["predicate"].items() if k not in RUN_FIELDS}
        return {**doc, "predicate": pred}

    return stable(old) == stable(json.loads(statement_bytes(new)))
