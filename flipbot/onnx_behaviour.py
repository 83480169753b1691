"""What the shipped ONNX members do on the pinned corpus, checked without torch.

The static contract (``flipbot.onnx_contract``) says a file has the right
shape; it cannot tell trained weights from random or sabotaged ones. Here
onnxruntime runs every member on one fixed, seeded sample of corpus rows,
with the inputs built exactly as export built them (SPEC §4): the features
standardised with the member's own scaler, which must be the whole corpus's
scaler, and the codec block over the whole corpus's CQ range. Then:

- each member's in-sample PLCC against ``vmaf`` clears ``per_seed_min``, and its
  miscalibration stays under ``Bounds.max_miscalibration``: PLCC alone cannot see
  a sabotage that rescales or shifts the output (it is invariant under
  y -> a*y + b), so the RMSE a rescale or shift adds on top of the best affine
  fit is bounded too;
- the members agree: every pair's PLCC of predictions is at least
  ``Bounds.min_pairwise_plcc`` and their mean |difference| at most
  ``Bounds.max_mean_abs_diff``;
- no two members are the same bytes (one model copied under two seeds), and
  no session (build and run) lasts past ``RUN_SECONDS_MAX`` or takes more
  memory or CPU time than ``flipbot.onnx_limits.Limits``: each runs in a child
  process (an allowlisted Loop can spin forever, an Expand can ask for terabytes).

The bounds come from real exports of the shipped corpus (23,220 rows, seeds
0-4, the 2,000-row sample of sample_seed 0), measured on 2026-12-02:

| recipe     | PLCC vs vmaf      | RMSE      | miscalibration | min pair PLCC | max mean abs diff |
|------------|-------------------|-----------|----------------|---------------|-------------------|
| 20 epochs  | 0.99935 - 0.99967 | 0.61-0.83 | 0.24-0.71      | 0.99956       | 1.03              |
| 200 epochs | 0.99959 - 0.99984 | 1.03-1.37 | 0.99-1.31      | 0.99968       | 0.38              |

(VMAF points; sample seeds 1-3 and the whole corpus move them by < 0.0003 PLCC,
< 0.08 RMSE, < 0.02 diff). The honest miscalibration is mostly an offset the
fit leaves in-sample (mean bias +0.45..+0.70 VMAF at 200 epochs).
Sabotage of one member on the same rows: random weights PLCC 0.60 / -0.72 and
miscalibration 85-99; output x0.5: 42.6; output +5: 5.7; +15: 15.7; output
negated: 121; mean and std swapped: PLCC 0.53, mean |diff| 16 vs a member;
last layer zeroed: constant, no PLCC. Hence 4.0 VMAF of miscalibration (3x
the worst honest value; a shift of every member by less than ~3.5 points
passes), pair PLCC 0.99 (1 - r is 20x the worst honest) and 3.0 VMAF mean
|diff| (3x the 20-epoch value). Run time for 5 members: 0.2-0.4 s on a busy
2-core machine, the static contract included; loading the corpus takes ~1.6 s.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from flipbot import onnx_limits
from flipbot.corpus import Corpus
from flipbot.errors import InputError
from flipbot.features import FEATURE_ORDER, Scaler, codec_block
from flipbot.metrics import score
from flipbot.onnx_contract import INPUT_CODEC, INPUT_FEATURES, OUTPUT_SCORE, checked_model
from flipbot.onnx_limits import Limits, ModelRunError, run_bounded_all

SAMPLE_ROWS = 2000
# The member's scaler must be the whole corpus's (SPEC §4); the exporter computed it with
# numpy in float64 on another machine, so allow summation-order noise, nothing more.
SCALER_RTOL = 1e-9
# A member runs 2,000 rows in about 10 ms (the one child process that runs them all starts
# in 0.3-0.6 s); an allowlisted Loop can be told to run 1e12 times, so the child is killed
# after this many seconds, session builds included (the bot job must not hang).
RUN_SECONDS_MAX = 30.0


@dataclass(frozen=True)
class Bounds:
    """How far trained members may stray; the measured values are in the module docstring."""

    # sqrt(RMSE^2 - the RMSE of the best affine map of the predictions onto vmaf), VMAF
    # points: the error a rescale or shift of the output adds
    max_miscalibration: float = 4.0
    min_pairwise_plcc: float = 0.99  # PLCC of two members' predictions
    max_mean_abs_diff: float = 3.0  # VMAF points, mean |difference| of two members' predictions


@dataclass(frozen=True)
class Member:
    seed: int
    onnx: bytes
    feature_mean: tuple[float, ...]  # the sidecar's scaler, in FEATURE_ORDER
    feature_std: tuple[float, ...]
    where: str  # names the member in messages, e.g. the ONNX path in the artifacts


@dataclass(frozen=True)
class Behaviour:
    n_rows: int  # rows of the sample every member ran on
    plcc_by_seed: dict[int, float]  # in-sample PLCC of predictions vs vmaf
    min_pairwise_plcc: float  # 1.0 for a single member
    max_mean_abs_diff: float  # VMAF points; 0.0 for a single member
    rmse_by_seed: dict[int, float]  # in-sample RMSE, VMAF points
    miscalibration_by_seed: dict[int, float]  # VMAF points, see Bounds


def check_behaviour(
    members: Sequence[Member],
    corpus: Corpus,
    *,
    per_seed_min: float,
    sample: int = SAMPLE_ROWS,
    sample_seed: int = 0,
    bounds: Bounds = Bounds(),
) -> Behaviour:
    """Run every member on the same corpus sample; raise ``InputError`` naming the one that fails."""
    if not members:
        raise InputError("onnx behaviour: no members to check; export at least one seed")
    _check_distinct(members)
    rows = sample_rows(corpus.rows, sample, sample_seed)
    raw = corpus.features[rows]  # [n, 6] float64
    codec = codec_block(
        corpus.encoder[rows].tolist(), corpus.cq[rows], corpus.cq_min, corpus.cq_max
    )
    codec32 = np.ascontiguousarray(codec, dtype=np.float32)  # [n, 14]
    y = np.asarray(corpus.vmaf[rows], dtype=np.float64)  # [n]
    corpus_scaler = Scaler.fit(corpus.features)

    preds: dict[int, np.ndarray] = {}
    plcc: dict[int, float] = {}
    rmse: dict[int, float] = {}
    miscal: dict[int, float] = {}
    features = [
        np.ascontiguousarray(_member_scaler(m, corpus_scaler, corpus.path).apply(raw), np.float32)
        for m in members
    ]
    for m, pred in zip(members, run_members(members, features, codec32), strict=True):
        s = score(y, pred)
        if s.plcc is None:
            raise InputError(
                f"{m.where}: seed {m.seed} has no PLCC on {y.size} corpus rows ({s.undefined_reason}); "
                "these are not trained weights: re-export the seed"
            )
        if not s.plcc >= per_seed_min:
            raise InputError(
                f"{m.where}: seed {m.seed} scores in-sample PLCC {s.plcc:.5f} against vmaf on "
                f"{y.size} corpus rows, below the per-seed minimum {per_seed_min}; these are not "
                "the weights the gate judged: re-export the seed"
            )
        # the best affine map of pred onto y leaves std(y) * sqrt(1 - r^2) of RMSE; pred itself
        # is one affine map of pred, so what it adds on top is miscalibration (>= 0 up to rounding)
        best = float(np.std(y)) * math.sqrt(max(1.0 - s.plcc**2, 0.0))
        off = math.sqrt(max(s.rmse**2 - best**2, 0.0))
        if not off <= bounds.max_miscalibration:
            raise InputError(
                f"{m.where}: seed {m.seed} is {s.rmse:.3g} VMAF points RMSE from vmaf on {y.size} "
                f"corpus rows, {off:.3g} of them from a rescaled or shifted output (limit "
                f"{bounds.max_miscalibration}); these are not the weights the gate judged: "
                "re-export the seed"
            )
        preds[m.seed], plcc[m.seed], rmse[m.seed], miscal[m.seed] = pred, s.plcc, s.rmse, off

    min_pair, max_diff = 1.0, 0.0
    for (a, pa), (b, pb) in itertools.combinations(preds.items(), 2):
        pair = float(np.corrcoef(pa, pb)[0, 1])
        diff = float(np.mean(np.abs(pa - pb)))
        if not (pair >= bounds.min_pairwise_plcc and diff <= bounds.max_mean_abs_diff):
            raise InputError(
                f"{_where(members, a)} and {_where(members, b)}: seeds {a} and {b} disagree on "
                f"{y.size} corpus rows (PLCC of their predictions {pair:.5f}, limit "
                f"{bounds.min_pairwise_plcc}; mean |difference| {diff:.3g} VMAF, limit "
                f"{bounds.max_mean_abs_diff}); "
                "members of one ensemble trained with one recipe agree: re-export them"
            )
        min_pair, max_diff = min(min_pair, pair), max(max_diff, diff)
    return Behaviour(int(y.size), plcc, min_pair, max_diff, rmse, miscal)


def sample_rows(n_rows: int, sample: int, sample_seed: int) -> np.ndarray:
    """``sample`` distinct row indices of ``n_rows``, sorted, the same for the same arguments."""
    if sample >= n_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(sample_seed)
    return np.sort(rng.choice(n_rows, size=sample, replace=False))


def run_member(
    member: Member,
    features: np.ndarray,
    codec: np.ndarray,
    *,
    seconds_max: float | None = None,
    limits: Limits | None = None,
) -> np.ndarray:
    """The member's ``score`` for float32 [n, 6] and [n, 14] inputs, as float64 [n]."""
    return run_members([member], [features], codec, seconds_max=seconds_max, limits=limits)[0]


