"""Smoke placeholder ONNX files for the ensemble's registry rows.

Before a LOSO run clears the gate, each ``<ensemble_id>_seed{N}`` row points
at an *untrained* network: seed N's initial weights (``trainer.recipe.init_model``
with the default recipe), exported and checked by the same code as a real
flip, so the file has the shipping interface and its sha256 is real. Rows
stay ``smoke: true``. The exporter is deterministic, so rerunning this gives
the same bytes for the same torch/onnx versions.

    python -m trainer.placeholders --out-dir model/tiny [--seeds 0,1,2,3,4]

It writes ``<id>.onnx`` files and prints ``{id: sha256}`` as JSON. It never
edits the registry: copy the printed sha256 values into the smoke rows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from flipbot.errors import EXIT_INPUT, EXIT_OK
from flipbot.jsonfile import sha256_bytes, write_atomic
from trainer.onnx_check import check_model_bytes
from trainer.onnx_export import to_onnx_bytes
from trainer.recipe import Recipe, init_model
from trainer.registry_view import DEFAULT_ENSEMBLE_ID, seed_row_id


def placeholder_bytes(seed: int) -> bytes:
    """The ONNX bytes of seed ``seed``'s untrained network (checked like a real export)."""
    data = to_onnx_bytes(init_model(seed, Recipe()).eval())
    check_model_bytes(data, f"placeholder seed {seed}")
    return data


def write_placeholders(out_dir: Path, ensemble_id: str, seeds: list[int]) -> dict[str, str]:
    digests = {}
    for seed in seeds:
        row_id = seed_row_id(ensemble_id, seed)
        data = placeholder_bytes(seed)
        write_atomic(out_dir / f"{row_id}.onnx", data)
        digests[row_id] = sha256_bytes(data)
    return digests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trainer.placeholders",
        description="Write untrained smoke placeholder ONNX files, one per seed, and print their sha256.",
    )
    parser.add_argument("--out-dir", type=Path, required=True, help="e.g. model/tiny")
    parser.add_argument("--ensemble-id", default=DEFAULT_ENSEMBLE_ID)
    parser.add_argument(
        "--seeds", default="0,1,2,3,4", help="comma-separated (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        print(
            f"error: --seeds {args.seeds!r}: expected comma-separated integers, e.g. 0,1,2",
            file=sys.stderr,
        )
        return EXIT_INPUT
    digests = write_placeholders(args.out_dir, args.ensemble_id, seeds)
    print(json.dumps(digests, indent=2, sort_keys=True))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
