"""A 120 kB input (a path, a label, a URL...) is exit 2 naming the input, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main as bot_main
from flipbot.action.__main__ import main as action_main
from flipbot.action.inputs import parse_inputs
from flipbot.errors import InputError
from flipbot.input_bounds import MAX_INPUT, MAX_PATH, check_path_length
from gate.__main__ import main as gate_main

HUGE = "x" * 120_000

BOT_ARGS = {
    "--verdict-dir": "in/loso",
    "--artifacts": "in/export",
    "--registry": "model/tiny/registry.json",
    "--repo": "local/flipbot",
    "--base": "main",
}


def bot_argv(**changes: str) -> list[str]:
    args = BOT_ARGS | changes
    return [part for pair in args.items() for part in pair] + ["--dry-run"]


@pytest.mark.parametrize(
    ("flag", "limit"),
    [
        ("--verdict-dir", MAX_PATH),
        ("--artifacts", MAX_PATH),
        ("--registry", MAX_PATH),
        ("--repo", MAX_INPUT),
        ("--base", MAX_INPUT),
        ("--labels", MAX_INPUT),
        ("--api-url", MAX_INPUT),
    ],
)
def test_a_huge_bot_flag_is_exit_2_naming_the_flag(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
    limit: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    extra = (
        ["--labels", HUGE]
        if flag == "--labels"
        else ["--api-url", HUGE]
        if flag == "--api-url"
        else []
    )
    argv = bot_argv(**({flag: HUGE} if flag in BOT_ARGS else {})) + extra
    assert bot_main(argv) == 2
    err = capsys.readouterr().err
    assert f"{flag}: the value is 120000 characters long, more than the {limit} allowed" in err
    assert len(err) < 300


def test_a_huge_plots_url_in_the_environment_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLIPBOT_PLOTS_URL", "https://" + HUGE)
    assert bot_main(bot_argv()) == 2
    assert "FLIPBOT_PLOTS_URL: the value is 120008 characters long" in capsys.readouterr().err


def test_a_path_part_longer_than_a_file_name_is_refused_before_the_file_system_sees_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_part = str(tmp_path / ("v" * 300))
    assert bot_main(bot_argv(**{"--verdict-dir": long_part})) == 2
    assert "--verdict-dir: a part of the path is 300 characters long" in capsys.readouterr().err
    with pytest.raises(InputError, match="more than the 255 bytes"):
        check_path_length("p", "a/" + "é" * 128)  # 256 bytes in UTF-8


@pytest.mark.parametrize("flag", ["LOSO_DIR", "--out-dir", "--summary"])
def test_a_huge_gate_path_is_exit_2(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    argv = [HUGE if flag == "LOSO_DIR" else ".", "--seeds", "0"]
    if flag != "LOSO_DIR":
        argv += [flag, HUGE]
    assert gate_main(argv) == 2
    assert f"{flag}: the value is 120000 characters long" in capsys.readouterr().err


def action_env(**overrides: str) -> dict[str, str]:
    base = {
        "STAGES": "promote",
        "CORPUS": "c.jsonl",
        "REGISTRY": "registry.json",
        "ARTIFACTS_DIR": "out",
        "BASE": "main",
        "REPOSITORY": "owner/repo",
    }
    base |= overrides
    return {f"FLIPBOT_INPUT_{k}": v for k, v in base.items()} | {"RUNNER_TEMP": "/runner/tmp"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "c.jsonl").write_text("{}\n")
    (tmp_path / "registry.json").write_text("{}\n")
    return tmp_path


@pytest.mark.parametrize(
    ("key", "value", "limit"),
    [
        ("CORPUS", HUGE, MAX_PATH),
        ("REGISTRY", HUGE, MAX_PATH),
        ("ARTIFACTS_DIR", HUGE, MAX_PATH),
        ("TRAIN_PYTHON", "/" + HUGE, MAX_PATH),
        ("VENV_DIR", "/" + HUGE, MAX_PATH),
        ("LABELS", HUGE, MAX_INPUT),
        ("BASE", HUGE, MAX_INPUT),
        ("PLOTS_URL", HUGE, MAX_INPUT),
        ("SEEDS", HUGE, MAX_INPUT),
        ("SOME_FUTURE_INPUT", HUGE, MAX_INPUT),  # every FLIPBOT_INPUT_*, not a fixed list
    ],
)
def test_a_huge_action_input_is_refused_naming_it(
    workspace: Path, key: str, value: str, limit: int
) -> None:
    name = key.lower().replace("_", "-")
    with pytest.raises(InputError) as caught:
        parse_inputs(action_env(**{key: value}), workspace)
    message = str(caught.value)
    assert message.startswith(f"input '{name}': the value is {len(value)} characters long")
    assert f"more than the {limit} allowed" in message and len(message) < 200


def test_the_inputs_command_exits_2_on_a_huge_path(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in action_env(REGISTRY=HUGE).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.chdir(workspace)
    assert action_main(["inputs"]) == 2
    out = capsys.readouterr().out  # one workflow ::error line
    assert out.startswith("::error title=flipbot::input 'registry': the value is 120000 characters")


def test_inputs_at_the_limit_still_parse(workspace: Path) -> None:
    labels = ",".join(["label"] * ((MAX_INPUT + 1) // 6))[:MAX_INPUT].rstrip(",")
    parsed = parse_inputs(action_env(LABELS=labels), workspace)
    assert len(labels) <= MAX_INPUT and set(parsed.labels) == {"label"}
