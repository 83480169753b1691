"""A member that asks onnxruntime for too much is exit 2 naming the file and the limit, within the
timeout, and the bot's own memory never holds it: through ``python -m bot --dry-run`` on an export
whose seed 0 is replaced by a hostile ONNX file (every sha256 made consistent)."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import pytest
from harness import build_good, copy_good, make_worktree, run_local, snapshot
from tampering import SEED0, replace_onnx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "flipbot"))
from hostile_models import endless_loop_model, huge_constant_model, huge_expand_model

from flipbot import onnx_behaviour


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_good(tmp_path_factory.mktemp("good"))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@pytest.mark.parametrize(
    ("model", "needle"),
    [
        # the fixture's corpus has 600 rows: [600, 6, 2^18] float32 is 3.8 GB
        (huge_expand_model(width=2**18), "over the memory limit of 2 GiB (RLIMIT_AS)"),
        (huge_constant_model(), "over the memory limit of 2 GiB (RLIMIT_AS)"),
        (endless_loop_model(), "stopped after 3 s (wall-clock limit, session build included)"),
    ],
    ids=["Expand 3.8 GB", "ConstantOfShape 16 GiB", "Loop 1e12 times"],
)
def test_a_member_over_a_limit_is_exit_2_naming_file_and_limit(
    good: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    model: bytes,
    needle: str,
) -> None:
    monkeypatch.setattr(onnx_behaviour, "RUN_SECONDS_MAX", 3.0)
    root = copy_good(good, tmp_path)
    work = make_worktree(root)
    replace_onnx(root, model)
    before, rss = snapshot(root), peak_rss_mib()
    t0 = time.perf_counter()
    code = run_local(work, root, "--dry-run")
    seconds = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{SEED0}.onnx: onnxruntime cannot run seed 0 (" in err and needle in err, err
    assert seconds < 30.0 and snapshot(root) == before
    # The allocation happened (and failed) in the child: this process did not grow by it.
    assert peak_rss_mib() - rss < 500
