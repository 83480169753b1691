"""`python -m trainer.bench` runs end to end and ends with the speedup line."""

from __future__ import annotations

import re

import pytest

from trainer import bench


@pytest.mark.slow
def test_bench_prints_every_number_and_ends_with_speedup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench.main(["--epochs", "1", "--threads", "1", "--memory-rows", "0"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    text = "\n".join(lines)
    assert "models: 45, batch: 32" in text
    assert re.search(
        r"batched, 1 thread\(s\): [\d.]+ s/epoch, projected 200 epochs: [\d.]+ s", text
    )
    assert re.search(r"reference, 1 thread: .* projected 45 models x 200 epochs: \d+ s", text)
    assert "plcc agreement, exact masks" in text and "plcc agreement, pool masks" in text
    assert "peak RSS: this process" in text
    assert "cpu kernels: " in text
    assert re.search(
        r"targets: full recipe <= 30 s: [\d.]+ s (met|missed); speedup >= 60x: (met|missed)", text
    )
    match = re.fullmatch(r"speedup: (\d+\.\d)x", lines[-1])
    assert match and float(match.group(1)) > 1.0
