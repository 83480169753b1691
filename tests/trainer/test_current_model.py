"""Current models with external data: loaded from their folder, and only from there (SPEC §14)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from trainer.current_model import CurrentModelError, external_locations, loadable
from trainer.placeholders import placeholder_bytes

NAME = "m_seed0.onnx"


def external(folder: Path, name: str = NAME, location: str | None = None) -> bytes:
    """A real placeholder saved with every weight in ``location`` (default ``<name>.data``)."""
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save_model(
        onnx.load_model_from_string(placeholder_bytes(0)),
        str(folder / name),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=location or f"{name}.data",
        size_threshold=0,
    )
    return (folder / name).read_bytes()


def scores(model: bytes | str) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    feeds = {"features": np.ones((3, 6), np.float32), "codec_onehot": np.zeros((3, 14), np.float32)}
    return session.run(["score"], feeds)[0]


def test_a_model_with_external_data_runs_from_a_private_copy(tmp_path: Path) -> None:
    data = external(tmp_path / "tiny")
    assert external_locations(data) == (f"{NAME}.data",)
    with pytest.raises(Exception, match="External data path"):
        scores(data)  # what drift did before: onnxruntime refuses the bytes alone
    with loadable(tmp_path / "tiny", NAME) as (got, model):
        assert got == data and isinstance(model, str)
        assert Path(model).parent != tmp_path / "tiny"  # a private copy, not the repository
        np.testing.assert_array_equal(
            scores(model), scores(placeholder_bytes(0))
        )  # the same weights
    assert not Path(model).exists()  # removed afterwards


def test_a_self_contained_model_is_handed_over_as_bytes(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(placeholder_bytes(1))
    with loadable(tmp_path, NAME) as (got, model):
        assert got == model == placeholder_bytes(1)


def test_a_symlinked_data_file_is_not_followed(tmp_path: Path) -> None:
    external(tmp_path / "tiny")
    data = tmp_path / "tiny" / f"{NAME}.data"
    os.replace(data, tmp_path / "elsewhere.data")
    data.symlink_to(tmp_path / "elsewhere.data")
    with pytest.raises(CurrentModelError, match="is a symlink"), loadable(tmp_path / "tiny", NAME):
        pass


def test_a_data_location_outside_the_folder_is_refused(tmp_path: Path) -> None:
    external(tmp_path / "tiny" / "sub", location="w.data")
    # Move the model up one folder so that its data is in a subfolder: "sub/w.data" is
    # not a plain file name of the model's folder.
    model = onnx.load(str(tmp_path / "tiny" / "sub" / NAME), load_external_data=False)
    for t in model.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "../sub/w.data"
    (tmp_path / "tiny" / "other").mkdir()
    (tmp_path / "tiny" / "other" / NAME).write_bytes(model.SerializeToString())
    with (
        pytest.raises(CurrentModelError, match="not a plain file name"),
        loadable(tmp_path / "tiny" / "other", NAME),
    ):
        pass


def test_a_missing_data_file_and_a_symlinked_model_are_reasons(tmp_path: Path) -> None:
    external(tmp_path / "tiny")
    (tmp_path / "tiny" / f"{NAME}.data").unlink()
    with pytest.raises(CurrentModelError, match="is missing"), loadable(tmp_path / "tiny", NAME):
        pass
    (tmp_path / "real.onnx").write_bytes(placeholder_bytes(0))
    (tmp_path / "link.onnx").symlink_to(tmp_path / "real.onnx")
    with pytest.raises(CurrentModelError, match="is a symlink"), loadable(tmp_path, "link.onnx"):
        pass
