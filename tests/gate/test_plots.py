"""The LOSO pictures: real PNGs with one panel per held-out source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flipbot.errors import InputError
from flipbot.loso_file import LosoArtefact, LosoFold
from gate.plots import SCATTER_NAME, STRIP_NAME, main, render_plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def artefact(seed: int, sources: list[str]) -> LosoArtefact:
    rng = np.random.default_rng(seed)
    folds = []
    for i, src in enumerate(sources):
        y = np.linspace(20.0, 100.0, 40) + i
        p = y + rng.normal(0.0, 2.0, size=y.size)
        folds.append(
            LosoFold(
                src, 100, 40, 0.99, 0.99, 2.0, None, tuple(map(float, y)), tuple(map(float, p))
            )
        )
    return LosoArtefact(
        seed=seed, corpus="c.jsonl", corpus_sha256="0" * 64, corpus_rows=200,
        sources=tuple(sources), folds=tuple(folds), epochs=2, batch_size=32, lr=5e-4,
        weight_decay=1e-5, num_codecs=14, encoder_vocab_version=2, recipe={}, device="cpu",
        versions={}, wall_time_s=0.1,
    )  # fmt: skip


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_MAGIC
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_render_plots_writes_two_pngs_sized_by_source_count(tmp_path: Path) -> None:
    sources = ["bikes", "city", "tree", "vtest"]
    paths = render_plots([artefact(s, sources) for s in range(3)], tmp_path)
    assert [p.name for p in paths] == [SCATTER_NAME, STRIP_NAME]
    width, height = png_size(tmp_path / SCATTER_NAME)
    # 4 sources -> 3 columns x 2 rows of 4.2 x 3.9 inch panels at 110 dpi
    assert (width, height) == (round(3 * 4.2 * 110), round(2 * 3.9 * 110))
    assert png_size(tmp_path / STRIP_NAME)[0] >= 600


def test_cli_writes_pngs_from_loso_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for s in range(2):
        artefact(s, ["a", "b"]).write(tmp_path)
    assert main([str(tmp_path), "--out-dir", str(tmp_path / "png")]) == 0
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == sorted(
        [SCATTER_NAME, STRIP_NAME]
    )
    assert str(tmp_path / "png" / SCATTER_NAME) in capsys.readouterr().out


def test_no_loso_files_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no loso_seed"):
        render_plots([], tmp_path)
    assert main([str(tmp_path)]) == 2
