"""The CPython layout facts freezer records (freezer/bootloader/pylayout.h) against the real
headers: pylayout_check.c compiles only where every recorded offset, size, field type,
constant and prototype is what that version's Python.h says.

The bootloader is built without Python.h, on these numbers alone, so a wrong one would be a
crash at start-up of every binary of that version; this is where it is caught instead.
Skipped for a version whose headers are not installed, except under CI, where all of 3.9-3.13
must be there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SUPPORTED_MINORS, TARGETS, in_ci

from freezer.bootloader import HERE, supported_versions

CHECK_C = HERE / "pylayout_check.c"
ZIG = [sys.executable, "-m", "ziglang", "cc"]


def include_dir(minor: int) -> Path:
    found = [t for t in TARGETS if t.version[1] == minor]
    if found:
        inc = found[0].path.parent.parent / "include" / f"python3.{minor}"
        if (inc / "Python.h").is_file():
            return inc
    if in_ci():
        pytest.fail(f"no headers of CPython 3.{minor} under pyenv")
    pytest.skip(f"no headers of CPython 3.{minor}")


def compile_check(cc: list[str], minor: int, tmp: Path, *extra: str) -> None:
    out = tmp / "check.o"
    cmd = [*cc, "-Wall", "-Wextra", "-Werror", f"-DFREEZER_PY_MINOR={minor}",
           "-isystem", str(include_dir(minor)), "-c", str(CHECK_C), "-o", str(out), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr}"


def test_every_supported_version_is_recorded() -> None:
    """pylayout.h covers exactly the minor versions the tool supports."""
    assert supported_versions() == [f"3.{m}" for m in SUPPORTED_MINORS]


@pytest.mark.parametrize("minor", list(SUPPORTED_MINORS), ids=lambda m: f"py3.{m}")
def test_recorded_layout_matches_python_h(minor: int, tmp_path: Path) -> None:
    """The static assertions hold with zig for both targets (LP64 both: the same layout),
    and with gcc where there is one."""
    compile_check(ZIG, minor, tmp_path, "-target", "x86_64-linux-gnu.2.17")
    compile_check(ZIG, minor, tmp_path, "-target", "aarch64-linux-gnu.2.17")
    if shutil.which("gcc"):
        compile_check(["gcc"], minor, tmp_path)


@pytest.mark.parametrize("minor", list(SUPPORTED_MINORS), ids=lambda m: f"py3.{m}")
def test_recorded_head_refcount(minor: int, tmp_path: Path) -> None:
    """PyModuleDef_HEAD_INIT's reference count is no constant expression: the check is run."""
    exe = tmp_path / "check"
    cmd = [*ZIG, "-DFREEZER_PYLAYOUT_RUN", f"-DFREEZER_PY_MINOR={minor}",
           f"-I{include_dir(minor)}", str(CHECK_C), "-o", str(exe)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert subprocess.run([str(exe)]).returncode == 0


def test_a_wrong_number_fails_the_check(tmp_path: Path) -> None:
    """The check has teeth: the same file with one offset moved does not compile."""
    minor = 11
    inc = include_dir(minor)
    layout = (HERE / "pylayout.h").read_text()
    block = layout.index(f"FREEZER_PY_MINOR == {minor}")
    block = layout.index("#else", block)  # the LP64 numbers, after the Windows ones
    moved = re.compile(r"(#define FZ_PyConfig_site_import )(\d+)")
    m = moved.search(layout, block)
    assert m
    wrong = layout[:m.start(2)] + str(int(m[2]) + 4) + layout[m.end(2):]
    for name in ("pylayout_check.c", "pyabi.h"):
        shutil.copy(HERE / name, tmp_path / name)
    (tmp_path / "pylayout.h").write_text(wrong)
    done = subprocess.run([*ZIG, f"-DFREEZER_PY_MINOR={minor}", f"-I{inc}", "-c",
                           str(tmp_path / "pylayout_check.c"), "-o", str(tmp_path / "x.o")],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "PyConfig.site_import moved" in done.stderr
