"""The committed smoke placeholders: real ONNX files whose sha256 the registry pins."""

from __future__ import annotations

import json
from pathlib import Path

import onnx

from flipbot.jsonfile import sha256_bytes, sha256_file
from flipbot.onnx_contract import forbidden_ops
from trainer.placeholders import main, placeholder_bytes

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "model" / "tiny" / "registry.json"
SEEDS = range(5)


def ensemble_rows() -> dict[int, dict]:
    doc = json.loads(REGISTRY.read_text())
    return {
        seed: row
        for row in doc["models"]
        for seed in SEEDS
        if row["id"] == f"fr_regressor_v2_ensemble_v1_seed{seed}"
    }


def test_registry_pins_the_committed_placeholder_files() -> None:
    rows = ensemble_rows()
    assert sorted(rows) == list(SEEDS)
    digests = set()
    for row in rows.values():
        path = REGISTRY.parent / row["onnx"]
        assert row["smoke"] is True
        assert row["sha256"] == sha256_file(path)
        digests.add(row["sha256"])
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        assert forbidden_ops(model) == []
        assert path.stat().st_size < 50 * 1024
    assert len(digests) == 5  # each seed has its own initial weights


def test_placeholders_regenerate_bit_exactly() -> None:
    # Same torch/onnx pins -> same bytes; if a version bump changes them, rerun
    # `python -m trainer.placeholders --out-dir model/tiny` and update the smoke rows.
    for seed, row in ensemble_rows().items():
        assert sha256_bytes(placeholder_bytes(seed)) == row["sha256"]


def test_placeholder_cli_writes_files_and_prints_their_digests(tmp_path: Path, capsys) -> None:
    assert main(["--out-dir", str(tmp_path), "--seeds", "0,4"]) == 0
    printed = json.loads(capsys.readouterr().out)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "fr_regressor_v2_ensemble_v1_seed0.onnx",
        "fr_regressor_v2_ensemble_v1_seed4.onnx",
    ]
    for name in names:
        assert printed[name.removesuffix(".onnx")] == sha256_file(tmp_path / name)
    assert main(["--out-dir", str(tmp_path), "--seeds", "zero"]) == 2


def test_registry_stays_in_canonical_form() -> None:
    text = REGISTRY.read_text()
    assert json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n" == text
