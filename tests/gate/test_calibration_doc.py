"""docs/CALIBRATION.md says what the committed command prints on the shipped corpus's held-out
predictions, and the gate ships the method that comparison selects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.calibration import SHIPPED, calibrate_frames
from gate.calibration_study import frames_from_npz, main, select, study

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "gate" / "data" / "shipped_corpus_heldout.npz"
DOC = ROOT / "docs" / "CALIBRATION.md"


def block(name: str) -> str:
    match = re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", DOC.read_text(), re.S)
    assert match, name
    return match.group(1).strip()


def test_the_doc_tables_are_the_study_commands_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FIXTURE), "--nested"]) == 0
    out = capsys.readouterr().out
    main_table, _, rest = out.partition("\n\n| held-out source | n |")
    assert block("calibration-study") == main_table.strip()
    shipped, _, nested = ("| held-out source | n |" + rest).partition("\n\n| held-out source (")
    assert block("calibration-shipped") == shipped.strip()
    assert block("calibration-nested") == ("| held-out source (" + nested).strip()


def test_the_gate_ships_the_selected_method_with_the_reported_per_source_coverage() -> None:
    frames = frames_from_npz(FIXTURE)
    assert select(study(frames)).method == SHIPPED
    cal = calibrate_frames(frames)
    rows = {
        line.split(" | ")[0][2:]: line for line in block("calibration-shipped").splitlines()[2:]
    }
    assert sorted(rows) == [s.source for s in cal.sources]
    for src in cal.sources:
        at90, at95 = src.levels
        assert rows[src.source] == (
            f"| {src.source} | {src.n_val} | {at90.coverage:.1%} | {at90.mean_width:.2f} | "
            f"{at95.coverage:.1%} | {at95.mean_width:.2f} |"
        )
    worst90 = min(s.levels[0].coverage for s in cal.sources)
    worst95 = min(s.levels[1].coverage for s in cal.sources)
    assert (round(worst90, 3), round(worst95, 3)) == (0.866, 0.892)  # the doc's "why" section
    assert cal.overall[0].mean_width < 4.28 and cal.overall[1].mean_width < 5.74
