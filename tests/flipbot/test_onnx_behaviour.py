"""The members' behaviour on the pinned corpus, checked with onnxruntime and no torch.

The members in tests/flipbot/data are real exports of the shipped corpus (see
members.json for their recipe); each test tampers with a copy the way a
compromised GPU runner could and asserts the refusal names the file and the reason.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from flipbot.corpus import Corpus, load_corpus
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes
from flipbot.onnx_behaviour import Bounds, Member, check_behaviour, run_member, sample_rows
from flipbot.onnx_contract import check_onnx_contract

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
PER_SEED_MIN = 0.95  # the gate's per-seed minimum (SPEC §6)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(ROOT / "corpus" / "flipbot_corpus_v1.jsonl.gz")


@pytest.fixture(scope="module")
def members(corpus: Corpus) -> list[Member]:
    doc = json.loads((DATA / "members.json").read_text())
    out = []
    for seed, entry in sorted(doc.items()):
        data = (DATA / entry["onnx"]).read_bytes()
        assert sha256_bytes(data) == entry["sha256"]
        assert entry["corpus_sha256"] == corpus.sha256  # exported from this very corpus
        out.append(
            Member(
                int(seed),
                data,
                tuple(entry["feature_mean"]),
                tuple(entry["feature_std"]),
                f"model/tiny/{entry['onnx']}",
            )
        )
    return out


def retrained(member: Member, change: Callable[[dict[str, np.ndarray]], None]) -> Member:
    """The member with its initializers edited in place by ``change`` (same graph)."""
    model = onnx.load_from_string(member.onnx)
    weights = {t.name: numpy_helper.to_array(t).copy() for t in model.graph.initializer}
    change(weights)
    for t in model.graph.initializer:
        t.CopyFrom(numpy_helper.from_array(weights[t.name].astype(np.float32), t.name))
    return dataclasses.replace(member, onnx=model.SerializeToString())


def test_real_members_pass_with_the_numbers_onnxruntime_gives(
    corpus: Corpus, members: list[Member]
) -> None:
    got = check_behaviour(members, corpus, per_seed_min=PER_SEED_MIN)
    assert got.n_rows == 2000
    # the same numbers, computed here from scratch
    rows = sample_rows(corpus.rows, 2000, 0)
    y = corpus.vmaf[rows]
    codec = corpus.codec_block()[rows].astype(np.float32)
    preds = {}
    for m in members:
        x = ((corpus.features[rows] - np.array(m.feature_mean)) / np.array(m.feature_std)).astype(
            np.float32
        )
        session = ort.InferenceSession(m.onnx, providers=["CPUExecutionProvider"])
        (p,) = session.run(["score"], {"features": x, "codec_onehot": codec})
        preds[m.seed] = p.astype(np.float64)
        assert got.plcc_by_seed[m.seed] == pytest.approx(np.corrcoef(y, p)[0, 1], abs=1e-9)
        assert got.rmse_by_seed[m.seed] == pytest.approx(np.sqrt(np.mean((p - y) ** 2)), rel=1e-6)
        assert got.plcc_by_seed[m.seed] > 0.999  # trained: far above the gate's 0.95
        assert 0.0 <= got.miscalibration_by_seed[m.seed] < 2.0
    assert got.max_mean_abs_diff == pytest.approx(
        max(np.mean(np.abs(preds[a] - preds[b])) for a in preds for b in preds if a < b)
    )
    assert 0.999 < got.min_pairwise_plcc < 1.0
    assert 0.0 < got.max_mean_abs_diff < 1.5


def test_the_sample_is_fixed_by_its_seed_and_covers_small_corpora_whole() -> None:
    a, b = sample_rows(23220, 2000, 0), sample_rows(23220, 2000, 0)
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 2000 and list(a) == sorted(a) and a.max() < 23220
    assert not np.array_equal(a, sample_rows(23220, 2000, 1))
    np.testing.assert_array_equal(sample_rows(150, 2000, 0), np.arange(150))


def _randomise(w: dict[str, np.ndarray]) -> None:
    rng = np.random.default_rng(5)
    for name, a in w.items():
        w[name] = rng.normal(0.0, float(a.std()) or 0.1, a.shape)


def _silence(w: dict[str, np.ndarray]) -> None:
    w["net.6.weight"] *= 0.0  # the output is its bias, whatever the input


def _halve(w: dict[str, np.ndarray]) -> None:
    w["net.6.weight"] *= 0.5
    w["net.6.bias"] *= 0.5


def _shift(w: dict[str, np.ndarray]) -> None:
    w["net.6.bias"] += 5.0


def _nan(w: dict[str, np.ndarray]) -> None:
    w["net.6.bias"][:] = np.nan


# (case, weights change applied to seed 0, words in the refusal)
SABOTAGED: list[tuple[str, Callable[[dict[str, np.ndarray]], None], str]] = [
    ("random weights", _randomise, "below the per-seed minimum 0.95"),
    ("constant output", _silence, "no PLCC on 2000 corpus rows (constant predictions"),
    ("halved output", _halve, "from a rescaled or shifted output (limit 4.0)"),
    ("NaN output", _nan, "outputs NaN or inf for 2000 of 2000 corpus rows"),
]


@pytest.mark.parametrize(
    ("change", "words"), [c[1:] for c in SABOTAGED], ids=[c[0] for c in SABOTAGED]
)
def test_sabotaged_weights_are_refused_naming_the_file(
    corpus: Corpus,
    members: list[Member],
    change: Callable[[dict[str, np.ndarray]], None],
    words: str,
) -> None:
    bad = [retrained(members[0], change), *members[1:]]
    with pytest.raises(InputError) as err:
        check_behaviour(bad, corpus, per_seed_min=PER_SEED_MIN)
    assert str(err.value).startswith("model/tiny/member_seed0.onnx: seed 0 ")
    assert words in str(err.value)


def test_the_same_shift_on_every_member_is_still_refused(
    corpus: Corpus, members: list[Member]
) -> None:
    # PLCC and the members' agreement cannot see it; the miscalibration can
    shifted = [retrained(m, _shift) for m in members]
    with pytest.raises(InputError, match=r"member_seed0\.onnx: seed 0 .* 5\.\d+ of them from a"):
        check_behaviour(shifted, corpus, per_seed_min=PER_SEED_MIN)


def test_a_member_that_learnt_something_else_disagrees_with_the_others(
    corpus: Corpus, members: list[Member]
) -> None:
    # Seed 2 with noise in its hidden layer, then its output layer refitted by least squares
    # onto vmaf: good enough alone (PLCC 0.981 > 0.95, no bias) but another function.
    def perturb(w: dict[str, np.ndarray]) -> None:
        rng = np.random.default_rng(11)
        w["net.3.weight"] += rng.normal(0.0, 1.5 * float(w["net.3.weight"].std()), (64, 64))

    m = members[2]
    rows = sample_rows(corpus.rows, 2000, 0)
    x = ((corpus.features[rows] - m.feature_mean) / np.array(m.feature_std)).astype(np.float32)
    pred = run_member(retrained(m, perturb), x, corpus.codec_block()[rows].astype(np.float32))
    slope, offset = np.polyfit(pred, corpus.vmaf[rows], 1)

    def perturb_and_refit(w: dict[str, np.ndarray]) -> None:
        perturb(w)
        w["net.6.weight"] *= slope
        w["net.6.bias"] = w["net.6.bias"] * slope + offset

    odd = [*members[:2], retrained(m, perturb_and_refit)]
    alone = check_behaviour(odd[2:], corpus, per_seed_min=PER_SEED_MIN)
    assert 0.95 < alone.plcc_by_seed[2] < 0.99 and alone.miscalibration_by_seed[2] < 0.01
    with pytest.raises(InputError) as err:
        check_behaviour(odd, corpus, per_seed_min=PER_SEED_MIN)
    message = str(err.value)
    assert message.startswith("model/tiny/member_seed0.onnx and model/tiny/member_seed2.onnx: ")
    assert "seeds 0 and 2 disagree on 2000 corpus rows (PLCC of their predictions 0.9" in message


def test_the_agreement_bounds_are_applied_as_given(corpus: Corpus, members: list[Member]) -> None:
    got = check_behaviour(members, corpus, per_seed_min=PER_SEED_MIN)
    strict = Bounds(max_mean_abs_diff=got.max_mean_abs_diff * 0.99)
    with pytest.raises(InputError, match="disagree"):
        check_behaviour(members, corpus, per_seed_min=PER_SEED_MIN, bounds=strict)
    with pytest.raises(InputError, match="below the per-seed minimum"):
        check_behaviour(members, corpus, per_seed_min=max(got.plcc_by_seed.values()) + 1e-6)


def test_a_swapped_or_foreign_scaler_is_refused(corpus: Corpus, members: list[Member]) -> None:
    m = members[1]
    swapped = dataclasses.replace(m, feature_mean=m.feature_std, feature_std=m.feature_mean)
    with pytest.raises(InputError, match=r"member_seed1\.onnx: seed 1 feature_mean .* is not the"):
        check_behaviour([members[0], swapped], corpus, per_seed_min=PER_SEED_MIN)
    nudged = dataclasses.replace(m, feature_std=(m.feature_std[0] * 1.001, *m.feature_std[1:]))
    with pytest.raises(InputError, match="feature_std .* is not the scaler of"):
        check_behaviour([nudged], corpus, per_seed_min=PER_SEED_MIN)
    short = dataclasses.replace(m, feature_mean=m.feature_mean[:5])
    with pytest.raises(InputError, match="feature_mean must be 6 finite numbers"):
        check_behaviour([short], corpus, per_seed_min=PER_SEED_MIN)
    nan = dataclasses.replace(m, feature_std=(float("nan"), *m.feature_std[1:]))
    with pytest.raises(InputError, match="feature_std must be 6 finite numbers"):
        check_behaviour([nan], corpus, per_seed_min=PER_SEED_MIN)


def test_static_contract_runs_before_onnxruntime(corpus: Corpus, members: list[Member]) -> None:
    def change(edit: Callable[[onnx.ModelProto], None]) -> Member:
        model = onnx.load_from_string(members[0].onnx)
        edit(model)
        return dataclasses.replace(members[0], onnx=model.SerializeToString())

    def topk(m: onnx.ModelProto) -> None:
        m.graph.node[4].op_type = "TopK"

    def external(m: onnx.ModelProto) -> None:
        t = m.graph.initializer[0]
        t.data_location = onnx.TensorProto.EXTERNAL
        entry = t.external_data.add()
        entry.key, entry.value = "location", "weights.bin"

    def rename(m: onnx.ModelProto) -> None:
        m.graph.input[1].name = "codec"

    def reshape(m: onnx.ModelProto) -> None:
        m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 5

    cases = [
        (topk, "ai.onnx::TopK"),
        (external, "weights stored outside the file: net.0.weight"),
        (rename, "inputs ['features', 'codec'], expected ['features', 'codec_onehot']"),
        (reshape, "features is FLOAT['batch', 5], expected FLOAT['batch', 6]"),
    ]
    for edit, words in cases:
        with pytest.raises(InputError) as err:
            check_behaviour([change(edit)], corpus, per_seed_min=PER_SEED_MIN)
        assert str(err.value).startswith("model/tiny/member_seed0.onnx: ")
        assert words in str(err.value)


def test_copies_and_repeated_seeds_are_refused(corpus: Corpus, members: list[Member]) -> None:
    copy = dataclasses.replace(members[0], seed=3, where="model/tiny/member_seed3.onnx")
    with pytest.raises(InputError, match=r"seed3\.onnx: seed 3 is byte for byte .*seed0\.onnx"):
        check_behaviour([*members, copy], corpus, per_seed_min=PER_SEED_MIN)
    again = dataclasses.replace(members[1], seed=0, where="other.onnx")
    with pytest.raises(InputError, match="other.onnx: seed 0 is also model/tiny/member_seed0"):
        check_behaviour([members[0], again], corpus, per_seed_min=PER_SEED_MIN)
    with pytest.raises(InputError, match="no members"):
        check_behaviour([], corpus, per_seed_min=PER_SEED_MIN)


def endless_loop_model() -> bytes:
    """Allowlisted ops and the right interface, but a Loop told to run 1e12 times."""
    f = TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("Identity", ["cin"], ["cout"]), helper.make_node("Abs", ["v"], ["vout"])],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cin", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v", f, ["batch", 6]),
        ],
        [
            helper.make_tensor_value_info("cout", TensorProto.BOOL, []),
            helper.make_tensor_value_info("vout", f, ["batch", 6]),
        ],
    )
    const = helper.make_tensor
    nodes = [
        helper.make_node("Constant", [], ["m"], value=const("mv", TensorProto.INT64, [], [10**12])),
        helper.make_node("Constant", [], ["c"], value=const("cv", TensorProto.BOOL, [], [True])),
        helper.make_node("Loop", ["m", "c", "features"], ["looped"], name="spin", body=body),
        helper.make_node("Constant", [], ["k"], value=const("kv", TensorProto.INT64, [], [0])),
        helper.make_node("Gather", ["looped", "k"], ["score"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info("features", f, ["batch", 6]),
            helper.make_tensor_value_info("codec_onehot", f, ["batch", 14]),
        ],
        [helper.make_tensor_value_info("score", f, ["batch"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return model.SerializeToString()


def test_a_run_that_never_ends_is_stopped_and_refused(members: list[Member]) -> None:
    spin = dataclasses.replace(members[0], onnx=endless_loop_model(), where="spin.onnx")
    check_onnx_contract(spin.onnx, spin.where)  # nothing static to object to
    x, codec = np.zeros((50, 6), np.float32), np.zeros((50, 14), np.float32)
    t0 = time.perf_counter()
    with pytest.raises(
        InputError, match=r"^spin\.onnx: onnxruntime cannot run seed 0 \(stopped after 0\.5 s"
    ):
        run_member(spin, x, codec, seconds_max=0.5)
    assert time.perf_counter() - t0 < 5.0
