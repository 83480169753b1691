"""Byte-exact registry flips: CRLF, a BOM and a missing final newline survive every mode.

The oracle: the LF registry's flip (canonical JSON, or the YAML token edit) is
checked line by line elsewhere; the same flip of a CRLF / BOM / no-final-newline
copy must be exactly that result put through the same byte transform, and
differ from its own input in the targeted lines only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from bot_inputs import (
    CORPUS,
    CORPUS_BYTES,
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    onnx_bytes,
    write_inputs,
)
from hypothesis import given
from hypothesis import strategies as st
from test_lifecycle import bot_run

from bot.__main__ import main
from flipbot.registry import decode_registry

YAML_REGISTRY = "model/tiny/models.yaml"
BOM = b"\xef\xbb\xbf"
YAML_LF = (
    "# models shipped with the library\nschema_version: 1\nmodels:\n"
    + "".join(
        f"  - id: fr_regressor_v2_ensemble_v1_seed{s}  # member {s}\n"
        "    kind: fr\n"
        f"    onnx: fr_regressor_v2_ensemble_v1_seed{s}.onnx\n"
        f'    sha256: "{"0" * 64}"\n'
        "    opset: 17\n"
        "    smoke: true\n"
        "    license: BSD-3-Clause-Plus-Patent\n"
        for s in (0, 1, 2)
    )
).encode()

Transform = Callable[[bytes], bytes]
TRANSFORMS: dict[str, Transform] = {
    "crlf": lambda b: b.replace(b"\n", b"\r\n"),
    "bom": lambda b: BOM + b,
    "no-final-newline": lambda b: b.removesuffix(b"\n"),
    "bom+crlf+no-final-newline": lambda b: BOM + b.replace(b"\n", b"\r\n").removesuffix(b"\r\n"),
}
FORMATS = {"json": (REGISTRY, SHIPPED_REGISTRY.read_bytes()), "yaml": (YAML_REGISTRY, YAML_LF)}


def lines(data: bytes) -> list[bytes]:
    return data.removeprefix(BOM).replace(b"\r\n", b"\n").split(b"\n")


def expected_line_changes(fmt: str) -> list[tuple[bytes, bytes]]:
    """The (old, new) lines a flip of seeds 0 and 1 must change, nothing else."""
    lf = FORMATS[fmt][1]
    new = [hashlib.sha256(onnx_bytes(s)).hexdigest().encode() for s in (0, 1)]
    if fmt == "yaml":
        old_sha = b'    sha256: "' + b"0" * 64 + b'"'
        return [
            (old_sha, b'    sha256: "' + new[0] + b'"'),
            (b"    smoke: true", b"    smoke: false"),
            (old_sha, b'    sha256: "' + new[1] + b'"'),
            (b"    smoke: true", b"    smoke: false"),
        ]
    rows = {r["id"]: r for r in json.loads(lf)["models"]}
    out = []
    for s, sha in zip((0, 1), new, strict=True):
        old = rows[f"fr_regressor_v2_ensemble_v1_seed{s}"]["sha256"].encode()
        out += [
            (b'      "sha256": "' + old + b'",', b'      "sha256": "' + sha + b'",'),
            (b'      "smoke": true', b'      "smoke": false'),
        ]
    return out


def assert_only_target_values_changed(fmt: str, before: bytes, after: bytes) -> None:
    """Same line endings, same BOM, same last byte; the changed lines are exactly the targets."""
    assert after.startswith(BOM) == before.startswith(BOM)
    assert after.count(b"\r\n") == before.count(b"\r\n")
    assert after.count(b"\n") == before.count(b"\n")
    assert after[-1:] == before[-1:]
    old, new = lines(before), lines(after)
    assert len(old) == len(new)
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert changed == expected_line_changes(fmt)


@pytest.fixture(autouse=True)
def no_github_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_TOKEN", "FLIPBOT_TOKEN", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def run_apply_local(root: Path, registry: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> int:
    """``python -m bot --apply-local`` in a fresh repository root holding ``data`` as the registry."""
    (root / "model/tiny").mkdir(parents=True)
    shutil.copy(SCHEMA, root / "model/tiny/registry.schema.json")
    (root / registry).write_bytes(data)
    install_base(root)
    inputs = root / "in"
    write_inputs(inputs, make_verdict(seeds=(0, 1, 2), flip=(0, 1)), registry=registry)
    monkeypatch.chdir(root)
    return main(
        [
            "--verdict-dir", str(inputs / "loso"),
            "--artifacts", str(inputs / "export"),
            "--registry", registry,
            "--repo", "local/flipbot",
            "--base", "main",
            "--apply-local",
        ]
    )  # fmt: skip


def apply_local(root: Path, registry: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> bytes:
    assert run_apply_local(root, registry, data, monkeypatch) == 0
    return (root / registry).read_bytes()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_apply_local_keeps_every_byte_but_the_target_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, name: str
) -> None:
    registry, lf = FORMATS[fmt]
    lf_after = apply_local(tmp_path / "lf", registry, lf, monkeypatch)
    before = TRANSFORMS[name](lf)
    after = apply_local(tmp_path / "variant", registry, before, monkeypatch)
    assert after == TRANSFORMS[name](lf_after)
    assert_only_target_values_changed(fmt, before, after)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_pr_mode_commits_every_byte_but_the_target_values(
    github_standin_factory, tmp_path: Path, fmt: str, name: str
) -> None:
    registry, lf = FORMATS[fmt]
    branch = f"flipbot/{Path(registry).stem}"
    committed = {}
    for label, data in (("lf", lf), ("variant", TRANSFORMS[name](lf))):
        standin = github_standin_factory()
        standin.seed(
            {
                registry: data,
                "model/tiny/registry.schema.json": SCHEMA.read_bytes(),
                CORPUS: CORPUS_BYTES,
            }
        )
        root = tmp_path / label
        write_inputs(root, make_verdict(seeds=(0, 1, 2), flip=(0, 1)), registry=registry)
        assert bot_run(standin, root, registry_path=registry).operation == "created"
        committed[label] = standin.branch_files(branch)[registry]
        # A rerun finds the branch holding exactly these bytes: no write at all.
        standin.clear_journal()
        assert bot_run(standin, root, registry_path=registry).operation == "unchanged"
        assert standin.writes() == []
    before = TRANSFORMS[name](lf)
    assert committed["variant"] == TRANSFORMS[name](committed["lf"])
    assert_only_target_values_changed(fmt, before, committed["variant"])


@given(
    st.lists(st.text(max_size=20), max_size=8),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
def test_decode_then_encode_gives_back_the_same_bytes(
    parts: list[str], newline: str, bom: bool
) -> None:
    data = (BOM if bom else b"") + newline.join(parts).encode("utf-8")
    decoded = decode_registry(data, "r.json")
    assert decoded.bom == bom and decoded.encode() == data
    assert decoded.text == newline.join(parts)


def test_a_registry_that_is_not_utf8_is_exit_2_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    latin1 = SHIPPED_REGISTRY.read_bytes().replace(b'"models"', b'"mod\xe8ls"', 1)
    assert run_apply_local(tmp_path, REGISTRY, latin1, monkeypatch) == 2
    err = capsys.readouterr().err
    assert f"{REGISTRY}: not UTF-8 text" in err and "save the registry as UTF-8" in err
    assert (tmp_path / REGISTRY).read_bytes() == latin1
