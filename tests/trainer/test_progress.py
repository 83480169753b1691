"""Epoch progress: a redrawn bar on a terminal, sparse log lines in CI logs."""

from __future__ import annotations

import io
import logging

import pytest

from trainer.progress import EpochProgress


def test_terminal_bar_redraws_in_place_and_ends_with_a_newline() -> None:
    stream = io.StringIO()
    bar = EpochProgress("loso", stream=stream, tty=True)
    for done in range(1, 5):
        bar(done, 4)
    text = stream.getvalue()
    assert text.count("\r") == 4
    assert "epoch 2/4" in text and "eta" in text
    assert text.endswith("epoch 4/4 0:00 eta 0:00\n")
    assert "[" + "#" * 30 + "]" in text


def test_ci_log_gets_a_few_lines_not_one_per_epoch(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="trainer")
    quiet = EpochProgress("loso", stream=io.StringIO(), tty=False, min_interval=0.0)
    for done in range(1, 201):
        quiet(done, 200)
    lines = [r.getMessage() for r in caplog.records]
    assert 5 <= len(lines) <= 11
    assert lines[-1].startswith("loso: epoch 200/200")


def test_ci_log_respects_the_minimum_interval(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="trainer")
    quiet = EpochProgress("loso", stream=io.StringIO(), tty=False, min_interval=3600.0)
    for done in range(1, 101):
        quiet(done, 100)
    assert [r.getMessage().split(",")[0] for r in caplog.records] == ["loso: epoch 100/100"]
