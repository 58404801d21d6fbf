"""Bootloaders from the toolchain pip installs (zig): no system compiler, no Python.h, no
-dev package on the build machine; built for either target from this one, against glibc
2.17, so the result runs on any Linux distribution of the last decade.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

from freezer.bootloader import BootloaderError, bootloader_for, host_target, toolchain

MACHINES = {"linux-x86_64": "EM_X86_64", "linux-aarch64": "EM_AARCH64"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One freezer cache for the module: the zstd sources are fetched once."""
    return tmp_path_factory.mktemp("cache")


def glibc_needs(path: Path) -> list[tuple[int, ...]]:
    """Every GLIBC_x.y version the ELF file asks of its libraries (its verneed entries)."""
    found = []
    with open(path, "rb") as f:
        for section in ELFFile(f).iter_sections():
            if isinstance(section, GNUVerNeedSection):
                for _, auxes in section.iter_versions():
                    for aux in auxes:
                        if aux.name.startswith("GLIBC_"):
                            found.append(tuple(int(x) for x in aux.name[6:].split(".")))
    return found


@pytest.mark.parametrize("target", list(MACHINES))
def test_glibc_floor(target: str, cache: Path) -> None:
    """The highest glibc version the bootloader needs is 2.17 at most, for both targets."""
    boot = bootloader_for("3.11", cache, target=target, toolchain_kind="zig")
    with open(boot, "rb") as f:
        assert ELFFile(f)["e_machine"] == MACHINES[target]
    needs = glibc_needs(boot)
    assert needs, "no GLIBC_ version needs read: not a dynamically linked glibc program?"
    assert max(needs) <= (2, 17), f"{boot} needs GLIBC_{'.'.join(map(str, max(needs)))}"


def test_cache_key_covers_target_and_version(cache: Path) -> None:
    """A second call is the cached file; another target or minor version is another one."""
    first = bootloader_for("3.11", cache, target="linux-x86_64", toolchain_kind="zig")
    assert bootloader_for("3.11", cache, target="linux-x86_64", toolchain_kind="zig") == first
    other = bootloader_for("3.11", cache, target="linux-aarch64", toolchain_kind="zig")
    assert other != first
    assert bootloader_for("3.12", cache, target="linux-x86_64", toolchain_kind="zig") != first


def test_cc_and_zig_are_different_entries(cache: Path) -> None:
    """The toolchain is part of the key: cc's bootloader never stands in for zig's."""
    if not shutil.which("cc"):
        pytest.skip("no cc here")
    try:
        by_cc = bootloader_for("3.11", cache, toolchain_kind="cc")
    except BootloaderError as exc:
        pytest.skip(f"cc cannot build here: {exc}")
    assert by_cc != bootloader_for("3.11", cache, toolchain_kind="zig")


def test_the_environment_variable_picks_the_toolchain(cache: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREEZER_TOOLCHAIN", "gcc")
    with pytest.raises(BootloaderError, match="FREEZER_TOOLCHAIN=gcc: expected zig or cc"):
        bootloader_for("3.11", cache)
    monkeypatch.setenv("FREEZER_TOOLCHAIN", "zig")
    assert toolchain.select().kind == "zig"
    monkeypatch.delenv("FREEZER_TOOLCHAIN")
    assert toolchain.select().kind == "zig"


def test_bad_requests_are_one_line(cache: Path) -> None:
    with pytest.raises(BootloaderError, match="unknown target linux-riscv64"):
        bootloader_for("3.11", cache, target="linux-riscv64")
    with pytest.raises(BootloaderError, match="no bootloader for Python 3.8"):
        bootloader_for("3.8", cache)
    other = next(t for t in MACHINES if t != host_target())
    with pytest.raises(BootloaderError, match="builds for this machine"):
        bootloader_for("3.11", cache, target=other, toolchain_kind="cc")


def test_sources_of_another_hash_are_refused(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The zstd sdist must have the pinned SHA-256: anything else is not compiled."""
    name, version, _ = toolchain.ZSTD_SDIST
    monkeypatch.setattr(toolchain, "ZSTD_SDIST", (name, version, "0" * 64))
    with pytest.raises(BootloaderError, match="not the pinned"):
        bootloader_for("3.11", tmp_path / "cache")


def test_builds_with_nothing_on_path(cache: Path) -> None:
    """No cc, no system tool at all: the build runs zig and pip through this interpreter."""
    code = ("import sys; from pathlib import Path; from freezer.bootloader import bootloader_for;"
            "print(bootloader_for('3.10', Path(sys.argv[1]), target='linux-x86_64'))")
    env = {k: v for k, v in os.environ.items() if k not in ("CC", "FREEZER_TOOLCHAIN")}
    env["PATH"] = "/nonexistent"
    done = subprocess.run([sys.executable, "-c", code, str(cache)], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr
    assert max(glibc_needs(Path(done.stdout.strip()))) <= (2, 17)


def test_libzstd_is_reproducible(tmp_path: Path, cache: Path) -> None:
    """The same sources and toolchain give the same libzstd.a in another cache (the build
    directory's name must not get into it)."""
    tc = toolchain.select("linux-x86_64", "zig")
    first = toolchain.libzstd(tc, cache).library
    other = tmp_path / "cache"
    other.mkdir(mode=0o700)
    (other / "build").mkdir(mode=0o700)
    (other / "build" / "sdist").mkdir(mode=0o700)
    sdist = toolchain.zstd_sdist(cache)
    shutil.copy(sdist, other / "build" / "sdist" / sdist.name)
    shutil.copy(f"{sdist}.sha256", other / "build" / "sdist" / f"{sdist.name}.sha256")
    assert toolchain.libzstd(tc, other).library.read_bytes() == first.read_bytes()
