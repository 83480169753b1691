"""The rules action.yml and the workflows must keep (SPEC §11), as functions returning problems.

Each rule takes parsed YAML (plus the raw text where comments matter) and returns
a list of human-readable problems; an empty list means the rule holds. The tests
run them on the real files and on small broken documents, so a rule that could
never fire would be caught.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

EXPR_RE = re.compile(r"\$\{\{")
SHA_PIN_RE = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE_RE = re.compile(r"uses:\s*(?P<ref>\S+)\s*(?:#\s*(?P<comment>.*))?$")
VERSION_COMMENT_RE = re.compile(r"^v\d+\.\d+\.\d+$")
INPUT_REF_RE = re.compile(r"(?<![\w.-])inputs\.([A-Za-z0-9_-]+)")
STEP_OUTPUT_RE = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")


def load(path: Path) -> Any:
    # YAML 1.2 (ruamel): `on:` stays the string "on", unlike YAML 1.1 loaders.
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def workflow_triggers(doc: dict[str, Any]) -> dict[str, Any]:
    on = doc.get("on", {})
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on)


def jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(doc.get("jobs", {}))


def all_steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, step) for a workflow's jobs or an action's composite steps."""
    if "runs" in doc:
        return [(f"step {i}", s) for i, s in enumerate(doc["runs"].get("steps", []))]
    return [
        (f"job {name} step {i}", s)
        for name, job in jobs(doc).items()
        for i, s in enumerate(job.get("steps", []))
    ]


def run_steps_without_shell(action: dict[str, Any]) -> list[str]:
    return [w for w, s in all_steps(action) if "run" in s and "shell" not in s]


def expressions_in_run(doc: dict[str, Any]) -> list[str]:
    """Any `${{` inside a `run:` script is a script-injection hole; values go through env."""
    return [w for w, s in all_steps(doc) if "run" in s and EXPR_RE.search(str(s["run"]))]


def outputs_without_value(action: dict[str, Any]) -> list[str]:
    return [name for name, o in (action.get("outputs") or {}).items() if not (o or {}).get("value")]


def unused_inputs(action: dict[str, Any]) -> list[str]:
    """Declared inputs that no step's `env:` reads."""
    used: set[str] = set()
    for _, step in all_steps(action):
        for value in (step.get("env") or {}).values():
            used.update(INPUT_REF_RE.findall(str(value)))
    return sorted(set(action.get("inputs") or {}) - used)


def undeclared_inputs(action: dict[str, Any]) -> list[str]:
    """`inputs.x` references (anywhere) that name no declared input: a typo reads as ''."""
    text = repr(action.get("runs")) + repr(action.get("outputs"))
    return sorted(set(INPUT_REF_RE.findall(text)) - set(action.get("inputs") or {}))


def unknown_step_outputs(action: dict[str, Any], produced: dict[str, set[str]]) -> list[str]:
    """`steps.X.outputs.Y` references whose step id X does not exist, or (for the steps
    listed in ``produced``) whose key Y that step never writes."""
    ids = {s.get("id") for _, s in all_steps(action)}
    text = repr(action.get("runs")) + repr(action.get("outputs"))
    problems = []
    for step_id, key in sorted(set(STEP_OUTPUT_RE.findall(text))):
        if step_id not in ids:
            problems.append(f"steps.{step_id}: no step has this id")
        elif step_id in produced and key not in produced[step_id]:
            problems.append(f"steps.{step_id}.outputs.{key}: that step never writes it")
    return problems


def missing_empty_top_permissions(doc: dict[str, Any]) -> bool:
    return doc.get("permissions") != {}


def write_permissions(doc: dict[str, Any]) -> list[str]:
    """Jobs that ask for any write scope (top-level write counts as job '<top>')."""
    found = []
    scopes = [("<top>", doc.get("permissions"))] + [
        (name, job.get("permissions")) for name, job in jobs(doc).items()
    ]
    for name, perms in scopes:
        if perms == "write-all" or (isinstance(perms, dict) and "write" in perms.values()):
            found.append(name)
    return found


def unpinned_uses(text: str) -> list[str]:
    """Third-party `uses:` not pinned to a 40-hex commit SHA with a `# vX.Y.Z` comment."""
    problems = []
    for n, line in enumerate(text.splitlines(), 1):
        m = USES_LINE_RE.search(line.strip().removeprefix("- "))
        if not m or line.strip().startswith("#"):
            continue
        ref = m.group("ref").strip("'\"")
        if ref.startswith(("./", "docker://")):
            continue
        if not SHA_PIN_RE.match(ref):
            problems.append(f"line {n}: {ref} is not pinned to a full commit SHA")
        elif not VERSION_COMMENT_RE.match((m.group("comment") or "").strip()):
            problems.append(f"line {n}: {ref} has no '# vX.Y.Z' comment")
    return problems


def jobs_without_timeout(doc: dict[str, Any]) -> list[str]:
    return [name for name, job in jobs(doc).items() if "timeout-minutes" not in job]


def checkouts_keeping_credentials(doc: dict[str, Any]) -> list[str]:
    return [
        w
        for w, s in all_steps(doc)
        if str(s.get("uses", "")).startswith("actions/checkout@")
        and (s.get("with") or {}).get("persist-credentials") is not False
    ]
