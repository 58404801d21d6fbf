"""The run-time cache is trusted only as far as the user's own checks go (docs/design.md,
"Threat model"): every attack here plants code where a frozen program looks for its
libraries, and the program must run correctly without ever running it.

Each attack has a control beside it: the same planted files with the one protection
removed (the directory ours, no symbolic link, no setuid) do get run. That shows the plant
would work, so a test that passes cannot be passing for a reason of its own.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import PROGRAMS, Target, freeze
from sandbox import SANDBOX_HOME, run_sandboxed

PLANTED = "PLANTED CODE RAN"
NOBODY = 65534
EXPECTED = "Hello, world!\n"

PLANT_C = f"""
#include <unistd.h>
__attribute__((constructor)) static void planted(void)
{{
    static const char msg[] = "{PLANTED}\\n";
    write(2, msg, sizeof msg - 1);
}}
"""


@pytest.fixture()
def hello(newest_target: Target, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A program that prints one line to stdout and nothing to stderr, where a planted
    library's constructor or the bootloader's warning would show."""
    program = tmp_path_factory.mktemp("quiet") / "quiet"
    program.mkdir()
    (program / "app.py").write_text(f"print({EXPECTED.strip()!r})\n")
    return freeze(program, newest_target)


@pytest.fixture(scope="module")
def planted_elf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A shared library whose constructor announces itself on stderr."""
    where = tmp_path_factory.mktemp("plant")
    (where / "plant.c").write_text(PLANT_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(where / "plant.so"),
                    str(where / "plant.c")], check=True)
    return (where / "plant.so").read_bytes()


def populated_cache(binary: Path, home: Path) -> Path:
    """Run the binary once with `home` as HOME; return its cache root."""
    home.mkdir(exist_ok=True)
    done = run_sandboxed(binary, home_dir=home)
    assert done.returncode == 0 and done.out == EXPECTED, done.describe()
    return home / ".cache" / "freezer"


def libraries(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "native").glob("*/*") if p.suffix != ".ok")


def forge_record(path: Path) -> None:
    """Write the record the bootloader keeps of a file it verified, for whatever is at `path`
    now: the identity line of boot.c's identity()."""
    st = os.stat(path)
    sha = path.parent.name
    line = (f"{sha} {st.st_dev} {st.st_ino} {st.st_size} "
            f"{st.st_mtime_ns // 10**9}.{st.st_mtime_ns % 10**9:09d} "
            f"{st.st_ctime_ns // 10**9}.{st.st_ctime_ns % 10**9:09d}\n")
    record = path.with_name(path.name + ".ok")
    record.write_text(line)
    record.chmod(0o600)


def plant(library: Path, elf: bytes, forge: bool = True) -> None:
    """Replace a cached library by the planted one, padded to the same size."""
    size = library.stat().st_size
    assert len(elf) <= size
    library.write_bytes(elf + b"\0" * (size - len(elf)))
    library.chmod(0o700)
    if forge:
        forge_record(library)


def planted_cache(binary: Path, tmp_path: Path, elf: bytes) -> Path:
    """A cache laid out as the binary's own, every library planted with a forged record."""
    cache = populated_cache(binary, tmp_path / "seed")
    for library in libraries(cache):
        plant(library, elf)
    return cache


def assert_clean_run(done, expect_warning: bool) -> None:
    err = done.stderr.decode(errors="replace")
    assert PLANTED not in err, done.describe()
    assert done.returncode == 0 and done.out == EXPECTED, done.describe()
    if expect_warning:
        assert err.startswith("freezer: warning: cache directory ") and err.count("\n") == 1, err
    else:
        assert err == "", err


def assert_planted_ran(done) -> None:
    assert PLANTED in done.stderr.decode(errors="replace"), done.describe()


def chown_tree(root: Path, uid: int) -> None:
    for path in [root, *root.rglob("*")]:
        os.lchown(path, uid, uid)


