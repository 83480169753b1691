"""Conformal interval methods for the ensemble, fitted on held-out sources (informational).

Every method here is one shape of interval a consumer can compute from the
members and a few constants alone: the ensemble predicts ``mean`` (of the
seeds) and ``spread`` (their population std); the frame falls in a *cell*
(a band of ``mean``, optionally crossed with a band of ``spread``); the
interval is ``mean ± half_width[cell]``, times ``max(spread, MIN_SPREAD)``
when the method is normalized. Methods differ in how ``half_width`` is
estimated from calibration sources (docs/CALIBRATION.md has the sources):

- ``frame``: the split-conformal quantile (the ceil((n+1)·level)-th
  smallest) of every calibration frame's score in the cell, pooled. Valid
  when frames are exchangeable, which frames of an unseen *source* are not.
- ``source``: treat sources as the exchangeable units (as LOSO does). Each
  calibration source with frames in the cell contributes its own
  level-quantile ``r_o``; the cell's half-width is a quantile of the K values
  ``r_o``: the plain one (``np.quantile``, linear), or the finite-sample rank
  ceil((K+1)·level) (capped at K: the largest), under which a new
  exchangeable source has ``P(its own level-quantile <= half_width) >=
  rank/(K+1)``, i.e. covers at least ``level`` of its frames with that
  probability.

A cell no calibration source reaches (or, for ``source``, fewer than
``MIN_SOURCES`` do) falls back to the same estimator over all frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

MIN_SPREAD = 1e-6  # VMAF points; below this the seeds agree to float noise
MIN_SOURCES = 2  # a source-level quantile needs at least two sources in the cell
MIN_CELL_FRAMES = 20  # a source's own quantile needs this many frames in the cell


@dataclass(frozen=True)
class Frames:
    """One source's held-out frames: truth and the ensemble's mean and spread, each [n]."""

    source: str
    y: np.ndarray
    mean: np.ndarray
    spread: np.ndarray

    @classmethod
    def from_seeds(cls, source: str, y: np.ndarray, preds: np.ndarray) -> Frames:
        """``preds``: [seeds, n] held-out predictions."""
        return cls(source, np.asarray(y, np.float64), preds.mean(axis=0), preds.std(axis=0))


@dataclass(frozen=True)
class Interval:
    """Fitted constants: everything a consumer needs besides the members."""

    level: float
    normalized: bool  # half-width is a multiple of the seeds' spread
    mean_edges: tuple[float, ...]  # band edges on the ensemble mean; () = one band
    spread_edges: tuple[float, ...]  # band edges on the spread; () = no second axis
    half_width: tuple[
        float, ...
    ]  # per cell, mean band major: cell = i_mean·(len(spread_edges)+1) + i_spread

    def cells(self, mean: np.ndarray, spread: np.ndarray) -> np.ndarray:
        i_mean = np.searchsorted(np.asarray(self.mean_edges), mean, side="right")
        i_spread = np.searchsorted(np.asarray(self.spread_edges), spread, side="right")
        return i_mean * (len(self.spread_edges) + 1) + i_spread

    def half(self, mean: np.ndarray, spread: np.ndarray) -> np.ndarray:
        half = np.asarray(self.half_width)[self.cells(mean, spread)]
        return half * np.maximum(spread, MIN_SPREAD) if self.normalized else half


def conformal_quantile(scores: np.ndarray, level: float) -> float | None:
    """The ceil((n+1)·level)-th smallest score; None when n is too small for ``level``."""
    n = int(scores.size)
    k = math.ceil((n + 1) * level - 1e-9)  # the epsilon keeps e.g. 20·0.95 = 19 exact
    if n == 0 or k > n:
        return None
    return float(np.partition(scores, k - 1)[k - 1])


def source_quantile(values: np.ndarray, level: float, rule: Literal["plain", "rank"]) -> float:
    """A quantile over K per-source values: linear (``plain``) or rank ceil((K+1)·level) <= K."""
    if rule == "plain":
        return float(np.quantile(values, level))
    k = min(math.ceil((values.size + 1) * level - 1e-9), values.size)
    return float(np.partition(values, k - 1)[k - 1])


@dataclass(frozen=True)
class Method:
    """One candidate: how its cells are drawn and how a cell's half-width is estimated."""

    name: str
    normalized: bool
    estimator: Literal["frame", "source", "profile"]
    rule: Literal["plain", "rank"] = "plain"  # across sources, for ``source``
    mean_edges: tuple[float, ...] = ()  # fixed band edges on the mean
    learned_mean_bands: int = 0  # >0: that many equal-count bands of the calibration means
    learned_spread_bands: int = 0  # >0: that many equal-count bands of the calibration spreads
    # A source's own quantile is taken at level - content_offset: the interval then aims at
    # "every source covers at least level - offset of its frames" rather than "level" exactly.
    content_offset: float = 0.0

    def fit(self, calibration: Sequence[Frames], level: float) -> Interval:
        mean = np.concatenate([f.mean for f in calibration])
        spread = np.concatenate([f.spread for f in calibration])
        mean_edges = self.mean_edges or _equal_count_edges(mean, self.learned_mean_bands)
        spread_edges = _equal_count_edges(spread, self.learned_spread_bands)
        shape = Interval(level, self.normalized, mean_edges, spread_edges, ())
        n_cells = (len(mean_edges) + 1) * (len(spread_edges) + 1)
        cells = [shape.cells(f.mean, f.spread) for f in calibration]
        scores = [self._scores(f) for f in calibration]
        if self.estimator == "profile":
            return self._fit_profile(shape, n_cells, cells, scores, level)
        everything = self._estimate(scores, level)
        if everything is None:
            raise ValueError(f"{self.name}: too few calibration frames for the {level:.0%} level")
        half = []
        for c in range(n_cells):
            value = self._estimate(
                [s[cell == c] for s, cell in zip(scores, cells, strict=True)], level
            )
            half.append(everything if value is None else value)
        return Interval(level, self.normalized, mean_edges, spread_edges, tuple(half))

    def _fit_profile(
        self,
        shape: Interval,
        n_cells: int,
        cells: list[np.ndarray],
        scores: list[np.ndarray],
        level: float,
    ) -> Interval:
        """Cell shape from pooled frames, one scale from sources: half = t · profile[cell].

        ``profile[cell]`` is the median score of the cell's calibration frames
        (pooled); each source's own level-quantile of ``score / profile`` is one
        value, and ``t`` is the source-level quantile of those values. A source's
        coverage is judged over all its frames, so ``t`` buys coverage where it
        is cheap instead of in every cell at once.
        """
        pooled_scores = np.concatenate(scores)
        pooled_cells = np.concatenate(cells)
        overall = float(np.median(pooled_scores))
        profile = np.array(
            [
                float(np.median(pooled_scores[pooled_cells == c]))
                if np.count_nonzero(pooled_cells == c) >= MIN_CELL_FRAMES
                else overall
                for c in range(n_cells)
            ]
        )
        profile = np.maximum(profile, 1e-9)
        ratios = [s / profile[c] for s, c in zip(scores, cells, strict=True)]
        content = level - self.content_offset
        per_source = [conformal_quantile(r, content) for r in ratios if r.size >= MIN_CELL_FRAMES]
        values = np.asarray([v for v in per_source if v is not None])
        if values.size < MIN_SOURCES:
            raise ValueError(f"{self.name}: fewer than {MIN_SOURCES} calibration sources")
        t = source_quantile(values, level, self.rule)
        half = tuple(float(t * p) for p in profile)
        return Interval(level, self.normalized, shape.mean_edges, shape.spread_edges, half)

    def _scores(self, f: Frames) -> np.ndarray:
        residual = np.abs(f.y - f.mean)
        return residual / np.maximum(f.spread, MIN_SPREAD) if self.normalized else residual

    def _estimate(self, scores: list[np.ndarray], level: float) -> float | None:
        if self.estimator == "frame":
            return conformal_quantile(np.concatenate(scores), level)
        content = level - self.content_offset
        per_source = [conformal_quantile(s, content) for s in scores if s.size >= MIN_CELL_FRAMES]
        values = np.asarray([v for v in per_source if v is not None])
        if values.size < MIN_SOURCES:
            return None
        return source_quantile(values, level, self.rule)


