"""Where each signature goes: the row's ``sigstore_bundle``, else ``<onnx>.sigstore.json``.

The runtime reads ``<registry folder>/<row's sigstore_bundle>`` (SPEC §14,
§15), so the path comes from the registry the flip edits, never from the
training side. It must be a clean path inside the registry's folder ending in
``.sigstore.json``; when the row has none (``null`` or no field), the bundle
sits beside the ONNX and the flip sets the field in its byte-safe rewrite.
The promotion record (an in-toto statement about the flip) sits beside the
committed verdict: ``<registry folder>/<ensemble id>.promotion.sigstore.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.registry import BUNDLE_KEY, Target, clean_repo_path, registry_rows
from flipbot.errors import InputError

SUFFIX = ".sigstore.json"
RECORD_SUFFIX = ".promotion" + SUFFIX


@dataclass(frozen=True)
class BundleSlot:
    row_id: str
    model_path: str  # the ONNX file the bundle signs (repository path)
    path: str  # the bundle's repository path
    field: str  # the row's sigstore_bundle value (relative to the registry's folder)
    set_field: bool  # the row has no bundle path yet: the rewrite sets it


def _folder(registry: str) -> PurePosixPath:
    return PurePosixPath(registry).parent


def _join(folder: PurePosixPath, name: str) -> str:
    return name if str(folder) == "." else str(folder / name)


def record_path(registry: str, ensemble_id: str) -> str:
    """Where the signed promotion record is committed (beside the verdict)."""
    return _join(_folder(registry), ensemble_id + RECORD_SUFFIX)


def plan_bundles(
    targets: tuple[Target, ...], registry: str, registry_text: str
) -> tuple[BundleSlot, ...]:
    """One slot per flipped seed's ONNX; the ensemble row's manifest is not a model and is not signed."""
    rows = registry_rows(registry_text, registry, registry)
    folder = _folder(registry)
    slots = []
    for t in targets:
        if t.seed is None:
            continue
        value = rows[t.row_id].get(BUNDLE_KEY)
        where = f"{registry}: row '{t.row_id}' field '{BUNDLE_KEY}'"
        if value is None:
            field, set_field = PurePosixPath(t.path).name + SUFFIX, True
        elif isinstance(value, str) and value.endswith(SUFFIX):
            field, set_field = value, False
        else:
            raise InputError(
                f"{where} is {str(value)[:80]!r}; it must be null or a path ending "
                f"'{SUFFIX}' relative to the registry's folder, fix the registry"
            )
        path = clean_repo_path(_join(folder, field), where)
        if folder not in PurePosixPath(path).parents and str(folder) != ".":
            raise InputError(f"{where} leads outside {folder}; fix the registry")
        slots.append(BundleSlot(t.row_id, t.path, path, field, set_field))
    paths = [s.path for s in slots]
    if len(set(paths)) != len(paths):
        raise InputError(f"{registry}: two flipped rows name one '{BUNDLE_KEY}'; give each its own")
    return tuple(slots)
