"""The stages ``bot promote`` starts see no token: by name, by value, in a real child."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from bot.promote.children import TOKEN_VARIABLES, Child, child_env
from flipbot.errors import InputError

SECRET = "ghs_0123456789abcdef0123456789abcdef0123"


def test_every_token_variable_and_any_value_holding_the_token_is_dropped() -> None:
    env = {name: f"value-{name}" for name in TOKEN_VARIABLES} | {
        "INPUT_TOKEN": SECRET,
        "ACTIONS_CACHE_URL": "https://cache.example/",
        "ACTIONS_RESULTS_URL": "https://results.example/",
        "NPM_AUTH_TOKEN": "n",
        "AWS_SECRET_ACCESS_KEY": "a",
        "SSH_PRIVATE_KEY": "k",
        "SOMEWHERE": f"prefix {SECRET} suffix",
        "PATH": "/usr/bin",
        "HOME": "/home/runner",
        "GITHUB_REPOSITORY": "octo/models",
    }
    got = child_env(env, [SECRET], {"GITHUB_SHA": "a" * 40})
    assert got == {
        "PATH": "/usr/bin",
        "HOME": "/home/runner",
        "GITHUB_REPOSITORY": "octo/models",
        "GITHUB_SHA": "a" * 40,
    }


def test_a_real_child_sees_none_of_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TOKEN_VARIABLES:
        monkeypatch.setenv(name, SECRET)
    out = tmp_path / "env.json"
    child = Child(sys.executable, child_env(dict(os.environ), [SECRET]))
    code = f"import json, os; json.dump(dict(os.environ), open({str(out)!r}, 'w'))"
    monkeypatch.setattr("bot.promote.children.CODE_ROOT", tmp_path)  # where the probe module lives
    (tmp_path / "env_probe.py").write_text(code)
    assert child.run("probe", ["env_probe"], tmp_path) == 0
    seen = json.loads(out.read_text())
    assert set(TOKEN_VARIABLES).isdisjoint(seen) and SECRET not in json.dumps(seen)
    assert seen["PYTHONPATH"].split(":")[0] == str(tmp_path)


def test_a_child_exit_2_is_an_input_error_and_others_are_bugs(tmp_path: Path) -> None:
    child = Child(sys.executable, {"PATH": "/usr/bin:/bin"})
    (tmp_path / "two.py").write_text("raise SystemExit(2)")
    (tmp_path / "one.py").write_text("raise SystemExit(1)")
    with pytest.raises(InputError, match="probe: refused its input"):
        child.run("probe", ["two"], tmp_path)
    assert child.run("probe", ["one"], tmp_path, allow_no=True) == 1
    with pytest.raises(RuntimeError, match="exited 1"):
        child.run("probe", ["one"], tmp_path)
