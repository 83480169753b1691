"""Builders for the bot's inputs: a verdict folder and an export folder with a flip plan.

Real files in the real formats: loso files whose predictions give chosen PLCCs, the verdict
the real gate gives on them (the bot re-judges it), sidecars and a flip plan as export
writes them, and real ONNX members (a linear model, tests/bot/onnx_fixture.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from onnx_fixture import fitted, member_onnx

from bot.flip.record import Flip, ShippedFile
from flipbot.features import CODEC_BLOCK_LAYOUT, ENCODER_VOCAB_V2, FEATURE_ORDER
from flipbot.jsonfile import sha256_bytes, sha256_file, write_json
from flipbot.loso_file import LosoArtefact, LosoFold
from flipbot.metrics import score
from flipbot.plan_file import FILENAME as PLAN_FILENAME
from flipbot.plan_file import FlipPlan, PlanFile, PlanRow
from flipbot.sidecar_shape import INPUT_NAMES, OUTPUT_NAMES, gate_block, training_recipe
from flipbot.verdict_file import VERDICT_NAMES, Verdict
from gate.loso_set import load_loso_set
from gate.rules import Thresholds
from gate.verdict import judge_run

ENSEMBLE = "fr_regressor_v2_ensemble_v1"
REGISTRY = "model/tiny/registry.json"
SHIPPED_REGISTRY = Path(__file__).resolve().parents[2] / REGISTRY
SCHEMA = SHIPPED_REGISTRY.parent / "registry.schema.json"


# The fixture corpus the loso files and the verdict pin: a real 600-row slice of the shipped
# corpus. It is committed to the base (PR mode) or the working tree (local modes) at CORPUS.
CORPUS = "corpus/small.jsonl.gz"
CORPUS_BYTES = (
    Path(__file__).resolve().parents[1] / "action/data/corpus_small.jsonl.gz"
).read_bytes()
LOSO_RECIPE = {
    "epochs": 200,
    "batch_size": 32,
    "lr": 5e-4,
    "weight_decay": 1e-5,
    "hidden": 64,
    "dropout": 0.1,
    "dtype": "float32",
}
# What the trainer records as the recipe it fitted with (trainer.recipe.Recipe, as a dict).
FIT_RECIPE = LOSO_RECIPE | {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "dropout_mask": "pool"}
ROWS_PER_SOURCE = 24


@dataclass(frozen=True)
class VerdictSpec:
    """Loso files that make the gate give the wanted verdict, and the thresholds it is run with."""

    artefacts: tuple[LosoArtefact, ...]
    thresholds: Thresholds
    overridden: bool


def _fold(source: str, index: int, seed: int, rho: float, variant: int, n_sources: int) -> LosoFold:
    """Predictions whose PLCC with the targets is ``rho`` (to float rounding), own noise per seed."""
    y_true = np.sort(np.random.default_rng(index).uniform(35.0, 99.0, ROWS_PER_SOURCE))
    noise = np.random.default_rng([index, seed, variant]).normal(0.0, 1.0, ROWS_PER_SOURCE)
    centred = y_true - y_true.mean()
    noise -= noise.mean()
    noise -= centred * (noise @ centred) / (centred @ centred)  # orthogonal to the targets
    scale = np.sqrt(centred @ centred / (noise @ noise) * (1.0 / rho**2 - 1.0))
    y_pred = y_true + scale * noise
    s = score(y_true, y_pred)
    return LosoFold(
        held_out=source,
        n_train=ROWS_PER_SOURCE * (n_sources - 1),  # leave one source out: every other row
        n_val=ROWS_PER_SOURCE,
        plcc=s.plcc,
        srocc=s.srocc,
        rmse=s.rmse,
        undefined_reason=None,
        y_true=tuple(float(v) for v in y_true),
        y_pred=tuple(float(v) for v in y_pred),
    )


def loso_artefact(
    seed: int, rho: float, sources: tuple[str, ...], variant: int = 0, **changes: object
) -> LosoArtefact:
    art = LosoArtefact(
        seed=seed,
        corpus=CORPUS,
        corpus_sha256=sha256_bytes(CORPUS_BYTES),
        corpus_rows=ROWS_PER_SOURCE * len(sources),
        sources=tuple(sorted(sources)),
        folds=tuple(
            _fold(src, i, seed, rho, variant, len(sources)) for i, src in enumerate(sorted(sources))
        ),
        epochs=int(LOSO_RECIPE["epochs"]),
        batch_size=int(LOSO_RECIPE["batch_size"]),
        lr=float(LOSO_RECIPE["lr"]),
        weight_decay=float(LOSO_RECIPE["weight_decay"]),
        num_codecs=14,
        encoder_vocab_version=2,
        recipe=dict(LOSO_RECIPE),
        device="cpu",
        versions={"flipbot": "0.1.0", "python": "3.11", "torch": "2.13.0", "numpy": "2"},
        wall_time_s=1.0,
    )
    return replace(art, **changes) if changes else art  # type: ignore[arg-type]


def make_verdict(
    *,
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    flip: tuple[int, ...] | None = None,
    refused: bool = False,
    sources: tuple[str, ...] = ("BigBuckBunny", "bikes", "vtest"),
    overridden: bool = False,
    variant: int = 0,
) -> VerdictSpec:
    """Loso files for which the real gate gives: PROMOTE (all of ``seeds`` flip), a partial HOLD
    (``flip`` a strict subset: those seeds clear, the others miss by a hair, spread holds), a
    HOLD that flips nothing (``flip=()``), or a refusal (spread too wide). ``overridden`` judges
    with a loosened (overridden) mean threshold; ``variant`` changes the noise, so the numbers
    and every sha256 differ while the decision stays."""
    flip = tuple(seeds) if flip is None else flip
    if refused:
        rho = {s: 0.997 - 0.012 * (i % 2) for i, s in enumerate(seeds)}
    elif set(flip) == set(seeds):
        rho = {s: 0.997 - 0.0002 * s for s in seeds}
    else:
        rho = {s: 0.952 if s in flip else 0.948 for s in seeds}
    arts = tuple(loso_artefact(s, rho[s], sources, variant) for s in sorted(seeds))
    th = Thresholds(mean_plcc=0.94) if overridden else Thresholds()
    return VerdictSpec(arts, th, overridden)


def judge_folder(folder: Path, spec: VerdictSpec) -> Path:
    """Write the loso files and run the real gate on them; the verdict file's path."""
    for art in spec.artefacts:
        art.write(folder)
    run = load_loso_set(folder, tuple(a.seed for a in spec.artefacts))
    verdict = judge_run(run, spec.thresholds, thresholds_overridden=spec.overridden, cwd=folder)
    return verdict.write(folder)


