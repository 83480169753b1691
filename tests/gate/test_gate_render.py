"""The Markdown renderers the bot imports: real values in cells, worst source marked, escaping."""

from __future__ import annotations

from pathlib import Path

import pytest
from loso_writer import write_run

from flipbot.verdict_file import Verdict
from gate.render import (
    escape_md,
    render_gate_table,
    render_seed_outcomes,
    render_source_table,
    render_summary,
)
from gate.verdict import judge

UPSTREAM = {0: 0.99751, 1: 0.99716, 2: 0.99781, 3: 0.99693, 4: 0.99686}


def table_rows(markdown: str) -> list[list[str]]:
    rows = [ln for ln in markdown.splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip("|").split(" | ")] for ln in rows[2:]]


@pytest.fixture
def promote(tmp_path: Path) -> Verdict:
    return judge(write_run(tmp_path, UPSTREAM), (0, 1, 2, 3, 4))


def test_gate_table_holds_each_rule_value_threshold_and_result(promote: Verdict) -> None:
    md = render_gate_table(promote)
    assert md.splitlines()[0] == "| rule | value | threshold | result |"
    rows = table_rows(md)
    assert [r[1:] for r in rows] == [
        ["0.99725", "≥ 0.95", "✅ pass"],
        ["0.00095", "≤ 0.005", "✅ pass"],
        ["0.99686", "≥ 0.95", "✅ pass"],
    ]
    assert "`mean_plcc`" in rows[0][0] and "`plcc_spread`" in rows[1][0]
    assert "override" not in md


def test_gate_table_shows_a_failing_value_with_enough_decimals(tmp_path: Path) -> None:
    v = judge(write_run(tmp_path, {0: 0.949996, 1: 0.95}, sources=("a", "b")), (0, 1))
    rows = table_rows(render_gate_table(v))
    assert rows[2] == [
        "every seed's PLCC (lowest shown) (`per_seed_min`)",
        "0.949996",
        "≥ 0.95",
        "❌ **fail**",
    ]


def test_gate_table_says_in_bold_when_thresholds_were_loosened(tmp_path: Path) -> None:
    v = judge(write_run(tmp_path, UPSTREAM), (0, 1, 2, 3, 4), thresholds_overridden=True)
    assert "**Thresholds were loosened with an explicit override" in render_gate_table(v)


def test_source_table_has_per_seed_and_ensemble_columns_with_real_values(promote: Verdict) -> None:
    md = render_source_table(promote)
    head = md.splitlines()[0]
    assert head == (
        "| held-out source | PLCC seed 0 | PLCC seed 1 | PLCC seed 2 | PLCC seed 3 | PLCC seed 4 "
        "| ensemble PLCC | ensemble SROCC | ensemble RMSE | n_val |"
    )
    rows = table_rows(md)
    assert len(rows) == 3
    by_source = {r.source: r for r in promote.per_source}
    for cells in rows:
        name = cells[0].replace("**", "").replace(" ⚠ worst", "").replace("\\", "")
        row = by_source[name]
        assert cells[1:6] == ["0.9975", "0.9972", "0.9978", "0.9969", "0.9969"]
        assert cells[6] == f"{row.ensemble_plcc:.4f}" and cells[8] == f"{row.ensemble_rmse:.4f}"
        assert cells[9] == "12"


def test_source_table_marks_the_source_with_the_lowest_ensemble_plcc(tmp_path: Path) -> None:
    plccs = {s: [0.99, 0.97, 0.995] for s in range(3)}  # sorted sources: 2nd one is weakest
    v = judge(write_run(tmp_path, plccs), (0, 1, 2))
    rows = table_rows(render_source_table(v))
    marked = [r[0] for r in rows if "worst" in r[0]]
    assert marked == ["**CrowdRun_25fps** ⚠ worst"]


def test_decimals_argument_controls_the_cells(promote: Verdict) -> None:
    rows = table_rows(render_source_table(promote, decimals=2))
    assert rows[0][1] == "1.00" and rows[0][5] == "1.00"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("tick`name", "tick\\`name"),
        ("*bold*", "\\*bold\\*"),
        ("<script>", "&lt;script&gt;"),
        ("line\nbreak", "line break"),
        ("BigBuckBunny_25fps", "BigBuckBunny_25fps"),
        ("_lead", "\\_lead"),
    ],
)
def test_escape_md_neutralises_markup(name: str, escaped: str) -> None:
    assert escape_md(name) == escaped


def test_hostile_source_names_do_not_break_the_table(tmp_path: Path) -> None:
    sources = ("a|b", "c`d", "<e>*")
    v = judge(write_run(tmp_path, {0: 0.99, 1: 0.991}, sources=sources), (0, 1))
    md = render_source_table(v)
    rows = table_rows(md)
    assert len(rows) == 3 and all(len(r) == 7 for r in rows)
    assert "a\\|b" in md and "c\\`d" in md and "&lt;e&gt;\\*" in md
    assert "<e>" not in md


def test_seed_outcomes_say_who_flips_and_why(tmp_path: Path) -> None:
    v = judge(write_run(tmp_path, {0: 0.953, 1: 0.952, 2: 0.9499}), (0, 1, 2))
    md = render_seed_outcomes(v)
    assert "- seed 0 (PLCC 0.95300): flips to `smoke: false`" in md
    assert "- seed 2 (PLCC 0.94990): stays `smoke: true` — PLCC 0.94990 is below" in md
    assert "ensemble-level entry: stays smoke" in md
    assert "**Diagnosis:**" in md and "Refused" not in md


def test_seed_outcomes_lead_with_the_refusal(tmp_path: Path) -> None:
    v = judge(write_run(tmp_path, {0: 0.99, 1: 0.98}), (0, 1))
    md = render_seed_outcomes(v)
    assert md.startswith("**Refused — nothing flips.** the per-seed PLCC spread 0.01000")
    assert "flips to `smoke: false`" not in md


def test_renderers_give_the_same_text_from_the_written_file(
    promote: Verdict, tmp_path: Path
) -> None:
    again = Verdict.read(promote.write(tmp_path / "out"))
    assert render_summary(again) == render_summary(promote)
    assert render_source_table(again) == render_source_table(promote)


def test_an_allowed_ensemble_flip_is_worded_as_conditional_on_the_registry(tmp_path: Path) -> None:
    v = judge(write_run(tmp_path, {0: 0.99, 1: 0.991}), (0, 1))
    assert v.ensemble_flip
    assert "ensemble-level entry: may flip, if the registry has one" in render_seed_outcomes(v)
