"""Libraries named to ctypes, looked up for a build from a runtime root (plan.ctypes_libraries).

For a cross build the names the program gives ctypes must be found as the target's python
would find them: in the root, never on this machine, whose linker cache and library
directories say nothing about the target (ctypes.util.find_library asks them). A root of
this machine's architecture is enough to check that: a copy of the host's libzstd in it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from freezer.plan import ctypes_libraries

HOST_ZSTD = Path("/lib/x86_64-linux-gnu/libzstd.so.1")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runtime root holding libzstd as Debian installs it (the soname a link to the file)."""
    if not HOST_ZSTD.is_file():
        pytest.skip(f"{HOST_ZSTD} is not on this machine")
    monkeypatch.setenv("FREEZER_CACHE_DIR", str(tmp_path / "cache"))
    libdir = tmp_path / "root" / "usr/lib/x86_64-linux-gnu"
    libdir.mkdir(parents=True)
    real = HOST_ZSTD.resolve()
    shutil.copy(real, libdir / real.name)
    os.symlink(real.name, libdir / "libzstd.so.1")
    (libdir / "libzstd.so").symlink_to(real.name)  # the -dev link, not what find_library gives
    return tmp_path / "root"


def test_names_are_found_in_the_root(root: Path) -> None:
    libdirs = (str(root / "usr/lib/x86_64-linux-gnu"),)
    names = ["zstd", "libzstd.so.1", "/usr/lib/x86_64-linux-gnu/libzstd.so.1"]
    found = ctypes_libraries(names, libdirs, str(root))
    assert [(name, soname) for name, soname, _ in found] == [
        ("/usr/lib/x86_64-linux-gnu/libzstd.so.1", "libzstd.so.1"),
        ("libzstd.so.1", "libzstd.so.1"), ("zstd", "libzstd.so.1")]
    assert all(path == str(root / "usr/lib/x86_64-linux-gnu/libzstd.so.1")
               for _, _, path in found), found


def test_what_only_this_machine_has_is_not_the_targets(root: Path) -> None:
    """libz is on this machine, not in the root: the target's python would not find it."""
    libdirs = (str(root / "usr/lib/x86_64-linux-gnu"),)
    assert ctypes_libraries(["z", "libz.so.1"], libdirs, str(root)) == []
    assert [soname for _, soname, _ in ctypes_libraries(["z"], libdirs)] == ["libz.so.1"]
