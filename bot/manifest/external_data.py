"""The weight files a flip leaves behind: ``<model>.onnx.data`` of the models it replaces (SPEC §14).

A repository may keep a model's weights in external data files beside the
``.onnx`` (``external_data`` entries naming a ``location`` relative to the
model's folder). flipbot ships self-contained models (SPEC §7), so once a row's
model is replaced, the data files the old model named are referenced by
nothing, unless another model of the registry still names them. Those are
removed in the flip commit (a tree entry with ``sha: null`` in a PR; deleted from
the working tree with ``--apply-local``) and listed in the PR's Files and
Revert sections.

Only files that are certainly the old models' own are removed: a location that
is a plain file name in the registry's folder, a regular file (never a symlink)
on the base, named by a replaced model, named by no other model of the
registry, and not a file the flip writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

import onnx
from onnx.external_data_helper import _get_all_tensors, uses_external_data

from bot.flip import Flip
from bot.registry import Target, registry_rows
from flipbot.onnx_contract import MAX_BYTES

Reader = Callable[[str], bytes | None]  # repository path -> its bytes on the base, None if absent


@dataclass(frozen=True)
class Removal:
    path: str  # repository-relative (POSIX)
    size: int  # bytes on the base
    git_sha: str | None  # the blob's sha on the base, when known (PR mode)
    model: str  # the replaced model that named it


def external_locations(data: bytes) -> tuple[str, ...]:
    """The ``location`` of every tensor a model keeps outside its file (empty: self-contained)."""
    if len(data) > MAX_BYTES:
        return ()
    try:
        model = onnx.load_model_from_string(data)  # never follows external data
    except Exception:  # not a readable model: it names no file we could vouch for
        return ()
    found = []
    for tensor in _get_all_tensors(model):
        if uses_external_data(tensor):
            entry = {e.key: e.value for e in tensor.external_data}
            if entry.get("location"):
                found.append(entry["location"])
    return tuple(dict.fromkeys(found))


def _plain(name: str) -> bool:
    return (
        PurePosixPath(name).name == name
        and "\\" not in name
        and name not in ("", ".", "..")
        and not name.startswith(".")
    )


def stale_data_files(
    targets: Iterable[Target],
    other_models: Iterable[str],
    read: Reader,
    shipped: Iterable[str],
    git_sha: Callable[[str], str | None] = lambda _: None,
) -> tuple[Removal, ...]:
    """The data files of the replaced models that nothing uses after the flip.

    ``targets``: the flipped rows (their ``path`` is the model replaced); ``other_models``:
    repository paths of every other model the registry lists (their references keep a file).
    """
    writes = set(shipped)
    candidates: dict[str, str] = {}  # data file -> the replaced model that named it
    for t in targets:
        old = read(t.path) if t.seed is not None else None
        if old is None:
            continue
        folder = PurePosixPath(t.path).parent
        for loc in external_locations(old):
            path = str(folder / loc) if str(folder) != "." else loc
            if _plain(loc) and path not in writes:
                candidates.setdefault(path, t.path)
    if not candidates:
        return ()  # nothing to remove: the other models need not be read
    still_used: set[str] = set()
    for path in other_models:
        data = read(path)
        if data is not None:
            folder = PurePosixPath(path).parent
            still_used |= {
                str(folder / loc) if str(folder) != "." else loc
                for loc in external_locations(data)
                if _plain(loc)
            }
    out: dict[str, Removal] = {}
    for path, model in candidates.items():
        data = None if path in still_used else read(path)
        if data is not None:
            out[path] = Removal(path, len(data), git_sha(path), model)
    return tuple(out[p] for p in sorted(out))


def other_models(registry_text: str, registry: str, flip: Flip) -> tuple[str, ...]:
    """Repository paths of the models of every registry row the flip does not replace."""
    folder = PurePosixPath(registry).parent
    flipped = set(flip.flipped_ids)
    out = []
    for row_id, row in registry_rows(registry_text, registry, registry).items():
        name = row.get("onnx")
        if row_id not in flipped and isinstance(name, str) and _plain(name):
            out.append(str(folder / name) if str(folder) != "." else name)
    return tuple(out)
