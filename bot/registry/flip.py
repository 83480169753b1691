"""The registry flip: change only the targeted rows' ``sha256`` and ``smoke`` (SPEC §8).

The format (JSON, YAML) is picked by :func:`flipbot.registry.format_for`
from the file name, and the format's module rewrites only the targeted
values and checks its own result: every other row byte-identical (JSON) or
every other line identical (YAML), every other field of the targeted rows
unchanged; a failed check is a bug, never a silent edit. Here is what every
format shares on the bot's side: the row checks before the edit, the schema
check after it, and the atomic write.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.registry.rows import RegistryEdit, validate_rows
from bot.registry.schema import check_schema, schema_path_for
from flipbot.jsonfile import write_atomic
from flipbot.registry import BUNDLE_KEY, RowChange, format_for


def flip_registry(
    text: str,
    changes: Sequence[RowChange],
    where: str,
    *,
    schema: dict[str, Any] | None = None,
    bom: bool = False,
) -> RegistryEdit:
    """Apply ``changes`` to the registry ``text`` (its format by the file name ``where``).

    ``text`` comes from :func:`flipbot.registry.decode_registry`: its
    newlines are the file's own (CRLF stays CRLF) and ``bom`` says whether the
    file had a BOM, so :meth:`RegistryEdit.after_bytes` differs from the file's
    bytes only in the targeted values.
    """
    fmt = format_for(where)
    signed = [c.id for c in changes if any(k == BUNDLE_KEY for k, _ in c.updates)]
    work = fmt.add_null_field(text, signed, BUNDLE_KEY, where) if signed else text
    doc = fmt.load(work, where)
    indices = validate_rows(doc, changes, where, schema)
    rows = doc["models"]
    changed = tuple(c.id for c, i in zip(changes, indices, strict=True) if c.differs(rows[i]))
    after, method = fmt.set_fields(work, changes, indices, where)
    if schema is not None:
        check_schema(fmt.load(after, where), schema, where)
    return RegistryEdit(where, text, after, changed, method, bom)


def schema_ref(text: str, where: str, path: str | Path) -> str | None:
    """The registry's relative ``$schema`` path when its format names one (JSON); else None."""
    fmt = format_for(path)
    return schema_path_for(fmt.load(text, where)) if fmt.SCHEMA_CHECKED else None


def write_registry(path: str | Path, edit: RegistryEdit) -> None:
    write_atomic(path, edit.after_bytes())
