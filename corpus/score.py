"""Score an encode against its reference with libvmaf, one row per frame.

Frames pair by index, not by timestamp: ``-r 25`` goes before BOTH inputs, so
a 15 or 29.97 fps clip is not misaligned by ffmpeg's frame-rate matching.
The distorted input comes first and the reference second, as libvmaf expects.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from flipbot.errors import InputError

# row key -> libvmaf JSON metric name, read by name (never by position)
FEATURES: dict[str, str] = {
    "adm2": "integer_adm2",
    "vif_scale0": "integer_vif_scale0",
    "vif_scale1": "integer_vif_scale1",
    "vif_scale2": "integer_vif_scale2",
    "vif_scale3": "integer_vif_scale3",
    "motion2": "integer_motion2",
}
TARGET = "vmaf"
DECIMALS = 6  # libvmaf logs 6 decimals; rounding again keeps the text fixed


def vmaf_command(ffmpeg: str, distorted: Path, reference: Path, log_path: Path) -> list[str]:
    graph = f"[0:v][1:v]libvmaf=log_fmt=json:log_path={log_path}:n_threads=1"
    return [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
        "-r", "25", "-i", str(distorted),
        "-r", "25", "-i", str(reference),
        "-lavfi", graph, "-f", "null", "-",
    ]  # fmt: skip


def _number(metrics: dict[str, Any], name: str, where: str) -> float:
    if name not in metrics:
        raise InputError(f"{where}: libvmaf metric '{name}' is missing; check the libvmaf build")
    value = metrics[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{where}: libvmaf metric '{name}' is {value!r}, not a finite number")
    return round(float(value), DECIMALS)


def parse_vmaf_log(text: str, where: str) -> list[dict[str, float]]:
    """Per-frame {vmaf, adm2, vif_scale0..3, motion2} in frame order."""
    try:
        frames = json.loads(text)["frames"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{where}: not a libvmaf JSON log ({exc}); rerun the cell") from None
    out: list[dict[str, float]] = []
    for position, frame in enumerate(frames):
        if frame.get("frameNum") != position:
            raise InputError(f"{where}: frame {position} has frameNum {frame.get('frameNum')!r}")
        metrics = frame.get("metrics", {})
        row = {TARGET: _number(metrics, TARGET, f"{where} frame {position}")}
        for key, name in FEATURES.items():
            row[key] = _number(metrics, name, f"{where} frame {position}")
        out.append(row)
    return out


def check_frame_count(scored: int, reference: int, where: str) -> None:
    """libvmaf stops at the shorter input: fewer scored frames means a dropped
    or duplicated frame somewhere, so the rows would not describe the encode."""
    if scored != reference:
        raise InputError(
            f"{where}: libvmaf scored {scored} frames but the reference has {reference};"
            " the encode dropped or added frames, check the encoder flags"
        )
