"""The README's consumer snippet runs and computes the shipped interval from the members and
the constants alone."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from gate.calibration import calibrate_frames
from gate.calibration_study import frames_from_npz

ROOT = Path(__file__).resolve().parents[2]
ENSEMBLE = "fr_regressor_v2_ensemble_v1"


def snippet() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- readme-interval:begin -->\n```python\n(.*?)```", text, re.S)
    assert match
    return match.group(1)


def test_readme_snippet_gives_mean_plus_minus_the_band_half_width(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cal = calibrate_frames(frames_from_npz(ROOT / "tests/gate/data/shipped_corpus_heldout.npz"))
    constants = {
        k: v
        for k, v in cal.to_json().items()
        if k not in ("sources", "loso_files", "corpus_sha256")
    }
    interval = constants["interval"]["0.95"]
    assert (
        interval["normalized"] is False and interval["spread_edges"] == []
    )  # all the snippet reads
    for n in range(5):
        shutil.copy(ROOT / "model/tiny" / f"{ENSEMBLE}_seed{n}.onnx", tmp_path)
    mean6, std6 = [0.9, 0.5, 0.7, 0.8, 0.85, 3.0], [0.05, 0.2, 0.15, 0.1, 0.1, 2.0]
    side = {"feature_mean": mean6, "feature_std": std6, "calibration": {"constants": constants}}
    (tmp_path / f"{ENSEMBLE}_seed0.json").write_text(json.dumps(side))
    rng = np.random.default_rng(3)
    raw = np.asarray(mean6) + rng.normal(size=(64, 6)) * np.asarray(std6)
    codec = np.zeros((64, 14))
    codec[np.arange(64), rng.integers(0, 12, 64)] = 1.0
    codec[:, 12], codec[:, 13] = 0.5, rng.uniform(0, 1, 64)
    monkeypatch.chdir(tmp_path)
    scope = {"raw_features": raw, "codec": codec}
    exec(snippet(), scope)  # the README's own code, run as a user would

    feats = ((raw - mean6) / std6).astype(np.float32)
    preds = [
        ort.InferenceSession(str(tmp_path / f"{ENSEMBLE}_seed{n}.onnx")).run(
            ["score"], {"features": feats, "codec_onehot": codec.astype(np.float32)}
        )[0]
        for n in range(5)
    ]
    mean = np.mean(preds, axis=0)
    edges, half = interval["mean_edges"], interval["half_width"]
    expected = np.array([half[sum(e <= m for e in edges)] for m in mean])
    assert np.array_equal(scope["lower"], mean - expected)
    assert np.array_equal(scope["upper"], mean + expected)
    assert edges == [60.0, 90.0] and len(half) == 3
