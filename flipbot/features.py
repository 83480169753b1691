"""The model's input vectors (SPEC §4). The order of every block is load-bearing:
libvmaf-side consumers build the same vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The "canonical-6" libvmaf features, in model input order.
FEATURE_ORDER: tuple[str, ...] = (
    "adm2",
    "vif_scale0",
    "vif_scale1",
    "vif_scale2",
    "vif_scale3",
    "motion2",
)

# Encoder vocabulary v2: 12 one-hot slots; anything else maps to "unknown".
ENCODER_VOCAB_VERSION = 2
ENCODER_VOCAB_V2: tuple[str, ...] = (
    "libx264",
    "libx265",
    "libsvtav1",
    "libvvenc",
    "libvpx-vp9",
    "h264_nvenc",
    "hevc_nvenc",
    "av1_nvenc",
    "h264_qsv",
    "hevc_qsv",
    "av1_qsv",
    "unknown",
)
# 12 encoder slots, then preset_norm, then crf_norm.
CODEC_BLOCK_LAYOUT: tuple[str, ...] = (
    *(f"encoder_onehot[{e}]" for e in ENCODER_VOCAB_V2),
    "preset_norm",
    "crf_norm",
)
NUM_CODECS = len(CODEC_BLOCK_LAYOUT)  # 14
PRESET_NORM = 0.5  # corpora record no preset
STD_FLOOR = 1e-8  # a feature with population std below this is scaled by 1


def encoder_slot(encoder: str) -> int:
    try:
        return ENCODER_VOCAB_V2.index(encoder)
    except ValueError:
        return ENCODER_VOCAB_V2.index("unknown")


def codec_block(
    encoders: Sequence[str], cq: np.ndarray, cq_min: float, cq_max: float
) -> np.ndarray:
    """[n, 14] float64: one-hot encoder, preset_norm, crf_norm over the corpus CQ range."""
    n = len(encoders)
    out = np.zeros((n, NUM_CODECS), dtype=np.float64)
    out[np.arange(n), [encoder_slot(e) for e in encoders]] = 1.0
    out[:, 12] = PRESET_NORM
    span = cq_max - cq_min
    out[:, 13] = 0.5 if span == 0 else (np.asarray(cq, dtype=np.float64) - cq_min) / span
    return out


@dataclass(frozen=True)
class Scaler:
    """Standardisation with the population std (ddof=0); std < 1e-8 becomes 1."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def fit(cls, x: np.ndarray) -> Scaler:
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std = np.where(std < STD_FLOOR, 1.0, std)
        return cls(tuple(float(v) for v in mean), tuple(float(v) for v in std))

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (x - np.asarray(self.mean)) / np.asarray(self.std)
