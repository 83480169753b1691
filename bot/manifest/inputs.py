"""What a flip hands the ensemble manifest: the members it vouches for and their inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Member:
    id: str
    seed: int
    onnx: str  # file name in the registry's folder
    sha256: str


@dataclass(frozen=True)
class ManifestInputs:
    """What a flip vouches for, gathered from the plan, the sidecars, the verdict and calibration."""

    members: tuple[Member, ...]  # the flipped members
    inputs: Mapping[str, Any]  # INPUT_FIELDS -> value, from the flipped members' sidecars
    confidence: Mapping[str, Any] | None  # the shipped interval constants, if calibrated
    gate: Mapping[str, Any]
    production_ids: frozenset[str]  # registry ids with smoke: false after the flip
    # The loader's one-hot vocabulary: one name per column of the members' codec input.
    codec_vocab: tuple[str, ...] | None = None
    codec_vocab_version: int | None = None
    # The loader's confidence keys from this run (only written when every member flips).
    loader_confidence: Mapping[str, Any] | None = None
    eval: Mapping[str, Any] | None = None  # the new members' numbers (every member flips)
    # Members the flip keeps: id -> the width of their codec input on the base (None: unknown).
    kept_widths: Mapping[str, int | None] = field(default_factory=dict)
