"""The corpus pin: the committed file, a Git LFS pointer, or a sha256sum pin file."""

from __future__ import annotations

import hashlib

import pytest

from flipbot.corpus_pin import resolve_corpus
from flipbot.errors import InputError

PATH = "corpus/c.jsonl.gz"
DATA = b"corpus bytes\n" * 50
SHA = hashlib.sha256(DATA).hexdigest()
LFS = f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\nsize {len(DATA)}\n".encode()
PIN = f"{SHA}  c.jsonl.gz\n".encode()


def _base(files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    return lambda path: files.get(path)


def test_a_committed_corpus_is_its_own_pin() -> None:
    got = resolve_corpus(_base({PATH: DATA}), PATH, "main", None)
    assert (got.pin.form, got.pin.sha256, got.data) == ("committed", SHA, DATA)


def test_bytes_that_differ_from_a_committed_corpus_are_refused() -> None:
    with pytest.raises(InputError, match="differs from the committed corpus"):
        resolve_corpus(_base({PATH: DATA}), PATH, "main", DATA + b"x")


@pytest.mark.parametrize("form", ["lfs", "pin"])
def test_matching_bytes_are_taken_for_a_pointer_or_a_pin(form: str) -> None:
    files = {PATH: LFS} if form == "lfs" else {PATH + ".sha256": PIN}
    got = resolve_corpus(_base(files), PATH, "main", DATA)
    assert got.data == DATA
    assert got.pin.form == ("lfs-pointer" if form == "lfs" else "pin-file")
    assert got.pin.size == (len(DATA) if form == "lfs" else None)


@pytest.mark.parametrize("form", ["lfs", "pin"])
@pytest.mark.parametrize(
    ("supplied", "message"),
    [
        (None, "pass its bytes with --corpus-bytes"),
        (DATA[:-1] + b"?", "sha256"),  # same size, other bytes
    ],
)
def test_missing_or_other_bytes_are_refused(
    form: str, supplied: bytes | None, message: str
) -> None:
    files = {PATH: LFS} if form == "lfs" else {PATH + ".sha256": PIN}
    with pytest.raises(InputError, match=message):
        resolve_corpus(_base(files), PATH, "main", supplied)


def test_the_lfs_size_is_checked() -> None:
    with pytest.raises(InputError, match=f"pins {len(DATA)}"):
        resolve_corpus(_base({PATH: LFS}), PATH, "main", DATA + b"\n")


@pytest.mark.parametrize(
    "files",
    [
        {},
        {PATH: b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 3\n"},
        {PATH + ".sha256": f"{SHA}  other.jsonl.gz\n".encode()},
        {PATH + ".sha256": f"{SHA}  c.jsonl.gz\n{SHA}  c.jsonl.gz\n".encode()},
        {PATH + ".sha256": SHA.upper().encode() + b"  c.jsonl.gz\n"},
    ],
    ids=["nothing", "bad pointer", "pin names another file", "two lines", "upper-case hex"],
)
def test_no_pin_or_a_malformed_one_is_refused(files: dict[str, bytes]) -> None:
    with pytest.raises(InputError, match=PATH.split("/")[0]):
        resolve_corpus(_base(files), PATH, "main", DATA)
