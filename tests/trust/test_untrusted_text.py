"""Text from the training side never starts a workflow command and is escaped in the body and the
job summary; the body fits GitHub's limit however many warnings the gate gives (never exit 3).

Through the real commands (``python -m gate``, ``python -m bot --dry-run``) for the log, and the
bot's own body code for the body and the summary.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parents[1]
for _sub in ("gate", "bot"):
    if str(TESTS / _sub) not in sys.path:
        sys.path.insert(0, str(TESTS / _sub))

from bot_inputs import REGISTRY, make_verdict, unverified_flip, write_inputs  # noqa: E402
from loso_writer import edit_file, write_run  # noqa: E402
from test_drift_report import drift_doc, with_drift  # noqa: E402
from test_file_bounds import tamper_verdict, workdir  # noqa: E402, F401

from bot.__main__ import main as bot_main  # noqa: E402
from bot.body.pr_body import BODY_LIMIT, BodyContext, build_body, read_hidden, render_summary  # noqa: E402
from bot.flip.drift import load_drift  # noqa: E402
from flipbot.plan_file import FlipPlan  # noqa: E402
from gate.__main__ import main as gate_main  # noqa: E402
from gate.calibration import calibrate  # noqa: E402

KEY = "\n::warning::pwned\r\n::add-mask::x"


def command_lines(text: str) -> list[str]:
    """Lines the runner would read as workflow commands (it trims leading blanks)."""
    return [line for line in text.splitlines() if line.lstrip().startswith(("::", "##["))]


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update({KEY: 1}),
        lambda d: d["folds"][0].update({KEY: 1}),
        lambda d: d["versions"].update({KEY: 2}),
    ],
    ids=["top-level key", "fold key", "versions key"],
)
def test_a_newline_key_in_a_loso_file_does_not_start_a_workflow_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any
) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.971})
    edit_file(tmp_path, 1, edit)
    code = gate_main([str(tmp_path), "--seeds", "0,1"])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert command_lines(out + err) == []
    assert err.count("\n") == 1 and "\\n::warning::pwned\\r\\n::add-mask::x" in err, err


def test_a_newline_key_in_a_verdict_does_not_start_a_workflow_command(
    workdir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # the bot also annotates the error
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    tamper_verdict(workdir, lambda d: d.update({KEY: 1}))
    folders = ["--verdict-dir", str(workdir / "in/loso"), "--artifacts", str(workdir / "in/export")]
    code = bot_main(
        [*folders, "--registry", REGISTRY, "--repo", "local/flipbot", "--base", "main", "--dry-run"]
    )
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "field '\\n::warning::pwned\\r\\n::add-mask::x' is not one this file has" in err
    assert command_lines(err) == []
    # The one annotation is one ::error:: line after the verify phase's log group; the key's
    # text stays inside it.
    *group, error = command_lines(out)
    assert group == ["::group::flipbot: verify", "::endgroup::"] and error.startswith("::error::")
    assert "%0A::warning::pwned" not in error and "\\n::warning::pwned" in error


FORGED = '<!-- flipbot:v1 {"verdict_sha256": "forged", "flipped": []} -->'
HOSTILE = (
    f"<b>raw</b> <img src=x onerror=alert(1)> [click](https://evil.example) @octocat #1234 {FORGED}"
)


def assert_escaped(text: str, hidden: dict[str, Any] | None = None) -> None:
    assert "<b>" not in text and "<img" not in text and "&lt;img src=x" in text
    assert "[click](" not in text and "\\[click\\](https://evil.example)" in text
    assert "@octocat" not in text and "@\u200doctocat" in text
    assert "#1234" not in text and "#\u200d1234" in text
    assert "forged" in text  # shown, as text
    # In text, the comment is escaped; in a code span (the corpus path) it shows as typed but its
    # marker is broken: either way the only readable block is the bot's own.
    assert "&lt;\\!-- flipbot\u200d:v1 {" in text and "`c' <!-- flipbot\u200d:v1 {" in text
    assert text.count("flipbot:v1") == text.count("<!-- flipbot:v1") == (hidden is not None)
    if hidden is not None:
        assert read_hidden(text) == hidden and hidden["verdict_sha256"] != "forged"


def hostile_flip(tmp_path: Path) -> Any:
    doc = drift_doc()
    doc["seeds"][0]["label"] = HOSTILE
    doc["seeds"][1]["reason"] = HOSTILE
    doc["notes"] = [HOSTILE]
    doc["ensemble"]["by_source"][HOSTILE] = doc["ensemble"]["by_source"].pop("bunny")
    export = with_drift(tmp_path, doc)
    flip = unverified_flip(tmp_path)
    flip = replace(flip, drift=load_drift(export, FlipPlan.read(export / "flip_plan.json")))
    y = {s: np.linspace(40.0, 95.0, 60) for s in (HOSTILE, "bikes", "vtest")}
    rng = np.random.default_rng(0)
    preds = {s: np.stack([v + 20 * rng.normal(0, 1, 60) for _ in range(3)]) for s, v in y.items()}
    cal = calibrate(y, preds, loso_files=flip.verdict.pins.loso_files)
    pins = replace(flip.verdict.pins, corpus=f"c` {FORGED} `.jsonl")  # into a code span
    verdict = replace(flip.verdict, warnings=(HOSTILE,), pins=pins)
    return replace(flip, verdict=verdict, calibration=replace(cal, method=HOSTILE))


def test_drift_calibration_and_warnings_text_is_escaped_in_the_body_and_the_summary(
    tmp_path: Path,
) -> None:
    flip = hostile_flip(tmp_path)
    context = BodyContext(flip, "f" * 40, "model/tiny/registry.json", None)
    body = build_body(context)
    assert body.tier == 0 and not body.cut
    assert "Calibration of the ensemble" in body.text and "Score drift" in body.text
    assert_escaped(body.text, body.hidden)
    assert_escaped(render_summary(context, "created", "https://github.com/o/r/pull/1"))


def twin_flip(root: Path, pairs: int, name_chars: int) -> Any:
    """A PROMOTE whose loso files hold ``pairs`` pairs of twin sources with long names: the real
    gate gives one twin-source warning per pair."""
    sources = tuple(f"clip{i:04d}_" + "n" * name_chars for i in range(2 * pairs))
    spec = make_verdict(seeds=(0, 1), sources=sources)
    twinned = []
    for art in spec.artefacts:
        folds = list(art.folds)
        for k in range(pairs):
            folds[2 * k + 1] = replace(folds[2 * k], held_out=folds[2 * k + 1].held_out)
        twinned.append(replace(art, folds=tuple(folds)))
    write_inputs(root, replace(spec, artefacts=tuple(twinned)))
    return unverified_flip(root)


@pytest.mark.parametrize("pairs", [30, 200])
def test_hundreds_of_twin_source_warnings_fit_the_body(tmp_path: Path, pairs: int) -> None:
    flip = twin_flip(tmp_path, pairs, name_chars=1000)
    twins = [w for w in flip.verdict.warnings if "look identical" in w]
    assert len(twins) == pairs
    assert sum(len(w) for w in twins) > BODY_LIMIT  # listed in full, they alone would not fit
    context = BodyContext(flip, "f" * 40, "model/tiny/registry.json", None)
    body = build_body(context)
    assert len(body.text) < BODY_LIMIT
    assert f"{pairs - 3} more warnings of this kind (sources" in body.text
    items = [line for line in body.text.splitlines() if line.startswith("- ⚠ ")]
    assert len(items) == 3 + 1  # three shown (each cut to 600 characters), one counted line
    assert all(line.startswith("- ⚠ sources 'clip") for line in items[:3])
    assert read_hidden(body.text) == body.hidden
    summary = render_summary(context, "created", None)
    items = [line for line in summary.splitlines() if line.startswith("- ⚠ ")]
    assert len(items) == min(pairs, 50) + (pairs > 50)
    assert len(summary) < 1_000_000  # GitHub's limit for one step's summary (1 MiB)


def test_a_body_that_no_tier_fits_is_cut_with_a_note_and_its_hidden_block_whole(
    tmp_path: Path,
) -> None:
    flip = twin_flip(tmp_path, 2, name_chars=20)
    context = BodyContext(flip, "f" * 40, "model/tiny/registry.json", None)
    full = build_body(context)
    assert not full.cut
    for limit in (2_500, 3_000, 4_000):
        body = build_body(context, limit=limit)
        assert body.cut and len(body.text) < limit, limit
        assert "cut to fit GitHub's limit" in body.text
        assert read_hidden(body.text) == body.hidden
        assert body.hidden | {"content_sha256": ""} == full.hidden | {"content_sha256": ""}
        assert body.text.count("<details") == body.text.count("</details>")
        assert sum(line.startswith("```") for line in body.text.splitlines()) % 2 == 0


def test_under_actions_the_printed_body_and_diff_cannot_hold_a_workflow_command(
    workdir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    folders = ["--verdict-dir", str(workdir / "in/loso"), "--artifacts", str(workdir / "in/export")]
    code = bot_main(
        [*folders, "--registry", REGISTRY, "--repo", "local/flipbot", "--base", "main", "--dry-run"]
    )
    out = capsys.readouterr().out
    assert code == 0
    *groups, stop, resume = command_lines(out)
    phases = ("verify", "plan")
    assert groups == [g for p in phases for g in (f"::group::flipbot: {p}", "::endgroup::")]
    token = stop.removeprefix("::stop-commands::")
    assert len(token) == len("flipbot-") + 32 and resume == f"::{token}::"
    lines = out.splitlines()
    inside = lines[lines.index(stop) + 1 : lines.index(resume)]
    assert inside[0].startswith("title: ") and "<!-- flipbot:v1 " in "\n".join(inside)


def test_a_source_name_with_a_newline_does_not_start_a_command_in_the_gate_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # the gate also annotates
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    name = "bikes\n::warning::pwned"
    spec = make_verdict(seeds=(0, 1), sources=("alea", name, "vtest"))
    for art in spec.artefacts:
        art.write(tmp_path)
    code = gate_main([str(tmp_path), "--seeds", "0,1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "bikes\\n::warning::pwned" in out
    assert [line for line in command_lines(out + err) if "pwned" in line] == []
