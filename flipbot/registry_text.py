"""A registry file's bytes as text and back, with nothing translated (SPEC §8).

Reading with ``Path.read_text`` turns CRLF into LF (universal newlines) and
keeps a UTF-8 byte-order mark as U+FEFF, which ``json.loads`` refuses; writing
the text back then rewrites every line of a CRLF registry. So every mode of
the bot (``--apply-local``, ``--dry-run``, PR) and ``trainer export`` read the
registry through here: strict UTF-8, newlines kept as they are, the BOM set
aside and put back on encode. ``encode(decode(data)) == data`` for any UTF-8
file, so a flip changes only the bytes of the values it targets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flipbot.errors import InputError

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RegistryText:
    text: str  # the file's text without the BOM; "\r\n", "\n" and a missing final newline kept
    bom: bool  # the file starts with a UTF-8 byte-order mark

    def encode(self, text: str | None = None) -> bytes:
        """``text`` (default: this text) as bytes with this file's BOM, if it had one."""
        body = (self.text if text is None else text).encode("utf-8")
        return BOM + body if self.bom else body


def decode_registry(data: bytes, where: str) -> RegistryText:
    bom = data.startswith(BOM)
    try:
        text = data[len(BOM) :].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not UTF-8 text (byte {exc.start}); save the registry as UTF-8"
        ) from None
    return RegistryText(text, bom)


def read_registry(path: str | Path) -> RegistryText:
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: file not found; check --registry") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror}); check --registry") from None
    return decode_registry(data, str(p))


def is_yaml(where: str | Path) -> bool:
    return Path(where).suffix.lower() in (".yaml", ".yml")


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON number {token}")


def load_registry_doc(path: str | Path) -> Any:
    """The registry document (JSON, or YAML by the file name) as plain dicts and lists.

    For readers that only look (``trainer export``); the bot's edit parses with
    position tracking in :mod:`bot.registry.flip` and :mod:`bot.registry.yaml_flip`.
    """
    where = str(path)
    text = read_registry(path).text
    if is_yaml(where):
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            return YAML(typ="safe", pure=True).load(text)
        except YAMLError as exc:
            message = f"{where}: not valid YAML ({exc}); fix the file".replace("\n", " ")
            raise InputError(message) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise InputError(f"{where}: not valid JSON ({exc}); fix the file") from None
