"""The corpus pin's edges: the whole pin of each form, the 1024-byte bound, every refusal in full."""

from __future__ import annotations

import hashlib

import pytest

from flipbot.corpus_pin import CorpusPin, PinnedCorpus, resolve_corpus
from flipbot.errors import InputError

PATH = "corpus/c.jsonl.gz"
DATA = b"corpus bytes\n" * 50
SHA = hashlib.sha256(DATA).hexdigest()
LFS = f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\nsize {len(DATA)}\n".encode()
PIN = f"{SHA}  c.jsonl.gz\n".encode()
OTHER = DATA[:-1] + b"?"
OTHER_SHA = hashlib.sha256(OTHER).hexdigest()


def resolve(files: dict[str, bytes], supplied: bytes | None) -> PinnedCorpus:
    return resolve_corpus(files.get, PATH, "main@1234abc", supplied)


def refusal(files: dict[str, bytes], supplied: bytes | None = DATA) -> str:
    with pytest.raises(InputError) as caught:
        resolve(files, supplied)
    return str(caught.value)


def test_each_form_gives_its_whole_pin() -> None:
    assert resolve({PATH: DATA}, None) == PinnedCorpus(
        CorpusPin(PATH, "committed", SHA, len(DATA), f"{PATH} (main@1234abc)"), DATA
    )
    assert resolve({PATH: LFS}, DATA) == PinnedCorpus(
        CorpusPin(PATH, "lfs-pointer", SHA, len(DATA), f"{PATH} (main@1234abc)"), DATA
    )
    assert resolve({PATH + ".sha256": PIN}, DATA) == PinnedCorpus(
        CorpusPin(PATH, "pin-file", SHA, None, f"{PATH}.sha256 (main@1234abc)"), DATA
    )
    # sha256sum's binary mode marker and a committed corpus given again are fine too.
    assert resolve({PATH + ".sha256": f"{SHA} *c.jsonl.gz".encode()}, DATA).data == DATA
    assert resolve({PATH: DATA}, DATA).data == DATA


def test_an_lfs_pointer_or_pin_file_of_1024_bytes_is_read_and_of_1025_refused() -> None:
    lfs = LFS + b"\n" * (1024 - len(LFS))
    pin = PIN + b"\n" * (1024 - len(PIN))
    assert resolve({PATH: lfs}, DATA).pin.form == "lfs-pointer"
    assert resolve({PATH + ".sha256": pin}, DATA).pin.form == "pin-file"
    assert refusal({PATH: lfs + b"\n"}) == (
        f"{PATH} (main@1234abc): a Git LFS pointer of 1025 bytes; commit the pointer git lfs writes"
    )
    assert refusal({PATH + ".sha256": pin + b"\n"}) == (
        f"{PATH}.sha256 (main@1234abc): a pin file holds one line '<64 lowercase hex>  "
        "c.jsonl.gz' (as `sha256sum c.jsonl.gz` writes it); rewrite it"
    )


def test_no_corpus_and_no_pin_names_both_and_the_three_forms() -> None:
    assert refusal({}) == (
        f"--corpus {PATH}: neither the corpus nor a pin file {PATH}.sha256 is in main@1234abc; "
        f"commit the corpus, a Git LFS pointer at its path, or a sha256sum line in {PATH}.sha256 "
        "(README, 'Where the corpus lives')"
    )


@pytest.mark.parametrize(
    "pointer",
    [
        f"version https://git-lfs.github.com/spec/v1\nsize {len(DATA)}\n",  # no oid
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\n",  # no size
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\noid sha256:{SHA}\n"
        f"size {len(DATA)}\n",
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\nsize 0{len(DATA)}\n",
    ],
    ids=["no oid", "no size", "two oids", "size with a leading zero"],
)
def test_a_pointer_needs_one_oid_and_one_size(pointer: str) -> None:
    assert refusal({PATH: pointer.encode()}) == (
        f"{PATH} (main@1234abc): a Git LFS pointer needs one 'oid sha256:<64 lowercase hex>' line "
        "and one 'size <bytes>' line; commit the pointer git lfs writes"
    )


@pytest.mark.parametrize("name", [PATH, PATH + ".sha256"])
def test_a_pointer_or_pin_that_is_not_ascii_is_refused(name: str) -> None:
    data = (LFS if name == PATH else PIN) + "é\n".encode()
    assert refusal({name: data}) == (
        f"{name} (main@1234abc): not ASCII text; commit the pin as git lfs or sha256sum write it"
    )


def test_other_bytes_for_a_committed_corpus_are_refused_in_full() -> None:
    assert refusal({PATH: DATA}, OTHER) == (
        f"--corpus-bytes: sha256 {OTHER_SHA[:12]} differs from the committed corpus "
        f"{PATH} (main@1234abc) ({SHA[:12]}); train on the committed corpus or drop --corpus-bytes"
    )


def test_a_pinned_corpus_without_bytes_is_refused_in_full() -> None:
    assert refusal({PATH: LFS}, None) == (
        f"{PATH} (main@1234abc) pins the corpus (sha256 {SHA[:12]}) without committing it; pass "
        "its bytes with --corpus-bytes"
    )


def test_bytes_of_another_size_or_sha256_are_refused_in_full() -> None:
    assert refusal({PATH: LFS}, DATA + b"\n") == (
        f"--corpus-bytes: {len(DATA) + 1} bytes, but {PATH} (main@1234abc) pins {len(DATA)}; pass "
        "the corpus the repository pins"
    )
    assert refusal({PATH + ".sha256": PIN}, OTHER) == (
        f"--corpus-bytes: sha256 {OTHER_SHA[:12]} differs from {PATH}.sha256 (main@1234abc) "
        f"({SHA[:12]}); pass the corpus the repository pins"
    )
