"""The plain registry reader the trainer and the bot share: the document, or its rows by id.

For readers that only look (``trainer export``, the verifier, the PR body,
signing, the manifest); the flip itself edits through the format's
``set_fields``. The format comes from :func:`flipbot.registry.formats.format_for`,
so every reader accepts exactly what the flip accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.registry.formats import format_for
from flipbot.registry.text import read_registry


def read_doc(text: str, where: str, path: str | None = None) -> Any:
    """The document in ``text`` (format by ``path``, else by ``where``) as dicts and lists."""
    return format_for(path or where).load(text, where)


def load_registry_doc(path: str | Path) -> Any:
    """The registry file's document: bytes as they are (CRLF, a BOM), format by its name."""
    return read_doc(read_registry(path).text, str(path))


def registry_rows(text: str, where: str, path: str | None = None) -> dict[str, dict[str, Any]]:
    """Registry rows by id (format by ``path``, else by ``where``); duplicated ids refused."""
    doc = read_doc(text, where, path)
    models = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(models, list):
        raise InputError(f"{where}: field 'models' must be a list of rows; fix the registry file")
    rows: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(models):
        row_id = row.get("id") if isinstance(row, dict) else None
        if not isinstance(row_id, str):
            raise InputError(f"{where}: models[{i}] has no string 'id'; fix the registry file")
        if row_id in rows:
            raise InputError(f"{where}: id '{row_id}' appears twice; keep one row per id")
        rows[row_id] = row
    return rows