def test_planted_same_size_library_is_rewritten(hello: Path, planted_elf: bytes,
                                                tmp_path: Path) -> None:
    """A same-size file at a library's content-addressed name is hashed (its identity is
    not the one recorded), found wrong, and replaced by the real library."""
    home = tmp_path / "home"
    cache = populated_cache(hello, home)
    for library in libraries(cache):
        plant(library, planted_elf, forge=False)
    assert_clean_run(run_sandboxed(hello, home_dir=home), expect_warning=False)
    for library in libraries(cache):
        import hashlib

        assert hashlib.sha256(library.read_bytes()).hexdigest() == library.parent.name


def test_forged_record_in_our_own_cache_is_trusted(hello: Path, planted_elf: bytes,
                                                   tmp_path: Path) -> None:
    """The control of every test below: a cache that is ours, with a forged record, is
    trusted. Whoever can write there is this user already."""
    cache = planted_cache(hello, tmp_path, planted_elf)
    home = cache.parent.parent
    assert_planted_ran(run_sandboxed(hello, home_dir=home))


@pytest.mark.parametrize(("level", "uid", "mode"), [
    ("root", NOBODY, 0o700), ("root", 0, 0o777), ("root", 0, 0o1777), ("root", NOBODY, 0o1777),
    ("native", NOBODY, 0o700), ("native", 0, 0o777), ("sha", NOBODY, 0o700), ("sha", 0, 0o770),
])
def test_directory_another_user_can_write_is_refused(hello: Path, planted_elf: bytes,
                                                     tmp_path: Path, level: str, uid: int,
                                                     mode: int) -> None:
    """A cache directory owned by another user, or writable by others (sticky or not), is
    not used: the program runs from memory, with one warning line."""
    cache = planted_cache(hello, tmp_path, planted_elf)
    targets = {"root": [cache], "native": [cache / "native"],
               "sha": [lib.parent for lib in libraries(cache)]}[level]
    for directory in targets:
        if uid != 0:
            chown_tree(directory, uid)
        directory.chmod(mode)
    home = cache.parent.parent
    assert_clean_run(run_sandboxed(hello, home_dir=home), expect_warning=True)


@pytest.mark.parametrize("level", ["root", "native", "sha", "file"])
def test_symbolic_links_are_not_followed(hello: Path, planted_elf: bytes, tmp_path: Path,
                                         level: str) -> None:
    """A symbolic link at any level of the cache, to planted files that are ours with
    forged records, is never followed."""
    cache = planted_cache(hello, tmp_path, planted_elf)
    elsewhere = tmp_path / "elsewhere"
    if level == "file":
        for library in libraries(cache):
            moved = elsewhere / library.parent.name / library.name
            moved.parent.mkdir(parents=True)
            shutil.move(library, moved)
            library.symlink_to(moved)
            forge_record(library)  # the identity of the link's target
        expect_warning = False  # a file that is not ours is rewritten, silently
    else:
        victims = {"root": [cache], "native": [cache / "native"],
                   "sha": [lib.parent for lib in libraries(cache)]}[level]
        for directory in victims:
            moved = elsewhere / directory.name
            moved.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(directory, moved)
            directory.symlink_to(moved)
        expect_warning = True
    home = cache.parent.parent
    assert_clean_run(run_sandboxed(hello, home_dir=home), expect_warning=expect_warning)


def test_parent_others_can_write_is_refused(hello: Path, planted_elf: bytes,
                                            tmp_path: Path) -> None:
    """Above the root, a directory others can write without the sticky bit lets them rename
    the root away and put theirs: no cache is used under it (silently: nothing of the cache
    itself is wrong). With the sticky bit, as /tmp has, the cache is used."""
    cache = planted_cache(hello, tmp_path, planted_elf)
    shared = cache.parent  # .cache
    env = {"FREEZER_CACHE_DIR": f"{SANDBOX_HOME}/.cache/freezer"}
    home = cache.parent.parent
    shared.chmod(0o1777)
    assert_planted_ran(run_sandboxed(hello, env=env, home_dir=home))  # control: sticky
    shared.chmod(0o777)
    assert_clean_run(run_sandboxed(hello, env=env, home_dir=home), expect_warning=False)


