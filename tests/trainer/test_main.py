"""`python -m trainer`: dispatch, lazy commands, and the exit code of a bug."""

from __future__ import annotations

import argparse

import pytest

import trainer.__main__ as entry


def test_a_command_whose_module_is_missing_is_listed_but_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(entry.COMMANDS, "export", ("trainer.no_such_module", "export things"))
    assert entry.main(["--help"]) == 0
    assert "export" in capsys.readouterr().out
    assert entry.main(["export", "--corpus", "x"]) == 2
    assert "not available in this checkout" in capsys.readouterr().err


def test_a_crash_exits_3_and_asks_for_a_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Boom:
        @staticmethod
        def configure(parser: argparse.ArgumentParser) -> None:
            pass

        @staticmethod
        def run(args: argparse.Namespace) -> int:
            raise RuntimeError("boom")

    monkeypatch.setattr(entry, "_load", lambda name: Boom)
    assert entry.main(["loso"]) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "please report" in err
