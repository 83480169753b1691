"""Write the corpus: rows sorted, gzip with fixed header, atomic replace.

The gzip header carries mtime 0 and a fixed member name, so the bytes depend
only on the rows (and on the zlib build's compressor at level 9).
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections import Counter
from pathlib import Path

from flipbot.jsonfile import write_atomic


def sort_key(line: str) -> tuple[str, str, float, int]:
    row = json.loads(line)
    return (row["src"], row["encoder"], row["cq"], row["frame_index"])


def corpus_bytes(lines: list[str], member_name: str) -> bytes:
    """The corpus file's bytes: plain JSONL, or gzip when the name ends in .gz."""
    text = "".join(line + "\n" for line in sorted(lines, key=sort_key)).encode("ascii")
    if not member_name.endswith(".gz"):
        return text
    buf = io.BytesIO()
    name = member_name.removesuffix(".gz")
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text)
    return buf.getvalue()


def write_corpus(path: Path, lines: list[str]) -> bytes:
    data = corpus_bytes(lines, path.name)
    write_atomic(path, data)
    os.chmod(path, 0o644)  # a data file to share; the temp file was created 0600
    return data


def rows_per(lines: list[str], *keys: str) -> dict[str, int]:
    """Row counts grouped by the given keys, joined with '/'."""
    counts: Counter[str] = Counter()
    for line in lines:
        row = json.loads(line)
        counts["/".join(str(row[k]) for k in keys)] += 1
    return dict(sorted(counts.items()))