def install_base(root: Path) -> None:
    """The files of the base a local run reads besides the registry: the pinned corpus."""
    (root / CORPUS).parent.mkdir(parents=True, exist_ok=True)
    (root / CORPUS).write_bytes(CORPUS_BYTES)


def sidecar_doc(
    rid: str, seed: int, onnx: bytes, verdict: Verdict, ensemble: str = ENSEMBLE
) -> dict:
    """A seed sidecar in the target repository's shape (SPEC §14), as export writes it."""
    gate = gate_block(verdict, seed)
    return {
        "codec_aware": True,
        "codec_block_layout": list(CODEC_BLOCK_LAYOUT),
        "corpus": {
            "cq_max": 43.0,
            "cq_min": 19.0,
            "n_rows": 600,
            "path": CORPUS,
            "sha256": verdict.pins.corpus_sha256,
        },
        "encoder_vocab": list(ENCODER_VOCAB_V2),
        "encoder_vocab_version": 2,
        "ensemble_id": ensemble,
        "feature_mean": list(fitted()[2]),
        "feature_order": list(FEATURE_ORDER),
        "feature_std": list(fitted()[3]),
        "gate": gate,
        "id": rid,
        "input_names": list(INPUT_NAMES),
        "kind": "fr",
        "loso_mean_plcc": gate["mean_plcc"],
        "notes": f"test member seed {seed}",
        "onnx": f"{rid}.onnx",
        "opset": 17,
        "output_names": list(OUTPUT_NAMES),
        "parent_adrs": ["ADR-0303"],
        "seed": seed,
        "sha256": sha256_bytes(onnx),
        "training_recipe": training_recipe(FIT_RECIPE, len(FEATURE_ORDER), 14),
        "training": {"recipe": dict(FIT_RECIPE), "epochs_from": "verdict"},
    }


def canonical(doc: dict) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def onnx_bytes(seed: int, generation: int = 0) -> bytes:
    """A real ensemble member (tests/bot/onnx_fixture.py): binary, distinct per seed and
    generation, close to the other members."""
    return member_onnx(seed, generation)


def write_inputs(
    root: Path,
    spec: VerdictSpec,
    *,
    generation: int = 0,
    registry: str = REGISTRY,
    ensemble: str = ENSEMBLE,
) -> tuple[Path, Path]:
    """Write the verdict folder (loso files + the gate's verdict) and the export folder."""
    verdict_dir, export_dir = root / "loso", root / "export"
    verdict_dir.mkdir(parents=True, exist_ok=True)
    export_dir.mkdir(parents=True, exist_ok=True)
    verdict_path = judge_folder(verdict_dir, spec)
    verdict = Verdict.read(verdict_path)
    if verdict.refused or not verdict.flip:
        return verdict_dir, export_dir
    folder = str(Path(registry).parent)
    rows, files = [], []
    for seed in verdict.flip:
        rid = f"{ensemble}_seed{seed}"
        onnx = onnx_bytes(seed, generation)
        sidecar = canonical(sidecar_doc(rid, seed, onnx, verdict, ensemble))
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
    write_json(export_dir / PLAN_FILENAME, plan.to_json() | {"recipe": dict(FIT_RECIPE)})
    return verdict_dir, export_dir


def unverified_flip(root: Path) -> Flip:
    """The Flip the verifier would build, read without re-judging: for rendering tests only
    (re-judging thousands of sources is slow and proves nothing about a PR body)."""
    verdict_path = next(p for p in (root / "loso").glob("*.json") if p.name in VERDICT_NAMES)
    plan = FlipPlan.read(root / "export" / PLAN_FILENAME)
    files = tuple(
        ShippedFile(f.path, (root / "export" / f.artifact).read_bytes(), f.sha256)
        for f in plan.files
    )
    return Flip(Verdict.read(verdict_path), verdict_path, sha256_file(verdict_path), plan, files)


def verified_flip(root: Path, registry_root: Path | None = None, **options: object) -> Flip:
    """The bot's verifier on ``root/loso`` and ``root/export`` against a working tree holding
    the shipped registry and the corpus (made under ``root/base`` unless given)."""
    if registry_root is None:
        registry_root = root / "base"
        (registry_root / REGISTRY).parent.mkdir(parents=True, exist_ok=True)
        (registry_root / REGISTRY).write_bytes(SHIPPED_REGISTRY.read_bytes())
        install_base(registry_root)
    from bot.trust.base_view import worktree_base
    from bot.trust.verify import TrustOptions, verify

    return verify(
        root / "loso",
        root / "export",
        worktree_base(registry_root / REGISTRY),
        TrustOptions(**options),  # type: ignore[arg-type]
    )