def run_members(
    members: Sequence[Member],
    features: Sequence[np.ndarray],
    codec: np.ndarray,
    *,
    seconds_max: float | None = None,
    limits: Limits | None = None,
) -> list[np.ndarray]:
    """Each member's ``score`` on its own float32 [n, 6] features and the [n, 14] codec block.

    The sessions are built and run in one child process under ``limits`` (memory, CPU time)
    and ``seconds_max`` of wall-clock time for all of them, session builds included
    (``flipbot.onnx_limits``); both default to the module's values at call time."""
    for m in members:
        checked_model(m.onnx, m.where)  # never hand onnxruntime an unchecked graph
    seconds = RUN_SECONDS_MAX if seconds_max is None else seconds_max
    jobs = [
        (m.onnx, {INPUT_FEATURES: f, INPUT_CODEC: codec})
        for m, f in zip(members, features, strict=True)
    ]
    try:
        runs = run_bounded_all(
            jobs,
            [OUTPUT_SCORE],
            replace(limits or onnx_limits.DEFAULT_LIMITS, wall_seconds=seconds),
        )
    except ModelRunError as exc:
        m = members[exc.index]
        raise InputError(
            f"{m.where}: onnxruntime cannot run seed {m.seed} ({exc.reason}); re-export the seed"
        ) from None
    return [
        _score(m, r.outputs[0], f.shape[0]) for m, r, f in zip(members, runs, features, strict=True)
    ]