def unpacked_hints(target: Target, tmp_path: Path):
    """The hints_data binary (its --add-data files are a tree), run once with an empty
    home so its tree is in that home's cache: (binary, home, the run)."""
    binary = freeze(PROGRAMS / "hints_data", target)
    home = tmp_path / "home"
    home.mkdir()
    first = run_sandboxed(binary, home_dir=home)
    assert first.returncode == 0 and "asset " in first.out, first.describe()
    return binary, home, first


def test_swapped_tree_is_refused(newest_target: Target, tmp_path: Path) -> None:
    """A tree (files unpacked for code that reads them beside its __file__) swapped for a
    link to someone else's copy, or owned by another user, is not used."""
    binary, home, first = unpacked_hints(newest_target, tmp_path)
    [tree] = (home / ".cache" / "freezer" / "tree").iterdir()
    [greeting] = tree.rglob("greeting.txt")
    fake = tmp_path / "fake"
    shutil.copytree(tree, fake, symlinks=True)
    (fake / greeting.relative_to(tree)).write_text("planted greeting\n")
    shutil.rmtree(tree)
    tree.symlink_to(fake)
    swapped = run_sandboxed(binary, home_dir=home)
    assert swapped.out == first.out and swapped.returncode == 0, swapped.describe()
    tree.unlink()
    shutil.copytree(fake, tree)
    chown_tree(tree, NOBODY)
    foreign = run_sandboxed(binary, home_dir=home)
    assert foreign.out == first.out and foreign.returncode == 0, foreign.describe()


def test_changed_tree_file_is_written_again(newest_target: Target, tmp_path: Path) -> None:
    """A file of a tree changed after it was written (same size even) no longer has the
    identity its completion mark lists: the tree is written again from the payload."""
    binary, home, first = unpacked_hints(newest_target, tmp_path)
    [tree] = (home / ".cache" / "freezer" / "tree").iterdir()
    [greeting] = tree.rglob("greeting.txt")
    original = greeting.read_bytes()
    greeting.write_bytes(b"X" * len(original))
    again = run_sandboxed(binary, home_dir=home)
    assert again.out == first.out and again.returncode == 0, again.describe()
    assert greeting.read_bytes() == original


@pytest.fixture()
def shared_dir() -> Path:
    """A directory every user can reach (the suite's own temporary tree is private)."""
    path = Path(tempfile.mkdtemp(prefix="freezer-suid-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_setuid_ignores_the_cache_variables(hello: Path, planted_elf: bytes, tmp_path: Path,
                                            shared_dir: Path) -> None:
    """Run setuid root by another user, the binary ignores FREEZER_CACHE_DIR (and HOME, and
    every other cache variable) and runs from memory: else that user would choose the code
    root runs."""
    cache = planted_cache(hello, tmp_path, planted_elf)
    binary = shared_dir / "hello"
    shutil.copyfile(hello, binary)
    env = {"PATH": "/usr/bin:/bin", "FREEZER_CACHE_DIR": str(cache),
           "HOME": str(cache.parent.parent), "XDG_CACHE_HOME": str(cache.parent)}
    binary.chmod(0o755)
    control = subprocess.run([str(binary)], env=env, capture_output=True)
    assert PLANTED in control.stderr.decode(), control  # root itself trusts its own cache
    os.chown(binary, 0, 0)
    binary.chmod(0o4755)
    assert stat.S_IMODE(binary.stat().st_mode) == 0o4755
    done = subprocess.run([str(binary)], env=env, capture_output=True, user=NOBODY,
                          group=NOBODY, extra_groups=[])
    assert PLANTED not in done.stderr.decode(), done
    assert (done.returncode, done.stdout.decode(), done.stderr) == (0, EXPECTED, b""), done
