"""The ensemble manifest in sync with a flip: only owned values change, byte for byte."""

from __future__ import annotations

import difflib
import json

import pytest

from bot.manifest.inputs import ManifestInputs, Member
from bot.manifest.sync import (
    describe,
    inputs_from_sidecars,
    sync_manifest,
    verify_manifest,
)
from flipbot.errors import InputError
from flipbot.jsonfile import dumps

E = "fr_regressor_v2_ensemble_v1"
VOCAB = [
    "libx264", "libx265", "libsvtav1", "libvvenc", "libvpx-vp9", "h264_nvenc",
    "hevc_nvenc", "av1_nvenc", "h264_qsv", "hevc_qsv", "av1_qsv", "unknown",
]  # fmt: skip

# Hand-written, not canonical: two-space keys in file order, a compact list, an unknown field.
MANIFEST = (
    """{
  "kind": "fr_ensemble",
  "id": "fr_regressor_v2_ensemble_v1",
  "smoke": true,
  "maintainer": "vision-team",
  "members": [
    {"id": "fr_regressor_v2_ensemble_v1_seed0", "seed": 0, "onnx": "fr_regressor_v2_ensemble_v1_seed0.onnx", "sha256": "SHA0", "note": "keep me"},
    {"id": "fr_regressor_v2_ensemble_v1_seed1", "seed": 1, "onnx": "fr_regressor_v2_ensemble_v1_seed1.onnx", "sha256": "SHA1"},
    {"id": "fr_regressor_v2_ensemble_v1_seed9", "seed": 9, "onnx": "legacy_seed9.onnx", "sha256": "SHA9"}
  ],
  "feature_mean": [0, 0, 0, 0, 0, 0],
  "feature_std": [1, 1, 1, 1, 1, 1],
  "encoder_vocab": ["libx264", "libx265", "unknown"],
  "evaluation": {"plcc": 0.5, "note": "in-sample, placeholder"},
  "confidence": {"method": "old"}
}
""".replace("SHA0", "1" * 64)
    .replace("SHA1", "2" * 64)
    .replace("SHA9", "9" * 64)
)


def inputs(*, production: tuple[str, ...] = ()) -> ManifestInputs:
    return ManifestInputs(
        members=(
            Member(f"{E}_seed0", 0, f"{E}_seed0.onnx", "a" * 64),
            Member(f"{E}_seed1", 1, f"{E}_seed1.onnx", "b" * 64),
        ),
        inputs={
            "feature_mean": [0.5, 0.25, 0.125, 1.0, 2.0, 3.0],
            "feature_std": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            "encoder_vocab": VOCAB,
            "feature_order": ["adm2"],  # the manifest has no feature_order: not added
        },
        confidence={"method": "source-level", "half_width": {"0.90": [3.0, 2.0]}},
        gate={"decision": "PROMOTE", "verdict_sha256": "c" * 64},
        production_ids=frozenset(production),
    )


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def test_only_the_owned_values_change_byte_for_byte() -> None:
    edit = sync_manifest(MANIFEST, "model/tiny/m.json", inputs())
    before, after = json.loads(MANIFEST), json.loads(edit.after)
    assert after["members"][0]["sha256"] == "a" * 64 and after["members"][1]["sha256"] == "b" * 64
    assert after["members"][0]["note"] == "keep me"
    assert after["members"][2] == before["members"][2]  # untouched member, kept as it is
    assert after["maintainer"] == "vision-team" and after["evaluation"] == before["evaluation"]
    assert after["encoder_vocab"] == VOCAB and "feature_order" not in after
    assert after["confidence"]["method"] == "source-level"
    assert after["gate"]["decision"] == "PROMOTE"
    assert after["smoke"] is True  # seed9 is not production
    # Every line outside the owned values is byte-identical.
    untouched = [line for line in MANIFEST.splitlines() if "seed9" in line or "maintainer" in line]
    assert all(line in edit.after.splitlines() for line in untouched)
    diff = changed_lines(MANIFEST, edit.after)
    assert not any("maintainer" in d or "evaluation" in d or "seed9" in d for d in diff)
    assert edit.stale == ("evaluation",)
    assert set(edit.changed) == {
        "members[0].sha256", "members[1].sha256", "feature_mean", "feature_std",
        "encoder_vocab", "confidence", "gate",
    }  # fmt: skip
    assert any("3 entries" in n and "wrong, not merely old" in n for n in edit.notes)


