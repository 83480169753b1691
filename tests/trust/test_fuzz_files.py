"""Fuzz: mutated loso files, verdicts, flip plans and calibrations: exit 0, 1 or 2, never 3.

Each example starts from valid files (written the way the gate's and the
bot's own tests write them), applies one to three mutations anywhere in one
document (replace a value by another JSON value, a huge or non-finite
number, a number as a string, a list for an object and back; drop a key,
add a key), and runs ``python -m gate`` / ``python -m bot --dry-run``
in-process. Exit 3 means a traceback: a reader let a bad value through.
Derandomized, so CI sees the same examples every run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TESTS = Path(__file__).resolve().parents[1]
for _sub in ("gate", "bot"):
    if str(TESTS / _sub) not in sys.path:
        sys.path.insert(0, str(TESTS / _sub))

from bot_inputs import (  # noqa: E402
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    write_inputs,
)
from loso_writer import write_run  # noqa: E402

import bot.__main__ as bot_cli  # noqa: E402
import gate.__main__ as gate_cli  # noqa: E402
from flipbot.jsonfile import sha256_file  # noqa: E402
from flipbot.verdict_file import Verdict  # noqa: E402
from gate.calibration import calibrate  # noqa: E402

FUZZ = settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GITHUB_VARIABLES = (
    "GITHUB_TOKEN",
    "FLIPBOT_TOKEN",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_ACTIONS",
    "GITHUB_RUN_ID",
    "GITHUB_API_URL",
    "FLIPBOT_PLOTS_URL",
)

# Leaves a stage file might hold, and the ones that used to crash a reader.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([10**400, -(10**400), 2**70, 2**63, -1, 0, 1, 10**9 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 1e-320, 1.5, -1.5, 0.999]),
    st.text(max_size=12),
    st.sampled_from(["0", "1", "0.99", "PROMOTE", "HOLD", "MAYBE", "", "x" * 20_000]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _slots(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``doc`` (the root included)."""
    yield path
    if isinstance(doc, dict):
        for key in sorted(doc):
            yield from _slots(doc[key], (*path, key))
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            yield from _slots(item, (*path, i))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """One mutation at a drawn place: the (possibly new) document."""
    path = data.draw(st.sampled_from(list(_slots(doc))), label="path")
    old = _at(doc, path)
    kind = data.draw(
        st.sampled_from(["replace", "drop", "add", "stringify", "wrap", "unwrap", "copy"]),
        label="kind",
    )
    if kind == "replace":
        new: Any = data.draw(json_values, label="value")
    elif kind == "stringify":
        new = json.dumps(old)[:50]
    elif kind == "wrap":
        new = [old] if not isinstance(old, list) else {"0": old}
    elif kind == "unwrap":
        new = (
            old[0]
            if isinstance(old, list) and old
            else next(iter(old.values()), None)
            if (isinstance(old, dict))
            else old
        )
    elif kind == "copy" and isinstance(old, list) and old:
        new = [*old, old[-1]]
    elif kind == "add" and isinstance(old, dict):
        new = {**old, data.draw(st.text(min_size=1, max_size=8), label="key"): data.draw(scalars)}
    elif kind == "drop" and path:
        parent = _at(doc, path[:-1])
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
        return doc
    else:
        new = data.draw(scalars, label="value")
    if not path:
        return new
    _at(doc, path[:-1])[path[-1]] = new
    return doc


def _mutated(text: str, data: st.DataObject) -> str:
    doc = json.loads(text)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        doc = _mutate(doc, data)
    return json.dumps(doc, indent=2)  # NaN/Infinity tokens stay in: the reader must refuse them


@contextlib.contextmanager
def _quiet_env(cwd: Path | None = None) -> Iterator[io.StringIO]:
    """No GitHub variables, stdout/stderr captured (returned), optionally another cwd."""
    saved = {k: os.environ.pop(k) for k in GITHUB_VARIABLES if k in os.environ}
    err = io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(err),
            contextlib.chdir(cwd or Path.cwd()),
        ):
            yield err
    finally:
        os.environ.update(saved)


# Two valid seed files, written once and copied into each example's folder
# (removed when the test session ends).
_TEMPLATE = tempfile.TemporaryDirectory(prefix="fuzz-loso-")
LOSO_TEMPLATE = write_run(Path(_TEMPLATE.name) / "loso", {0: 0.97, 1: 0.971})


