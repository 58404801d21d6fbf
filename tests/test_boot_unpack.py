"""_freezer_boot.unpack(): the bootloader's decompression of zstd entries, offered to the
runtime for native files other than the boot libraries (docs/design.md, "Bootloader")."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import PROGRAMS, Target, freeze
from sandbox import run_sandboxed

EXPECTED_TAIL = "size ok True elf True\nagain same True\n" + "refused\n" * 4


def test_unpack_into_the_cache(target: Target, tmp_path: Path) -> None:
    """With a writable cache the file lands there, under the SHA-256 of its content."""
    binary = freeze(PROGRAMS / "boot_unpack", target)
    home = tmp_path / "home"
    home.mkdir()
    done = run_sandboxed(binary, home_dir=home)
    assert done.returncode == 0, done.describe()
    assert done.stdout.decode() == "where cache\n" + EXPECTED_TAIL, done.describe()
    [unpacked] = (home / ".cache" / "freezer" / "native").glob("*/libunpacked.so")
    assert hashlib.sha256(unpacked.read_bytes()).hexdigest() == unpacked.parent.name


def test_unpack_into_a_memfd_without_a_cache(target: Target) -> None:
    """With no writable cache it falls back to a memfd, as the boot libraries do."""
    binary = freeze(PROGRAMS / "boot_unpack", target)
    done = run_sandboxed(binary, env={"FREEZER_CACHE_DIR": "/proc/no-cache"})
    assert done.returncode == 0, done.describe()
    assert done.stdout.decode() == "where memfd\n" + EXPECTED_TAIL, done.describe()
