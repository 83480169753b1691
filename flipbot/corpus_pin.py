"""The corpus a repository pins at its base commit, and the bytes trusted as that corpus.

Three forms, read at the corpus path ``P`` of the base commit (README, "Where the corpus lives"):

1. ``P`` is the corpus itself (committed bytes): those bytes are the corpus.
2. ``P`` is a Git LFS pointer (``version https://git-lfs.github.com/spec/v1``,
   ``oid sha256:<64 hex>``, ``size <bytes>``): the bytes come from the training
   side (``--corpus-bytes``) and are used only when their sha256 and size
   equal the pointer's.
3. ``P`` is absent and ``P.sha256`` is committed: one line as ``sha256sum``
   writes it (``<64 hex>  <file name of P>``); the bytes come from the training
   side and are used only when their sha256 equals it.

Anything else (no file and no pin, a malformed pointer or pin, bytes that
differ) is an InputError: nothing downstream runs on a corpus the
repository did not pin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes

LFS_VERSION = b"version https://git-lfs.github.com/spec/v1"
PIN_SUFFIX = ".sha256"
# A pointer or a pin file is a few hundred bytes; anything larger is not one.
POINTER_MAX_BYTES = 1024
_LFS_OID = re.compile(r"oid sha256:([0-9a-f]{64})")
_LFS_SIZE = re.compile(r"size (0|[1-9][0-9]{0,15})")
_PIN_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")

Form = Literal["committed", "lfs-pointer", "pin-file"]


@dataclass(frozen=True)
class CorpusPin:
    path: str  # repository-relative corpus path
    form: Form
    sha256: str
    size: int | None  # None where the pin does not state it
    where: str  # the file that holds the pin, for messages


@dataclass(frozen=True)
class PinnedCorpus:
    pin: CorpusPin
    data: bytes  # the corpus bytes, sha256 equal to the pin


def resolve_corpus(
    read: Callable[[str], bytes | None], path: str, base: str, supplied: bytes | None
) -> PinnedCorpus:
    """The corpus pinned at ``path`` of ``base`` (``read``: a file's bytes or None), as bytes."""
    data = read(path)
    if data is not None and not data.startswith(LFS_VERSION):
        pin = CorpusPin(path, "committed", sha256_bytes(data), len(data), f"{path} ({base})")
        return pinned_corpus(pin, data, supplied)
    return pinned_corpus(read_pin(read, path, base, data), None, supplied)


def read_pin(
    read: Callable[[str], bytes | None], path: str, base: str, data: bytes | None
) -> CorpusPin:
    """The pin of a corpus not committed: ``data`` (an LFS pointer at ``path``) or ``path.sha256``."""
    if data is not None:
        return _lfs_pin(data, path, f"{path} ({base})")
    pin_path = path + PIN_SUFFIX
    pin = read(pin_path)
    if pin is None:
        raise InputError(
            f"--corpus {path}: neither the corpus nor a pin file {pin_path} is in {base}; commit "
            "the corpus, a Git LFS pointer at its path, or a sha256sum line in "
            f"{pin_path} (README, 'Where the corpus lives')"
        )
    return _file_pin(pin, path, f"{pin_path} ({base})")


def _lfs_pin(data: bytes, path: str, where: str) -> CorpusPin:
    if len(data) > POINTER_MAX_BYTES:
        raise InputError(
            f"{where}: a Git LFS pointer of {len(data)} bytes; commit the pointer git lfs writes"
        )
    lines = _ascii_lines(data, where)
    oid = [m.group(1) for line in lines if (m := _LFS_OID.fullmatch(line))]
    size = [int(m.group(1)) for line in lines if (m := _LFS_SIZE.fullmatch(line))]
    if len(oid) != 1 or len(size) != 1:
        raise InputError(
            f"{where}: a Git LFS pointer needs one 'oid sha256:<64 lowercase hex>' line and one "
            "'size <bytes>' line; commit the pointer git lfs writes"
        )
    return CorpusPin(path, "lfs-pointer", oid[0], size[0], where)


def _file_pin(data: bytes, path: str, where: str) -> CorpusPin:
    lines = _ascii_lines(data, where) if len(data) <= POINTER_MAX_BYTES else []
    match = _PIN_LINE.fullmatch(lines[0]) if len(lines) == 1 else None
    if match is None or match.group(2) != PurePosixPath(path).name:
        raise InputError(
            f"{where}: a pin file holds one line '<64 lowercase hex>  {PurePosixPath(path).name}' "
            f"(as `sha256sum {PurePosixPath(path).name}` writes it); rewrite it"
        )
    return CorpusPin(path, "pin-file", match.group(1), None, where)


def _ascii_lines(data: bytes, where: str) -> list[str]:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise InputError(
            f"{where}: not ASCII text; commit the pin as git lfs or sha256sum write it"
        ) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def pinned_corpus(pin: CorpusPin, committed: bytes | None, supplied: bytes | None) -> PinnedCorpus:
    """The corpus bytes for ``pin``: the committed file, else ``supplied`` when it matches the pin."""
    if pin.form == "committed":
        assert committed is not None
        if supplied is not None and sha256_bytes(supplied) != pin.sha256:
            raise InputError(
                f"--corpus-bytes: sha256 {sha256_bytes(supplied)[:12]} differs from the committed "
                f"corpus {pin.where} ({pin.sha256[:12]}); train on the committed corpus or drop "
                "--corpus-bytes"
            )
        return PinnedCorpus(pin, committed)
    if supplied is None:
        raise InputError(
            f"{pin.where} pins the corpus (sha256 {pin.sha256[:12]}) without committing it; pass "
            "its bytes with --corpus-bytes"
        )
    if pin.size is not None and len(supplied) != pin.size:
        raise InputError(
            f"--corpus-bytes: {len(supplied)} bytes, but {pin.where} pins {pin.size}; pass the "
            "corpus the repository pins"
        )
    if sha256_bytes(supplied) != pin.sha256:
        raise InputError(
            f"--corpus-bytes: sha256 {sha256_bytes(supplied)[:12]} differs from {pin.where} "
            f"({pin.sha256[:12]}); pass the corpus the repository pins"
        )
    return PinnedCorpus(pin, supplied)
