"""Static checks of action.yml and the workflows (SPEC §11, STYLE: action.yml is a thin shell).

Each rule is first shown to fire on a small broken document, then applied to the
real files. zizmor and check-jsonschema run when installed (requirements/ci-tools.txt).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flipbot.action.inputs import parse_inputs
from flipbot.action.outputs import VERDICT_OUTPUTS, input_outputs
from flipbot.action.venv_step import plan as plan_venvs

from . import workflow_rules as rules
from .act_runner import FLOW

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
# The repository's workflows, plus the one the end-to-end test hands to act.
WORKFLOWS = [*sorted((ROOT / ".github" / "workflows").glob("*.yml")), ROOT / FLOW]
FLIP = ROOT / ".github" / "workflows" / "flip.yml"


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return rules.load(ACTION)


def workflow_ids() -> list[str]:
    return [p.name for p in WORKFLOWS]


@pytest.fixture(params=WORKFLOWS, ids=workflow_ids())
def workflow(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    return request.param, rules.load(request.param)


# --- the rules fire on broken documents ---------------------------------------------------

BROKEN_ACTION: dict[str, Any] = {
    "inputs": {"seeds": {}, "unused": {}},
    "outputs": {"verdict": {"description": "no value"}},
    "runs": {
        "using": "composite",
        "steps": [
            {"run": "echo ${{ inputs.seeds }}"},
            {"id": "a", "shell": "bash", "run": "true", "env": {"S": "${{ inputs.seedz }}"}},
            {"shell": "bash", "run": "true", "env": {"X": "${{ steps.b.outputs.x }}"}},
        ],
    },
}


def test_rules_fire_on_a_broken_action() -> None:
    assert rules.run_steps_without_shell(BROKEN_ACTION) == ["step 0"]
    assert rules.expressions_in_run(BROKEN_ACTION) == ["step 0"]
    assert rules.outputs_without_value(BROKEN_ACTION) == ["verdict"]
    assert rules.unused_inputs(BROKEN_ACTION) == ["seeds", "unused"]
    assert rules.undeclared_inputs(BROKEN_ACTION) == ["seedz"]
    assert rules.unknown_step_outputs(BROKEN_ACTION, {}) == ["steps.b: no step has this id"]


def test_rules_fire_on_a_broken_workflow() -> None:
    doc: dict[str, Any] = {
        "on": {"pull_request_target": None},
        "permissions": "write-all",
        "jobs": {
            "j": {
                "permissions": {"contents": "write"},
                "steps": [{"uses": "actions/checkout@v4"}, {"run": "echo ${{ github.head_ref }}"}],
            }
        },
    }
    assert rules.missing_empty_top_permissions(doc)
    assert rules.write_permissions(doc) == ["<top>", "j"]
    assert rules.jobs_without_timeout(doc) == ["j"]
    assert rules.expressions_in_run(doc) == ["job j step 1"]
    assert rules.checkouts_keeping_credentials(doc) == ["job j step 0"]
    assert "pull_request_target" in rules.workflow_triggers(doc)


def test_pin_rule_needs_a_full_sha_and_a_version_comment() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    text = (
        "      - uses: actions/checkout@v4\n"
        f"      - uses: actions/checkout@{sha}\n"
        f"      - uses: actions/checkout@{sha} # v4.2.2\n"
        "      - uses: ./\n"
        "  # uses: not/a-step@main\n"
    )
    assert rules.unpinned_uses(text) == [
        "line 1: actions/checkout@v4 is not pinned to a full commit SHA",
        f"line 2: actions/checkout@{sha} has no '# vX.Y.Z' comment",
    ]


# --- action.yml ---------------------------------------------------------------------------


def test_every_composite_run_step_names_its_shell(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    assert rules.run_steps_without_shell(action) == []


def test_no_expression_inside_any_run_script(action: dict[str, Any]) -> None:
    assert rules.expressions_in_run(action) == []


def test_every_output_has_a_value(action: dict[str, Any]) -> None:
    assert rules.outputs_without_value(action) == []
    assert set(action["outputs"]) == {
        "verdict",
        "flipped",
        "pull-request-number",
        "pull-request-url",
        "pull-request-operation",
        "pull-request-head-sha",
        "pull-request-branch",
        "refusal-reason",
    }


def test_every_input_reaches_a_step_through_env(action: dict[str, Any]) -> None:
    assert rules.unused_inputs(action) == []
    assert rules.undeclared_inputs(action) == []


def test_step_outputs_read_by_action_yml_are_written_by_the_helpers(
    action: dict[str, Any], tmp_path: Path
) -> None:
    """A misspelt `steps.inputs.outputs.x` would silently read ''."""
    (tmp_path / "c.jsonl").write_text("{}\n")
    env = {"FLIPBOT_INPUT_CORPUS": "c.jsonl", "FLIPBOT_INPUT_REGISTRY": "c.jsonl"}
    env |= {"FLIPBOT_INPUT_ARTIFACTS_DIR": "a", "FLIPBOT_INPUT_BASE": "main"}
    env |= {"FLIPBOT_INPUT_REPOSITORY": "o/r", "RUNNER_TEMP": str(tmp_path)}
    produced = {
        "inputs": set(input_outputs(parse_inputs(env, tmp_path))),
        "verdict": set(VERDICT_OUTPUTS),
        "venvs": set(plan_venvs({"VENV_DIR": "/v"})),
        "bot-venv": {"python"},
        "torch-venv": {"python"},
        # the bot's outputs are checked by the end-to-end test
    }
    assert rules.unknown_step_outputs(action, produced) == []


def test_token_reaches_only_the_promote_step_and_only_through_env(action: dict[str, Any]) -> None:
    readers = [
        s.get("id")
        for _, s in rules.all_steps(action)
        if "inputs.token" in repr(s.get("env")) or "inputs.token" in str(s.get("run", ""))
    ]
    assert readers == ["promote"]
    assert "inputs.token" not in repr(action["outputs"])


def test_the_action_has_two_stages_and_runs_exactly_bot_promote(action: dict[str, Any]) -> None:
    """The Action runs `trainer loso` and `bot promote`; gate, export and the bot on a ready
    export folder are not steps of the Action any more."""
    from flipbot.action.commands import STAGES, stage_argv

    assert STAGES == ("train", "promote")
    runs = [s["run"] for _, s in rules.all_steps(action) if "run" in s]
    stage_runs = [r for r in runs if " run " in r]
    assert stage_runs == [
        '"$PY" -m flipbot.action run train',
        '"$PY" -m flipbot.action run promote',
    ]
    steps = {s.get("id"): s for _, s in rules.all_steps(action)}
    for stage in STAGES:  # every variable the stage's argv needs is in its step's env
        env = {k: "x" for k in steps[stage]["env"]} | {"AUDIT_SAMPLE": "default"}
        assert (
            stage_argv(stage, env)[:3]
            == {
                "train": ["-m", "trainer", "loso"],
                "promote": ["-m", "bot", "promote"],
            }[stage]
        )
    assert {"gate", "export", "bot", "base-venv", "train-venv"}.isdisjoint(steps)


def test_the_trusted_side_runs_only_venvs_it_builds_from_locks(action: dict[str, Any]) -> None:
    steps = {s.get("id"): s for _, s in rules.all_steps(action)}
    plan = steps["venvs"]["env"]
    assert plan["BOT_LOCK"] == "${{ github.action_path }}/requirements/bot.lock"
    assert plan["TORCH_LOCK"] == "${{ github.action_path }}/requirements/train.lock"
    assert plan["TRAIN_REQUIREMENTS"] == "${{ github.action_path }}/requirements/train.txt"
    assert plan["TRUSTED"] == "${{ steps.inputs.outputs.trusted }}"
    for name in ("bot", "torch"):
        env = steps[f"{name}-venv"]["env"]
        assert env["VENV"] == f"${{{{ steps.venvs.outputs.{name} }}}}"
        assert env["REQUIREMENTS"] == f"${{{{ steps.venvs.outputs.{name}-requirements }}}}"
        assert env["FRESH"] == "${{ steps.venvs.outputs.fresh }}"
        assert env["UV_DIR"] == "${{ steps.venvs.outputs.uv }}"
    promote = steps["promote"]["env"]
    assert promote["PY"] == "${{ steps.bot-venv.outputs.python }}"
    assert promote["TRAIN_PY"] == "${{ steps.torch-venv.outputs.python }}"
    assert "train-python" not in repr(promote)  # an interpreter the runner had is never used
    # what the plan hands the trusted venvs is the locks, and a lock means --require-hashes
    out = plan_venvs(
        {
            "TRUSTED": "true",
            "WANT_BOT": "true",
            "WANT_TORCH": "true",
            "BOT_LOCK": str(ROOT / "requirements/bot.lock"),
            "TORCH_LOCK": str(ROOT / "requirements/train.lock"),
        }
    )
    assert out["bot-requirements"].endswith("bot.lock")
    assert out["torch-requirements"].endswith("train.lock")
    assert out["fresh"] == "true"


def test_no_actions_cache_anywhere_in_the_action(action: dict[str, Any]) -> None:
    """Any job of the repository can write an Actions cache entry; the Action restores none."""
    assert rules.unpinned_uses(ACTION.read_text(encoding="utf-8")) == []
    assert [s for _, s in rules.all_steps(action) if "uses" in s] == []
    assert "actions/cache" not in ACTION.read_text(encoding="utf-8")


def test_the_verdict_is_read_even_when_promote_fails(action: dict[str, Any]) -> None:
    steps = {s.get("id"): s for _, s in rules.all_steps(action)}
    assert steps["verdict"]["if"].startswith("always() && ")
    assert "--if-present" in steps["verdict"]["run"]


def test_every_stage_step_is_one_line_with_no_shell_logic(action: dict[str, Any]) -> None:
    for _, step in rules.all_steps(action):
        if "run" in step:
            assert "\n" not in step["run"].strip(), step.get("id")


def test_action_has_branding(action: dict[str, Any]) -> None:
    assert action["branding"]["icon"] and action["branding"]["color"]


# --- workflows ----------------------------------------------------------------------------


def test_there_are_workflows_to_check() -> None:
    assert {p.name for p in WORKFLOWS} >= {"flip.yml", "ci.yml", "flow.yml"}


def test_workflow_starts_with_empty_permissions(workflow: tuple[Path, dict[str, Any]]) -> None:
    assert not rules.missing_empty_top_permissions(workflow[1])


def test_write_permissions_only_on_the_promote_job(workflow: tuple[Path, dict[str, Any]]) -> None:
    path, doc = workflow
    expected = ["promote"] if path == FLIP else []
    assert rules.write_permissions(doc) == expected


def test_third_party_actions_are_pinned_by_sha(workflow: tuple[Path, dict[str, Any]]) -> None:
    assert rules.unpinned_uses(workflow[0].read_text(encoding="utf-8")) == []


def test_no_pull_request_target(workflow: tuple[Path, dict[str, Any]]) -> None:
    assert "pull_request_target" not in rules.workflow_triggers(workflow[1])


def test_every_job_has_a_timeout(workflow: tuple[Path, dict[str, Any]]) -> None:
    assert rules.jobs_without_timeout(workflow[1]) == []


def test_no_expression_inside_workflow_run_scripts(workflow: tuple[Path, dict[str, Any]]) -> None:
    assert rules.expressions_in_run(workflow[1]) == []


def test_checkouts_do_not_persist_credentials(workflow: tuple[Path, dict[str, Any]]) -> None:
    assert rules.checkouts_keeping_credentials(workflow[1]) == []


def test_flip_workflow_runs_trusted_code_only() -> None:
    doc = rules.load(FLIP)
    triggers = rules.workflow_triggers(doc)
    assert set(triggers) == {"workflow_dispatch", "push"}
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"seeds", "epochs", "dry-run"}
    assert triggers["push"]["paths"] == ["corpus/flipbot_corpus_v1.jsonl.gz"]
    assert doc["concurrency"]["cancel-in-progress"] is False


def test_flip_workflow_trains_on_gpu_and_promotes_on_a_hosted_runner() -> None:
    doc = rules.load(FLIP)
    assert set(doc["jobs"]) == {"train", "promote"}
    train, promote = doc["jobs"]["train"], doc["jobs"]["promote"]
    assert train["runs-on"] == ["self-hosted", "linux", "gpu"]
    assert train["strategy"]["fail-fast"] is False
    assert "matrix.seed" in train["steps"][1]["with"]["seeds"]
    assert train["permissions"] == {"contents": "read"}
    assert promote["runs-on"] == "ubuntu-latest"
    assert promote["needs"] == "train"
    assert promote["permissions"] == {
        "contents": "write", "pull-requests": "write", "id-token": "write"
    }  # fmt: skip
    used = {
        name: [s["with"]["stages"] for s in job["steps"] if s.get("uses") == "./"]
        for name, job in doc["jobs"].items()
    }
    assert used == {"train": ["train"], "promote": ["promote"]}
    # the trusted job takes the loso files and nothing else from the GPU runners
    downloads = [s for s in promote["steps"] if "download-artifact" in str(s.get("uses"))]
    assert [d["with"] for d in downloads] == [
        {"pattern": "flipbot-loso-seed*", "merge-multiple": True, "path": "flipbot-artifacts/loso"}
    ]
    uploads = [s for s in train["steps"] if "upload-artifact" in str(s.get("uses"))]
    assert [u["with"]["path"] for u in uploads] == ["flipbot-artifacts/loso/"]
    # torch's CPU wheel is the one requirements/train.lock pins, for CPython 3.11
    setup = next(s for s in promote["steps"] if "setup-python" in str(s.get("uses")))
    assert setup["with"]["python-version"] == "3.11"
    assert "cp311" in (ROOT / "requirements" / "train.lock").read_text(encoding="utf-8")
    step = next(s for s in promote["steps"] if s.get("uses") == "./")
    assert not {"train-python", "venv-dir", "token"} & set(step["with"])


def test_ci_runs_the_action_on_itself_including_a_refusal_that_must_fail() -> None:
    doc = rules.load(ROOT / ".github" / "workflows" / "ci.yml")
    jobs = doc["jobs"]
    stages = {
        name: [s["with"].get("stages") for s in job["steps"] if s.get("uses") == "./"]
        for name, job in jobs.items()
    }
    assert stages["self-test-train"] == ["train"] and stages["self-test"] == ["promote"]
    assert jobs["self-test"]["needs"] == "self-test-train"
    refusal = jobs["self-test-refusal"]["steps"]
    step = next(s for s in refusal if s.get("uses") == "./")
    assert step["continue-on-error"] is True
    later = refusal[refusal.index(step) + 1 :]
    assert any(f"steps.{step['id']}.outcome" in repr(s.get("env")) for s in later)
    assert any('"$OUTCOME" = failure' in s.get("run", "") for s in later)
    assert "permissions" in doc and jobs["check"]["permissions"] == {"contents": "read"}
    assert all(job["permissions"] == {"contents": "read"} for job in jobs.values())


# --- external linters ---------------------------------------------------------------------


def tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def run_tool(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"NO_COLOR": "1"}
    env.pop("GH_TOKEN", None)
    env.pop("GITHUB_TOKEN", None)
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def test_zizmor_finds_nothing_above_informational() -> None:
    exe = tool("zizmor")
    if exe is None:
        pytest.skip("zizmor is not installed (pip install -r requirements/ci-tools.txt)")
    files = ["action.yml", *[str(p.relative_to(ROOT)) for p in WORKFLOWS]]
    proc = run_tool([exe, "--offline", "--min-severity", "low", *files])
    out = proc.stdout + proc.stderr
    # zizmor warns and carries on when a file does not parse; that must fail here.
    assert "failed to parse" not in out, out
    assert proc.returncode == 0, out
    assert "No findings" in out, out


@pytest.mark.parametrize(
    ("schema", "paths"),
    [
        ("vendor.github-actions", ["action.yml"]),
        ("vendor.github-workflows", [str(p.relative_to(ROOT)) for p in WORKFLOWS]),
    ],
    ids=["action", "workflows"],
)
def test_check_jsonschema_accepts_the_files(schema: str, paths: list[str]) -> None:
    exe = tool("check-jsonschema")
    if exe is None:
        pytest.skip("check-jsonschema is not installed (pip install -r requirements/ci-tools.txt)")
    proc = run_tool([exe, "--builtin-schema", schema, *paths])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_paths_handed_to_the_action_exist_in_the_repository(
    workflow: tuple[Path, dict[str, Any]],
) -> None:
    missing = [
        f"{where}: {key}={value}"
        for where, step in rules.all_steps(workflow[1])
        if step.get("uses") == "./"
        for key, value in (step.get("with") or {}).items()
        if key in ("corpus", "registry")
        and "${{" not in str(value)
        and not (ROOT / value).is_file()
    ]
    assert missing == []


def test_flip_workflow_moves_the_folder_the_action_writes(action: dict[str, Any]) -> None:
    default = action["inputs"]["artifacts-dir"]["default"]
    doc = rules.load(FLIP)
    paths = [
        str(s["with"]["path"])
        for _, s in rules.all_steps(doc)
        if "artifact@" in str(s.get("uses", ""))
    ]
    # train upload; promote download; the promote job's own verdict and pictures
    assert paths == [
        f"{default}/loso/",
        f"{default}/loso",
        f"{default}/promote/*/loso/*.png\n{default}/promote/*/loso/*.json\n",
    ]
