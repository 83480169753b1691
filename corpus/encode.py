"""Decode a source to its y4m reference and encode it per (encoder, CQ).

Every encoder runs single-threaded with fixed flags, so an encode is a pure
function of (reference, encoder, CQ, ffmpeg build): the corpus rebuilds
byte-identically, and two cells run side by side on two cores.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from flipbot.errors import InputError

MAX_FRAMES = 150
QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


@dataclass(frozen=True)
class Encoder:
    name: str  # ffmpeg encoder name, written into every row as `encoder`
    cqs: tuple[int, ...]  # the CQ/CRF values that span its quality range
    flags: tuple[str, ...]  # fixed flags; "{cq}" is replaced by the CQ

    def args(self, cq: int) -> list[str]:
        return ["-c:v", self.name, *(f.replace("{cq}", str(cq)) for f in self.flags)]


ENCODERS: tuple[Encoder, ...] = (
    Encoder(
        "libx264",
        (19, 25, 31, 37, 43),
        ("-preset", "medium", "-crf", "{cq}", "-threads", "1"),
    ),
    Encoder(
        "libx265",
        (19, 25, 31, 37, 43),
        (
            "-preset",
            "medium",
            "-crf",
            "{cq}",
            "-x265-params",
            "pools=none:frame-threads=1:log-level=error",
        ),
    ),
    Encoder(
        "libvpx-vp9",
        (20, 30, 40, 50, 60),
        # -b:v 0 makes -crf constant quality; cpu-used 4 keeps the build in minutes
        (
            "-crf",
            "{cq}",
            "-b:v",
            "0",
            "-deadline",
            "good",
            "-cpu-used",
            "4",
            "-threads",
            "1",
            "-row-mt",
            "0",
        ),
    ),
    Encoder(
        "libsvtav1",
        (20, 30, 40, 50, 60),
        ("-preset", "8", "-crf", "{cq}", "-svtav1-params", "lp=1"),
    ),
)


def run_ffmpeg(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-4:])
        raise InputError(
            f"{what}: ffmpeg exited {proc.returncode} ({tail}); command: {' '.join(cmd)};"
            " check the clip and that the ffmpeg build has this encoder/filter"
        )


def reference_command(ffmpeg: str, clip: Path, y4m: Path, max_frames: int) -> list[str]:
    """Decode once: first video stream, every decoded frame kept (no fps
    conversion), at most ``max_frames``, cropped to even width/height, yuv420p."""
    return [
        ffmpeg, *QUIET, "-i", str(clip), "-map", "0:v:0", "-an",
        "-fps_mode", "passthrough", "-frames:v", str(max_frames),
        "-vf", "crop=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p",
        "-f", "yuv4mpegpipe", str(y4m),
    ]  # fmt: skip


def encode_command(ffmpeg: str, y4m: Path, encoder: Encoder, cq: int, out: Path) -> list[str]:
    return [ffmpeg, *QUIET, "-i", str(y4m), "-an", *encoder.args(cq), str(out)]


def make_reference(ffmpeg: str, clip: Path, y4m: Path, max_frames: int) -> int:
    """Write the y4m reference (atomically) and return its frame count."""
    if not y4m.is_file():
        tmp = y4m.with_name(y4m.name + ".part.y4m")
        run_ffmpeg(reference_command(ffmpeg, clip, tmp, max_frames), f"decoding {clip}")
        tmp.replace(y4m)
    return count_y4m_frames(y4m)


def count_y4m_frames(y4m: Path) -> int:
    """Frames in a yuv420p y4m file, by walking its FRAME headers."""
    with open(y4m, "rb") as fh:
        header = fh.readline().split()
        if not header or header[0] != b"YUV4MPEG2":
            raise InputError(f"{y4m}: not a y4m file; delete it so it is decoded again")
        params = {tok[:1]: tok[1:] for tok in header[1:]}
        width, height = int(params[b"W"]), int(params[b"H"])
        chroma = params.get(b"C", b"420")
        if not chroma.startswith(b"420"):
            raise InputError(f"{y4m}: chroma {chroma.decode()} is not 4:2:0; delete it")
        frame_bytes = width * height * 3 // 2
        frames = 0
        while line := fh.readline():
            if not line.startswith(b"FRAME"):
                raise InputError(f"{y4m}: frame {frames} has no FRAME header; delete it")
            if len(fh.read(frame_bytes)) != frame_bytes:
                raise InputError(f"{y4m}: frame {frames} is truncated; delete it")
            frames += 1
    return frames
