"""The build cache trusts nothing another user could have written (freezer/build_cache.py).

What `freeze` takes from <cache>/build/ goes into binaries other people run, so each attack
on it is tried here and must be refused: directories of another owner, writable by others
(sticky or not) or replaced by symbolic links stop the build with one line; cached files that
are links, of another owner, or whose bytes differ from their record are made again and never
reach the binary. The rules are checked by calling build_cache directly; that every cache of
the build goes through them, by real `freeze` runs against a planted cache. The suite runs as
root, so "another user" is uid 65534 (chown).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import TARGETS, Target, run_freezer

from freezer import build_cache
from freezer.analyzer.scan_cache import ScanCache
from freezer.bootloader import BootloaderError, cache_root, zstd
from freezer.errors import FreezeError

OTHER_UID = 65534
# Plants an untrusted directory at or under the cache root given; returns the one refused.
Attack = Callable[[Path], Path]


@pytest.fixture(autouse=True)
def forget_checks() -> Iterator[None]:
    """Each test changes directories build_cache may have passed already in this process."""
    build_cache._checked.clear()
    yield
    build_cache._checked.clear()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- directories -------------------------------------------------------------------------


def test_fresh_cache_is_0700_at_every_level(tmp_path: Path) -> None:
    """Every directory made, above the root too (as boot.c makes them), is 0700: not only the
    last one, which is all os.makedirs would give the mode to."""
    root = tmp_path / "a" / "b" / "cache"
    made = build_cache.build_dir(root, "strip", "key")
    assert made == root / "build" / "strip" / "key"
    for path in (tmp_path / "a", tmp_path / "a" / "b", root, root / "build",
                 root / "build" / "strip", made):
        assert mode_of(path) == 0o700, path


def test_existing_private_cache_is_accepted(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    (root / "build").mkdir(mode=0o755)  # not writable by others: made by an older freeze
    assert build_cache.build_dir(root, "pyc").is_dir()


def _owned_by_other(root: Path) -> Path:
    root.mkdir(mode=0o700)
    os.chown(root, OTHER_UID, -1)
    return root


def _mode(mode: int, level: str = "") -> Attack:
    def attack(root: Path) -> Path:
        target = root / level if level else root
        target.mkdir(parents=True)
        os.chmod(target, mode)
        return target
    return attack


def _symlink(level: str) -> Attack:
    def attack(root: Path) -> Path:
        elsewhere = root.parent / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        link = root / level if level else root
        link.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        link.symlink_to(elsewhere)
        return link
    return attack


def _file(root: Path) -> Path:
    root.mkdir(mode=0o700)
    (root / "build").write_text("")
    return root / "build"


DIRECTORY_ATTACKS: dict[str, tuple[Attack, str]] = {
    "root-owned-by-other": (_owned_by_other, "is owned by another user (uid 65534)"),
    "root-0777": (_mode(0o777), "is writable by other users (mode 0777)"),
    "root-1777": (_mode(0o1777), "is writable by other users (mode 1777)"),
    "build-0777": (_mode(0o777, "build"), "is writable by other users (mode 0777)"),
    "strip-1777": (_mode(0o1777, "build/strip"), "is writable by other users (mode 1777)"),
    "root-symlink": (_symlink(""), "is a symbolic link"),
    "strip-symlink": (_symlink("build/strip"), "is a symbolic link"),
    "build-not-a-dir": (_file, "is not a directory"),
}


@pytest.mark.parametrize("attack", DIRECTORY_ATTACKS, ids=list(DIRECTORY_ATTACKS))
def test_untrusted_directory_is_refused(tmp_path: Path, attack: str) -> None:
    """The root and below: ours and writable by nobody else, a sticky bit being no excuse."""
    plant, why = DIRECTORY_ATTACKS[attack]
    root = tmp_path / "cache"
    bad = plant(root)
    with pytest.raises(FreezeError) as raised:
        build_cache.build_dir(root, "strip", "key")
    message = str(raised.value)
    assert message.startswith(f"cache directory {bad} {why}: "), message
    assert "\n" not in message
    assert not (bad / "key").exists()


def test_directory_above_the_root_writable_by_others_is_refused(tmp_path: Path) -> None:
    """Anyone who can write above the root could rename the root away and put theirs there."""
    above = tmp_path / "shared"
    above.mkdir()
    os.chmod(above, 0o777)
    with pytest.raises(FreezeError, match=f"^directory {above} above the cache "
                                          f"{above / 'cache'} is writable by other users"):
        build_cache.build_dir(above / "cache")
    assert not (above / "cache").exists()


def test_directory_above_the_root_owned_by_other_is_refused(tmp_path: Path) -> None:
    above = tmp_path / "theirs"
    above.mkdir(mode=0o755)
    os.chown(above, OTHER_UID, -1)
    with pytest.raises(FreezeError, match="above the cache .* is owned by another user"):
        build_cache.build_dir(above / "cache")


def test_sticky_directory_and_links_above_the_root_are_accepted(tmp_path: Path) -> None:
    """Like /tmp: others may write there but not rename what is ours; and a link above the
    root is the system's layout (resolved, then every real directory checked)."""
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    (tmp_path / "link").symlink_to(sticky)
    root = tmp_path / "link" / "cache"
    assert build_cache.build_dir(root, "zstd").is_dir()
    assert mode_of(sticky / "cache") == 0o700


