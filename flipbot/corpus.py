"""Load and validate a per-frame corpus (SPEC §3): JSONL, plain or gzip.

One JSON object per line. Any defect is an InputError naming the file, the
line and the fix, raised before anything is written. Blank lines are skipped;
keys beyond the required ones are ignored. Torch-free: the trainer reads the
corpus from a path, the bot from the bytes of the base commit's blob.

Every number is bounded, not only finite: a value that fits a JSON number but
not the arrays (a 400-digit ``cq`` overflows float64, ``frame_index: 2**70``
overflows int64) or that poisons the scaler (``adm2: 1e308`` squares to inf,
so every standardised feature turns NaN and training fails at its end) is
refused at its line. The ranges are wide enough for any real libvmaf corpus:
- features: |x| <= 1e6. The canonical-6 are ratios in [0, ~1.1] and
  ``motion2`` a mean absolute pixel difference (<= 255 for 8-bit, <= 1023 for
  10-bit); the shipped corpus spans [0, 17.9]. 1e6 keeps the float64 sum of
  squares of a million rows far from overflow.
- ``vmaf``: [-100, 200]. libvmaf clips ``vmaf_v0.6.1`` to [0, 100] by default,
  unclipped scores stray a few points past either end; a full scale of slack
  on each side still refuses a wrong column (bitrates, frame sizes).
- ``cq``: [0, 255]. ffmpeg's CRF/CQ/QP options of every vocabulary encoder lie
  in 0..63; 255 is AV1's largest quantiser index.
- ``frame_index``: [0, 2**32 - 1], libvmaf's frame index is an unsigned 32-bit
  integer (and a day at 240 fps is 2.1e7 frames).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flipbot.errors import InputError
from flipbot.features import FEATURE_ORDER, codec_block
from flipbot.jsonfile import sha256_bytes

# key -> inclusive (low, high) bounds; see the module docstring for why.
FEATURE_BOUND = 1e6
NUMBER_BOUNDS: dict[str, tuple[float, float]] = {
    "cq": (0.0, 255.0),
    "vmaf": (-100.0, 200.0),
    **{k: (-FEATURE_BOUND, FEATURE_BOUND) for k in FEATURE_ORDER},
}
NUMBER_KEYS: tuple[str, ...] = tuple(NUMBER_BOUNDS)
FRAME_INDEX_MAX = 2**32 - 1
REQUIRED_KEYS: tuple[str, ...] = ("src", "encoder", "cq", "frame_index", "vmaf", *FEATURE_ORDER)
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, eq=False)
class Corpus:
    """A validated corpus as arrays, rows in file order."""

    path: str  # as given
    sha256: str  # of the file's bytes as stored (.jsonl or .jsonl.gz)
    src: np.ndarray  # [n] str: the source clip, the LOSO group key
    encoder: np.ndarray  # [n] str
    cq: np.ndarray  # [n] float64
    frame_index: np.ndarray  # [n] int64
    vmaf: np.ndarray  # [n] float64 target
    features: np.ndarray  # [n, 6] float64, canonical-6 in FEATURE_ORDER

    @property
    def rows(self) -> int:
        return int(self.vmaf.shape[0])

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct source names, sorted: the folds of a LOSO run."""
        return tuple(sorted(set(self.src.tolist())))

    @property
    def cq_min(self) -> float:
        return float(self.cq.min())

    @property
    def cq_max(self) -> float:
        return float(self.cq.max())

    def codec_block(self) -> np.ndarray:
        """[n, 14] codec block; crf_norm spans this corpus's CQ range (SPEC §4)."""
        return codec_block(self.encoder.tolist(), self.cq, self.cq_min, self.cq_max)

    def subset(self, rows: np.ndarray) -> Corpus:
        """The given rows (indices, in the given order), keeping path and sha256 for provenance."""
        return Corpus(
            self.path,
            self.sha256,
            self.src[rows],
            self.encoder[rows],
            self.cq[rows],
            self.frame_index[rows],
            self.vmaf[rows],
            self.features[rows],
        )


class _NonFinite(ValueError):
    pass


def _reject_constant(token: str) -> float:
    raise _NonFinite(token)


def _decompress(raw: bytes, where: str) -> bytes:
    if raw[:2] != GZIP_MAGIC and not where.endswith(".gz"):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            f"{where}: not a readable gzip file ({exc}); recompress it with gzip or give the plain .jsonl"
        ) from None


