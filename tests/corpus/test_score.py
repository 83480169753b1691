"""libvmaf JSON parsing (by name) and the scored-vs-reference frame check."""

from __future__ import annotations

import json
import math

import pytest

from corpus.score import FEATURES, check_frame_count, parse_vmaf_log
from flipbot.errors import InputError


def frame(num: int, **metrics: float) -> dict[str, object]:
    return {"frameNum": num, "metrics": metrics}


FULL = {
    "integer_motion2": 3.5,
    "integer_vif_scale3": 0.93,
    "integer_adm2": 0.97,
    "vmaf": 88.1234567,
    "integer_vif_scale0": 0.61,
    "integer_adm3": 0.5,  # not one of the six: ignored
    "integer_vif_scale2": 0.92,
    "integer_vif_scale1": 0.91,
    "integer_motion3": 9.9,  # a neighbour of motion2: must not be picked instead
}


def log_text(*frames: dict[str, object]) -> str:
    return json.dumps({"version": "x", "frames": list(frames), "pooled_metrics": {}})


def test_metrics_are_read_by_name_whatever_their_order() -> None:
    shuffled = dict(reversed(list(FULL.items())))
    rows = parse_vmaf_log(log_text(frame(0, **FULL), frame(1, **shuffled)), "w")
    expected = {
        "vmaf": 88.123457,
        "adm2": 0.97,
        "vif_scale0": 0.61,
        "vif_scale1": 0.91,
        "vif_scale2": 0.92,
        "vif_scale3": 0.93,
        "motion2": 3.5,
    }
    assert rows == [expected, expected]
    assert list(rows[0]) == ["vmaf", *FEATURES]


def test_missing_feature_is_an_error_naming_metric_and_frame() -> None:
    partial = {k: v for k, v in FULL.items() if k != "integer_vif_scale2"}
    with pytest.raises(InputError, match=r"cellX frame 1: .*'integer_vif_scale2' is missing"):
        parse_vmaf_log(log_text(frame(0, **FULL), frame(1, **partial)), "cellX")


@pytest.mark.parametrize("bad", [math.nan, math.inf, "12", None, True])
def test_non_finite_or_non_numeric_metric_is_an_error(bad: object) -> None:
    metrics: dict[str, object] = {**FULL, "vmaf": bad}
    text = json.dumps({"frames": [{"frameNum": 0, "metrics": metrics}]})
    with pytest.raises(InputError, match="'vmaf'"):
        parse_vmaf_log(text, "w")


def test_frames_out_of_order_are_an_error() -> None:
    with pytest.raises(InputError, match="frame 1 has frameNum 2"):
        parse_vmaf_log(log_text(frame(0, **FULL), frame(2, **FULL)), "w")


def test_text_that_is_not_a_libvmaf_log_is_an_error() -> None:
    with pytest.raises(InputError, match="not a libvmaf JSON log"):
        parse_vmaf_log("<xml/>", "w")
    with pytest.raises(InputError, match="not a libvmaf JSON log"):
        parse_vmaf_log('{"pooled_metrics": {}}', "w")


def test_frame_count_check_accepts_equal_counts_only() -> None:
    check_frame_count(150, 150, "c")
    with pytest.raises(InputError, match="scored 149 frames but the reference has 150"):
        check_frame_count(149, 150, "c")
    with pytest.raises(InputError, match="scored 151 frames"):
        check_frame_count(151, 150, "c")