def _equal_count_edges(values: np.ndarray, bands: int) -> tuple[float, ...]:
    if bands <= 1:
        return ()
    edges = np.quantile(values, np.arange(1, bands) / bands)
    return tuple(float(e) for e in np.unique(edges))


@dataclass(frozen=True)
class SourceResult:
    source: str
    n: int
    coverage: float  # share of the source's frames inside their interval
    mean_width: float  # mean over its frames of the interval width (VMAF points)


def leave_one_source_out(
    method: Method, frames: Sequence[Frames], level: float
) -> tuple[SourceResult, ...]:
    """Each source judged by the interval fitted on the other sources only."""
    results = []
    for held_out in frames:
        interval = method.fit([f for f in frames if f is not held_out], level)
        half = interval.half(held_out.mean, held_out.spread)
        covered = np.abs(held_out.y - held_out.mean) <= half
        results.append(
            SourceResult(
                held_out.source,
                int(held_out.y.size),
                float(np.mean(covered)),
                float(np.mean(2.0 * half)),
            )
        )
    return tuple(results)


def pooled(results: Sequence[SourceResult]) -> tuple[float, float]:
    """(coverage, mean width) over every frame of every source."""
    n = sum(r.n for r in results)
    return (
        sum(r.n * r.coverage for r in results) / n,
        sum(r.n * r.mean_width for r in results) / n,
    )
