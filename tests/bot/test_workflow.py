"""Actions plumbing: step outputs, annotations, and what the bot pulls in at import time."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.github_api import PullInfo
from bot.outcome import Outcome
from bot.workflow import OUTPUT_NAMES, annotate_error, write_outputs


def parse_outputs(text: str) -> dict[str, str]:
    """Read ``name<<DELIM`` blocks the way the runner does."""
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        body = []
        for inner in lines:
            if inner == delimiter:
                break
            body.append(inner)
        values[name] = "\n".join(body)
    return values


def test_outputs_survive_multiline_values_and_name_every_output(tmp_path: Path):
    path = tmp_path / "out"
    reason = "PLCC spread 0.009 > 0.005\nEOF\nfake-output<<EOF"
    outcome = Outcome(operation="refused", branch="flipbot/registry", refusal_reason=reason)
    write_outputs(outcome.outputs(), str(path))
    parsed = parse_outputs(path.read_text())
    assert set(parsed) == set(OUTPUT_NAMES)
    assert parsed["refusal-reason"] == reason
    assert parsed["pull-request-operation"] == "refused" and parsed["pull-request-number"] == ""
    created = Outcome(
        operation="created",
        number=12,
        url="https://github.com/o/r/pull/12",
        head_sha="a" * 40,
        branch="flipbot/registry",
        flipped=("x_seed0", "x_seed1"),
    )
    write_outputs(created.outputs(), str(path))
    assert parse_outputs(path.read_text())["flipped"] == "x_seed0,x_seed1"  # the later block wins


def test_unknown_output_names_are_a_bug(tmp_path: Path):
    with pytest.raises(ValueError, match="unknown step outputs"):
        write_outputs({"pull-request-numbr": "1"}, str(tmp_path / "out"))


def test_annotations_escape_newlines_and_percent():
    stream = io.StringIO()
    annotate_error("50% failed\nsecond line", stream)
    assert stream.getvalue() == "::error::50%25 failed%0Asecond line\n"


def test_importing_the_bot_loads_neither_torch_nor_trainer_and_github_only_via_github_api():
    # onnx/onnxruntime are allowed: the trusted side checks every ONNX itself (SPEC §11).
    code = (
        "import sys, bot.__main__, bot.pr.local, bot.registry.flip, bot.body.pr_body, bot.pr.lifecycle;"
        "bad = [m for m in ('torch', 'trainer') if m in sys.modules];"
        "assert not bad, bad;"
        "import importlib; "
        "users = [n for n, m in list(sys.modules.items()) if n.startswith('bot.') and 'github' in vars(m)];"
        "print(','.join(sorted(users)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "bot.github_api.repo"


def test_an_outcome_about_a_pull_takes_its_number_and_url_and_none_without_one() -> None:
    pull = PullInfo(7, "https://github.com/o/r/pull/7", "t", "b", (), "a" * 40)
    about = Outcome.about("updated", pull, branch="flipbot/registry", notes=("n",))
    assert (about.number, about.url, about.branch, about.notes) == (
        7, "https://github.com/o/r/pull/7", "flipbot/registry", ("n",)
    )  # fmt: skip
    alone = Outcome.about("refused", None, refusal_reason="r")
    assert alone.outputs()["pull-request-number"] == "" and alone.refusal_reason == "r"
