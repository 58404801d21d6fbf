"""The glibc floor: what `freeze` says a binary needs, what `--glibc` refuses, and libgcc_s,
the system's where there is one and the bundled copy only where there is none.

The floor the build prints is checked against one read independently from the binary it
wrote: every native file in it unpacked and given to binutils' `readelf -V`, whose version
needs section lists what the dynamic linker will ask the system's glibc for.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import PROGRAMS, TARGETS, Target, freeze, in_ci, run_freezer
from sandbox import GLIBC_DIR, run_sandboxed

from freezer.bootloader import zstd
from freezer.glibc import Floor, Need, parse_version, version_of
from freezer.plan import BundlePlan, gcc_s_is_fallback

# The summary line: `freeze: OUT needs glibc X.Y or newer: WHAT needs GLIBC_X.Y` (and what
# the start needs, where that is less).
SUMMARY = re.compile(r"^freeze: \S+ needs glibc ([\d.]+) or newer: (.+?) needs (GLIBC_[\w.]+)"
                     r"(?:; to start, glibc ([\d.]+) \((.+?) needs (GLIBC_[\w.]+)\))?$", re.M)
VERNEED_NAME = re.compile(r"Name: (GLIBC_\d+(?:\.\d+)+|GLIBC_ABI_DT_RELR)\s")


@pytest.fixture
def py311() -> Target:
    """pyenv's 3.11: the floor's numbers below were measured for it."""
    found = [t for t in TARGETS if t.version[:2] == (3, 11)]
    if not found:
        if in_ci():
            pytest.fail("no CPython 3.11 under pyenv")
        pytest.skip("no CPython 3.11 under pyenv")
    return found[0]


def readelf_floor(data: bytes, scratch: Path) -> tuple[int, ...] | None:
    """The newest glibc version an ELF file needs, as binutils reads its version needs."""
    scratch.write_bytes(data)
    done = subprocess.run(["readelf", "-V", "-W", str(scratch)], capture_output=True,
                          text=True, check=True)
    needs = done.stdout.partition("Version needs section")[2]
    versions = []
    for name in VERNEED_NAME.findall(needs):
        # ld.so defines this marker since 2.36 (files linked with -z pack-relative-relocs).
        versions.append((2, 36) if name == "GLIBC_ABI_DT_RELR"
                        else tuple(int(p) for p in name[len("GLIBC_"):].split(".")))
    return max(versions) if versions else None


def natives_of(binary: Path) -> dict[str, bytes]:
    """Every native file the binary may load, by the name the summary gives it, unpacked;
    not the libraries of `fallback` records (the system's copy comes first)."""
    files = {"the bootloader": binary.read_bytes()}  # readelf reads the ELF at its start
    with zipfile.ZipFile(binary) as archive:
        table = archive.comment.decode("ascii").splitlines()
        manifest = archive.read("__freezer__/manifest").decode().splitlines()

        def unpacked(entry: str, size: str) -> bytes:
            return zstd.decompress(archive.read(entry), int(size))

        for line in table:
            fields = line.split(" ")
            if fields[0] == "zstd":
                files[fields[-1]] = zstd.decompress(
                    binary.read_bytes()[int(fields[1]):][:int(fields[2])], int(fields[3]))
        fallbacks = {line.split(" ")[1] for line in manifest if line.startswith("fallback ")}
        for line in manifest:
            fields = line.split(" ")
            if fields[0] == "ext":  # named by its file and its module
                label = f"{fields[2].rpartition('/')[2]} (module {fields[1]})"
                files[label] = unpacked(fields[2], fields[5])
            elif fields[0] == "lib" and fields[1] not in fallbacks:
                files[fields[1]] = unpacked(fields[2], fields[4])
    return files


def test_summary_names_the_floor_and_its_file(py311: Target, tmp_path: Path) -> None:
    """`freeze` prints the newest glibc any file of the binary needs, naming that file, and
    the two agree with readelf's reading of the file as it is in the binary."""
    out = tmp_path / "hello"
    done = run_freezer([str(PROGRAMS / "hello" / "app.py"), "--python", str(py311.path),
                        "-o", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    match = SUMMARY.search(done.stderr)
    assert match, done.stderr
    floor, what, name = parse_version(match.group(1)), match.group(2), match.group(3)
    measured = {}
    for label, data in natives_of(out).items():
        measured[label] = readelf_floor(data, tmp_path / "elf")
    newest = max(v for v in measured.values() if v)
    assert floor == newest, (done.stderr, measured)
    assert version_of(name) == floor
    # The file named: a library is named by its soname, with the module that loads it.
    named = what if what in measured else what.partition(" (for ")[0]
    assert measured[named] == floor, (what, measured)
    if match.group(4):  # what the start needs (the bootloader, the boot libraries)
        start, start_file = parse_version(match.group(4)), match.group(5)
        assert start < floor and measured[start_file] == start, (done.stderr, measured)


def test_a_limit_below_the_floor_is_refused(py311: Target, tmp_path: Path) -> None:
    """`--glibc 2.31` against this machine's CPython (built on a glibc 2.35+): one line,
    status 2, naming the library and the version it needs; nothing written."""
    libpython = Path(subprocess.run(
        [str(py311.path), "-c", "import sysconfig as s; print(s.get_config_var('LIBDIR') + "
         "'/' + s.get_config_var('INSTSONAME'))"], capture_output=True, text=True,
        check=True).stdout.strip())
    needs = readelf_floor(libpython.read_bytes(), tmp_path / "elf")
    if needs is None or needs <= (2, 31):
        pytest.skip(f"{libpython} runs on glibc 2.31: nothing to refuse")
    out = tmp_path / "hello"
    done = run_freezer([str(PROGRAMS / "hello" / "app.py"), "--python", str(py311.path),
                        "-o", str(out), "--glibc", "2.31"], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("freeze: error: --glibc 2.31: "), lines[0]
    assert f"{libpython.name} needs GLIBC_{'.'.join(map(str, needs))}" in lines[0], lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "elf"], "a temporary file was left"


def test_a_limit_at_the_floor_builds(py311: Target, tmp_path: Path) -> None:
    """The floor the summary names is a limit the same build passes."""
    out = tmp_path / "hello"
    args = [str(PROGRAMS / "hello" / "app.py"), "--python", str(py311.path), "-o", str(out)]
    first = run_freezer(args, tmp_path)
    assert first.returncode == 0, first.stderr
    floor = SUMMARY.search(first.stderr).group(1)
    again = run_freezer([*args, "--glibc", floor], tmp_path)
    assert again.returncode == 0, again.stderr


# --- the floor's own rules ----------------------------------------------------------------------

def need(what: str, version: tuple[int, ...], at_start: bool = False) -> Need:
    return Need(what, f"/lib/{what}", version, "GLIBC_" + ".".join(map(str, version)),
                at_start)


def test_versions() -> None:
    assert parse_version("2.31") == (2, 31) and parse_version("2.2.5") == (2, 2, 5)
    for bad in ("abc", "2", "2.", "2.x", "v2.31", "2.31.1.1", " 2.31", ""):
        with pytest.raises(ValueError, match="not a glibc version"):
            parse_version(bad)
    assert version_of("GLIBC_2.34") == (2, 34) and version_of("GLIBC_2.2.5") == (2, 2, 5)
    assert version_of("GLIBC_ABI_DT_RELR") == (2, 36)
    assert version_of("GLIBC_PRIVATE") is None and version_of("GCC_3.0") is None


def test_the_floor_names_the_first_loaded_of_equals() -> None:
    """Among files that need the same version, the one loaded first is named: libpython
    before an extension module, which an --exclude-module could take out."""
    floor = Floor((need("the bootloader", (2, 34), True), need("libpython", (2, 35), True),
                   need("module cmath", (2, 35)), need("libcrypt.so.1", (2, 36))))
    assert floor.top.what == "libcrypt.so.1" and floor.start.what == "libpython"
    assert floor.summary() == ("needs glibc 2.36 or newer: libcrypt.so.1 needs GLIBC_2.36; "
                               "to start, glibc 2.35 (libpython needs GLIBC_2.35)")
    assert Floor(floor.needs[:3]).top.what == "libpython"
    assert floor.check((2, 36), "--glibc 2.36") is None
    refusal = floor.check((2, 31), "--glibc 2.31")
    assert refusal.startswith("--glibc 2.31: libcrypt.so.1 needs GLIBC_2.36; to start, "
                              "libpython needs GLIBC_2.35; 2 more bundled files need more "
                              "than 2.31 ("), refusal
    assert "--exclude-module" not in refusal  # the start's needs cannot be excluded
    assert "--exclude-module" in floor.check((2, 35), "--glibc 2.35")
    assert Floor(()).summary() is None and Floor(()).check((2, 17), "x") is None


# --- libgcc_s: the system's first ----------------------------------------------------------------

def test_libgcc_s_is_a_fallback_outside_the_floor(py311: Target) -> None:
    """No file of hello links libgcc_s: it is no boot library, but a `fallback` record (the
    runtime loads the system's copy first), so its own needs are not the binary's."""
    binary = freeze(PROGRAMS / "hello", py311)
    with zipfile.ZipFile(binary) as archive:
        table = archive.comment.decode("ascii")
        manifest = archive.read("__freezer__/manifest").decode().splitlines()
    assert "libgcc_s.so.1" not in table
    assert "fallback libgcc_s.so.1" in manifest
    assert any(line.startswith("lib libgcc_s.so.1 ") for line in manifest)


def test_libgcc_s_is_a_boot_library_where_a_bundled_file_links_it() -> None:
    """libstdc++ links libgcc_s and may need symbol versions an older system's copy lacks:
    then the bundled copy is no fallback (the floor counts it, as a boot library)."""
    libstdcxx = GLIBC_DIR / "libstdc++.so.6"
    if not libstdcxx.exists():
        pytest.skip(f"no {libstdcxx} here")
    plan = BundlePlan()
    plan.natives.append(("python", sys.executable, True))  # links no libgcc_s
    assert gcc_s_is_fallback(plan)
    plan.natives.append(("libstdc++.so.6 (for numpy)", str(libstdcxx), False))
    assert not gcc_s_is_fallback(plan)


@pytest.mark.usefixtures("sandbox_ready")
def test_thread_exit_with_and_without_a_system_libgcc_s(py311: Target) -> None:
    """A daemon thread ended at shutdown (pthread_exit, which dlopens libgcc_s): in the
    sandbox, which has no libgcc_s, the bundled copy serves; given the system's, that one is
    loaded instead. Without either glibc aborts ("libgcc_s.so.1 must be installed for
    pthread_exit to work", status 134), most runs of this program."""
    binary = freeze(PROGRAMS / "thread_exit", py311)
    for _ in range(3):
        bare = run_sandboxed(binary)
        assert bare.returncode == 0, bare.describe()
        assert bare.err == "", bare.describe()
        assert bare.out.endswith("main done\n"), bare.describe()
        loaded = re.search(r"^libgcc_s \['(.+)'\]$", bare.out, re.M)
        assert loaded and "/.cache/freezer/native/" in loaded.group(1), bare.describe()
    system = GLIBC_DIR / "libgcc_s.so.1"
    if not system.exists():
        pytest.skip(f"no {system} on this machine")
    given = run_sandboxed(binary, extra_ro_binds=[(system.resolve(), str(system))])
    assert given.returncode == 0 and given.err == "", given.describe()
    assert f"libgcc_s ['{system}']" in given.out, given.describe()
