"""A deterministic synthetic corpus of the shipped corpus's shape, for tests and the bench.

Nine sources of unequal size (so LOSO folds have different training sizes,
as in real corpora), four encoders, five CQs each. Each source has its own
content (texture, motion, noise), the canonical-6 features fall as CQ rises,
and the VMAF target is a smooth function of them plus a per-source bias and
frame noise, clipped to [0, 100] like libvmaf's score. It exercises the
code paths; it says nothing about real-world accuracy.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np

from flipbot.features import FEATURE_ORDER
from flipbot.jsonfile import sha256_file

SOURCES: tuple[str, ...] = (
    "bikes",
    "bigbuckbunny",
    "carphone",
    "city",
    "world",
    "vtest",
    "tree",
    "alea",
    "anim",
)
ENCODER_CQS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("libx264", (19, 25, 31, 37, 43)),
    ("libx265", (19, 25, 31, 37, 43)),
    ("libvpx-vp9", (20, 30, 40, 50, 60)),
    ("libsvtav1", (20, 30, 40, 50, 60)),
)


def synthetic_rows(n_rows: int = 5640, n_sources: int = 9, seed: int = 0) -> list[dict[str, Any]]:
    """``n_rows`` corpus rows over ``n_sources`` sources, the same for the same arguments."""
    if not 2 <= n_sources <= len(SOURCES) or n_rows < 2 * n_sources:
        raise ValueError(f"synthetic_rows: need 2..{len(SOURCES)} sources and >= 2 rows per source")
    rng = np.random.default_rng(seed)
    weights = np.linspace(0.7, 1.3, n_sources)
    sizes = np.floor(weights / weights.sum() * n_rows).astype(int)
    sizes[: n_rows - sizes.sum()] += 1
    # (encoder, cq, encoder efficiency 0..1, quality level 0..1 within the encoder's CQ range)
    combos = [
        (enc, cq, i / 3.0, (cq - cqs[0]) / (cqs[-1] - cqs[0]))
        for i, (enc, cqs) in enumerate(ENCODER_CQS)
        for cq in cqs
    ]
    rows: list[dict[str, Any]] = []
    for s, size in enumerate(sizes):
        texture, motion, bias = rng.uniform(0.2, 1.0), rng.uniform(0.0, 20.0), rng.normal(0.0, 2.0)
        for i in range(size):
            enc, cq, enc_eff, level = combos[i % len(combos)]
            frame = i // len(combos)
            wobble = 0.05 * np.sin(frame / 7.0 + s)
            # quality 0..1: falls with the CQ level, harder for textured content
            q = 1.0 / (
                1.0 + np.exp(5.0 * (level - 0.6 + 0.1 * enc_eff) + texture * (1 + wobble) - 2.0)
            )
            vif = [
                float(np.clip(q ** (1.0 + 0.6 * k) + rng.normal(0, 0.01), 0.0, 1.0))
                for k in range(4)
            ]
            adm2 = float(np.clip(0.55 + 0.45 * q + rng.normal(0, 0.008), 0.0, 1.0))
            motion2 = float(max(0.0, motion * (1 + wobble) + rng.normal(0, 0.5)))
            vmaf = 100.0 * (0.6 * (adm2 - 0.55) / 0.45 + 0.4 * float(np.mean(vif))) - 0.1 * motion2
            vmaf = float(np.clip(vmaf + bias + rng.normal(0, 1.0), 0.0, 100.0))
            values = [adm2, *vif, motion2]
            row: dict[str, Any] = {
                "src": SOURCES[s],
                "encoder": enc,
                "cq": cq,
                "frame_index": frame,
            }
            row |= {k: round(v, 6) for k, v in zip(FEATURE_ORDER, values, strict=True)}
            row["vmaf"] = round(vmaf, 6)
            rows.append(row)
    return rows


def write_corpus(path: str | Path, rows: list[dict[str, Any]]) -> str:
    """Write rows as JSONL (gzip when the name ends in .gz); returns the file's sha256."""
    p = Path(path)
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode("utf-8")
    p.write_bytes(gzip.compress(text, mtime=0) if p.suffix == ".gz" else text)
    return sha256_file(p)