def _shown(v: int | float) -> str:
    """The value for a message: a huge integer by its length, not its 400 digits."""
    if isinstance(v, int) and abs(v) >= 10**16:
        return f"a {len(str(abs(v)))}-digit integer"
    return repr(v)


def _check_row(doc: Any, where: str) -> None:
    if not isinstance(doc, dict):
        raise InputError(
            f"{where}: expected a JSON object, got {type(doc).__name__}; write one object per line"
        )
    for key in REQUIRED_KEYS:
        if key not in doc:
            raise InputError(
                f"{where}: key '{key}' is missing; every row needs {', '.join(REQUIRED_KEYS)}"
            )
    for key in ("src", "encoder"):
        if not isinstance(doc[key], str) or not doc[key]:
            raise InputError(
                f"{where}: '{key}' must be a non-empty string, got {doc[key]!r}; fix the row"
            )
    fi = doc["frame_index"]
    if isinstance(fi, bool) or not isinstance(fi, int):
        raise InputError(f"{where}: 'frame_index' must be an integer, got {fi!r}; fix the row")
    if not 0 <= fi <= FRAME_INDEX_MAX:
        raise InputError(
            f"{where}: 'frame_index' is {_shown(fi)}, outside [0, {FRAME_INDEX_MAX}] "
            "(libvmaf's unsigned 32-bit frame index); fix or drop the row"
        )
    for key, (low, high) in NUMBER_BOUNDS.items():
        v = doc[key]
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"{where}: '{key}' must be a number, got {v!r}; fix the row")
        # isfinite() on a huge int raises OverflowError: only floats can be inf or NaN
        if isinstance(v, float) and not math.isfinite(v):
            raise InputError(
                f"{where}: '{key}' must be a finite number, got {v!r}; fix or drop the row"
            )
        if not low <= v <= high:  # exact for ints of any size: no float conversion
            raise InputError(
                f"{where}: '{key}' is {_shown(v)}, outside the sane range [{low:g}, {high:g}]; "
                "fix or drop the row (a wrong column or unit?)"
            )


def load_corpus(path: str | Path) -> Corpus:
    """Read, validate and return the corpus at ``path`` (``.jsonl`` or ``.jsonl.gz``)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: corpus file not found; check --corpus") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read the corpus ({exc.strerror}); check --corpus") from None
    return dataclasses.replace(load_corpus_bytes(raw, str(p)), path=str(path))


def load_corpus_bytes(data: bytes, where: str) -> Corpus:
    """Validate and return the corpus held in ``data`` (plain or gzip JSONL bytes).

    ``where`` names the bytes in every message and becomes ``Corpus.path``, e.g.
    ``corpus/flipbot_corpus_v1.jsonl.gz@<base sha>`` for a blob read through the API;
    a name ending in ``.gz`` or gzip's magic bytes means gzip.
    """
    sha = sha256_bytes(data)
    try:
        text = _decompress(data, where).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not UTF-8 text (byte {exc.start}); write the corpus as UTF-8 JSONL"
        ) from None
    docs: list[dict[str, Any]] = []
    lineno = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        here = f"{where}:{lineno}"
        try:
            doc = json.loads(line, parse_constant=_reject_constant)
        except _NonFinite as exc:
            raise InputError(f"{here}: non-finite number {exc}; fix or drop the row") from None
        except ValueError as exc:
            raise InputError(
                f"{here}: not valid JSON ({exc}); write one JSON object per line"
            ) from None
        _check_row(doc, here)
        docs.append(doc)
    if not docs:
        raise InputError(
            f"{where}: the corpus is empty (no rows); build it with `python -m corpus.build`"
        )
    sources = sorted({d["src"] for d in docs})
    if len(sources) < 2:
        raise InputError(
            f"{where}:1-{lineno}: only {len(sources)} distinct source ({sources[0]!r}); "
            "LOSO needs rows from at least 2 sources"
        )
    return Corpus(
        path=where,
        sha256=sha,
        src=np.array([d["src"] for d in docs], dtype=object),
        encoder=np.array([d["encoder"] for d in docs], dtype=object),
        cq=np.array([d["cq"] for d in docs], dtype=np.float64),
        frame_index=np.array([d["frame_index"] for d in docs], dtype=np.int64),
        vmaf=np.array([d["vmaf"] for d in docs], dtype=np.float64),
        features=np.array([[d[k] for k in FEATURE_ORDER] for d in docs], dtype=np.float64),
    )
