"""Builders for the bot's inputs: a verdict folder and an export folder with a flip plan.

Real files in the real formats (flipbot.verdict_file, flipbot.plan_file),
small enough for fast tests.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from flipbot.jsonfile import sha256_bytes, sha256_file
from flipbot.plan_file import FlipPlan, PlanFile, PlanRow
from flipbot.verdict_file import Pins, RuleResult, SeedOutcome, SourceRow, Verdict

ENSEMBLE = "fr_regressor_v2_ensemble_v1"
REGISTRY = "model/tiny/registry.json"
SHIPPED_REGISTRY = Path(__file__).resolve().parents[2] / REGISTRY
SCHEMA = SHIPPED_REGISTRY.parent / "registry.schema.json"


def make_verdict(
    *,
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    flip: tuple[int, ...] | None = None,
    refused: bool = False,
    sources: tuple[str, ...] = ("BigBuckBunny", "bikes", "vtest"),
    overridden: bool = False,
    corpus_sha256: str = "c" * 64,
) -> Verdict:
    flip = () if refused else (seeds if flip is None else flip)
    decision = "PROMOTE" if set(flip) == set(seeds) and not refused else "HOLD"
    plcc = {s: 0.997 - 0.0002 * s for s in seeds}
    spread = 0.009 if refused else max(plcc.values()) - min(plcc.values())
    rules = (
        RuleResult("mean_plcc", "mean PLCC", sum(plcc.values()) / len(plcc), 0.95, ">=", True),
        RuleResult("plcc_spread", "spread", spread, 0.005, "<=", not refused),
        RuleResult("per_seed_min", "min", min(plcc.values()), 0.95, ">=", decision == "PROMOTE"),
    )
    outcomes = tuple(
        SeedOutcome(
            s,
            plcc[s],
            s in flip or refused,
            s in flip,
            "clears 0.95" if s in flip else "below 0.95",
        )
        for s in seeds
    )
    # Per-source PLCCs whose mean over the sources is each seed's PLCC (as the gate computes it).
    centre = (len(sources) - 1) / 2
    offset = [0.001 * (i - centre) / max(centre, 1.0) for i in range(len(sources))]
    rows = tuple(
        SourceRow(
            src,
            40 + i,
            {str(s): plcc[s] - offset[i] * (1 + 0.1 * s) for s in seeds},
            0.998 - offset[i],
            0.98,
            2.5 + i,
        )
        for i, src in enumerate(sources)
    )
    return Verdict(
        decision=decision,
        refused=refused,
        refusal_reason="PLCC spread 0.00900 exceeds 0.005: the seeds disagree" if refused else None,
        rules=rules,
        seeds=outcomes,
        flip=tuple(flip),
        ensemble_flip=decision == "PROMOTE",
        diagnosis=None,
        thresholds={"mean_plcc": 0.95, "plcc_spread": 0.005, "per_seed_min": 0.95},
        thresholds_overridden=overridden,
        sources=sources,
        per_source=rows,
        recipe={"epochs": 200},
        pins=Pins(
            {f"loso_seed{s}.json": f"{s}" * 64 for s in seeds},
            "corpus/c.jsonl.gz",
            corpus_sha256,
            "ab" * 20,
            {"flipbot": "0.1.0"},
        ),
    )


def onnx_bytes(seed: int, generation: int = 0) -> bytes:
    """Stand-in ONNX bytes: binary (not UTF-8), distinct per seed and generation."""
    return bytes([0x08, 0x07, 0xFF, 0xFE, seed, generation]) + bytes(range(256)) * 4


def write_inputs(
    root: Path,
    verdict: Verdict,
    *,
    generation: int = 0,
    registry: str = REGISTRY,
    ensemble: str = ENSEMBLE,
) -> tuple[Path, Path]:
    """Write the verdict folder and the export folder (ONNX, sidecars, flip_plan.json)."""
    verdict_dir, export_dir = root / "loso", root / "export"
    verdict_dir.mkdir(parents=True, exist_ok=True)
    export_dir.mkdir(parents=True, exist_ok=True)
    verdict_path = verdict.write(verdict_dir)
    if verdict.refused:
        return verdict_dir, export_dir
    folder = str(Path(registry).parent)
    rows, files = [], []
    for seed in verdict.flip:
        rid = f"{ensemble}_seed{seed}"
        onnx = onnx_bytes(seed, generation)
        sidecar = (
            json.dumps(
                {"id": rid, "seed": seed, "sha256": sha256_bytes(onnx)}, indent=2, sort_keys=True
            )
            + "\n"
        ).encode()
        (export_dir / f"{rid}.onnx").write_bytes(onnx)
        (export_dir / f"{rid}.json").write_bytes(sidecar)
        rows.append(PlanRow(rid, seed, sha256_bytes(onnx), False))
        files.append(PlanFile(f"{folder}/{rid}.onnx", f"{rid}.onnx", sha256_bytes(onnx)))
        files.append(PlanFile(f"{folder}/{rid}.json", f"{rid}.json", sha256_bytes(sidecar)))
    plan = FlipPlan(
        registry=registry,
        ensemble_id=ensemble,
        verdict_file=verdict_path.name,
        verdict_sha256=sha256_file(verdict_path),
        pins=asdict(verdict.pins),
        rows=tuple(rows),
        files=tuple(files),
    )
    plan.write(export_dir)
    return verdict_dir, export_dir