def test_directory_made_writable_after_a_check_is_seen_by_a_new_process(tmp_path: Path) -> None:
    """Checks are remembered per process only (the worker re-checks what freeze checked)."""
    root = tmp_path / "cache"
    build_cache.build_dir(root, "pyc")
    os.chmod(root / "build" / "pyc", 0o777)
    build_cache._checked.clear()
    with pytest.raises(FreezeError, match="writable by other users"):
        build_cache.ensure_dir(root / "build" / "pyc", "ab")


def test_relative_directory_is_refused() -> None:
    with pytest.raises(FreezeError, match="not an absolute path"):
        build_cache.build_dir(Path("cache"))


# -- files -------------------------------------------------------------------------------


@pytest.fixture
def entry(tmp_path: Path) -> Path:
    """A saved cache entry, in a checked directory."""
    path = build_cache.build_dir(tmp_path / "cache", "strip", "key") / "libx.so"
    build_cache.save(path, b"genuine library")
    return path


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def test_saved_entry_is_private_and_verified(entry: Path) -> None:
    assert mode_of(entry) == 0o600
    assert mode_of(sidecar(entry)) == 0o600
    digest = hashlib.sha256(b"genuine library").hexdigest()
    assert sidecar(entry).read_text() == digest
    assert build_cache.load(entry) == b"genuine library"
    assert build_cache.check(entry) == digest


def test_planted_content_is_a_miss_and_is_replaced(entry: Path) -> None:
    """The right name, other bytes: they do not hash to the record, so they are never used."""
    entry.write_bytes(b"planted library")
    assert build_cache.load(entry) is None
    assert build_cache.check(entry) is None
    build_cache.save(entry, b"genuine library")
    assert build_cache.load(entry) == b"genuine library"


def test_entry_without_its_record_is_a_miss(entry: Path) -> None:
    sidecar(entry).unlink()
    assert build_cache.load(entry) is None


def test_symlinked_entry_is_a_miss_even_when_its_content_matches(entry: Path,
                                                                 tmp_path: Path) -> None:
    """A link is refused for being a link: what it points at could change after the check."""
    target = tmp_path / "same-bytes"
    target.write_bytes(entry.read_bytes())
    os.chmod(target, 0o600)
    entry.unlink()
    entry.symlink_to(target)
    assert build_cache.load(entry) is None
    build_cache.save(entry, b"genuine library")
    assert not entry.is_symlink()
    assert target.read_bytes() == b"genuine library"  # same bytes as before: not written to


def test_symlinked_record_is_a_miss(entry: Path, tmp_path: Path) -> None:
    record = tmp_path / "record"
    shutil.copyfile(sidecar(entry), record)
    sidecar(entry).unlink()
    sidecar(entry).symlink_to(record)
    assert build_cache.load(entry) is None


def test_entry_of_another_owner_is_a_miss(entry: Path) -> None:
    os.chown(entry, OTHER_UID, -1)
    assert build_cache.load(entry) is None
    build_cache.save(entry, b"genuine library")
    assert os.lstat(entry).st_uid == os.geteuid()
    assert build_cache.load(entry) == b"genuine library"


def test_record_of_another_owner_is_a_miss(entry: Path) -> None:
    os.chown(sidecar(entry), OTHER_UID, -1)
    assert build_cache.load(entry) is None


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_entry_writable_by_others_is_a_miss(entry: Path, mode: int) -> None:
    os.chmod(entry, mode)
    assert build_cache.load(entry) is None


