"""``python -m gate`` end to end on real loso files: verdicts, flip sets, exit codes, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from loso_writer import UPSTREAM_SOURCES, write_run

from flipbot.verdict_file import Verdict
from gate.__main__ import main

UPSTREAM = {0: 0.99751, 1: 0.99716, 2: 0.99781, 3: 0.99693, 4: 0.99686}
SEEDS = "0,1,2,3,4"


@pytest.fixture(autouse=True)
def _no_workflow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_SHA", raising=False)


def rules(verdict: Verdict) -> dict[str, tuple[float, bool]]:
    return {r.name: (r.value, r.passed) for r in verdict.rules}


def test_upstream_verdict_promotes_every_seed_and_the_ensemble(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, UPSTREAM, sources=UPSTREAM_SOURCES)
    assert main([str(tmp_path), "--seeds", SEEDS]) == 0
    v = Verdict.read(tmp_path / "PROMOTE.json")
    assert not (tmp_path / "HOLD.json").exists()
    assert v.decision == "PROMOTE" and not v.refused and v.refusal_reason is None
    got = rules(v)
    assert got["mean_plcc"][0] == pytest.approx(0.997254, abs=1e-9)
    assert got["plcc_spread"][0] == pytest.approx(0.00095, abs=1e-9)
    assert got["per_seed_min"][0] == pytest.approx(0.99686, abs=1e-12)
    assert all(passed for _, passed in got.values())
    assert v.flip == (0, 1, 2, 3, 4) and v.ensemble_flip is True and v.diagnosis is None
    assert [s.plcc for s in v.seeds] == pytest.approx(list(UPSTREAM.values()), abs=1e-12)
    assert v.sources == UPSTREAM_SOURCES and len(v.per_source) == 9
    assert v.recipe["epochs"] == 200 and v.recipe["hidden"] == 64
    out = capsys.readouterr().out
    assert "flipbot gate: PROMOTE" in out and "0.99725" in out and "0.00095" in out


def test_one_weak_seed_with_tight_spread_holds_and_the_others_flip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, {0: 0.953, 1: 0.952, 2: [0.95, 0.949, 0.9495], 3: 0.951, 4: 0.953})
    assert main([str(tmp_path), "--seeds", SEEDS]) == 1
    v = Verdict.read(tmp_path / "HOLD.json")
    assert v.decision == "HOLD" and not v.refused
    assert {k: p for k, (_, p) in rules(v).items()} == {
        "mean_plcc": True,
        "plcc_spread": True,
        "per_seed_min": False,
    }
    assert rules(v)["per_seed_min"][0] == pytest.approx(0.9495)
    assert v.flip == (0, 1, 3, 4) and v.ensemble_flip is False
    weak = next(s for s in v.seeds if s.seed == 2)
    assert not weak.flips and "below the per-seed minimum" in weak.reason
    assert v.diagnosis is not None and "under-fit" in v.diagnosis and "--epochs" in v.diagnosis
    assert "under-fit" in capsys.readouterr().out


def test_exit_zero_turns_hold_into_success_but_still_writes_hold(tmp_path: Path) -> None:
    write_run(tmp_path, {0: 0.953, 1: 0.952, 2: 0.9495, 3: 0.951, 4: 0.953})
    assert main([str(tmp_path), "--seeds", SEEDS, "--exit-zero"]) == 0
    assert Verdict.read(tmp_path / "HOLD.json").decision == "HOLD"


def test_high_spread_refuses_every_seed_even_those_that_clear(tmp_path: Path) -> None:
    write_run(tmp_path, {0: 0.99, 1: 0.98, 2: 0.985})
    assert main([str(tmp_path), "--seeds", "0,1,2"]) == 1
    v = Verdict.read(tmp_path / "HOLD.json")
    assert v.refused and v.flip == () and v.ensemble_flip is False
    assert rules(v)["plcc_spread"] == (pytest.approx(0.01), False)
    assert rules(v)["mean_plcc"][1] and rules(v)["per_seed_min"][1]
    assert all(s.passed and not s.flips for s in v.seeds)
    assert v.refusal_reason is not None and "disagree" in v.refusal_reason
    assert v.diagnosis is not None and "re-seed" in v.diagnosis


def test_high_spread_with_a_weak_seed_points_at_training(tmp_path: Path) -> None:
    write_run(tmp_path, {0: 0.99, 1: 0.94})
    assert main([str(tmp_path), "--seeds", "0,1"]) == 1
    v = Verdict.read(tmp_path / "HOLD.json")
    assert v.refused and v.flip == ()
    assert v.diagnosis is not None and "--epochs" in v.diagnosis


def test_low_mean_with_tight_spread_points_at_the_corpus_and_loader(tmp_path: Path) -> None:
    write_run(tmp_path, {0: 0.90, 1: 0.901, 2: 0.899})
    assert main([str(tmp_path), "--seeds", "0,1,2"]) == 1
    v = Verdict.read(tmp_path / "HOLD.json")
    assert not v.refused and v.flip == ()
    assert v.diagnosis is not None and "corpus" in v.diagnosis and "loader" in v.diagnosis


def test_exact_edges_promote(tmp_path: Path) -> None:
    # 2 sources so each seed's mean of identical per-source PLCCs is exact.
    two = ("a_src", "b_src")
    write_run(tmp_path, {0: 0.955, 1: 0.95}, sources=two)
    assert main([str(tmp_path), "--seeds", "0,1"]) == 0
    v = Verdict.read(tmp_path / "PROMOTE.json")
    assert rules(v)["plcc_spread"][0] == 0.0050000000000000044
    assert rules(v)["per_seed_min"] == (0.95, True)


def test_verdict_of_the_other_kind_is_removed(tmp_path: Path) -> None:
    write_run(tmp_path, UPSTREAM)
    assert main([str(tmp_path), "--seeds", SEEDS]) == 0
    assert (tmp_path / "PROMOTE.json").exists()
    write_run(tmp_path, {**UPSTREAM, 4: 0.90})
    assert main([str(tmp_path), "--seeds", SEEDS]) == 1
    assert sorted(p.name for p in tmp_path.glob("[PH]*.json")) == ["HOLD.json"]
    write_run(tmp_path, UPSTREAM)
    assert main([str(tmp_path), "--seeds", SEEDS]) == 0
    assert not (tmp_path / "HOLD.json").exists() and (tmp_path / "PROMOTE.json").exists()


def test_out_dir_receives_the_verdict(tmp_path: Path) -> None:
    loso = write_run(tmp_path / "loso", UPSTREAM)
    assert main([str(loso), "--seeds", SEEDS, "--out-dir", str(tmp_path / "v")]) == 0
    assert (tmp_path / "v" / "PROMOTE.json").exists()
    assert not (loso / "PROMOTE.json").exists()


def test_json_flag_prints_exactly_the_verdict_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, UPSTREAM)
    assert main([str(tmp_path), "--seeds", SEEDS, "--json"]) == 0
    out = capsys.readouterr().out
    assert out == (tmp_path / "PROMOTE.json").read_text()
    assert json.loads(out)["kind"] == "flipbot.verdict"


def test_verdict_file_round_trips_through_the_contract_reader(tmp_path: Path) -> None:
    from gate.verdict import judge

    write_run(tmp_path, UPSTREAM)
    v = judge(tmp_path, (0, 1, 2, 3, 4))
    assert Verdict.read(v.write(tmp_path)) == v


def test_summary_is_appended_not_overwritten(tmp_path: Path) -> None:
    loso = write_run(tmp_path / "loso", {0: 0.99, 1: 0.98})
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    assert main([str(loso), "--seeds", "0,1", "--summary", str(summary)]) == 1
    text = summary.read_text()
    assert text.startswith("earlier step\n## flipbot gate: HOLD (refused)")
    assert "| PLCC seed 0 | PLCC seed 1 |" in text and "**Refused" in text
    assert "**Diagnosis:**" in text and "0.01000" in text


def test_refusal_prints_error_annotations_only_under_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_run(tmp_path, {0: 0.99, 1: 0.98})
    main([str(tmp_path), "--seeds", "0,1"])
    assert "::error" not in capsys.readouterr().out
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    main([str(tmp_path), "--seeds", "0,1"])
    errors = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("::error")]
    assert errors[0].startswith("::error title=flipbot gate::the per-seed PLCC spread 0.01000")
    assert errors[1] == "::error title=flipbot gate::rule plcc_spread failed: 0.01000 not <= 0.005"


def test_json_mode_keeps_stdout_pure_and_annotates_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    write_run(tmp_path, {0: 0.99, 1: 0.98})
    main([str(tmp_path), "--seeds", "0,1", "--json"])
    captured = capsys.readouterr()
    assert json.loads(captured.out)["refused"] is True
    assert "::error title=flipbot gate::" in captured.err


def test_loosening_refused_without_override_and_bold_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, {0: 0.93, 1: 0.931})
    assert main([str(tmp_path), "--seeds", "0,1", "--per-seed-min", "0.9"]) == 2
    assert "loosens the ADR-0303 gate" in capsys.readouterr().err
    assert not list(tmp_path.glob("[PH]*.json"))
    argv = [str(tmp_path), "--seeds", "0,1", "--per-seed-min", "0.9", "--mean-plcc-threshold"]
    assert main([*argv, "0.9", "--allow-threshold-override"]) == 0
    v = Verdict.read(tmp_path / "PROMOTE.json")
    assert v.thresholds_overridden is True
    assert v.thresholds == {"mean_plcc": 0.9, "plcc_spread": 0.005, "per_seed_min": 0.9}
    assert "LOOSENED" in capsys.readouterr().out


def test_tightening_needs_no_override_and_can_turn_promote_into_hold(tmp_path: Path) -> None:
    write_run(tmp_path, UPSTREAM)
    assert main([str(tmp_path), "--seeds", SEEDS, "--per-seed-min", "0.9975"]) == 1
    v = Verdict.read(tmp_path / "HOLD.json")
    assert v.thresholds_overridden is False and v.flip == (0, 2)


def test_help_explains_the_rules_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--allow-threshold-override" in out and "0.005" in out and "Exit codes" in out


def test_unexpected_failure_is_exit_3_with_please_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gate.__main__ as cli

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "judge_run", boom)
    write_run(tmp_path, UPSTREAM)
    assert main([str(tmp_path), "--seeds", SEEDS]) == 3
    assert "please report" in capsys.readouterr().err


def test_summary_in_a_missing_folder_is_bad_input_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loso = write_run(tmp_path / "loso", UPSTREAM)
    assert main([str(loso), "--seeds", SEEDS, "--summary", str(tmp_path / "no" / "s.md")]) == 2
    assert "--summary" in capsys.readouterr().err
    assert not list(loso.glob("[PHc]*.json"))
