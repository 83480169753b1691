"""Canonical JSON text, atomic writes and sha256 pins.

Every file flipbot writes is strict JSON (no NaN tokens), ``indent=2,
sort_keys=True``, ASCII escapes and a trailing newline, written through a
temporary file in the same folder and ``os.replace`` so a crash never
leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from flipbot.errors import InputError


def dumps(obj: Any) -> str:
    """The one canonical text form of a JSON document."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False) + "\n"


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temp file + rename in the same folder."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes 0600 files; keep an existing file's mode, else the umask default.
        os.chmod(tmp, _mode_for(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    write_atomic(path, dumps(obj))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _reject_constant(token: str) -> float:
    raise ValueError(f"non-standard JSON number {token}")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Parse strict JSON; a missing or malformed file is an InputError naming it."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read ({exc}); check the file") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:  # also an integer of more than 4300 digits
        raise InputError(f"{p}: not valid strict JSON ({exc}); regenerate the file") from None
    except RecursionError:
        raise InputError(
            f"{p}: JSON nested too deeply to be a flipbot file; regenerate the file"
        ) from None
