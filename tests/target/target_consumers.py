"""The target repository's own consumers, written from SPEC §14's description of them.

Independent of flipbot's code on purpose (no flipbot import): each one reads the
files the way the repository does, so a flip that only satisfies flipbot's own
reading fails here.

- :func:`flipped_rows_test`: its current test of the flipped ensemble rows;
- :func:`model_audit`: its audit of sidecar names against the graph;
- :func:`libvmaf_scan`: libvmaf's substring scan of a sidecar (first ``"key"``
  anywhere in the text, then the string after the next ``:``; sidecar ≤ 1 MiB);
- :func:`ensemble_loader_smoke`: its ensemble loader's smoke run (every member
  opened from its path with onnxruntime, a one-hot of width ``len(codec_vocab)``,
  features normalised with the manifest's scaler, ``mu ± z·sigma`` and
  ``mu ± conformal_q_residual·sigma``); returns the exit status.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

SCANNED = ("kind", "name", "input_name", "output_name", "onnx_opset", "quant_mode")


def flipped_rows_test(registry: Path, ids: list[str]) -> None:
    """Per row: smoke False, the sidecar's sha256 is the row's, its gate passed with PROMOTE."""
    rows = {r["id"]: r for r in json.loads(registry.read_text())["models"]}
    for row_id in ids:
        row = rows[row_id]
        sidecar = json.loads((registry.parent / f"{row_id}.json").read_text())
        assert row["smoke"] is False
        assert sidecar["sha256"] == row["sha256"]
        assert sidecar["gate"]["passed"] is True
        assert sidecar["gate"]["verdict"] == "PROMOTE"


def model_audit(onnx_path: Path) -> list[str]:
    """Mismatches between the sidecar's input/output names and the graph's (empty: none)."""
    sidecar = json.loads(onnx_path.with_suffix(".json").read_text())
    graph = onnx.load(str(onnx_path)).graph
    found = []
    for key, tensors in (("input_names", graph.input), ("output_names", graph.output)):
        if sidecar.get(key) != [t.name for t in tensors]:
            found.append(f"{onnx_path.name}: {key} {sidecar.get(key)!r}")
    return found


def libvmaf_scan(text: str, key: str) -> str | None:
    needle = f'"{key}"'
    at = text.find(needle)
    if at < 0:
        return None
    colon = text.find(":", at + len(needle))
    if colon < 0:
        return None
    i = colon + 1
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text) or text[i] != '"':
        return None
    end = text.find('"', i + 1)
    return text[i + 1 : end] if end >= 0 else None


def ensemble_loader_smoke(manifest_path: Path, rows: int = 100, seed: int = 4321) -> int:
    """0 when every member runs on the loader's inputs and the coverage is a probability."""
    manifest = json.loads(manifest_path.read_text())
    sessions = [
        ort.InferenceSession(
            str(manifest_path.parent / m["onnx"]), providers=["CPUExecutionProvider"]
        )
        for m in manifest["members"]
    ]
    mean = np.asarray(manifest["feature_mean"], dtype=np.float32)
    std = np.asarray(manifest["feature_std"], dtype=np.float32)
    width = len(manifest["codec_vocab"])
    q = manifest.get("confidence", {}).get("conformal_q_residual")
    rng = np.random.default_rng(seed)
    features = rng.uniform(0.3, 1.0, size=(rows, 6)).astype(np.float32)
    features[:, 5] = rng.uniform(0.0, 30.0, size=rows)
    codec = np.eye(width, dtype=np.float32)[rng.integers(0, width, size=rows)]
    target = (50.0 + 30.0 * features[:, 0] + 10.0 * features[:, 4]).astype(np.float32)
    norm = ((features - mean) / np.where(std < 1e-8, 1.0, std)).astype(np.float32)
    preds = np.vstack(
        [np.asarray(s.run(None, {"features": norm, "codec_onehot": codec})[0]).reshape(-1)
         for s in sessions]
    )  # fmt: skip
    mu, sigma = preds.mean(axis=0), preds.std(axis=0, ddof=1)
    inside = np.abs(target - mu) <= 1.959963984540054 * sigma
    coverage = [float(inside.mean())]
    if q is not None:
        coverage.append(float((np.abs(target - mu) <= q * sigma).mean()))
    return 0 if all(0.0 <= c <= 1.0 for c in coverage) and preds.shape[0] == len(sessions) else 1
