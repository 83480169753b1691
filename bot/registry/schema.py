"""Validate a registry document against its JSON Schema (model/tiny/registry.schema.json)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from flipbot.errors import InputError


def check_schema(doc: Any, schema: dict[str, Any], where: str) -> None:
    """Raise an InputError naming the first violation (by JSON path) and the fix."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InputError(
            f"{where}: its schema is not a valid JSON Schema ({exc.message}); fix the schema"
        ) from None
    errors = sorted(
        Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path)
    )
    if errors:
        first = errors[0]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.absolute_path)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(
            f"{where}: schema violation at {path or 'the top level'}: {first.message}{more}; "
            "fix the registry so it matches its schema"
        )


def schema_path_for(doc: Any) -> str | None:
    """The registry's ``$schema`` when it is a relative file path (no URL, no absolute path)."""
    ref = doc.get("$schema") if isinstance(doc, dict) else None
    if not isinstance(ref, str) or "://" in ref or ref.startswith("/"):
        return None
    return ref
