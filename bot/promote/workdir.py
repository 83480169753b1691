"""The private work dir of ``bot promote``: the base's files, and the loso files tied to the corpus.

Layout (``tempfile.mkdtemp``, mode 0700, removed at the end)::

    repo/      a mirror of the base: the registry, the current files of the
               member rows (for drift), the pinned corpus bytes at its path
    loso/      loso_seed<N>.json of the requested seeds (bytes read once), then the verdict
    audit/     picks.json and the audit's predictions
    export/    what `trainer export` writes

From ``--loso-dir`` only ``loso_seed<N>.json`` of the requested seeds is
ever opened (regular files, no symlink, bounded size); each is strictly
parsed and tied to the pinned corpus (``gate.corpus_tie``) before any
stage sees it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from bot.flip import BaseView
from flipbot.corpus import load_corpus_bytes
from flipbot.corpus_pin import PinnedCorpus
from flipbot.errors import InputError
from flipbot.loso_file import LosoArtefact, loso_filename
from flipbot.registry_text import load_registry_doc
from gate.corpus_tie import CorpusFacts, tie

LOSO_MAX_BYTES = 512 << 20  # a 1M-row corpus gives files of about 30 MB


def make_workdir(parent: str | None) -> Path:
    # Absolute: the children run in folders of their own, where a relative path would not resolve.
    where = None if parent is None else os.path.abspath(parent)
    root = Path(tempfile.mkdtemp(prefix="flipbot-promote-", dir=where))
    for name in ("repo", "loso", "audit"):
        (root / name).mkdir(mode=0o700)
    # A repository root for the mirror, so export names the registry repository-relative.
    subprocess.run(["git", "init", "-q", str(root / "repo")], check=True)
    return root


def mirror_base(
    root: Path, view: BaseView, pinned: PinnedCorpus, ensemble_id: str, seeds: tuple[int, ...]
) -> None:
    """The registry, the member rows' current files, and the corpus, as the base holds them."""
    repo = root / "repo"
    _write(repo, view.registry_path, view.registry_text.encode("utf-8"))
    _write(repo, pinned.pin.path, pinned.data)
    folder = PurePosixPath(view.registry_path).parent
    doc = load_registry_doc(repo / view.registry_path)
    wanted = {f"{ensemble_id}_seed{s}" for s in seeds} | {ensemble_id}
    for row in doc.get("models", []) if isinstance(doc, dict) else []:
        name = row.get("onnx") if isinstance(row, dict) and row.get("id") in wanted else None
        if not isinstance(name, str) or PurePosixPath(name).name != name or name in ("", ".", ".."):
            continue  # the verifier names a bad row later; drift just has nothing to compare
        for file in (name, PurePosixPath(name).stem + ".json"):
            data = view.read((folder / file).as_posix())
            if data is not None:
                _write(repo, (folder / file).as_posix(), data)


def _write(repo: Path, rel: str, data: bytes) -> None:
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def take_loso_files(
    root: Path,
    loso_dir: Path,
    seeds: tuple[int, ...],
    pinned: PinnedCorpus,
    recipe: dict[str, Any],
) -> tuple[CorpusFacts, tuple[LosoArtefact, ...]]:
    """Read each requested loso file once, tie it to the corpus, keep its exact bytes in loso/."""
    corpus = load_corpus_bytes(pinned.data, pinned.pin.path)
    facts = CorpusFacts.of(corpus, pinned.pin.path)
    artefacts = []
    for seed in seeds:
        path = loso_dir / loso_filename(seed)
        data = read_bounded(path)
        art = parse_loso(data, str(path))
        if art.seed != seed:
            raise InputError(
                f"{path}: field 'seed' is {art.seed}, the file name says {seed}; rename or retrain"
            )
        tie(art, str(path), facts, recipe)
        (root / "loso" / path.name).write_bytes(data)
        artefacts.append(art)
    return facts, tuple(artefacts)


def read_bounded(path: Path) -> bytes:
    """A regular file's bytes (never through a symlink), at most LOSO_MAX_BYTES."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: missing; train this seed or drop it from --seeds") from None
    except OSError:
        raise InputError(f"{path}: a symlink or unreadable; pass the real file") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: not a regular file; pass the loso file itself")
        if info.st_size > LOSO_MAX_BYTES:
            raise InputError(f"{path}: {info.st_size} bytes, more than a loso file holds; retrain")
        return fh.read(LOSO_MAX_BYTES + 1)[:LOSO_MAX_BYTES]


def parse_loso(data: bytes, where: str) -> LosoArtefact:
    """Strict JSON (no NaN, no duplicate key) into a LosoArtefact; every message one safe line."""
    try:
        doc = json.loads(
            data.decode("utf-8"), object_pairs_hook=_unique, parse_constant=_no_constant
        )
        return LosoArtefact.from_json(doc, where)
    except InputError as exc:
        raise InputError(one_line(str(exc))) from None
    except (UnicodeDecodeError, ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise InputError(
            f"{where}: not a loso file ({one_line(str(exc))[:200]}); regenerate it"
        ) from None


def one_line(text: str) -> str:
    """Control characters (newlines included) escaped: a message stays one log line."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("a key appears twice in one object")
    return doc


def _no_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON number {token}")
