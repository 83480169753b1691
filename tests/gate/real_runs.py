"""Real training runs on a slice of the shipped corpus, for tests/gate/test_real_failures.py.

The slice: four sources of the shipped corpus (alea, bikes, carphone, tree),
every 5th frame of every encode, 1,960 rows. Three seeds of four folds train
in about 3 s at 80 epochs on one core and PROMOTE there with a wide margin
(mean PLCC about 0.99), so a HOLD on a broken copy of the slice is the
breakage's doing, not the slice's.

Each helper runs the real command (``python -m trainer loso``,
``python -m gate``) in-process through its ``main(argv)``.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flipbot.verdict_file import Verdict, find_verdict
from gate.__main__ import main as gate_main

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "corpus" / "flipbot_corpus_v1.jsonl.gz"
SLICE_SOURCES = ("alea", "bikes", "carphone", "tree")
STRIDE = 5
SEEDS = (0, 1, 2)
HEALTHY_EPOCHS = 80

Row = dict[str, Any]


@functools.cache
def _slice_lines() -> tuple[str, ...]:
    with gzip.open(SHIPPED, "rt", encoding="utf-8") as fh:
        return tuple(
            line
            for line in fh
            if (doc := json.loads(line))["src"] in SLICE_SOURCES
            and doc["frame_index"] % STRIDE == 0
        )


def slice_rows() -> list[Row]:
    """A fresh copy of the slice's rows, in corpus order."""
    return [json.loads(line) for line in _slice_lines()]


def write_corpus(path: Path, rows: Sequence[Row]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def shuffle_targets(rows: list[Row], seed: int = 0) -> list[Row]:
    """Each source's VMAF values permuted across its own rows: the features no longer explain them."""
    rng = np.random.default_rng(seed)
    out = [dict(r) for r in rows]
    for source in SLICE_SOURCES:
        idx = [i for i, r in enumerate(out) if r["src"] == source]
        vmaf = [out[i]["vmaf"] for i in idx]
        for i, j in zip(idx, rng.permutation(len(idx)), strict=True):
            out[i]["vmaf"] = vmaf[j]
    return out


def corrupt_source(rows: list[Row], source: str, change: Callable[[Row], None]) -> list[Row]:
    """Apply ``change`` to every row of ``source`` only."""
    out = [dict(r) for r in rows]
    for r in out:
        if r["src"] == source:
            change(r)
    return out


def with_twin(rows: list[Row], source: str, twin: str) -> list[Row]:
    """The corpus plus every row of ``source`` again under the name ``twin``."""
    return [dict(r) for r in rows] + [dict(r, src=twin) for r in rows if r["src"] == source]


def train(
    corpus: Path,
    out: Path,
    *,
    epochs: int,
    seeds: Sequence[int] = SEEDS,
    lr_factor: Mapping[int, float] | None = None,
) -> Path:
    """``python -m trainer loso`` on one CPU worker; with ``lr_factor`` the trainer API's test knob."""
    if lr_factor is None:
        from trainer.__main__ import main as trainer_main

        code = trainer_main(
            [
                "loso",
                "--corpus", str(corpus),
                "--seeds", ",".join(map(str, seeds)),
                "--out-dir", str(out),
                "--epochs", str(epochs),
                "--device", "cpu",
                "--threads", "1",
            ]
        )  # fmt: skip
        assert code == 0, f"trainer loso exited {code}"
        return out
    import torch

    from flipbot.corpus import load_corpus
    from trainer.loso import run_loso
    from trainer.recipe import Recipe

    torch.set_num_threads(1)
    artefacts = run_loso(
        load_corpus(corpus),
        list(seeds),
        Recipe(epochs=epochs),
        torch.device("cpu"),
        lr_factor=lr_factor,
    )
    out.mkdir(parents=True, exist_ok=True)
    for a in artefacts:
        a.write(out)
    return out


@dataclass(frozen=True)
class GateRun:
    code: int
    verdict: Verdict
    console: str  # what `python -m gate` printed
    summary: str  # the Markdown it appended to --summary

    def failing_rules(self) -> set[str]:
        return {r.name for r in self.verdict.rules if not r.passed}

    def source_plcc(self) -> dict[str, float | None]:
        return {r.source: r.ensemble_plcc for r in self.verdict.per_source}


def gate(loso_dir: Path, seeds: Sequence[int] = SEEDS, *extra: str) -> GateRun:
    """``python -m gate LOSO_DIR --seeds ... --summary ...``: exit code, verdict and reports."""
    summary = loso_dir / "summary.md"
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        code = gate_main(
            [str(loso_dir), "--seeds", ",".join(map(str, seeds)), "--summary", str(summary), *extra]
        )
    verdict = Verdict.read(find_verdict(loso_dir))
    return GateRun(code, verdict, console.getvalue(), summary.read_text(encoding="utf-8"))
