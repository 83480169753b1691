"""Load and validate a per-frame corpus (SPEC §3): JSONL, plain or gzip.

One JSON object per line. Any defect is an InputError naming the file, the
line and the fix, raised before anything is written. Blank lines are skipped;
keys beyond the required ones are ignored.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes
from trainer.features import FEATURE_ORDER, codec_block

NUMBER_KEYS: tuple[str, ...] = ("cq", "vmaf", *FEATURE_ORDER)
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


def _decompress(path: Path, raw: bytes) -> bytes:
    if raw[:2] != GZIP_MAGIC and path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            f"{path}: not a readable gzip file ({exc}); recompress it with gzip or give the plain .jsonl"
        ) from None


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
    for key in NUMBER_KEYS:
        v = doc[key]
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"{where}: '{key}' must be a number, got {v!r}; fix the row")
        if not math.isfinite(v):
            raise InputError(
                f"{where}: '{key}' must be a finite number, got {v!r}; fix or drop the row"
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
    sha = sha256_bytes(raw)
    try:
        text = _decompress(p, raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{p}: not UTF-8 text (byte {exc.start}); write the corpus as UTF-8 JSONL"
        ) from None
    docs: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{p}:{lineno}"
        try:
            doc = json.loads(line, parse_constant=_reject_constant)
        except _NonFinite as exc:
            raise InputError(f"{where}: non-finite number {exc}; fix or drop the row") from None
        except ValueError as exc:
            raise InputError(
                f"{where}: not valid JSON ({exc}); write one JSON object per line"
            ) from None
        _check_row(doc, where)
        docs.append(doc)
    if not docs:
        raise InputError(
            f"{p}: the corpus is empty (no rows); build it with `python -m corpus.build`"
        )
    sources = sorted({d["src"] for d in docs})
    if len(sources) < 2:
        raise InputError(
            f"{p}:1-{lineno}: only {len(sources)} distinct source ({sources[0]!r}); "
            "LOSO needs rows from at least 2 sources"
        )
    return Corpus(
        path=str(path),
        sha256=sha,
        src=np.array([d["src"] for d in docs], dtype=object),
        encoder=np.array([d["encoder"] for d in docs], dtype=object),
        cq=np.array([d["cq"] for d in docs], dtype=np.float64),
        frame_index=np.array([d["frame_index"] for d in docs], dtype=np.int64),
        vmaf=np.array([d["vmaf"] for d in docs], dtype=np.float64),
        features=np.array([[d[k] for k in FEATURE_ORDER] for d in docs], dtype=np.float64),
    )
