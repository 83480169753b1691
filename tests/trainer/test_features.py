"""The input vectors (SPEC §4): block order, vocabulary, crf_norm, preset_norm, scaler floor."""

from __future__ import annotations

import numpy as np

from flipbot.features import (
    CODEC_BLOCK_LAYOUT,
    ENCODER_VOCAB_V2,
    FEATURE_ORDER,
    NUM_CODECS,
    Scaler,
    codec_block,
)
from trainer.model import FrRegressor, n_parameters


def test_feature_and_vocabulary_order_is_exactly_the_spec_order() -> None:
    assert FEATURE_ORDER == (
        "adm2",
        "vif_scale0",
        "vif_scale1",
        "vif_scale2",
        "vif_scale3",
        "motion2",
    )
    assert ENCODER_VOCAB_V2 == (
        "libx264", "libx265", "libsvtav1", "libvvenc", "libvpx-vp9", "h264_nvenc",
        "hevc_nvenc", "av1_nvenc", "h264_qsv", "hevc_qsv", "av1_qsv", "unknown",
    )  # fmt: skip
    assert NUM_CODECS == 14
    assert CODEC_BLOCK_LAYOUT[-2:] == ("preset_norm", "crf_norm")


def test_codec_block_one_hot_slots_unknown_encoder_preset_and_crf_norm() -> None:
    block = codec_block(
        ["libx264", "av1_qsv", "libaom-av1", "h264_nvenc"], np.array([19.0, 25, 31, 37]), 19.0, 37.0
    )
    assert block.shape == (4, 14)
    assert block[0, 0] == 1 and block[1, 10] == 1 and block[2, 11] == 1 and block[3, 5] == 1
    np.testing.assert_array_equal(block[:, :12].sum(axis=1), [1, 1, 1, 1])
    np.testing.assert_array_equal(block[:, 12], [0.5] * 4)
    np.testing.assert_allclose(block[:, 13], [0.0, 1 / 3, 2 / 3, 1.0])


def test_crf_norm_is_one_half_when_every_cq_is_equal() -> None:
    block = codec_block(["libx265"] * 3, np.array([31.0, 31.0, 31.0]), 31.0, 31.0)
    np.testing.assert_array_equal(block[:, 13], [0.5, 0.5, 0.5])


def test_scaler_uses_population_std_and_floors_a_constant_column_to_one() -> None:
    x = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0 + 1e-12]])
    s = Scaler.fit(x)
    assert s.mean[0] == 3.0
    assert s.std[0] == np.sqrt(8 / 3)  # ddof=0: sqrt(((1-3)^2 + 0 + (5-3)^2) / 3)
    assert s.std[1] == 1.0  # std below 1e-8 becomes 1
    np.testing.assert_allclose(s.apply(x)[:, 0], [-2 / np.sqrt(8 / 3), 0, 2 / np.sqrt(8 / 3)])


def test_network_has_5569_parameters() -> None:
    assert n_parameters(FrRegressor()) == 5569