def _score(member: Member, out: np.ndarray, n: int) -> np.ndarray:
    if not isinstance(out, np.ndarray) or out.shape != (n,) or out.dtype != np.float32:
        shape = getattr(out, "shape", type(out).__name__)
        raise InputError(
            f"{member.where}: seed {member.seed} outputs {shape} {getattr(out, 'dtype', '')} for "
            f"{n} rows, expected float32 ({n},) (SPEC §7); re-export the seed"
        )
    if not np.isfinite(out).all():
        bad = int(np.count_nonzero(~np.isfinite(out)))
        raise InputError(
            f"{member.where}: seed {member.seed} outputs NaN or inf for {bad} of {n} corpus rows; "
            "re-export the seed"
        )
    return out.astype(np.float64)


def _member_scaler(m: Member, corpus_scaler: Scaler, corpus_where: str) -> Scaler:
    k = len(FEATURE_ORDER)
    for name, values in (("feature_mean", m.feature_mean), ("feature_std", m.feature_std)):
        ok = len(values) == k and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in values
        )
        if not ok:
            raise InputError(
                f"{m.where}: seed {m.seed} {name} must be {k} finite numbers, got {list(values)[:8]!r}; "
                "re-export the seed"
            )
    if not all(v > 0 for v in m.feature_std):
        raise InputError(
            f"{m.where}: seed {m.seed} feature_std {list(m.feature_std)} has a value <= 0; re-export"
        )
    for name, have, want in (
        ("feature_mean", m.feature_mean, corpus_scaler.mean),
        ("feature_std", m.feature_std, corpus_scaler.std),
    ):
        if not np.allclose(have, want, rtol=SCALER_RTOL, atol=0.0):
            raise InputError(
                f"{m.where}: seed {m.seed} {name} {list(have)} is not the scaler of {corpus_where} "
                f"({list(want)}); the production fit standardises with the whole corpus (SPEC §4): "
                "re-export the seed"
            )
    return Scaler(tuple(float(v) for v in m.feature_mean), tuple(float(v) for v in m.feature_std))


def _check_distinct(members: Sequence[Member]) -> None:
    seen: dict[int, str] = {}
    by_bytes: dict[bytes, Member] = {}
    for m in members:
        if m.seed in seen:
            raise InputError(f"{m.where}: seed {m.seed} is also {seen[m.seed]}; one file per seed")
        seen[m.seed] = m.where
        other = by_bytes.get(m.onnx)
        if other is not None:
            raise InputError(
                f"{m.where}: seed {m.seed} is byte for byte {other.where} (seed {other.seed}); "
                "every seed trains its own weights: re-export them"
            )
        by_bytes[m.onnx] = m


def _where(members: Sequence[Member], seed: int) -> str:
    return next(m.where for m in members if m.seed == seed)
