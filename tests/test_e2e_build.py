"""The build and its output file: reproducibility, layout, the .pyz form, bad input, and
damaged binaries."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import PROGRAMS, Target, freeze, old_python, run_freezer
from sandbox import assert_same_behaviour, clean_env, run_plain, run_sandboxed

from freezer import module_store
from freezer.bootloader import zstd
from freezer.module_store import fmt


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_is_reproducible(target: Target, tmp_path: Path) -> None:
    """Two builds of the same inputs are byte-identical: built afresh (not from the test
    cache), each with an empty cache of the tool's own (so a bootloader compiled twice must
    come out the same too)."""
    out = tmp_path / "tool"
    freeze(PROGRAMS / "pkgapp", target, entry=["-m", "mypkg"], output=out,
           tool_env={"FREEZER_CACHE_DIR": str(tmp_path / "cache-1")})
    first = tmp_path / "first"
    os.replace(out, first)
    freeze(PROGRAMS / "pkgapp", target, entry=["-m", "mypkg"], output=out,
           tool_env={"FREEZER_CACHE_DIR": str(tmp_path / "cache-2")})
    assert sha256(out) == sha256(first)
    assert out.stat().st_size == first.stat().st_size


def test_output_is_an_executable_elf(target: Target) -> None:
    """The output is an ELF executable anyone may run."""
    binary = freeze(PROGRAMS / "hello", target)
    mode = binary.stat().st_mode
    assert os.access(binary, os.X_OK)
    assert mode & stat.S_IXUSR and mode & stat.S_IXGRP and mode & stat.S_IXOTH, oct(mode)
    with open(binary, "rb") as handle:
        assert handle.read(4) == b"\x7fELF"


def test_zipfile_lists_output(target: Target) -> None:
    """`python -m zipfile -l OUT` reads the binary as a zip archive."""
    binary = freeze(PROGRAMS / "hello", target)
    listed = subprocess.run([str(target.path), "-m", "zipfile", "-l", str(binary)],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "__freezer__/main.pyc" in listed.stdout


def test_zip_layout(target: Target) -> None:
    """Sorted entries, fixed timestamps, native files and the module store stored (zstd
    inside), a store that holds the whole stdlib (bytecode for what the program imports,
    sources for all of it), and a boot table whose lines point at the right bytes, libpython
    last (docs/design.md, "The output file")."""
    binary = freeze(PROGRAMS / "hello", target)
    data = binary.read_bytes()
    with zipfile.ZipFile(binary) as archive:
        infos = archive.infolist()
        assert archive.testzip() is None
        comment = archive.comment.decode("ascii")
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    kinds = {info.filename: info.compress_type for info in infos}
    assert all(kind == zipfile.ZIP_STORED for name, kind in kinds.items()
               if name.startswith(("__freezer__/native/", "__freezer__/store/")))
    assert not [name for name in names if name.endswith((".py", ".pyc"))
                and not name.startswith("__freezer__/")], "modules outside the store"
    index, streams = module_store.read_store(binary)
    assert set(streams) == {"code", "stdlib-src"}  # hello has no modules of its own
    assert index["json"][fmt.CODE_LENGTH] == 0 and index["json"][fmt.SOURCE_LENGTH] > 0
    assert index["asyncio"][fmt.FLAGS] & fmt.PACKAGE  # whole stdlib, as sources
    encodings = index["encodings"]  # imported by CPython's start-up: bytecode and source
    assert encodings[fmt.CODE_LENGTH] > 0 and encodings[fmt.SOURCE_KIND] == 1
    source = streams["stdlib-src"][encodings[fmt.SOURCE_OFFSET]:][:encodings[fmt.SOURCE_LENGTH]]
    stdlib = subprocess.run([str(target.path), "-c", "import encodings; print(encodings.__file__)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert source == Path(stdlib).read_bytes()

    lines = comment.split("\n")
    assert lines[0] == "FREEZER2" and lines[-1] == "", comment
    # The last line: the SHA-256 of every byte of the file before its digits.
    assert lines[-2] == "sha256 " + hashlib.sha256(data[:-65]).hexdigest(), comment
    frozen = [line.split(" ") for line in lines[1:-2] if line.startswith("frozen ")]
    # "frozen OFFSET SIZE": the bootloader's frozen modules, the entry module_store writes.
    assert len(frozen) == 1 and len(frozen[0]) == 3, comment
    blob = data[int(frozen[0][1]):int(frozen[0][1]) + int(frozen[0][2])]
    assert blob[:8] == module_store.FROZEN_MAGIC and b"_freezer_runtime\0" in blob
    boot = [line.split(" ") for line in lines[1:-2] if not line.startswith("frozen ")]
    # "boot OFFSET SIZE SHA SONAME" (stored) or "zstd OFFSET CSIZE SIZE SHA SONAME".
    assert boot and all((len(f), f[0]) in {(5, "boot"), (6, "zstd")} for f in boot), comment
    assert boot[-1][-1].startswith(f"libpython{target.version[0]}.{target.version[1]}")
    for fields in boot:
        offset, stored, digest, soname = fields[1], fields[2], fields[-2], fields[-1]
        blob = data[int(offset):int(offset) + int(stored)]
        if fields[0] == "zstd":
            blob = zstd.decompress(blob, int(fields[3]))
        assert blob[:4] == b"\x7fELF", soname
        assert hashlib.sha256(blob).hexdigest() == digest, soname


PYZ_CASES = [
    ("hello", ("app.py",), ()),
    ("argv_exit", ("app.py",), ("exit3", "ü")),
    ("pkgapp", ("-m", "mypkg"), ("a",)),
    ("pkgapp", ("mypkg.cli:main",), ("6",)),
    ("pkgapp", ("app.py",), ()),
]


@pytest.mark.parametrize(("program", "entry", "args"), PYZ_CASES,
                         ids=["hello", "exit-status", "package-m", "package-func", "package"])
def test_pyz_runs_under_python(target: Target, tmp_path: Path, program: str,
                               entry: tuple[str, ...], args: tuple[str, ...]) -> None:
    """`-o OUT.pyz` gives a zipapp that `python OUT.pyz` runs just as python runs the source."""
    program_dir = PROGRAMS / program
    if entry[0] == "-m":
        python_args = [*entry, *args]
    elif ":" in entry[0]:
        module, func = entry[0].split(":")
        python_args = ["-c", f"import sys; from {module} import {func}; sys.exit({func}())",
                       *args]
    else:
        python_args = [*entry, *args]
    plain = run_plain(target.path, python_args, program_dir=program_dir,
                      workdir=tmp_path / "plain")
    name = "-".join([program, *entry]).replace(":", "-").replace("--", "-") + ".pyz"
    pyz = freeze(program_dir, target, entry=entry, name=name)
    # Run from an empty directory: the program must come from the zipapp alone.
    empty = tmp_path / "empty"
    empty.mkdir()
    zipped = run_plain(target.path, [str(pyz), *args], program_dir=empty,
                       workdir=tmp_path / "zipped")
    assert_same_behaviour(zipped, plain, [str(program_dir), plain.cwd])


# --- bad input: exit status 2, one line on stderr, no traceback, nothing destroyed ---------

BROKEN_SOURCE = 'print("fine")\n\ndef broken(:\n    pass\n'


def assert_refused(done: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit status 2 and exactly one line on stderr, naming what is wrong; returns it."""
    report = f"status {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 2, report
    assert "Traceback" not in done.stderr + done.stdout, report
    lines = done.stderr.splitlines()
    assert len(lines) == 1, report
    for needle in needles:
        assert needle in lines[0], report
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory with a good app.py and a broken bad.py."""
    shutil.copy(PROGRAMS / "hello" / "app.py", tmp_path / "app.py")
    (tmp_path / "bad.py").write_text(BROKEN_SOURCE)
    return tmp_path


def test_refuses_missing_script(workdir: Path, newest_target: Target) -> None:
    done = run_freezer(["nope.py", "-o", "out", "--python", str(newest_target.path)], workdir)
    assert_refused(done, "nope.py")
    assert not (workdir / "out").exists()


def test_refuses_syntax_error(workdir: Path, newest_target: Target) -> None:
    done = run_freezer(["bad.py", "-o", "out", "--python", str(newest_target.path)], workdir)
    line = assert_refused(done, "bad.py")
    assert re.search(r'bad\.py(:|", line )3\b', line), f"no file:line in {line!r}"
    assert not (workdir / "out").exists()


@pytest.mark.parametrize("args", [["app.py", "-o", "out", "--frobnicate"], [],
                                  ["app.py"], ["-m", "1bad", "-o", "out"]],
                         ids=["unknown-option", "no-arguments", "no-output", "bad-module"])
def test_refuses_bad_command_line(workdir: Path, newest_target: Target,
                                  args: list[str]) -> None:
    done = run_freezer([*args, "--python", str(newest_target.path)], workdir)
    assert_refused(done, *[arg for arg in args if arg == "--frobnicate"])


@pytest.mark.parametrize("entry", [["-m", "nosuchmodule"], ["nosuchmodule:main"]],
                         ids=["module", "function"])
def test_refuses_missing_module(workdir: Path, newest_target: Target,
                                entry: list[str]) -> None:
    done = run_freezer([*entry, "-o", "out", "--python", str(newest_target.path)], workdir)
    assert_refused(done, "nosuchmodule")
    assert not (workdir / "out").exists()


@pytest.mark.parametrize("output", ["app.py", "./app.py", "{dir}/app.py"],
                         ids=["same-name", "dot-slash", "absolute"])
def test_refuses_to_overwrite_the_script(workdir: Path, newest_target: Target,
                                         output: str) -> None:
    before = (workdir / "app.py").read_bytes()
    done = run_freezer(["app.py", "-o", output.format(dir=workdir),
                        "--python", str(newest_target.path)], workdir)
    assert_refused(done)
    assert (workdir / "app.py").read_bytes() == before


def test_refuses_directory_output(workdir: Path, newest_target: Target) -> None:
    (workdir / "outdir").mkdir()
    (workdir / "outdir" / "keep").write_text("keep")
    done = run_freezer(["app.py", "-o", "outdir", "--python", str(newest_target.path)], workdir)
    assert_refused(done, "outdir")
    assert [p.name for p in (workdir / "outdir").iterdir()] == ["keep"]


@pytest.mark.parametrize("output", ["/proc/nope/x", "{dir}/app.py/x", "{dir}/no/such/dir/x"],
                         ids=["proc", "parent-is-a-file", "missing-parent"])
def test_refuses_unwritable_output(workdir: Path, newest_target: Target, output: str) -> None:
    done = run_freezer(["app.py", "-o", output.format(dir=workdir),
                        "--python", str(newest_target.path)], workdir)
    assert_refused(done)


def test_refuses_non_python(workdir: Path) -> None:
    done = run_freezer(["app.py", "-o", "out", "--python", "/bin/true"], workdir)
    assert_refused(done, "/bin/true")
    assert not (workdir / "out").exists()


def test_refuses_python_38(workdir: Path) -> None:
    python38 = old_python()
    if python38 is None:
        pytest.skip("no CPython 3.8 under pyenv")
    done = run_freezer(["app.py", "-o", "out", "--python", str(python38)], workdir)
    line = assert_refused(done, str(python38))
    assert "3.9" in line, line
    assert not (workdir / "out").exists()


@pytest.mark.parametrize(
    "args",
    [["bad.py"], ["nope.py"], ["-m", "nosuchmodule"], ["app.py", "--python", "/bin/true"],
     ["app.py", "--frobnicate"]],
    ids=["syntax-error", "missing-script", "missing-module", "non-python", "unknown-option"],
)
def test_failed_build_keeps_existing_output(workdir: Path, newest_target: Target,
                                            args: list[str]) -> None:
    """A build that fails never destroys or alters the file it would have replaced."""
    out = workdir / "out"
    out.write_bytes(b"precious \x00 contents")
    out.chmod(0o640)
    python = [] if "--python" in args else ["--python", str(newest_target.path)]
    done = run_freezer([*args, "-o", "out", *python], workdir)
    assert_refused(done)
    assert out.read_bytes() == b"precious \x00 contents"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in workdir.iterdir()) == ["app.py", "bad.py", "out"]


# --- damaged binaries ------------------------------------------------------------------------

def damage(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) // 2]
    return data[:-200] + b"\xa5" * 200


@pytest.mark.parametrize("how", ["truncated", "tail-overwritten"])
def test_damaged_binary_fails_cleanly(target: Target, tmp_path: Path, how: str,
                                      sandbox_ready: None) -> None:
    """A damaged binary exits 126 with one `damaged executable` line: no crash, no hang."""
    broken = tmp_path / "hello"
    broken.write_bytes(damage(freeze(PROGRAMS / "hello", target).read_bytes(), how))
    broken.chmod(0o755)

    frozen = run_sandboxed(broken, timeout=30)
    assert frozen.returncode == 126, frozen.describe()
    assert frozen.stdout == b"", frozen.describe()
    lines = frozen.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("freezer: "), frozen.describe()
    assert "damaged executable" in lines[0], frozen.describe()

    # Outside the sandbox the exact wait status is visible: an exit, not a signal.
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    direct = subprocess.run([str(broken)], cwd=cwd, env=clean_env(str(home)),
                            capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    report = f"status {direct.returncode}: {direct.stderr!r}"
    assert direct.returncode == 126, report
    assert len(direct.stderr.splitlines()) == 1, report
    assert b"damaged executable" in direct.stderr, report
    assert list(cwd.iterdir()) == [], "a core file or other debris was left behind"
