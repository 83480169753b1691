"""The trusted stage runs only what this run installed from hash-pinned pins (issue 18, item 5).

A less trusted job on the same self-hosted runner can leave files where earlier versions of
the Action looked for reusable venvs: a venv whose stamp matches the public lock, and a uv
binary. Each planted program here writes a marker file when run. The Action's helper steps
run for real, as action.yml runs them (``python3 -m flipbot.action ...`` with the step's
env), and the bot's venv is built for real from requirements/bot.lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flipbot.venvs import venv_key

ROOT = Path(__file__).resolve().parents[2]
BOT_LOCK = ROOT / "requirements" / "bot.lock"
UV_PINS = ROOT / "requirements" / "uv.txt"


def plant(path: Path, marker: Path) -> None:
    """An executable that records that it ran, then behaves like a working tool."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\nexit 0\n')
    path.chmod(0o755)


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    """$RUNNER_TEMP with venvs and uv planted where the keyed layout would find them."""
    runner_temp = tmp_path / "runner-temp"
    marker = tmp_path / "ran.txt"
    for lasting in (runner_temp / "flipbot-venvs", tmp_path / "lasting"):
        bot = lasting / f"bot-{venv_key([BOT_LOCK])}"
        plant(bot / "bin" / "python", marker)
        (bot / ".flipbot-venv-key").write_text(venv_key([BOT_LOCK]) + "\n")  # a valid stamp
        plant(lasting / f"uv-{venv_key([UV_PINS])}" / "bin" / "uv", marker)
    return runner_temp, marker


def helper(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(cwd))}
    base |= {"PYTHONPATH": str(ROOT), "PYTHONSAFEPATH": "1"}
    base |= {k: v for k, v in os.environ.items() if k.startswith(("PIP_", "UV_"))}
    return subprocess.run(
        [sys.executable, "-m", "flipbot.action", *args],
        env=base | env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def outputs(text: str) -> dict[str, str]:
    """``name<<DELIM\\nvalue\\nDELIM`` blocks, as the helpers print them without $GITHUB_OUTPUT."""
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            value = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            found[name] = "\n".join(value)
    return found


def test_a_lasting_venv_dir_is_refused_on_the_trusted_stage(
    tmp_path: Path, planted: tuple[Path, Path]
) -> None:
    runner_temp, marker = planted
    (tmp_path / "corpus.jsonl").write_text("{}\n")
    (tmp_path / "registry.json").write_text("{}\n")
    env = {
        "RUNNER_TEMP": str(runner_temp),
        "FLIPBOT_INPUT_STAGES": "promote",
        "FLIPBOT_INPUT_CORPUS": "corpus.jsonl",
        "FLIPBOT_INPUT_REGISTRY": "registry.json",
        "FLIPBOT_INPUT_ARTIFACTS_DIR": "art",
        "FLIPBOT_INPUT_BASE": "main",
        "FLIPBOT_INPUT_REPOSITORY": "octo/models",
        "FLIPBOT_INPUT_VENV_DIR": str(tmp_path / "lasting"),
    }
    done = helper(["inputs", "--workspace", str(tmp_path)], env, tmp_path)
    assert done.returncode == 2
    assert done.stdout.startswith("::error title=flipbot::input 'venv-dir': ")
    assert "refused with the promote stage" in done.stdout
    fine = helper(
        ["inputs", "--workspace", str(tmp_path)], env | {"FLIPBOT_INPUT_VENV_DIR": ""}, tmp_path
    )
    assert fine.returncode == 0, fine.stdout + fine.stderr
    values = outputs(fine.stdout)
    assert (values["trusted"], values["venv-dir"], values["bot-venv"]) == ("true", "", "true")
    assert not marker.exists()


def test_planted_venv_and_uv_are_never_run_by_the_trusted_set_up(
    tmp_path: Path, planted: tuple[Path, Path]
) -> None:
    runner_temp, marker = planted
    plan_env = {
        "RUNNER_TEMP": str(runner_temp),
        "TRUSTED": "true",
        "WANT_BOT": "true",
        "WANT_TORCH": "false",
        "BOT_LOCK": str(BOT_LOCK),
        "TORCH_LOCK": str(ROOT / "requirements" / "train.lock"),
        # what the keyed layout used for every stage: the planted folder
        "VENV_DIR": str(runner_temp / "flipbot-venvs"),
    }
    plan = helper(["venvs"], plan_env, tmp_path)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    values = outputs(plan.stdout)
    root = Path(values["bot"]).parent
    assert root.parent == runner_temp and root.name.startswith("flipbot-trusted-")
    assert values["uv"] == str(root / "uv") and values["fresh"] == "true"

    venv_env = {
        "RUNNER_TEMP": str(runner_temp),
        "NAME": "bot",
        "VENV": values["bot"],
        "REQUIREMENTS": values["bot-requirements"],
        "UV_DIR": values["uv"],
        "FRESH": values["fresh"],
    }
    built = helper(["venv"], venv_env, tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    python = Path(outputs(built.stdout)["python"])
    assert python == root / "bot" / "bin" / "python"
    assert not marker.exists(), marker.read_text()
    # the venv holds the lock's packages, installed with --require-hashes
    probe = subprocess.run(
        [str(python), "-c", "import github, onnxruntime, numpy; print(numpy.__version__)"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert probe.returncode == 0 and probe.stdout.strip() == "2.4.6", probe.stderr
    site = next((root / "bot").glob("lib/python3*/site-packages"))
    assert not (site / "torch").exists()
    # a second venv step on the same folder is refused, not reused
    again = helper(["venv"], venv_env, tmp_path)
    assert again.returncode == 2 and "exists already" in again.stdout
    assert not marker.exists()
