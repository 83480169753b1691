"""The seed sidecar's shape as the target repository reads it (SPEC §14), on both sides.

Export writes it, the bot checks what it received; one definition for both:

- the repository's own keys, with its names and types (``gate.passed``,
  ``gate.verdict``, ``input_names``, ``training_recipe``, ``corpus.n_rows``, ...),
  filled from this run: :func:`gate_block` from the verdict, :func:`training_recipe`
  from the recipe the models were fitted with;
- libvmaf reads a sidecar by substring scan (``model_loader.c``): the first
  ``"kind"``, ``"name"``, ``"input_name"``, ``"output_name"``, ``"onnx_opset"`` or
  ``"quant_mode"`` anywhere in the text wins, then the value after the next
  ``:``. flipbot's own evidence therefore never uses one of those words as a
  key or a string value anywhere but ``kind`` at the top level
  (:func:`scan_shadows`), and :func:`libvmaf_scan` reads a text as libvmaf does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flipbot.errors import InputError
from flipbot.verdict_file import Verdict

SIDECAR_MAX_BYTES = 1 << 20  # libvmaf refuses a larger sidecar
SCANNED_KEYS = ("kind", "name", "input_name", "output_name", "onnx_opset", "quant_mode")
INPUT_NAMES = ("features", "codec_onehot")
OUTPUT_NAMES = ("score",)
FIT_SET = "full_corpus"
SCALER = "fit_on_full_corpus"
DEFAULT_PARENT_ADRS = ("ADR-0303",)

# The repository's top-level keys and their JSON types (its hand-made seed sidecar).
TOP_KEYS: dict[str, type | tuple[type, ...]] = {
    "codec_aware": bool,
    "codec_block_layout": list,
    "corpus": dict,
    "encoder_vocab": list,
    "encoder_vocab_version": int,
    "ensemble_id": str,
    "feature_mean": list,
    "feature_order": list,
    "feature_std": list,
    "gate": dict,
    "id": str,
    "input_names": list,
    "kind": str,
    "loso_mean_plcc": float,
    "notes": str,
    "onnx": str,
    "opset": int,
    "output_names": list,
    "parent_adrs": list,
    "seed": int,
    "sha256": str,
    "training_recipe": dict,
}
CORPUS_KEYS: dict[str, type | tuple[type, ...]] = {
    "cq_max": float,
    "cq_min": float,
    "n_rows": int,
    "path": str,
    "sha256": str,
}
GATE_KEYS: dict[str, type | tuple[type, ...]] = {
    "mean_plcc": float,
    "mean_plcc_threshold": float,
    "passed": bool,
    "per_seed_min_threshold": float,
    "plcc_spread": float,
    "plcc_spread_max": float,
    "this_seed_loso_plcc": float,
    "verdict": str,
}
RECIPE_KEYS: dict[str, type | tuple[type, ...]] = {
    "batch_size": int,
    "depth": int,
    "dropout": float,
    "epochs": int,
    "fit_set": str,
    "hidden": int,
    "in_features": int,
    "loss": str,
    "lr": float,
    "num_codecs": int,
    "optimizer": str,
    "scaler": str,
    "weight_decay": float,
}
DEPTH = 2  # hidden layers of the network (SPEC §4)


def gate_block(verdict: Verdict, seed: int) -> dict[str, Any]:
    """``gate`` as the repository reads it; ``passed`` is whether this seed cleared the gate."""
    rules = {r.name: r for r in verdict.rules}
    outcome = {s.seed: s for s in verdict.seeds}.get(seed)
    if outcome is None:
        raise InputError(f"the verdict judged no seed {seed}; rerun export on this verdict")
    return {
        "mean_plcc": float(rules["mean_plcc"].value),
        "mean_plcc_threshold": float(verdict.thresholds["mean_plcc"]),
        "passed": bool(outcome.flips and not verdict.refused),
        "per_seed_min_threshold": float(verdict.thresholds["per_seed_min"]),
        "plcc_spread": float(rules["plcc_spread"].value),
        "plcc_spread_max": float(verdict.thresholds["plcc_spread"]),
        "this_seed_loso_plcc": float(outcome.plcc),
        "verdict": verdict.decision,
    }


def training_recipe(recipe: Mapping[str, Any], n_features: int, num_codecs: int) -> dict[str, Any]:
    """``training_recipe`` in the repository's names, from the recipe the models were fitted with."""
    return {
        "batch_size": int(recipe["batch_size"]),
        "depth": DEPTH,
        "dropout": float(recipe["dropout"]),
        "epochs": int(recipe["epochs"]),
        "fit_set": FIT_SET,
        "hidden": int(recipe["hidden"]),
        "in_features": n_features,
        "loss": "MSE",
        "lr": float(recipe["lr"]),
        "num_codecs": num_codecs,
        "optimizer": "Adam",
        "scaler": SCALER,
        "weight_decay": float(recipe["weight_decay"]),
    }