def test_fifo_entry_is_a_miss_without_blocking(entry: Path) -> None:
    entry.unlink()
    os.mkfifo(entry, 0o600)
    assert build_cache.load(entry) is None


def test_content_addressed_entry_is_checked_against_its_name(tmp_path: Path) -> None:
    directory = build_cache.build_dir(tmp_path / "cache", "pyc", "made")
    data = b"RECORD rows"
    digest = hashlib.sha256(data).hexdigest()
    path = directory / f"{digest}.RECORD"
    build_cache.save(path, data, sidecar=False)
    assert not sidecar(path).exists()
    assert build_cache.check(path, sha256=digest) == digest
    path.write_bytes(b"other rows")
    assert build_cache.check(path, sha256=digest) is None


def test_committed_executable_is_0700(tmp_path: Path) -> None:
    directory = build_cache.build_dir(tmp_path / "cache", "bootloader", "key")
    tmp = build_cache.new_temp(directory, "boot")
    assert mode_of(Path(tmp)) == 0o600
    Path(tmp).write_bytes(b"\x7fELF built")
    digest = build_cache.commit(tmp, directory / "boot", mode=0o700)
    assert not os.path.lexists(tmp)
    assert mode_of(directory / "boot") == 0o700
    assert build_cache.check(directory / "boot") == digest


def test_commit_refuses_a_temporary_file_turned_into_a_link(tmp_path: Path) -> None:
    directory = build_cache.build_dir(tmp_path / "cache", "strip", "key")
    tmp = build_cache.new_temp(directory, "libx.so")
    os.unlink(tmp)
    os.symlink(tmp_path / "elsewhere", tmp)
    with pytest.raises(OSError):
        build_cache.commit(tmp, directory / "libx.so")
    assert not os.path.lexists(tmp)
    assert not (directory / "libx.so").exists()


def test_planted_import_scan_is_a_miss(tmp_path: Path) -> None:
    """A scan decides what the binary carries: one that differs from its record is redone."""
    directory = build_cache.build_dir(tmp_path / "cache", "scan")
    source = b"import json\n"
    ScanCache(str(directory)).scan(source, "m.py", "m", False)
    [cached] = directory.glob("*/*.json")
    cached.write_text(json.dumps({"imports": [["planted", 1, False, [], False, False, []]],
                                  "strings": []}))
    result = ScanCache(str(directory)).scan(source, "m.py", "m", False)
    assert [ref.name for ref in result.imports] == ["json"]
    assert build_cache.load(cached) is not None  # replaced by the genuine scan


# -- the cache root ----------------------------------------------------------------------


def test_relative_freezer_cache_dir_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """boot.c refuses a relative FREEZER_CACHE_DIR; the build side agrees."""
    monkeypatch.setenv("FREEZER_CACHE_DIR", "rel/cache")
    with pytest.raises(BootloaderError, match=r"^FREEZER_CACHE_DIR=rel/cache is not an absolute"):
        cache_root()


def test_relative_home_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FREEZER_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", "relative-home")
    with pytest.raises(BootloaderError, match="no home directory"):
        cache_root()


# -- real builds -------------------------------------------------------------------------


def _target() -> Target | None:
    """3.11 where there is one (what the README's example freezes), else the newest."""
    for target in TARGETS:
        if target.version[:2] == (3, 11):
            return target
    return TARGETS[-1] if TARGETS else None


TARGET = _target()
needs_target = pytest.mark.skipif(TARGET is None, reason="no CPython 3.9-3.13 under pyenv")


def freeze(program: Path, cache: Path, out: Path) -> subprocess.CompletedProcess:
    return run_freezer(["app.py", "--python", str(TARGET.path), "-o", str(out)], cwd=program,
                       env={"FREEZER_CACHE_DIR": str(cache)})


