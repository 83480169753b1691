"""What ``bot promote`` never takes from the training side: other files, a verdict, a token leak.

The GPU artifact may hold anything next to the loso files: a verdict that grants itself
the override, an export folder with a backdoored member, drift and calibration files.
None of it is ever opened (an audit hook records every open and listing of this process;
the children are given only work-dir paths), and the stages run without any token.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from harness import snapshot
from promote_repo import REGISTRY, SEEDS, promote

from flipbot.jsonfile import sha256_bytes, write_json
from gate.__main__ import main as gate_main

ROOT = Path(__file__).resolve().parents[2]
TOKENS = {
    "FLIPBOT_TOKEN": "ghs_flipbottoken0000000000000000000001",
    "GITHUB_TOKEN": "ghs_githubtoken000000000000000000000002",
    "GH_TOKEN": "ghs_ghtoken00000000000000000000000000003",
    "ACTIONS_RUNTIME_TOKEN": "runtime-token-4",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-token-5",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/6",
    "INPUT_TOKEN": "ghs_flipbottoken0000000000000000000001",
}
_OPENED: list[str] | None = None


def _hook(event: str, args: tuple[object, ...]) -> None:
    if _OPENED is not None and event in ("open", "os.listdir", "os.scandir") and args:
        _OPENED.append(os.fsdecode(args[0]) if isinstance(args[0], str | bytes) else repr(args[0]))


sys.addaudithook(_hook)


def _plant(loso: Path, tmp_path: Path) -> None:
    """A self-granted override and a backdoored export beside the honest loso files."""
    judged = tmp_path / "judged"
    shutil.copytree(loso, judged)
    assert gate_main([str(judged), "--seeds", ",".join(map(str, SEEDS))]) == 0
    verdict = json.loads((judged / "PROMOTE.json").read_text())
    verdict["thresholds_overridden"] = True
    verdict["thresholds"]["per_seed_min"] = 0.5
    write_json(loso / "PROMOTE.json", verdict)
    write_json(loso / "HOLD.json", verdict)
    export = loso / "export"
    export.mkdir()
    backdoor = (ROOT / "tests/flipbot/data/member_seed0.onnx").read_bytes()
    for seed in SEEDS:
        (export / f"fr_regressor_v2_ensemble_v1_seed{seed}.onnx").write_bytes(backdoor)
    write_json(export / "flip_plan.json", {"rows": "planted"})
    for name in ("drift.json", "calibration.json", "loso_seed9.json"):
        write_json(loso / name, {"forged": "<b>@maintainer</b>"})
        write_json(export / name, {"forged": True})


def _recording_python(tmp_path: Path) -> tuple[Path, Path]:
    """A --train-python that writes each child's environment to a file, then runs Python."""
    dumps = tmp_path / "env"
    dumps.mkdir()
    script = tmp_path / "python"
    script.write_text(f'#!/bin/sh\nenv > "{dumps}/$$.env"\nexec "{sys.executable}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, dumps


def test_nothing_but_the_loso_files_is_read_and_no_child_sees_a_token(
    promote_case: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    global _OPENED
    repo, loso = promote_case
    _plant(loso, tmp_path)
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    python, dumps = _recording_python(tmp_path)
    _OPENED = []
    try:
        assert promote(loso, "--train-python", str(python)) == 0
    finally:
        opened, _OPENED = _OPENED, None
    from_gpu = sorted({p for p in opened if Path(p).resolve().is_relative_to(loso.resolve())})
    assert from_gpu == [str(loso / f"loso_seed{s}.json") for s in SEEDS]
    # The shipped members are the ones exported here, not the planted ones.
    rows = {r["id"]: r for r in json.loads((repo / REGISTRY).read_text())["models"]}
    planted = sha256_bytes((loso / "export/fr_regressor_v2_ensemble_v1_seed0.onnx").read_bytes())
    shipped = (repo / "model/tiny/fr_regressor_v2_ensemble_v1_seed0.onnx").read_bytes()
    assert rows["fr_regressor_v2_ensemble_v1_seed0"]["sha256"] == sha256_bytes(shipped) != planted
    envs = [p.read_text() for p in sorted(dumps.glob("*.env"))]
    assert len(envs) == 3  # audit, gate, export
    for env in envs:
        names = {line.split("=", 1)[0] for line in env.splitlines() if "=" in line}
        assert names.isdisjoint(TOKENS)
        assert not any(value in env for value in TOKENS.values())
        assert str(loso) not in env
        cache = next(line for line in env.splitlines() if line.startswith("XDG_CACHE_HOME="))
        assert Path(cache.split("=", 1)[1]).parent.name.startswith("flipbot-promote-")


def test_a_verdict_that_grants_itself_the_override_is_ignored(
    promote_case: tuple[Path, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The workflow's thresholds hold the seeds (0.9967, 0.9970) below 0.999: no flip."""
    repo, loso = promote_case
    _plant(loso, tmp_path)
    capfd.readouterr()
    before = snapshot(repo)
    assert promote(loso, "--per-seed-min", "0.999") == 1
    out = capfd.readouterr().out
    assert "flipbot gate: HOLD" in out and "flipbot gate: PROMOTE" not in out
    assert "LOOSENED" not in out and "overrid" not in out.lower()
    assert "flipbot refused the flip: no seed cleared the gate" in out
    assert snapshot(repo) == before
