"""A registry file's bytes as text and back, with nothing translated (SPEC §8).

Reading with ``Path.read_text`` turns CRLF into LF (universal newlines) and
keeps a UTF-8 byte-order mark as U+FEFF, which ``json.loads`` refuses; writing
the text back then rewrites every line of a CRLF registry. So every mode of
the bot (``--apply-local``, ``--dry-run``, PR) and ``trainer export`` read the
registry through here: strict UTF-8, newlines kept as they are, the BOM set
aside and put back on encode. ``encode(decode(data)) == data`` for any
UTF-8 file, so a flip changes only the bytes of the values it targets. The
format (JSON, YAML) is not decided here: :mod:`flipbot.registry.formats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