def test_describe_names_the_changes_the_stale_fields_and_the_notes() -> None:
    lines = describe(sync_manifest(MANIFEST, "m.json", inputs()))
    assert lines[0].startswith("- `m.json`: updated `members[0].sha256`, `members[1].sha256`")
    assert (
        lines[1]
        == "- `m.json`: `evaluation` describes the old members and was kept; it is **stale** now."
    )
    assert "wrong, not merely old" in lines[2]
    once = sync_manifest(MANIFEST, "m.json", inputs()).after
    assert describe(sync_manifest(once, "m.json", inputs())) == [
        "- `m.json` already describes these members."
    ]


def test_a_rerun_writes_nothing() -> None:
    once = sync_manifest(MANIFEST, "m.json", inputs()).after
    again = sync_manifest(once, "m.json", inputs())
    assert again.after == once and again.changed == () and again.stale == ()


def test_canonical_manifest_is_reserialised_canonically() -> None:
    text = dumps(json.loads(MANIFEST))
    edit = sync_manifest(
        text, "m.json", inputs(production=(f"{E}_seed0", f"{E}_seed1", f"{E}_seed9"))
    )
    assert edit.after == dumps(json.loads(edit.after))
    assert json.loads(edit.after)["smoke"] is False  # every member is production now


def test_the_verifier_accepts_the_synced_manifest_and_refuses_a_tampered_one() -> None:
    after = sync_manifest(MANIFEST, "m.json", inputs()).after
    committed = {f"model/tiny/{E}_seed0.onnx": "a" * 64, f"model/tiny/{E}_seed1.onnx": "b" * 64}
    verify_manifest(after, "m.json", "model/tiny", committed)
    with pytest.raises(InputError, match=f"member '{E}_seed1' names sha256 2222"):
        verify_manifest(MANIFEST.replace("1" * 64, "a" * 64), "m.json", "model/tiny", committed)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"members": {}}', "needs a 'members' list"),
        ('{"kind": "fr", "members": []}', "is not an ensemble manifest"),
        ('{"members": [{"seed": 0}]}', "every member needs a string 'id'"),
    ],
)
def test_malformed_manifests_are_refused_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        sync_manifest(text, "model/tiny/m.json", inputs())


def test_sidecars_that_disagree_on_the_scaler_are_refused() -> None:
    one = {"feature_mean": [1.0], "feature_std": [1.0]}
    assert inputs_from_sidecars([one, dict(one)], "plan") == one
    with pytest.raises(InputError, match="disagree on feature_mean"):
        inputs_from_sidecars([one, {"feature_mean": [2.0]}], "plan")


def test_fields_flipbot_does_not_know_are_named_as_not_vouched_for() -> None:
    edit = sync_manifest(MANIFEST, "m.json", inputs())
    assert edit.unvouched == ("maintainer",)
    assert describe(edit)[-1] == (
        "- `m.json`: kept as they were, not vouched for by this flip: `maintainer`."
    )


def loader_inputs(kept_width: int | None) -> ManifestInputs:
    from dataclasses import replace

    from flipbot.ensemble_numbers import CODEC_VOCAB

    return replace(
        inputs(),
        codec_vocab=CODEC_VOCAB,
        codec_vocab_version=2,
        loader_confidence={"conformal_q_residual": 2.5, "nominal_coverage": 0.95},
        eval={"in_sample_plcc": 0.999},
        kept_widths={f"{E}_seed9": kept_width},
    )


def test_a_partial_flip_sets_the_vocabulary_but_not_the_ensemble_numbers() -> None:
    text = MANIFEST.replace(
        '"confidence": {"method": "old"}', '"confidence": {"conformal_q_residual": 1.0}'
    )
    edit = sync_manifest(text, "m.json", loader_inputs(14))  # seed9 is kept, 14 wide: fits
    after = json.loads(edit.after)
    assert len(after["codec_vocab"]) == 14 and after["codec_vocab_version"] == 2
    assert after["confidence"]["conformal_q_residual"] == 1.0  # kept: seed9 is not this run's
    assert "eval" not in after
    assert edit.stale == ("evaluation", "confidence.conformal_q_residual")


def test_a_kept_member_of_another_codec_width_is_exit_2() -> None:
    with pytest.raises(InputError, match=f"'{E}_seed9' takes 8.*no codec_vocab fits both"):
        sync_manifest(MANIFEST, "model/tiny/m.json", loader_inputs(8))
