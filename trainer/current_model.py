"""A registry row's current ONNX file, loadable even when its weights live beside it (SPEC §14).

Repositories may keep a model's weights in external data files next to the
``.onnx`` (``<model>.onnx.data``); onnxruntime resolves them only when the
model is loaded from its path, never from bytes. The current file is read from
its path inside the registry's folder, and its data files are held to what
that folder may hold: each ``location`` a plain file name, a regular file in
the same folder (no symlink, nothing outside), within a size bound. The
``.onnx`` and exactly those files are then copied into a private temporary
folder and onnxruntime loads the copy from its path, so nothing else on disk
is ever opened through the model.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import onnx
from onnx.external_data_helper import _get_all_tensors, uses_external_data

MAX_DATA_BYTES = 1 << 30  # all external data of one model together


class CurrentModelError(ValueError):
    """The current file cannot be compared; the message is the reason drift.json records."""


def external_locations(data: bytes) -> tuple[str, ...]:
    """The external data files a model names (empty: every weight is inside the file, or the
    bytes are no ONNX model at all: onnxruntime then gives the reason when handed the bytes)."""
    try:
        model = onnx.load_model_from_string(data)  # never follows external data
    except Exception:
        return ()
    found = []
    for tensor in _get_all_tensors(model):
        if uses_external_data(tensor):
            entry = {e.key: e.value for e in tensor.external_data}
            found.append(entry.get("location", ""))
    return tuple(dict.fromkeys(found))


def _regular(path: Path, what: str) -> int:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise CurrentModelError(f"{what} {path.name} is missing") from None
    if stat.S_ISLNK(info.st_mode):
        raise CurrentModelError(f"{what} {path.name} is a symlink; it is not followed")
    if not stat.S_ISREG(info.st_mode):
        raise CurrentModelError(f"{what} {path.name} is not a regular file")
    return info.st_size


@contextmanager
def loadable(folder: Path, name: str) -> Iterator[tuple[bytes, str | bytes]]:
    """``(the .onnx bytes, what onnxruntime loads)``: the bytes themselves for a
    self-contained model, else the path of a private copy with its data files."""
    path = folder / name
    _regular(path, "the current file")
    data = path.read_bytes()
    locations = external_locations(data)
    if not locations:
        yield data, data
        return
    total = 0
    for loc in locations:
        if PurePosixPath(loc).name != loc or loc in ("", ".", "..") or "\\" in loc:
            raise CurrentModelError(
                f"its external data location {loc[:80]!r} is not a plain file name in its folder"
            )
        total += _regular(folder / loc, "its external data file")
    if total > MAX_DATA_BYTES:
        raise CurrentModelError(f"its external data files hold {total} bytes, over the bound")
    with tempfile.TemporaryDirectory(prefix="flipbot-current-") as tmp:
        for loc in locations:
            shutil.copyfile(folder / loc, Path(tmp) / loc, follow_symlinks=False)
        copy = Path(tmp) / name
        copy.write_bytes(data)
        yield data, str(copy)
