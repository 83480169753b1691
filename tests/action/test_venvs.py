"""The set-up helpers: pip's index handed to uv, keyed venv folders, visible phases."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flipbot import venvs
from flipbot.action import venv_step
from flipbot.errors import InputError
from flipbot.pip_config import parse_config_list

PIP_CONFIG = """\
:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'
global.find-links='/elsewhere'
global.index-url='https://mirror.example/simple'
"""


def test_pip_config_becomes_the_same_uv_options() -> None:
    index = parse_config_list(PIP_CONFIG)
    assert index.find_links == ("/opt/wheels",)  # the environment wins over the file
    assert index.uv_args() == [
        "--index-strategy", "unsafe-best-match",
        "--index-url", "https://mirror.example/simple",
        "--extra-index-url", "file:///opt/a/simple",
        "--extra-index-url", "file:///opt/b/simple",
        "--find-links", "/opt/wheels",
        "--constraint", "/etc/xdg/pip/constraints.txt",
    ]  # fmt: skip
    assert index.uv_env() == {"SSL_CERT_FILE": "/etc/ssl/certs/ca.crt"}
    assert "--constraint" not in index.uv_args(constraints=False)  # a lock pins every version
    assert parse_config_list("").uv_args() == ["--index-strategy", "unsafe-best-match"]


def write_pins(folder: Path, numpy: str = "2.4.6") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.txt").write_text(f"numpy=={numpy}\n")
    (folder / "top.txt").write_text("-r base.txt\nscipy==1.17.1\n")
    return folder / "top.txt"


def test_venv_key_follows_included_pins_and_the_python_version(tmp_path: Path) -> None:
    top = write_pins(tmp_path)
    assert venvs.requirement_files([top]) == [top.resolve(), (tmp_path / "base.txt").resolve()]
    key = venvs.venv_key([top])
    assert len(key) == 16 and key == venvs.venv_key([top])
    assert venvs.venv_key([top], python="3.12.1") != key
    write_pins(tmp_path, numpy="2.4.7")  # a pin changed in the included file
    assert venvs.venv_key([top]) != key
    with pytest.raises(InputError, match=r"missing\.txt: requirements file not found"):
        venvs.venv_key([tmp_path / "missing.txt"])


def test_plan_names_a_keyed_train_venv_on_the_gpu_side(tmp_path: Path) -> None:
    top = write_pins(tmp_path)
    env = {"VENV_DIR": "/v", "WANT_TORCH": "true", "TRAIN_REQUIREMENTS": str(top)}
    out = venv_step.plan(env)
    key = venvs.venv_key([top])
    assert out["torch"] == f"/v/train-{key}" and out["torch-requirements"] == str(top)
    assert out["bot"] == "" and out["fresh"] == "false"
    assert out["uv"] == f"/v/uv-{venvs.venv_key([venv_step.UV_PINS])}"
    write_pins(tmp_path, numpy="2.4.7")
    assert venv_step.plan(env)["torch"] != out["torch"]  # new pins, new folder
    assert venv_step.plan(env | {"WANT_TORCH": "false"})["torch"] == ""
    with pytest.raises(InputError, match="VENV_DIR is empty"):
        venv_step.plan({})


def test_plan_on_the_trusted_side_makes_a_new_private_folder_every_time(tmp_path: Path) -> None:
    env = {"TRUSTED": "true", "WANT_BOT": "true", "WANT_TORCH": "true"}
    env |= {"BOT_LOCK": "/a/bot.lock", "TORCH_LOCK": "/a/train.lock", "RUNNER_TEMP": str(tmp_path)}
    env |= {"VENV_DIR": "/lasting"}  # never read on the trusted side
    first, second = venv_step.plan(env), venv_step.plan(env)
    root = Path(first["bot"]).parent
    assert root.parent == tmp_path and root.name.startswith("flipbot-trusted-")
    assert (root.stat().st_mode & 0o777) == 0o700 and list(root.iterdir()) == []
    assert first == {
        "bot": f"{root}/bot", "bot-requirements": "/a/bot.lock",
        "torch": f"{root}/torch", "torch-requirements": "/a/train.lock",
        "uv": f"{root}/uv", "fresh": "true",
    }  # fmt: skip
    assert Path(second["bot"]).parent != root


def test_a_fresh_venv_is_never_built_over_something_that_exists(tmp_path: Path) -> None:
    requirements = tmp_path / "nothing.txt"
    requirements.write_text("# nothing to install\n")
    root = venv_step.private_root(str(tmp_path))
    (root / "bot").mkdir()
    with pytest.raises(InputError, match=r"bot exists already; the trusted stage never reuses"):
        venv_step.ensure(root / "bot", requirements, uv_dir=root / "uv", fresh=True)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(InputError, match="not a private folder made by this job's venvs step"):
        venv_step.ensure(shared / "bot", requirements, uv_dir=shared / "uv", fresh=True)
    with pytest.raises(InputError, match="uv must live beside"):
        venv_step.ensure(root / "torch", requirements, uv_dir=tmp_path / "uv", fresh=True)


def test_ensure_builds_once_then_reuses_and_rebuilds_a_half_built_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLIPBOT_INSTALLER", "pip")
    requirements = tmp_path / "nothing.txt"
    requirements.write_text("# nothing to install\n")
    folder = tmp_path / "v" / "base-x"
    python = venv_step.ensure(folder, requirements)
    assert python.exists()
    assert (folder / venv_step.STAMP).read_text().strip() == venvs.venv_key([requirements])
    first = capsys.readouterr().out
    assert "installing pinned packages into" in first and "with pip" in first
    assert venv_step.ensure(folder, requirements) == python
    assert "reusing" in capsys.readouterr().out
    (folder / venv_step.STAMP).unlink()  # as if the install was interrupted
    (folder / "junk").write_text("x")
    venv_step.ensure(folder, requirements)
    assert "building it afresh" in capsys.readouterr().out
    assert not (folder / "junk").exists()


def test_a_lock_file_is_installed_with_require_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []

    def fake_install(folder: Path, requirements: list[Path], **kw: object) -> Path:
        seen.append(bool(kw["require_hashes"]))
        (folder / "bin").mkdir(parents=True)
        (folder / "bin" / "python").write_text("")
        return folder / "bin" / "python"

    monkeypatch.setenv("FLIPBOT_INSTALLER", "pip")
    monkeypatch.setattr(venv_step, "install", fake_install)
    for name in ("bot.lock", "base.txt"):
        (tmp_path / name).write_text("")
        venv_step.ensure(tmp_path / name.split(".")[0], tmp_path / name)
    root = venv_step.private_root(str(tmp_path))
    venv_step.ensure(root / "bot", tmp_path / "bot.lock", uv_dir=root / "uv", fresh=True)
    assert seen == [True, False, True]


def test_a_long_phase_says_it_is_still_running(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(venvs, "HEARTBEAT_S", 0.1)
    venvs.run_visibly([sys.executable, "-c", "import time; time.sleep(0.45)"], "installing")
    out = capsys.readouterr().out
    assert out.count("still installing") >= 3
    assert "done in" in out
    with pytest.raises(InputError, match=r"installing failed \(exit 3"):
        venvs.run_visibly([sys.executable, "-c", "raise SystemExit(3)"], "installing")


def test_without_uv_the_set_up_says_so_and_uses_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "uv.txt"
    broken.write_text("this is not a requirement ==\n")  # pip refuses it before any download
    monkeypatch.setattr(venvs, "UV_PINS", broken)
    assert venvs.bootstrap_uv(tmp_path / "boot") is None
    assert "uv could not be installed" in capsys.readouterr().out
    fake_uv = tmp_path / "uv"  # an installer that fails: the install starts afresh with pip
    fake_uv.write_text("#!/bin/sh\nexit 1\n")
    fake_uv.chmod(0o755)
    requirements = tmp_path / "nothing.txt"
    requirements.write_text("# nothing to install\n")
    python = venvs.install(tmp_path / "v", [requirements], uv=fake_uv)
    out = capsys.readouterr().out
    assert "uv failed" in out and "with pip" in out
    assert python.exists()
