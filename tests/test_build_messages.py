"""What the build says about the machine it runs on: a missing strip, the headers it no
longer needs, a Debian Python without its libpython package; and the .pyz summary's module
count.

Each runs the real `freeze`. The machine's missing pieces are made missing for the one
command only, by bubblewrap: the whole filesystem bound as it is, with the file hidden
under /dev/null (not a regular file, not executable) or the directory under an empty tmpfs.
"""

from __future__ import annotations

import glob
import re
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from conftest import Target, freezer_env, in_ci, run_freezer
from sandbox import bwrap_path

from freezer.plan import NativeStore

PYTHON = sys.executable


def masked_freeze(hidden: Sequence[str], argv: Sequence[str], cwd: Path,
                  env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m freezer ARGV` with the files and directories `hidden` made missing."""
    bwrap = bwrap_path()
    if bwrap is None:
        if in_ci():
            pytest.fail("bwrap is needed to hide the build machine's files")
        pytest.skip("bubblewrap (bwrap) is not installed")
    words = [bwrap, "--dev-bind", "/", "/"]
    for path in hidden:
        words += ["--tmpfs", path] if Path(path).is_dir() else ["--ro-bind", "/dev/null", path]
    return subprocess.run([*words, PYTHON, "-m", "freezer", *argv], cwd=cwd,
                          env={**freezer_env(), **(env or {})}, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


def program(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("import helper\nhelper.hello()\n")
    (tmp_path / "helper.py").write_text("def hello():\n    print('hello')\n")
    return tmp_path


def info(python: str, expression: str) -> str:
    return subprocess.run([python, "-c", f"import sys, sysconfig; print({expression})"],
                          capture_output=True, text=True, check=True).stdout.strip()


# --- strip --------------------------------------------------------------------------------

def test_missing_strip_is_one_warning(newest_target: Target, tmp_path: Path) -> None:
    """Without binutils' strip the build goes on (the files are bundled as they are) and
    says so once, however many native files it bundles."""
    strips = sorted({str(Path(p).resolve()) for p in glob.glob("/usr/*bin/strip")
                     + glob.glob("/usr/local/*bin/strip")})
    if not strips:
        pytest.skip("no strip on this machine to hide")
    done = masked_freeze(strips, ["app.py", "-o", "app", "--python", str(newest_target.path)],
                         program(tmp_path))
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "strip" in line]
    assert said == ["freeze: warning: binutils strip not found: native files are bundled "
                    "unstripped, and the output is larger (install binutils)"], done.stderr
    assert (tmp_path / "app").is_file()


def test_no_strip_warning_for_another_machines_files(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A cross build never strips (this machine's strip cannot), on purpose: no warning.
    A native build without strip warns, once."""
    library = tmp_path / "libx.so"
    library.write_bytes(b"\x7fELF not really")
    other = tmp_path / "liby.so"
    other.write_bytes(b"\x7fELF not either")
    monkeypatch.setattr("shutil.which", lambda name: None)
    foreign = NativeStore(tmp_path / "cache-1", foreign=True)
    foreign.get(str(library))
    assert foreign.warning is None
    native = NativeStore(tmp_path / "cache-2")
    native.get(str(library))
    native.get(str(other))
    assert native.warning is not None and native.warning.startswith("binutils strip not found")


# --- headers and libpython ------------------------------------------------------------------

def test_no_headers_are_needed(newest_target: Target, tmp_path: Path) -> None:
    """The bootloader is built from freezer's own record of CPython's layouts (pylayout.h):
    with the target's include directory hidden, the build still succeeds and the program
    runs (it used to stop, naming python3.X-dev)."""
    python = str(newest_target.path)
    include = info(python, "sysconfig.get_paths()['include']")
    done = masked_freeze([include], ["app.py", "-o", "app", "--python", python],
                         program(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app").is_file()


def debian_python() -> str | None:
    """Debian's own /usr/bin/python3.X (3.9+), if this machine has one with its libpython."""
    for python in sorted(glob.glob("/usr/bin/python3.*")):
        match = re.fullmatch(r"/usr/bin/python3\.(\d+)", python)
        if match and int(match.group(1)) >= 9:
            return python
    return None


def test_debian_python_without_libpython_package(tmp_path: Path) -> None:
    """Debian ships libpython3.X apart from python3.X: its absence is that package to
    install, not a Python "built without --enable-shared"."""
    python = debian_python()
    if python is None:
        pytest.skip("no Debian /usr/bin/python3.X here")
    libdir = info(python, "sysconfig.get_config_var('LIBDIR')")
    name = info(python, "sysconfig.get_config_var('INSTSONAME')")
    found = [p for p in (Path(libdir) / name, Path(libdir) / info(
        python, "sysconfig.get_config_var('MULTIARCH')") / name) if p.is_file()]
    if not found:
        pytest.skip(f"{name} is not installed to hide")
    version = info(python, "'.'.join(map(str, sys.version_info[:3]))")
    minor = ".".join(version.split(".")[:2])
    done = masked_freeze([str(p) for p in found], ["app.py", "-o", "app", "--python", python],
                         program(tmp_path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"freeze: error: Python {version} at {python} has no {name} in {libdir}: install "
        f"libpython{minor} (apt-get install libpython{minor})"]


# --- the .pyz summary -------------------------------------------------------------------------

def test_pyz_summary_counts_what_it_holds(tmp_path: Path) -> None:
    """The target Python has the stdlib: the line counts the modules in the file."""
    program(tmp_path)
    (tmp_path / "app.py").write_text("import json, helper, pkg.mod\nhelper.hello()\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text("")
    done = run_freezer(["app.py", "-o", "app.pyz", "--python", PYTHON], tmp_path)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "app.pyz") as archive:
        held = sorted(n for n in archive.namelist() if n.endswith(".py") and n != "__main__.py")
    assert held == ["helper.py", "pkg/__init__.py", "pkg/mod.py"]
    assert re.fullmatch(r"freeze: wrote app\.pyz \(\d+\.\d MB, 3 modules, 0 distributions, "
                        r"CPython [\d.]+\)",
                        done.stderr.splitlines()[-1]), done.stderr

