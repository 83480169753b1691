"""Compare a loso file's stored held-out predictions with the audit's re-computed ones.

A fold passes when both hold (numbers and commands: docs/DESIGN.md, "Audit"):

- ``max |Δ| <= MAX_ABS_DIFF`` VMAF points over the fold's held-out rows, and
- ``|PLCC(stored) - PLCC(re-computed)| <= PLCC_DIFF`` against the fold's ``y_true``.

Honest differences measured on the shipped corpus (23,220 rows, 9 sources,
200 epochs): a fold re-trained alone, in a 5-fold stack, with 1 or 2
threads, equals the 45-model stack's prediction bit for bit on the fused C
kernels; the torch kernels (``FLIPBOT_CPU_KERNELS=torch``) differ by at most
1.07e-4 VMAF (RMS 2.0e-5) and 3.6e-9 in PLCC. The limits leave a margin of
about 470x and 2,800x for runners whose float rounding differs more (CUDA),
and still bound what a forger gains on an audited fold: 0.05 VMAF per row,
1e-5 of PLCC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from flipbot.errors import InputError
from flipbot.metrics import score

MAX_ABS_DIFF = 0.05  # VMAF points, per held-out row
PLCC_DIFF = 1e-5


@dataclass(frozen=True)
class FoldAudit:
    seed: int
    held_out: str
    max_abs_diff: float
    rms_diff: float
    plcc_diff: float

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= MAX_ABS_DIFF and self.plcc_diff <= PLCC_DIFF


def compare_fold(
    seed: int,
    held_out: str,
    y_true: Sequence[float],
    stored: Sequence[float],
    recomputed: Sequence[float],
) -> FoldAudit:
    truth, a, b = (np.asarray(v, dtype=np.float64) for v in (y_true, stored, recomputed))
    if not (a.shape == b.shape == truth.shape):
        raise ValueError("stored and re-computed predictions differ in length")
    diff = a - b
    p_stored, p_new = score(truth, a).plcc, score(truth, b).plcc
    plcc_diff = (
        abs(p_stored - p_new)
        if p_stored is not None and p_new is not None
        else (0.0 if p_stored is None and p_new is None else float("inf"))
    )
    return FoldAudit(
        seed,
        held_out,
        float(np.max(np.abs(diff))),
        float(np.sqrt(np.mean(diff**2))),
        float(plcc_diff),
    )


def check_fold(result: FoldAudit, where: str) -> None:
    """InputError naming the file and fold when the stored predictions are not the recipe's."""
    if not result.passed:
        raise InputError(
            f"{where}: fold {result.held_out!r} (seed {result.seed}): the stored held-out "
            f"predictions differ from the audit's re-training by max {result.max_abs_diff:.3g} "
            f"VMAF (limit {MAX_ABS_DIFF}) and {result.plcc_diff:.3g} in PLCC (limit {PLCC_DIFF}); "
            "they are not what the recipe gives on this corpus, retrain the seed with "
            "`python -m trainer loso` and this flipbot"
        )