def run(binary: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "FREEZER_CACHE_DIR": str(cache)})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(program directory, its cache, its binary): one cold build, shared by the tests that
    copy the cache before attacking it."""
    if TARGET is None:
        pytest.skip("no CPython 3.9-3.13 under pyenv")
    base = tmp_path_factory.mktemp("built")
    program = base / "program"
    program.mkdir()
    (program / "app.py").write_text('print("hi")\n')
    cache, app = base / "cache", base / "app"
    done = freeze(program, cache, app)
    assert done.returncode == 0, done.stderr
    return program, cache, app


def copy_cache(cache: Path, into: Path) -> Path:
    """The build part of a cache, modes kept (copy2), links kept as links."""
    copy = into / "cache"
    copy.mkdir(mode=0o700)
    shutil.copytree(cache / "build", copy / "build", symlinks=True)
    return copy


def one(pattern: str, cache: Path) -> Path:
    found = [p for p in (cache / "build").glob(pattern) if not p.name.endswith(".sha256")]
    assert len(found) == 1, (pattern, found)
    return found[0]


@needs_target
def test_cold_build_runs_and_makes_a_private_cache(built: tuple[Path, Path, Path]) -> None:
    _, cache, app = built
    done = run(app, cache)
    assert (done.returncode, done.stdout, done.stderr) == (0, "hi\n", "")
    assert mode_of(cache) == 0o700
    for directory, _, files in os.walk(cache / "build"):
        assert mode_of(Path(directory)) == 0o700, directory
        for name in files:
            path = Path(directory, name)
            assert stat.S_ISREG(os.lstat(path).st_mode), path
            assert mode_of(path) == (0o700 if name == "boot" else 0o600), path
    for kind in ("bootloader", "strip", "zstd", "pyc", "scan"):
        assert (cache / "build" / kind).is_dir(), kind
    boot = one("bootloader/*/boot", cache)
    assert build_cache.check(boot)


def _target_magic() -> bytes:
    done = subprocess.run([str(TARGET.path), "-c", "import importlib.util, sys; "
                           "sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
                          capture_output=True, text=True, check=True)
    return bytes.fromhex(done.stdout)


def _planted_pyc(source: bytes) -> bytes:
    """A valid pyc for `source`'s cache slot whose code prints something else."""
    script = ("import importlib.util, marshal, sys\n"
              "code = compile('print(\"planted\")', 'app.py', 'exec')\n"
              "sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER + b'\\x01\\0\\0\\0'"
              f" + importlib.util.source_hash({source!r}) + marshal.dumps(code))\n")
    return subprocess.run([str(TARGET.path), "-c", script], capture_output=True,
                          check=True).stdout


def _forge(path: Path, data: bytes, uid: int | None = None) -> None:
    """Plant `data` at `path` with a record that matches it, so only the other rules (link,
    owner) stand in the way."""
    path.unlink()
    path.write_bytes(data)
    os.chmod(path, 0o600)
    sidecar(path).write_text(hashlib.sha256(data).hexdigest())
    if uid is not None:
        os.chown(path, uid, -1)


@needs_target
def test_planted_cache_entries_never_reach_the_binary(built: tuple[Path, Path, Path],
                                                      tmp_path: Path) -> None:
    """Each planted entry of the right name is refused and made again: the bootloader and the
    main script's bytecode whose bytes differ from their record, libpython's compressed copy
    likewise, libpython's stripped copy as a link to planted bytes (with a forged record),
    another library's as a file of another owner (forged record too)."""
    program, cache, _ = built
    cache = copy_cache(cache, tmp_path)
    planted = b"PLANTED-BY-TEST" + os.urandom(4096)  # incompressible: zstd stores it as is

    boot = one("bootloader/*/boot", cache)
    boot.write_bytes(b"#!/bin/sh\necho planted\n" + planted)

    libpython = one("strip/*/libpython*", cache)
    genuine = sidecar(libpython).read_text()
    elsewhere = tmp_path / "planted-libpython"
    _forge(libpython, planted)
    os.replace(libpython, elsewhere)
    libpython.symlink_to(elsewhere)

    other = one("strip/*/_json.*", cache)
    _forge(other, planted + b"json", uid=OTHER_UID)

    # libpython's compressed copy, named by the genuine stripped library's hash.
    packed = one(f"zstd/*/{genuine}.zst", cache)
    packed.write_bytes(zstd.compress(planted))

    source = (program / "app.py").read_bytes()
    key = hashlib.sha256(_target_magic() + b"app.py\x000\x00" + source).hexdigest()
    pyc = cache / "build" / "pyc" / key[:2] / f"{key}.pyc"
    assert pyc.is_file()
    pyc.write_bytes(_planted_pyc(source))

    app = tmp_path / "app"
    done = freeze(program, cache, app)
    assert done.returncode == 0, done.stderr
    binary = app.read_bytes()
    assert binary.find(planted[:64]) == -1  # (not `in`: pytest would print 10 MB)
    assert binary.startswith(b"\x7fELF")
    done = run(app, cache)
    assert (done.returncode, done.stdout, done.stderr) == (0, "hi\n", "")
    # Every planted entry was replaced by a genuine one of ours.
    for path in (boot, libpython, other, packed, pyc):
        assert not path.is_symlink() and os.lstat(path).st_uid == os.geteuid(), path
        assert build_cache.check(path), path
    assert planted not in libpython.read_bytes()


