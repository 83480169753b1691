"""`id-token: write` only on the job that runs the bot; `sign` reaches the bot through env."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]


def test_only_the_bot_job_may_request_an_oidc_token() -> None:
    flow = YAML(typ="safe").load((ROOT / ".github/workflows/flip.yml").read_text())
    assert flow["permissions"] == {}
    tokens = {
        name: (job.get("permissions") or {}).get("id-token") for name, job in flow["jobs"].items()
    }
    assert {name for name, value in tokens.items() if value} == {"promote"}
    assert tokens["promote"] == "write"
    for path in (ROOT / ".github/workflows").glob("*.yml"):
        if path.name != "flip.yml":
            assert "id-token" not in path.read_text(), path.name


def test_the_sign_inputs_reach_the_bot_only_through_env() -> None:
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    assert action["inputs"]["sign"]["default"] == "auto"
    assert action["inputs"]["identity-regexp"]["default"] == ""
    steps = action["runs"]["steps"]
    envs = [s.get("env", {}) for s in steps]
    assert any(e.get("FLIPBOT_INPUT_SIGN") == "${{ inputs.sign }}" for e in envs)
    assert any(e.get("SIGN") == "${{ steps.inputs.outputs.sign }}" for e in envs)
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    assert "inputs.sign" not in runs and "identity-regexp" not in runs
