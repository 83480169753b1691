"""The model registry: its bytes, its rows, its formats and the one switch between them.

``text``: a file's bytes as text and back, nothing translated. ``rows``: the
row types every format and the bot's flip share. ``formats``: the one place
that picks JSON, YAML or any future format, by the file's suffix.
``json_format`` / ``yaml_format``: one module per format (read, byte-safe
rewrite of targeted values, add a missing field). ``read``: the plain reader
the trainer and the bot share.
"""

from flipbot.registry.formats import FORMATS, RegistryFormat, format_for, is_yaml
from flipbot.registry.read import load_registry_doc, read_doc, registry_rows
from flipbot.registry.rows import (
    BUNDLE_KEY,
    FLIPPED_KEYS,
    RewriteInvariantError,
    RowChange,
    check_rows_unchanged,
)
from flipbot.registry.text import RegistryText, decode_registry, read_registry

__all__ = [
    "BUNDLE_KEY",
    "FLIPPED_KEYS",
    "FORMATS",
    "RegistryFormat",
    "RegistryText",
    "RewriteInvariantError",
    "RowChange",
    "check_rows_unchanged",
    "decode_registry",
    "format_for",
    "is_yaml",
    "load_registry_doc",
    "read_doc",
    "read_registry",
    "registry_rows",
]
