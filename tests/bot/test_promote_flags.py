"""``bot promote`` refuses bad flags before it reads or writes anything."""

from __future__ import annotations

import pytest

from bot.__main__ import main

BASE = ["promote", "--loso-dir", "nowhere", "--registry", "model/tiny/registry.json"]
BASE += ["--repo", "local/models", "--base", "main", "--dry-run"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--per-seed-min", "0.9"], "allow-threshold-override"),
        (["--plcc-spread-max", "0.01"], "allow-threshold-override"),
        (["--corpus", "../outside.jsonl"], "--corpus '../outside.jsonl': not a clean"),
        (["--corpus", ".git/config"], "not a clean repository-relative path"),
        (["--audit-sample", "0"], "--audit-sample"),
        (["--audit-sample", "some"], "--audit-sample"),
        (["--epochs", "0"], "--epochs"),
        (["--loso-dir", "x" * 5000], "--loso-dir"),
    ],
)
def test_a_bad_flag_is_exit_2_naming_it(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*BASE, *flags]) == 2
    assert message in capsys.readouterr().err


def test_tightening_a_threshold_needs_no_override(capsys: pytest.CaptureFixture[str]) -> None:
    """Tightening passes the flag checks; the run then stops at the missing loso folder."""
    assert main([*BASE, "--per-seed-min", "0.99"]) == 2
    assert "nowhere/loso_seed0.json: missing" in capsys.readouterr().err
