"""The LOSO pictures: real PNGs with one panel per held-out source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flipbot.errors import InputError
from flipbot.loso_file import LosoArtefact, LosoFold
from gate.plots import (
    OKABE_ITO,
    SCATTER_NAME,
    STRIP_NAME,
    main,
    render_plots,
    seed_plcc,
    strip_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def artefact(seed: int, sources: list[str], noise: float = 2.0) -> LosoArtefact:
    rng = np.random.default_rng(seed)
    folds = []
    for i, src in enumerate(sources):
        y = np.linspace(20.0, 100.0, 40) + i
        p = y + rng.normal(0.0, noise, size=y.size)
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
    # one small 2.9-inch panel per source, 2 x 2 for 4 sources (+0.6 in for the legend)
    assert png_size(tmp_path / SCATTER_NAME) == (round(2 * 2.9 * 110), round(6.4 * 110))
    render_plots([artefact(s, [*sources, "zoo"]) for s in range(3)], tmp_path)
    assert png_size(tmp_path / SCATTER_NAME) == (round(3 * 2.9 * 110), round(6.4 * 110))
    assert png_size(tmp_path / STRIP_NAME)[0] >= 900


def band_and_lines(ax: object) -> tuple[list[tuple[float, float]], list[float], str]:
    spans = [
        (float(p.get_y()), float(p.get_y() + p.get_height()))
        for p in ax.patches  # type: ignore[attr-defined]  # axhspan: a Rectangle
    ]
    flat = [
        float(line.get_ydata()[0])
        for line in ax.get_lines()  # type: ignore[attr-defined]
        if len(set(line.get_ydata())) == 1
    ]
    texts = " ".join(t.get_text() for t in ax.texts)  # type: ignore[attr-defined]
    return spans, flat, texts


def test_strip_chart_draws_the_spread_band_and_zooms_to_the_data() -> None:
    arts = [artefact(s, ["a", "b", "c"], noise=0.5) for s in range(3)]
    plcc = seed_plcc(arts)
    mean = sum(plcc.values()) / 3
    fig = strip_figure(arts, spread_max=0.004, per_seed_min=0.95)
    left, right = fig.axes
    (band,), flat, texts = band_and_lines(right)
    assert band == pytest.approx((mean - 0.002, mean + 0.002))
    assert mean == pytest.approx(flat[0])  # the mean line
    lo, hi = right.get_ylim()
    assert lo <= band[0] and hi >= band[1] and lo <= min(plcc.values())
    # PLCC ~0.9995: the per-seed minimum 0.95 lies far below the zoomed view and is named
    assert lo > 0.99 and 0.95 not in flat
    assert "per-seed minimum 0.95" in texts and "below the lowest seed" in texts
    # the per-source panel zooms to the data too, not to 0.94..1.00
    assert left.get_ylim()[0] > 0.99
    colours = {tuple(c) for coll in left.collections for c in coll.get_facecolor()}
    assert {tuple(np.round(c[:3], 3)) for c in colours} >= {
        tuple(np.round([int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)], 3)) for h in OKABE_ITO[:3]
    }


def test_strip_chart_draws_the_minimum_when_the_seeds_are_near_it() -> None:
    arts = [artefact(s, ["a", "b"], noise=12.0) for s in range(2)]  # PLCC around 0.9
    low = min(seed_plcc(arts).values())
    fig = strip_figure(arts, spread_max=0.005, per_seed_min=round(low - 0.01, 3))
    _, flat, texts = band_and_lines(fig.axes[1])
    assert round(low - 0.01, 3) in flat
    assert "below the lowest seed" not in texts
    lo, _ = fig.axes[1].get_ylim()
    assert lo < round(low - 0.01, 3)


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


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--plcc-spread-max", "3", "--plcc-spread-max: '3' is not a spread between 0 and 2"),
        ("--per-seed-min", "x", "--per-seed-min: 'x' is not a PLCC between -1 and 1"),
    ],
)
def test_the_lines_drawn_follow_the_gate_threshold_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, words: str
) -> None:
    for s in range(2):
        artefact(s, ["a", "b"]).write(tmp_path)
    assert main([str(tmp_path), flag, value]) == 2
    assert (
        capsys.readouterr().err
        == f"error: {words}; pass e.g. {'0.005' if 'spread' in flag else '0.95'}\n"
    )
    assert not list(tmp_path.glob("*.png"))