@FUZZ
@given(data=st.data(), seed=st.sampled_from([0, 1]))
def test_a_mutated_loso_file_never_crashes_the_gate(data: st.DataObject, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "loso"
        shutil.copytree(LOSO_TEMPLATE, folder)
        target = folder / f"loso_seed{seed}.json"
        target.write_text(_mutated(target.read_text(), data))
        with _quiet_env() as err:
            code = gate_cli.main([str(folder), "--seeds", "0,1", "--out-dir", str(Path(tmp) / "v")])
        assert code in (0, 1, 2), err.getvalue()


def _bot_workdir(root: Path) -> tuple[Path, Path]:
    """A working tree as the verifier reads it locally (the registry, its schema and the
    corpus the verdict pins) and the inputs of a PROMOTE of seeds 0 and 1 that it accepts."""
    (root / "model/tiny").mkdir(parents=True)
    shutil.copy(SHIPPED_REGISTRY, root / REGISTRY)
    shutil.copy(SCHEMA, root / "model/tiny/registry.schema.json")
    install_base(root)
    return write_inputs(root / "in", make_verdict(seeds=(0, 1), flip=(0, 1)))


def _run_bot(root: Path, verdict_dir: Path, export_dir: Path) -> tuple[int, str]:
    argv = [
        "--verdict-dir",
        str(verdict_dir),
        "--artifacts",
        str(export_dir),
        "--registry",
        REGISTRY,
        "--repo",
        "local/flipbot",
        "--base",
        "main",
        "--dry-run",
    ]
    with _quiet_env(root) as err:
        code = bot_cli.main(argv)
    return code, err.getvalue()


@FUZZ
@given(data=st.data(), repin=st.booleans())
def test_a_mutated_verdict_never_crashes_the_bot(data: st.DataObject, repin: bool) -> None:
    """``repin``: the plan is re-pinned to the mutated verdict, so its checks are reached too."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        verdict_dir, export_dir = _bot_workdir(root)
        verdict = verdict_dir / "PROMOTE.json"
        verdict.write_text(_mutated(verdict.read_text(), data))
        if repin:
            plan_path = export_dir / "flip_plan.json"
            plan = json.loads(plan_path.read_text())
            plan["verdict_sha256"] = sha256_file(verdict)
            plan_path.write_text(json.dumps(plan))
        code, err = _run_bot(root, verdict_dir, export_dir)
        assert code in (0, 1, 2), err


@FUZZ
@given(data=st.data())
def test_a_mutated_flip_plan_never_crashes_the_bot(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        verdict_dir, export_dir = _bot_workdir(root)
        plan = export_dir / "flip_plan.json"
        plan.write_text(_mutated(plan.read_text(), data))
        code, err = _run_bot(root, verdict_dir, export_dir)
        assert code in (0, 1, 2), err


def _calibration_doc(verdict_dir: Path) -> dict[str, Any]:
    """A real calibration (gate.calibration) pinned to the verdict's loso files, as the gate writes it."""
    y = {s: np.linspace(40.0, 90.0, 30) for s in ("A", "B", "C")}
    preds = {s: np.stack([y[s] + 1.0 + 0.1 * (np.arange(30) % 2), y[s] - 0.5]) for s in y}
    pins = Verdict.read(verdict_dir / "PROMOTE.json").pins
    calibration = replace(calibrate(y, preds), loso_files=dict(pins.loso_files))
    return calibration.to_json()


@FUZZ
@given(data=st.data())
def test_a_mutated_calibration_never_crashes_the_bot(data: st.DataObject) -> None:
    """calibration.json sits beside the verdict and reaches the PR body."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        verdict_dir, export_dir = _bot_workdir(root)
        text = json.dumps(_calibration_doc(verdict_dir))
        (verdict_dir / "calibration.json").write_text(_mutated(text, data))
        code, err = _run_bot(root, verdict_dir, export_dir)
        assert code in (0, 1, 2), err


def test_the_unmutated_files_pass_so_the_fuzz_starts_from_valid_input(tmp_path: Path) -> None:
    """Without this the fuzz could pass by refusing everything at the first check."""
    with _quiet_env():
        assert (
            gate_cli.main(
                [
                    str(LOSO_TEMPLATE),
                    "--seeds",
                    "0,1",
                    "--out-dir",
                    str(tmp_path / "v"),
                ]
            )
            == 0
        )
    verdict_dir, export_dir = _bot_workdir(tmp_path / "bot")
    assert _run_bot(tmp_path / "bot", verdict_dir, export_dir)[0] == 0
    (verdict_dir / "calibration.json").write_text(json.dumps(_calibration_doc(verdict_dir)))
    assert _run_bot(tmp_path / "bot", verdict_dir, export_dir) == (0, "")
