"""Every command maps errors the same way: InputError -> 2 with one line, anything else -> 3."""

from __future__ import annotations

import pytest

from flipbot.cli import run_guarded
from flipbot.errors import InputError


def test_success_returns_the_body_code() -> None:
    assert run_guarded("x", lambda: 1) == 1


def test_input_error_is_one_line_exit_2_and_reaches_the_hook(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[str] = []

    def body() -> int:
        raise InputError("corpus.jsonl:3: key 'vmaf' is missing; add it")

    assert run_guarded("trainer", body, on_input_error=seen.append) == 2
    assert (
        capsys.readouterr().err == "trainer: error: corpus.jsonl:3: key 'vmaf' is missing; add it\n"
    )
    assert seen == ["corpus.jsonl:3: key 'vmaf' is missing; add it"]


def test_any_other_error_is_a_bug_with_traceback_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    def body() -> int:
        raise RuntimeError("boom")

    assert run_guarded("gate", body) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "gate: internal error" in err and "please report" in err
