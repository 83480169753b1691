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
from flipbot.fields import (
    VALUE_BOUND,
    check_number,
    check_text,
    exact_keys,
    field_names,
    need,
    need_int,
    need_list,
    need_number,
    need_sha256,
    need_text,
    need_text_map,
)
from flipbot.jsonfile import read_json, write_json

SCHEMA_VERSION = 1
KIND = "flipbot.loso"
DRY_RUN_NOTE = "dry-run"
# Upstream's aggregates at the top level, derived from the folds (for upstream tooling).
AGGREGATES = (
    "n_folds",
    "mean_plcc",
    "std_plcc",
    "min_plcc",
    "max_plcc",
    "mean_srocc",
    "mean_rmse",
)


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
        exact_keys(doc, where, _FIELDS, ("kind", *AGGREGATES))
        if "kind" in doc:
            need_text(doc, "kind", where, choices=(KIND,))
        folds = tuple(
            _fold_from_json(f, f"{where}: folds[{i}]")
            for i, f in enumerate(need_list(doc, "folds", where))
        )
        art = cls(
            seed=need_int(doc, "seed", where),
            corpus=need_text(doc, "corpus", where),
            corpus_sha256=need_sha256(doc, "corpus_sha256", where),
            corpus_rows=need_int(doc, "corpus_rows", where),
            sources=tuple(
                check_text(s, f"{where}: field 'sources'[{i}]")
                for i, s in enumerate(need_list(doc, "sources", where))
            ),
            folds=folds,
            epochs=need_int(doc, "epochs", where, lo=1),
            batch_size=need_int(doc, "batch_size", where, lo=1),
            lr=need_number(doc, "lr", where, lo=0.0),  # type: ignore[arg-type]
            weight_decay=need_number(doc, "weight_decay", where, lo=0.0),  # type: ignore[arg-type]
            num_codecs=need_int(doc, "num_codecs", where),
            encoder_vocab_version=need_int(doc, "encoder_vocab_version", where),
            recipe=need(doc, "recipe", dict, where),
            device=need_text(doc, "device", where),
            versions=need_text_map(doc, "versions", where),
            wall_time_s=need_number(doc, "wall_time_s", where, lo=0.0, hi=1e9),  # type: ignore[arg-type]
            note=need_text(doc, "note", where, nullable=True),
            schema_version=version,
        )
        _check_aggregates(doc, where)
        return art

    @classmethod
    def read(cls, path: str | Path) -> LosoArtefact:
        return cls.from_json(read_json(path), str(path))


_FIELDS = field_names(LosoArtefact)
_FOLD_FIELDS = field_names(LosoFold)


def _fold_from_json(f: Any, fw: str) -> LosoFold:
    exact_keys(f, fw, _FOLD_FIELDS)
    return LosoFold(
        held_out=need_text(f, "held_out", fw),
        n_train=need_int(f, "n_train", fw),
        n_val=need_int(f, "n_val", fw),
        plcc=need_number(f, "plcc", fw, nullable=True, lo=-1.0, hi=1.0),
        srocc=need_number(f, "srocc", fw, nullable=True, lo=-1.0, hi=1.0),
        rmse=need_number(f, "rmse", fw, lo=0.0, hi=2 * VALUE_BOUND),  # type: ignore[arg-type]
        undefined_reason=need_text(f, "undefined_reason", fw, nullable=True),
        y_true=_values(f, "y_true", fw),
        y_pred=_values(f, "y_pred", fw),
    )


def _values(f: dict[str, Any], key: str, fw: str) -> tuple[float, ...]:
    """VMAF-like values: finite, at most VALUE_BOUND in magnitude (a huge integer included)."""
    return tuple(
        check_number(x, f"{fw}: field '{key}'[{i}]", -VALUE_BOUND, VALUE_BOUND)
        for i, x in enumerate(need_list(f, key, fw))
    )


def _check_aggregates(doc: dict[str, Any], where: str) -> None:
    """Upstream's top-level aggregates, where present, are numbers or null.

    Nothing reads them (the gate derives everything from the folds), so they
    are only held to their type and range, not to agreement with the folds.
    """
    for key in AGGREGATES:
        if doc.get(key) is not None:
            check_number(doc[key], f"{where}: field '{key}'", -2 * VALUE_BOUND, 2 * VALUE_BOUND)
