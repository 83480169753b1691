"""Summary statistics of a score drift Δ = new − old (VMAF points), overall and by group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

JND_VMAF = 6.0  # ≈ one just-noticeable difference (docs/EXPORT.md names the source)
THRESHOLDS = (1.0, JND_VMAF)


@dataclass(frozen=True)
class DriftStats:
    n: int
    mean_delta: float  # mean of new - old
    mean_abs: float
    p95_abs: float
    max_abs: float
    share_over_1: float  # share of frames with |Δ| > 1 VMAF point
    share_over_jnd: float  # share of frames with |Δ| > JND_VMAF

    @classmethod
    def of(cls, delta: np.ndarray) -> DriftStats:
        a = np.abs(delta)
        return cls(
            n=int(delta.size),
            mean_delta=float(delta.mean()),
            mean_abs=float(a.mean()),
            p95_abs=float(np.percentile(a, 95)),
            max_abs=float(a.max()),
            share_over_1=float(np.mean(a > THRESHOLDS[0])),
            share_over_jnd=float(np.mean(a > THRESHOLDS[1])),
        )


@dataclass(frozen=True)
class Breakdown:
    overall: DriftStats
    by_source: dict[str, DriftStats]
    by_encoder: dict[str, DriftStats]

    @classmethod
    def of(cls, delta: np.ndarray, src: np.ndarray, encoder: np.ndarray) -> Breakdown:
        return cls(
            overall=DriftStats.of(delta),
            by_source={s: DriftStats.of(delta[src == s]) for s in sorted(set(src.tolist()))},
            by_encoder={
                e: DriftStats.of(delta[encoder == e]) for e in sorted(set(encoder.tolist()))
            },
        )
