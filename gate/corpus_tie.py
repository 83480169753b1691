"""Tie a loso file to the corpus the repository pins: its folds must be that corpus's sources.

A loso file comes from a GPU runner; the corpus comes from the base commit
(``flipbot.corpus_pin``). A file is accepted only when, for the workflow's
recipe (from the trusted side's flags, never from the file):

- ``corpus`` is the corpus path, ``corpus_sha256`` the pin, ``corpus_rows`` its row count;
- ``sources`` and the folds' ``held_out`` are exactly the corpus's sources, in its sorted order;
- each fold's ``n_val`` is that source's row count, ``n_train`` the rest, and ``y_true`` the
  source's VMAF in corpus order rounded to ``PREDICTION_DECIMALS`` (as ``trainer loso`` stores
  them), with one ``y_pred`` per held-out row;
- every recipe field equals the workflow's, and it is no dry run.

The numbers the gate judges are then predictions on the real rows; whether
they are the predictions the recipe gives is the audit's question
(``gate.audit_check``). Text read from the file appears in messages only
through ``shown`` (ascii, one line, bounded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from flipbot.corpus import Corpus
from flipbot.errors import InputError
from flipbot.loso_file import LosoArtefact
from flipbot.untrusted_text import quoted

PREDICTION_DECIMALS = 6  # as trainer/loso.py stores y_true / y_pred


def shown(value: object, limit: int = 60) -> str:
    """Training-side text for a message: escaped (no newline, no control), bounded."""
    return quoted(value, limit)


@dataclass(frozen=True)
class CorpusFacts:
    """What a loso file must agree with, computed once from the pinned corpus."""

    path: str  # repository-relative corpus path
    sha256: str
    rows: int
    sources: tuple[str, ...]
    y_true: dict[str, tuple[float, ...]]  # source -> its rows' VMAF, corpus order, rounded

    @classmethod
    def of(cls, corpus: Corpus, path: str) -> CorpusFacts:
        truth = {
            src: tuple(np.round(corpus.vmaf[corpus.src == src], PREDICTION_DECIMALS).tolist())
            for src in corpus.sources
        }
        return cls(path, corpus.sha256, corpus.rows, corpus.sources, truth)


def tie(art: LosoArtefact, where: str, facts: CorpusFacts, recipe: dict[str, Any]) -> None:
    """Raise an InputError naming ``where`` (and the fold) unless ``art`` is tied to ``facts``."""
    fix = "train on the pinned corpus with the workflow's recipe (`python -m trainer loso`)"
    _one_line_text(art, where)
    if art.note is not None:
        raise InputError(f"{where}: field 'note' is {shown(art.note)}: not a full run; {fix}")
    for key, want, got in (
        ("corpus", facts.path, art.corpus),
        ("corpus_sha256", facts.sha256, art.corpus_sha256),
        ("corpus_rows", facts.rows, art.corpus_rows),
    ):
        if got != want:
            raise InputError(
                f"{where}: field '{key}' is {shown(got)}, the pin says {want!r}; {fix}"
            )
    for key, want in recipe.items():
        if _canonical(getattr(art, key)) != _canonical(want):
            raise InputError(
                f"{where}: recipe field '{key}' is {shown(getattr(art, key), 200)}, the workflow "
                f"trains with {want!r}; {fix}"
            )
    if art.sources != facts.sources:
        raise InputError(
            f"{where}: field 'sources' is {shown(list(art.sources), 200)}; the corpus's sources are "
            f"{list(facts.sources)!r}; {fix}"
        )
    if len(art.folds) != len(facts.sources):
        raise InputError(
            f"{where}: {len(art.folds)} folds for the corpus's {len(facts.sources)} sources; {fix}"
        )
    for i, (fold, src) in enumerate(zip(art.folds, facts.sources, strict=True)):
        at = f"{where}: folds[{i}] (source {src!r})"
        if fold.held_out != src:
            raise InputError(f"{at}: held_out is {shown(fold.held_out)}; {fix}")
        truth = facts.y_true[src]
        if fold.n_val != len(truth) or fold.n_train != facts.rows - len(truth):
            raise InputError(
                f"{at}: n_val {fold.n_val} and n_train {fold.n_train}, but the corpus holds "
                f"{len(truth)} rows of this source and {facts.rows - len(truth)} others; {fix}"
            )
        if fold.y_true != truth:
            pairs = enumerate(zip(fold.y_true, truth, strict=False))
            first = next((j for j, (a, b) in pairs if a != b), min(len(fold.y_true), len(truth)))
            raise InputError(
                f"{at}: y_true differs from the corpus's VMAF of this source (first at held-out "
                f"row {first}); {fix}"
            )
        if len(fold.y_pred) != len(truth):
            raise InputError(
                f"{at}: {len(fold.y_pred)} predictions for {len(truth)} held-out rows; {fix}"
            )


def _one_line_text(art: LosoArtefact, where: str) -> None:
    """Free text a later stage may print (device, versions, reasons) holds no control character."""
    texts = [("device", art.device)]
    texts += [(f"versions[{k!r}]", f"{k}{v}") for k, v in art.versions.items()]
    texts += [
        (f"folds[{i}].undefined_reason", f.undefined_reason or "") for i, f in enumerate(art.folds)
    ]
    for name, text in texts:
        if not text.isprintable():
            raise InputError(
                f"{where}: field {shown(name)} holds a control character ({shown(text)}); "
                "regenerate the file with `python -m trainer loso`"
            )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