def _program(tmp_path: Path) -> Path:
    program = tmp_path / "program"
    program.mkdir()
    (program / "app.py").write_text('print("hi")\n')
    return program


HINT = ": set FREEZER_CACHE_DIR to a directory of your own\n"


@needs_target
@pytest.mark.parametrize("attack", ["root-owned-by-other", "root-1777", "root-symlink",
                                    "strip-symlink"])
def test_freeze_stops_with_one_line_on_an_untrusted_cache(tmp_path: Path, attack: str) -> None:
    """Not a slower build without the cache: the user hears which directory and why."""
    plant, why = DIRECTORY_ATTACKS[attack]
    program, root, app = _program(tmp_path), tmp_path / "cache", tmp_path / "app"
    bad = plant(root)
    done = freeze(program, root, app)
    assert (done.returncode, done.stderr) == (2, f"freeze: error: cache directory {bad} {why}"
                                                 f"{HINT}")
    assert not app.exists()


@needs_target
def test_untrusted_directory_met_by_the_worker_is_one_line_too(tmp_path: Path) -> None:
    """The bytecode's subdirectories are made and checked in the worker, under the target."""
    program, root, app = _program(tmp_path), tmp_path / "cache", tmp_path / "app"
    pyc = build_cache.build_dir(root, "pyc")
    for n in range(256):
        (pyc / f"{n:02x}").mkdir()
        os.chmod(pyc / f"{n:02x}", 0o777)
    done = freeze(program, root, app)
    assert done.returncode == 2
    assert done.stderr.startswith(f"freeze: error: cache directory {pyc}/"), done.stderr
    assert done.stderr.endswith(f" is writable by other users (mode 0777){HINT}"), done.stderr
    assert done.stderr.count("\n") == 1
    assert not app.exists()


def test_freeze_refuses_a_relative_freezer_cache_dir(tmp_path: Path) -> None:
    program = _program(tmp_path)
    done = run_freezer(["app.py", "-o", str(tmp_path / "app")], cwd=program,
                       env={"FREEZER_CACHE_DIR": "cache"})
    assert (done.returncode, done.stderr) == (
        2, "freeze: error: FREEZER_CACHE_DIR=cache is not an absolute path\n")
    assert not (program / "cache").exists()


def test_elf_facts_come_from_the_cache_and_a_planted_record_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm build reads no ELF file (pyelftools took most of one); a record that does not
    hash to its sidecar (planted, or damaged) is a miss: the file is parsed again."""
    from freezer import native_deps

    monkeypatch.setenv("FREEZER_CACHE_DIR", str(tmp_path / "cache"))
    target = TARGETS[0] if TARGETS else None
    if target is None:
        pytest.skip("no CPython target")
    libpython = subprocess.run(
        [str(target.path), "-c", "import sysconfig, os; print(os.path.join("
         "sysconfig.get_config_var('LIBDIR'), sysconfig.get_config_var('INSTSONAME')))"],
        capture_output=True, text=True, check=True).stdout.strip()
    native_deps.read_elf.cache_clear()
    first = native_deps.read_elf(libpython)
    assert first.soname and "libc.so.6" in first.needed
    # The version needs ride in the same record (the glibc floor, glibc.py).
    assert any(lib == "libc.so.6" and version.startswith("GLIBC_2.")
               for lib, version in first.verneed), first.verneed

    parsed = []
    real_parse = native_deps._parse_elf
    monkeypatch.setattr(native_deps, "_parse_elf",
                        lambda path: parsed.append(path) or real_parse(path))
    native_deps.read_elf.cache_clear()
    assert native_deps.read_elf(libpython) == first and parsed == []

    (record,) = (tmp_path / "cache" / "build" / "elf").rglob("*.json")
    record.write_text(json.dumps({"soname": "planted", "needed": [], "rpath": [],
                                  "runpath": []}))
    native_deps.read_elf.cache_clear()
    assert native_deps.read_elf(libpython) == first and parsed == [libpython]
    native_deps.read_elf.cache_clear()
