"""``loso_seed{N}.json``: one seed's leave-one-source-out result (SPEC §5).

Written by ``trainer loso``, read by ``gate``. Keeps upstream's key set at
the top level (so upstream tooling reads it) and adds what makes it
auditable: schema version, corpus sha256, sources, recipe, device,
versions, and each fold's held-out predictions, from which the gate builds
the ensemble column and the calibration report even when seeds were
trained on different runners.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.fields import need, need_number
from flipbot.jsonfile import read_json, write_json

SCHEMA_VERSION = 1
KIND = "flipbot.loso"
DRY_RUN_NOTE = "dry-run"


def loso_filename(seed: int) -> str:
    return f"loso_seed{seed}.json"


@dataclass(frozen=True)
class LosoFold:
    """One held-out source. ``plcc``/``srocc`` are None (with a reason) when undefined."""

    held_out: str
    n_train: int
    n_val: int
    plcc: float | None
    srocc: float | None
    rmse: float
    # Why plcc/srocc is None, e.g. "constant predictions"; None when both are numbers.
    undefined_reason: str | None
    # Held-out frames in corpus order: the target and this seed's prediction.
    y_true: tuple[float, ...]
    y_pred: tuple[float, ...]


@dataclass(frozen=True)
class LosoArtefact:
    seed: int
    corpus: str  # the corpus path as given to the trainer
    corpus_sha256: str  # sha256 of the corpus file's bytes (as stored: .jsonl or .jsonl.gz)
    corpus_rows: int
    sources: tuple[str, ...]  # sorted distinct source names == the folds' held_out values
    folds: tuple[LosoFold, ...]  # in the order of ``sources``
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    num_codecs: int  # 14: 12 encoder slots + preset_norm + crf_norm
    encoder_vocab_version: int  # 2
    recipe: dict[str, Any]  # every knob that changes the numbers; equal across seeds of one run
    device: str  # e.g. "cpu", "cuda:0 (NVIDIA H100)"
    versions: dict[str, str]  # flipbot, python, torch, numpy
    wall_time_s: float
    note: str | None = None  # "dry-run" for a 1-epoch smoke run; the gate refuses it
    schema_version: int = field(default=SCHEMA_VERSION)

    # --- upstream aggregates, derived from the folds -------------------------
    def _defined(self, attr: str) -> list[float]:
        return [getattr(f, attr) for f in self.folds if getattr(f, attr) is not None]

    @property
    def mean_plcc(self) -> float | None:
        v = self._defined("plcc")
        return sum(v) / len(v) if v and len(v) == len(self.folds) else None

    def to_json(self) -> dict[str, Any]:
        plcc = self._defined("plcc")
        srocc = self._defined("srocc")
        rmse = [f.rmse for f in self.folds]
        complete = len(plcc) == len(self.folds) and plcc
        mean = sum(plcc) / len(plcc) if complete else None
        std = (sum((p - mean) ** 2 for p in plcc) / len(plcc)) ** 0.5 if mean is not None else None
        doc = asdict(self)
        doc["sources"] = list(self.sources)
        doc["folds"] = [
            asdict(f) | {"y_true": list(f.y_true), "y_pred": list(f.y_pred)} for f in self.folds
        ]
        doc |= {
            "kind": KIND,
            "n_folds": len(self.folds),
            "mean_plcc": mean,
            "std_plcc": std,
            "min_plcc": min(plcc) if complete else None,
            "max_plcc": max(plcc) if complete else None,
            "mean_srocc": sum(srocc) / len(srocc) if srocc else None,
            "mean_rmse": sum(rmse) / len(rmse) if rmse else None,
        }
        return doc

    def write(self, out_dir: str | Path) -> Path:
        path = Path(out_dir) / loso_filename(self.seed)
        write_json(path, self.to_json())
        return path

    @classmethod
    def from_json(cls, doc: Any, where: str) -> LosoArtefact:
        version = need(doc, "schema_version", int, where)
        if version != SCHEMA_VERSION:
            raise InputError(
                f"{where}: schema_version {version} is not known (this flipbot reads "
                f"{SCHEMA_VERSION}); retrain with this flipbot version"
            )
        folds = []
        for i, f in enumerate(need(doc, "folds", list, where)):
            fw = f"{where}: folds[{i}]"
            folds.append(
                LosoFold(
                    held_out=need(f, "held_out", str, fw),
                    n_train=need(f, "n_train", int, fw),
                    n_val=need(f, "n_val", int, fw),
                    plcc=need_number(f, "plcc", fw, nullable=True),
                    srocc=need_number(f, "srocc", fw, nullable=True),
                    rmse=need_number(f, "rmse", fw),  # type: ignore[arg-type]
                    undefined_reason=f.get("undefined_reason"),
                    y_true=tuple(float(x) for x in need(f, "y_true", list, fw)),
                    y_pred=tuple(float(x) for x in need(f, "y_pred", list, fw)),
                )
            )
        return cls(
            seed=need(doc, "seed", int, where),
            corpus=need(doc, "corpus", str, where),
            corpus_sha256=need(doc, "corpus_sha256", str, where),
            corpus_rows=need(doc, "corpus_rows", int, where),
            sources=tuple(need(doc, "sources", list, where)),
            folds=tuple(folds),
            epochs=need(doc, "epochs", int, where),
            batch_size=need(doc, "batch_size", int, where),
            lr=need_number(doc, "lr", where),  # type: ignore[arg-type]
            weight_decay=need_number(doc, "weight_decay", where),  # type: ignore[arg-type]
            num_codecs=need(doc, "num_codecs", int, where),
            encoder_vocab_version=need(doc, "encoder_vocab_version", int, where),
            recipe=need(doc, "recipe", dict, where),
            device=need(doc, "device", str, where),
            versions=need(doc, "versions", dict, where),
            wall_time_s=need_number(doc, "wall_time_s", where),  # type: ignore[arg-type]
            note=doc.get("note"),
            schema_version=version,
        )

    @classmethod
    def read(cls, path: str | Path) -> LosoArtefact:
        return cls.from_json(read_json(path), str(path))
