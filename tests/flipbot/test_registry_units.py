"""The registry modules one function at a time: exact bytes, exact messages.

In-process and fast (the mutation run's selection, docs/MUTATION.md): the byte
transforms of ``tests/bot/test_registry_bytes.py`` (CRLF, a BOM, no final
newline) without a bot run, and each reader, rewrite and check on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.registry import RowChange, flip_registry
from flipbot.registry import decode_registry

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "model/tiny/registry.json").read_bytes()
SEED = "fr_regressor_v2_ensemble_v1_seed"
BOM = b"\xef\xbb\xbf"
OLD = "0" * 64
NEW = [hashlib.sha256(str(s).encode()).hexdigest() for s in (0, 1)]
YAML_LF = (
    "# models shipped with the library\nschema_version: 1\nmodels:\n"
    + "".join(
        f"  - id: {SEED}{s}  # member {s}\n"
        "    kind: fr\n"
        f"    onnx: {SEED}{s}.onnx\n"
        f'    sha256: "{OLD}"\n'
        "    opset: 17\n"
        "    smoke: true\n"
        "    license: BSD-3-Clause-Plus-Patent\n"
        for s in (0, 1, 2)
    )
).encode()
Transform = Callable[[bytes], bytes]
TRANSFORMS: dict[str, Transform] = {
    "lf": lambda b: b,
    "crlf": lambda b: b.replace(b"\n", b"\r\n"),
    "bom": lambda b: BOM + b,
    "no-final-newline": lambda b: b.removesuffix(b"\n"),
    "bom+crlf+no-final-newline": lambda b: BOM + b.replace(b"\n", b"\r\n").removesuffix(b"\r\n"),
}
CHANGES = [RowChange(f"{SEED}{s}", NEW[s], False) for s in (0, 1)]


def flip_bytes(data: bytes, where: str) -> bytes:
    raw = decode_registry(data, where)
    return flip_registry(raw.text, CHANGES, where, bom=raw.bom).after_bytes()


def expected_lf_flip(fmt: str) -> bytes:
    if fmt == "yaml":
        text = YAML_LF.decode()
        for s in (0, 1):
            head, row = text.split(f"  - id: {SEED}{s}  #", 1)
            row = row.replace(f'"{OLD}"', f'"{NEW[s]}"', 1).replace("smoke: true", "smoke: false", 1)
            text = f"{head}  - id: {SEED}{s}  #{row}"
        return text.encode()
    doc = json.loads(SHIPPED)
    for row in doc["models"]:
        if row["id"] in (f"{SEED}0", f"{SEED}1"):
            row["sha256"], row["smoke"] = NEW[int(row["id"][-1])], False
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
@pytest.mark.parametrize(
    ("fmt", "where", "lf"), [("json", "r.json", SHIPPED), ("yaml", "models.yaml", YAML_LF)]
)
def test_a_flip_keeps_the_files_newlines_bom_and_last_byte(
    fmt: str, where: str, lf: bytes, name: str
) -> None:
    transform = TRANSFORMS[name]
    assert flip_bytes(transform(lf), where) == transform(expected_lf_flip(fmt))
