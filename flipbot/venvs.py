"""Virtual environments from pinned requirements: keyed, visible, uv when it can be had.

Used by the Makefile (``python3 -m flipbot.venvs ensure``) and by the Action's venv
steps (``flipbot.action.commands.make_venv``); standard library only, because it runs
on the runner's own ``python3`` before any venv exists.

- uv is used when ``requirements/uv.txt`` installs into a small bootstrap venv (it is
  several times faster than pip: docs/PERFORMANCE.md, "Set-up"); otherwise pip, said in
  one line. uv does not read pip's configuration, so the index options pip has
  (``pip config list`` and ``PIP_*``) are handed to it.
- Every phase prints a line before it starts, and a long phase a line every 10 s.
- ``venv_key`` hashes the requirement files (with their ``-r`` includes), the Python
  version and the platform: a change of any pin gives a new folder, never a stale venv.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import venv
from collections.abc import Sequence
from pathlib import Path

from flipbot.errors import InputError
from flipbot.pip_config import PipIndex, pip_index

UV_PINS = Path(__file__).resolve().parents[1] / "requirements" / "uv.txt"
HEARTBEAT_S = 10.0


def say(line: str) -> None:
    print(f"flipbot set-up: {line}", flush=True)


def requirement_files(requirements: Sequence[Path]) -> list[Path]:
    """The files and every ``-r`` file they include, in reading order, each once."""
    seen: list[Path] = []

    def visit(path: Path) -> None:
        path = path.resolve()
        if path in seen:
            return
        if not path.is_file():
            raise InputError(f"{path}: requirements file not found; check the path")
        seen.append(path)
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in ("-r", "--requirement"):
                visit(path.parent / parts[1])

    for r in requirements:
        visit(r)
    return seen


def venv_key(requirements: Sequence[Path], python: str = "") -> str:
    """16 hex digits naming pins + Python version + OS/arch: the venv folder's suffix."""
    digest = hashlib.sha256()
    for path in requirement_files(requirements):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    version = python or platform.python_version()
    digest.update(f"{version}\0{sys.platform}\0{platform.machine()}".encode())
    return digest.hexdigest()[:16]


def run_visibly(argv: list[str], what: str, env: dict[str, str] | None = None) -> None:
    """Run ``argv``; print ``still <what>`` every 10 s so the screen never sits silent."""
    start = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_S):
            say(f"  still {what} ({time.monotonic() - start:.0f} s)")

    threading.Thread(target=beat, daemon=True).start()
    try:
        proc = subprocess.run(argv, env=env, check=False)
    finally:
        done.set()
    if proc.returncode != 0:
        raise InputError(
            f"{what} failed (exit {proc.returncode}: {' '.join(argv[:4])} ...); "
            "the installer's message is above"
        )
    say(f"  done in {time.monotonic() - start:.0f} s")


def bootstrap_uv(folder: Path) -> Path | None:
    """``uv`` from ``requirements/uv.txt`` (hash-checked) in ``folder``, or None (pip is used).

    With pip beside this Python, ``pip install --target`` (no venv, ~4 s); else a small venv
    with its own pip (``ensurepip``, ~7 s more)."""
    exe = folder / "bin" / "uv"
    if exe.exists():
        return exe
    say(f"getting the installer uv ({UV_PINS.name}, hash-pinned; ~5 s, once)")
    pins = ["--require-hashes", "-r", str(UV_PINS)]
    try:
        if importlib.util.find_spec("pip") is not None:
            argv = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            run_visibly([*argv, "--target", str(folder), *pins], "getting uv")
        else:
            venv.create(folder, with_pip=True, clear=True)
            pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
            run_visibly([*pip, *pins], "getting uv")
    except (OSError, subprocess.CalledProcessError, InputError) as exc:
        say(f"uv could not be installed ({exc}); installing with pip instead (slower)")
        return None
    return exe if exe.exists() else None


def _uv_cache_warm(env: dict[str, str]) -> bool:
    root = env.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
    return Path(root, "wheels-v5").is_dir() or Path(root, "archive-v0").is_dir()


def install(
    folder: Path,
    requirements: Sequence[Path],
    *,
    uv: Path | None,
    estimate_s: tuple[int, int] = (60, 10),
    require_hashes: bool = False,
    seed: bool = False,
) -> Path:
    """Create ``folder`` (if needed) and install ``requirements`` into it; return its python."""
    python = folder / "bin" / "python"
    index: PipIndex = pip_index()
    req_args = [a for r in requirements for a in ("-r", str(r))]
    if uv is not None:
        try:
            return _install_uv(folder, req_args, uv, index, estimate_s, require_hashes, seed)
        except (OSError, subprocess.CalledProcessError, InputError) as exc:
            say(f"uv failed ({exc}); starting {folder} afresh with pip instead")
            shutil.rmtree(folder, ignore_errors=True)
    if not python.exists():
        say(f"creating {folder} (python -m venv)")
        venv.create(folder, with_pip=True)
    say(f"installing pinned packages into {folder} with pip (~{estimate_s[0] * 3} s at most)")
    argv = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    argv += ["--require-hashes"] if require_hashes else []
    run_visibly([*argv, *req_args], "installing")
    return python


def _install_uv(
    folder: Path,
    req_args: list[str],
    uv: Path,
    index: PipIndex,
    estimate_s: tuple[int, int],
    require_hashes: bool,
    seed: bool,
) -> Path:
    """The uv path of ``install``: ``uv venv`` when needed, then ``uv pip install``."""
    python = folder / "bin" / "python"
    env = os.environ | index.uv_env()
    warm = _uv_cache_warm(env)
    if not python.exists():
        say(f"creating {folder} (uv venv)")
        argv = [str(uv), "venv", "-q", "--python", sys.executable, str(folder)]
        subprocess.run([*argv, "--seed"] if seed else argv, env=env, check=True)
    seconds = estimate_s[1] if warm else estimate_s[0]
    say(f"installing pinned packages into {folder} with uv "
        f"({'uv cache present' if warm else 'first run, empty uv cache'}, ~{seconds} s)")  # fmt: skip
    argv = [str(uv), "pip", "install", "-q", *index.uv_args(constraints=not require_hashes)]
    argv += ["--python", str(python)]
    argv += ["--require-hashes"] if require_hashes else []
    run_visibly([*argv, *req_args], "installing", env)
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m flipbot.venvs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ensure = sub.add_parser("ensure", help="create/update VENV from the requirement files")
    ensure.add_argument("--venv", type=Path, required=True)
    ensure.add_argument("--uv-bootstrap", type=Path, default=Path(".cache/uv-bootstrap"))
    ensure.add_argument("--no-uv", action="store_true", help="use pip even if uv can be had")
    ensure.add_argument("--estimate", default="60,10", help="cold,warm seconds to announce")
    ensure.add_argument("-r", dest="requirements", type=Path, action="append", required=True)
    sub.add_parser("uv-args", help="print the uv options equal to pip's configured index")
    args = parser.parse_args(argv)
    if args.command == "uv-args":
        print(" ".join(pip_index().uv_args()))
        return 0
    try:
        cold, warm = (int(x) for x in args.estimate.split(","))
        uv = None if args.no_uv else bootstrap_uv(args.uv_bootstrap)
        # --seed: pip inside .venv too, as `python -m venv` gives it
        install(args.venv, args.requirements, uv=uv, estimate_s=(cold, warm), seed=True)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