def scan_shadows(doc: Any, path: str = "") -> list[str]:
    """Where a nested key, or any string value, is a word libvmaf scans for (empty: none)."""
    found: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            here = f"{path}.{key}" if path else str(key)
            if path and key in SCANNED_KEYS:
                found.append(here)
            found += scan_shadows(value, here)
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += scan_shadows(value, f"{path}[{i}]")
    elif isinstance(doc, str) and doc in SCANNED_KEYS:
        found.append(f"{path} (value)")
    return found


def text_shadows(text: str) -> list[str]:
    """Scanned words other than ``kind`` anywhere in the text (the sidecar has none of them).

    A string ending in an escaped quote and such a word (a path ``x\\"name``) puts
    ``"name"`` in the text without any key or value being that word.
    """
    return [f'"{k}" in the text' for k in SCANNED_KEYS if k != "kind" and f'"{k}"' in text]


def libvmaf_scan(text: str, key: str) -> str | None:
    """The string libvmaf reads for ``key``: first ``"key"`` anywhere, next ``:``, a quoted value."""
    at = text.find(f'"{key}"')
    if at < 0:
        return None
    colon = text.find(":", at + len(key) + 2)
    if colon < 0:
        return None
    rest = text[colon + 1 :].lstrip()
    if not rest.startswith('"'):
        return None
    end = rest.find('"', 1)
    return rest[1:end] if end >= 0 else None


def check_sidecar(doc: Any, text: str, where: str) -> None:
    """InputError unless ``doc`` (parsed from ``text``) has the repository's keys and types
    and libvmaf's scan reads it right."""
    if len(text.encode("utf-8")) > SIDECAR_MAX_BYTES:
        raise InputError(f"{where}: larger than 1 MiB, which libvmaf refuses; rerun export")
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a JSON object; rerun export")
    _types(doc, TOP_KEYS, where, "")
    _types(doc["corpus"], CORPUS_KEYS, where, "corpus.")
    _types(doc["gate"], GATE_KEYS, where, "gate.")
    _types(doc["training_recipe"], RECIPE_KEYS, where, "training_recipe.")
    if doc["input_names"] != list(INPUT_NAMES) or doc["output_names"] != list(OUTPUT_NAMES):
        raise InputError(
            f"{where}: fields 'input_names'/'output_names' must be {list(INPUT_NAMES)} and "
            f"{list(OUTPUT_NAMES)}, the graph's names; rerun export"
        )
    shadows = scan_shadows(doc) + text_shadows(text)
    if shadows or libvmaf_scan(text, "kind") != "fr":
        raise InputError(
            f"{where}: libvmaf's sidecar scan would read a wrong value ({', '.join(shadows)} "
            "shadow the keys it looks for); rerun export with this flipbot version"
        )


def _types(doc: Any, keys: Mapping[str, type | tuple[type, ...]], where: str, prefix: str) -> None:
    if not isinstance(doc, dict):
        raise InputError(f"{where}: field '{prefix.rstrip('.')}' must be an object; rerun export")
    for key, kind in keys.items():
        value = doc.get(key)
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise InputError(
                f"{where}: field '{prefix}{key}' is missing or not a JSON "
                f"{getattr(kind, '__name__', kind)}; rerun export with this flipbot version"
            )
