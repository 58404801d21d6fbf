"""Cross builds: `freeze --target linux-aarch64 --target-root ROOT` on this x86_64 machine.

The root is made from Debian's arm64 packages by `python -m freezer.target_root`, with numpy's
aarch64 wheel in its site directory. Each binary runs under qemu in a sandbox holding only the
target's glibc core, and must print what the root's own python prints for the same script
under qemu: stdout, stderr and exit status. The bad inputs of a cross build are one line and
status 2.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROGRAMS, require, run_freezer
from tests.emulated import (
    debootstrap_root,
    emulator,
    glibc_only,
    make_root,
    missing,
    run_emulated,
    run_in_chroot,
    run_target_python,
)

THIRDPARTY = Path(__file__).resolve().parent / "thirdparty" / "programs"
PLATFORM, MACHINE, MINOR = "linux-aarch64", "aarch64", 11
NUMPY = "numpy==2.4.6"


@pytest.fixture(scope="session")
def root() -> Path:
    require(missing(["apt-get", "dpkg-deb", "bwrap", f"qemu-{MACHINE}",
                     f"qemu-{MACHINE}-static"]), "the cross builds")
    return make_root(PLATFORM, MINOR, [NUMPY])


def cross_freeze(root: Path, script: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_freezer(["--target", PLATFORM, "--target-root", str(root), script.name,
                        "-o", str(out), *extra], cwd=script.parent)


@pytest.mark.parametrize("script", [PROGRAMS / "hello" / "app.py",
                                    PROGRAMS / "cross_native" / "app.py",
                                    THIRDPARTY / "numpy_linalg" / "app.py"],
                         ids=["hello", "ssl_sqlite_ctypes", "numpy"])
def test_cross_built_binary_behaves_as_the_targets_python(root: Path, script: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "app"
    built = cross_freeze(root, script, out)
    assert built.returncode == 0, built.stderr
    assert "CPython 3.11" in built.stderr
    assert out.read_bytes()[18:20] == (183).to_bytes(2, "little"), "not an aarch64 ELF file"
    frozen = run_emulated(out, glibc_only(root, MACHINE), MACHINE)
    plain = run_target_python(root, MACHINE, script)
    assert (frozen.returncode, frozen.out, frozen.err) == \
        (plain.returncode, plain.out, plain.err), frozen.describe()


def _one_line_error(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("freeze: error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_root_without_libpython(root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "root"
    subprocess.run(["cp", "-al", str(root), str(broken)], check=True)
    for lib in broken.glob("usr/lib/*-linux-gnu/libpython3.*.so*"):
        lib.unlink()
    out = tmp_path / "app"
    _one_line_error(cross_freeze(broken, PROGRAMS / "hello" / "app.py", out), "libpython")
    assert not out.exists()


def test_wheel_for_another_machine(root: Path, tmp_path: Path) -> None:
    """An x86_64 wheel in the aarch64 root's site directory is named, not bundled."""
    mixed = tmp_path / "root"
    subprocess.run(["cp", "-al", str(root), str(mixed)], check=True)
    site = mixed / "usr" / "local" / "lib" / f"python3.{MINOR}" / "dist-packages"
    shutil.rmtree(site)  # hard links: the cached root's files stay as they are
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--only-binary=:all:",
                    "--platform", "manylinux2014_x86_64", "--python-version", f"3.{MINOR}",
                    "--implementation", "cp", "--target", str(site), "MarkupSafe==3.0.2"],
                   check=True, capture_output=True)
    program = tmp_path / "prog" / "app.py"
    program.parent.mkdir()
    program.write_text("import markupsafe\nprint(markupsafe.escape('<'))\n", encoding="utf-8")
    out = tmp_path / "app"
    _one_line_error(cross_freeze(mixed, program, out), "MarkupSafe", "x86_64", "aarch64")
    assert not out.exists()


@pytest.mark.parametrize("args, words", [
    (["--target", PLATFORM], ["--target-root"]),
    (["--target", "windows-x86_64"], ["--target-python", "Windows CPython"]),
    (["--target", "linux-sparc"], ["unknown platform", "linux-aarch64"]),
    (["--target", PLATFORM, "--target-root", "/nonexistent"], ["no such directory"]),
], ids=["no-root", "windows", "unknown", "missing-root"])
def test_bad_target_options(args: list[str], words: list[str], tmp_path: Path) -> None:
    out = tmp_path / "app"
    done = run_freezer([*args, str(PROGRAMS / "hello" / "app.py"), "-o", str(out)],
                       cwd=tmp_path)
    _one_line_error(done, *words)
    assert not out.exists()


def test_root_python_not_in_root(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "app"
    done = cross_freeze(root, PROGRAMS / "hello" / "app.py", out, "--python",
                        "/usr/bin/python3.99")
    _one_line_error(done, "python3.99", "not in the target root")


def test_emulator_is_what_runs_the_root(root: Path) -> None:
    """The reference run is really the target's interpreter: it reports the target's
    machine, so a comparison with it is a comparison with aarch64 python."""
    probe = root / ".probe.py"
    probe.write_text("import platform; print(platform.machine())\n", encoding="utf-8")
    try:
        done = run_target_python(root, MACHINE, probe)
    finally:
        os.unlink(probe)
    assert done.out.strip() == MACHINE and emulator(MACHINE)


DEBIAN_11 = ["python3.9-minimal", "libpython3.9-stdlib", "libpython3.9"]


@pytest.fixture(scope="session")
def bullseye() -> Path:
    require(missing(["debootstrap", "bwrap"], needs_root=True), "the Debian 11 test")
    return debootstrap_root("bullseye", DEBIAN_11)


@pytest.mark.parametrize("program", ["hello", "cross_native"])
def test_built_from_debian_11_runs_on_debian_11(bullseye: Path, program: str,
                                                 tmp_path: Path) -> None:
    """A root of this machine's architecture but an older glibc (2.31): the binary runs on
    that system, and prints what its own python3.9 prints there."""
    script = PROGRAMS / program / "app.py"
    app = tmp_path / "app"
    app.mkdir()
    shutil.copy2(script, app / "app.py")
    built = run_freezer(["--target-root", str(bullseye), "app.py", "-o", str(app / "bin")],
                        cwd=app)
    assert built.returncode == 0, built.stderr
    assert "CPython 3.9" in built.stderr
    frozen = run_in_chroot(bullseye, app / "bin", ["/app/bin"])
    plain = run_in_chroot(bullseye, app / "bin", ["/usr/bin/python3.9", "app.py"])
    assert (frozen.returncode, frozen.out, frozen.err) == \
        (plain.returncode, plain.out, plain.err), frozen.describe()
