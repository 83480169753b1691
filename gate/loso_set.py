"""The set of ``loso_seed{N}.json`` files one gate run judges, and its input checks.

Every check that fails raises an InputError naming the file, the field and
the fix (SPEC §6): a verdict is only ever computed from one complete,
consistent, non-dry-run set of seeds trained on the same corpus with the
same recipe. The LosoSet it returns holds each fold's PLCC/SROCC/RMSE as
recomputed from the stored predictions (``gate.fold_scores``), never the
numbers the files claim: ``load_loso_set`` is where that guarantee lives,
for the gate and for every other caller (the bot's verifier included).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.inputs import rules
from flipbot.jsonfile import sha256_file
from flipbot.loso_file import DRY_RUN_NOTE, LosoArtefact, loso_filename
from gate.fold_scores import check_distinct_predictions, check_row_counts, rescore

LOSO_NAME = re.compile(r"loso_seed([0-9]+)\.json")

# Fields that must be equal across the seeds of one run: the recipe that
# produced the numbers (SPEC §4) and the vocabulary the codec block uses.
RECIPE_FIELDS = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "recipe",
    "encoder_vocab_version",
    "num_codecs",
)


@dataclass(frozen=True)
class LosoSet:
    """One checked run: an artefact per seed, in ascending seed order."""

    folder: Path
    artefacts: tuple[LosoArtefact, ...]
    sha256: dict[str, str]  # file name -> sha256 of its bytes

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(a.seed for a in self.artefacts)

    @property
    def sources(self) -> tuple[str, ...]:
        return self.artefacts[0].sources

    @property
    def first(self) -> LosoArtefact:
        return self.artefacts[0]


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"0,1,2,3,4"`` -> ``(0, 1, 2, 3, 4)`` (sorted); the rule the Action's ``seeds`` input
    and ``trainer loso --seeds`` use too."""
    return tuple(sorted(rules.seeds("--seeds", text)))


def load_loso_set(folder: str | Path, seeds: tuple[int, ...]) -> LosoSet:
    """Read and check the loso files of ``seeds`` in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; pass the LOSO output folder of `trainer loso`")
    _check_seed_set(folder, seeds)
    artefacts = []
    sha = {}
    for seed in sorted(seeds):
        path = folder / loso_filename(seed)
        sha[path.name] = sha256_file(path)
        artefacts.append(_read_one(path, seed))
    first = artefacts[0]
    for art in artefacts[1:]:
        _check_same_run(first, art, folder)
    _check_same_targets(artefacts, folder)
    check_distinct_predictions(artefacts, folder)
    # From here on the gate sees only the numbers its own arithmetic gives.
    rescored = tuple(rescore(art, folder / loso_filename(art.seed)) for art in artefacts)
    return LosoSet(folder=folder, artefacts=rescored, sha256=sha)


def _check_seed_set(folder: Path, seeds: tuple[int, ...]) -> None:
    for seed in sorted(seeds):
        path = folder / loso_filename(seed)
        if not path.is_file():
            raise InputError(
                f"{path}: missing; seed {seed} was asked for (--seeds) but has no LOSO file; "
                "train it or drop it from --seeds"
            )
    for path in sorted(folder.iterdir()):
        match = LOSO_NAME.fullmatch(path.name)
        if match and path.name != loso_filename(int(match.group(1))):
            raise InputError(
                f"{path}: not a name the trainer writes (expected "
                f"{loso_filename(int(match.group(1)))}); rename or move the file away"
            )
        if match and int(match.group(1)) not in seeds:
            raise InputError(
                f"{path}: seed {int(match.group(1))} is not in --seeds "
                f"{','.join(map(str, sorted(seeds)))}; add it to --seeds or move the file away"
            )


def _read_one(path: Path, seed: int) -> LosoArtefact:
    try:
        art = LosoArtefact.read(path)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{path}: malformed LOSO file ({exc}); regenerate it") from None
    if art.seed != seed:
        raise InputError(
            f"{path}: field 'seed' is {art.seed} but the file name says seed {seed}; "
            "rename the file or regenerate it"
        )
    if art.note == DRY_RUN_NOTE:
        raise InputError(
            f"{path}: is a dry run (note 'dry-run', {art.epochs} epoch(s)); "
            "the gate judges only full runs, retrain without --dry-run"
        )
    if not art.sources or not all(isinstance(s, str) for s in art.sources):
        raise InputError(
            f"{path}: field 'sources' must be a non-empty list of names; regenerate it"
        )
    held_out = [f.held_out for f in art.folds]
    if sorted(held_out) != sorted(art.sources) or len(set(held_out)) != len(held_out):
        raise InputError(
            f"{path}: the folds' held_out sources {sorted(held_out)} differ from 'sources' "
            f"{sorted(art.sources)}; each source must be held out exactly once, regenerate it"
        )
    check_row_counts(art, path)
    for fold in art.folds:
        where = f"{path}: fold '{fold.held_out}'"
        if fold.plcc is None:
            reason = fold.undefined_reason or "no reason recorded"
            raise InputError(
                f"{where}: PLCC is null ({reason}); the gate needs a number for every source, "
                "fix the data of that source or drop it from the corpus"
            )
        if not math.isfinite(fold.plcc):
            raise InputError(f"{where}: PLCC {fold.plcc!r} is not a finite number; regenerate it")
        if fold.n_val < 2 or not (len(fold.y_true) == len(fold.y_pred) == fold.n_val):
            raise InputError(
                f"{where}: n_val is {fold.n_val} and y_true/y_pred hold {len(fold.y_true)}/"
                f"{len(fold.y_pred)} values; a fold needs n_val >= 2 held-out frames with one "
                "target and one prediction each, regenerate it"
            )
        bad = [v for v in fold.y_true + fold.y_pred if not math.isfinite(v)]
        if bad:
            raise InputError(f"{where}: y_true/y_pred hold {bad[0]!r}; regenerate it")
    return art


def _check_same_run(first: LosoArtefact, art: LosoArtefact, folder: Path) -> None:
    path = folder / loso_filename(art.seed)
    ref = loso_filename(first.seed)
    if art.corpus_sha256 != first.corpus_sha256:
        raise InputError(
            f"{path}: corpus_sha256 {art.corpus_sha256[:12]}... differs from {ref}'s "
            f"{first.corpus_sha256[:12]}...; every seed must be trained on the same corpus, retrain"
        )
    if sorted(art.sources) != sorted(first.sources):
        raise InputError(
            f"{path}: sources {sorted(art.sources)} differ from {ref}'s {sorted(first.sources)}; "
            "every seed must hold out the same sources, retrain"
        )
    for name in RECIPE_FIELDS:
        mine, theirs = getattr(art, name), getattr(first, name)
        if _canonical(mine) != _canonical(theirs):
            raise InputError(
                f"{path}: recipe field '{name}' is {mine!r} but {ref} has {theirs!r}; "
                "every seed must use the same recipe, retrain with one recipe"
            )


def _check_same_targets(artefacts: list[LosoArtefact], folder: Path) -> None:
    first = artefacts[0]
    truth = {f.held_out: f.y_true for f in first.folds}
    for art in artefacts[1:]:
        for fold in art.folds:
            if fold.y_true != truth[fold.held_out]:
                raise InputError(
                    f"{folder / loso_filename(art.seed)}: fold '{fold.held_out}': y_true differs "
                    f"from {loso_filename(first.seed)}'s; the seeds did not score the same corpus "
                    "rows, retrain every seed from one corpus"
                )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
