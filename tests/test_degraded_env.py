"""Frozen programs keep working where the machine gives them less: no /proc, a full disk,
a file size limit, no usable cache. Each run is compared with python's, byte for byte."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from conftest import PROGRAMS, Target, freeze
from sandbox import assert_same_behaviour, run_plain, run_sandboxed

HINTS = PROGRAMS / "hints_data"  # --add-data files: a tree that must be unpacked somewhere


def _plain(target: Target, program: Path, tmp_path: Path):
    return run_plain(target.path, ["app.py"], program_dir=program, workdir=tmp_path / "plain")


@pytest.mark.parametrize("program", ["hello", "hints_data"])
def test_without_proc(newest_target: Target, tmp_path: Path, program: str) -> None:
    """No /proc: the binary finds itself through the kernel's AT_EXECFN, and loads its
    libraries from the cache by path (a memfd needs /proc/self/fd)."""
    program_dir = PROGRAMS / program
    binary = freeze(program_dir, newest_target)
    plain = _plain(newest_target, program_dir, tmp_path)
    for _attempt in ("cold", "warm"):
        frozen = run_sandboxed(binary, proc=False, home_dir=_home(tmp_path))
        assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return home


@pytest.mark.parametrize("program", ["hello", "hints_data"])
def test_full_disk(newest_target: Target, tmp_path: Path, program: str) -> None:
    """A cache on a full disk (ENOSPC half-way through libpython): run from memory, and
    nothing half-written is left in the cache."""
    program_dir = PROGRAMS / program
    binary = freeze(program_dir, newest_target)
    plain = _plain(newest_target, program_dir, tmp_path)
    frozen = run_sandboxed(binary, home_size=512 * 1024)
    assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])


LIMIT = 256 * 1024  # bytes: far below libpython's size


def _soft_file_size_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


def _hard_file_size_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.mark.parametrize("program", ["hello", "hints_data"])
def test_soft_file_size_limit(newest_target: Target, tmp_path: Path, program: str) -> None:
    """ulimit -S -f: the bootloader lifts its soft limit while it unpacks (as any program
    may), so it runs as python does, and is never killed by SIGXFSZ."""
    program_dir = PROGRAMS / program
    binary = freeze(program_dir, newest_target)
    plain = _plain(newest_target, program_dir, tmp_path)
    home = _home(tmp_path)
    for _attempt in ("cold", "warm"):
        frozen = run_sandboxed(binary, home_dir=home, preexec=_soft_file_size_limit)
        assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])


def test_hard_file_size_limit(newest_target: Target, tmp_path: Path) -> None:
    """ulimit -f below libpython's size: neither the cache nor a memfd can hold it (both
    count against the limit), so the binary says why in one line; it is not killed by
    SIGXFSZ, and leaves no temp file behind."""
    binary = freeze(PROGRAMS / "hello", newest_target)
    home = _home(tmp_path)
    frozen = run_sandboxed(binary, home_dir=home, preexec=_hard_file_size_limit)
    err = frozen.stderr.decode(errors="replace")
    assert frozen.returncode == 126 and frozen.stdout == b"", frozen.describe()
    assert err.startswith("freezer: /app/hello: cannot load ") and err.count("\n") == 1, err
    assert "File too large" in err, err
    left = [p for p in home.rglob("*") if p.name.startswith(".freezer-tmp-")]
    assert left == [], left


def test_no_usable_cache_unpacks_trees_privately(newest_target: Target, tmp_path: Path) -> None:
    """Without a usable cache, files added beside the script go to a private temporary
    directory, removed at exit: /tmp is left as it was."""
    binary = freeze(HINTS, newest_target)
    plain = _plain(newest_target, HINTS, tmp_path)
    sandbox_tmp = tmp_path / "sandbox-tmp"
    sandbox_tmp.mkdir()
    frozen = run_sandboxed(binary, env={"FREEZER_CACHE_DIR": "/proc/no-cache"},
                           tmp_dir=sandbox_tmp)
    assert_same_behaviour(frozen, plain, [str(HINTS), plain.cwd])
    assert sorted(sandbox_tmp.rglob("*")) == []


def test_killed_runs_scratch_directory_is_removed(newest_target: Target,
                                                  tmp_path: Path) -> None:
    """A scratch directory left by a killed run (its pid gone) is removed by the next run;
    one whose process is alive, or that is not ours, is left alone."""
    binary = freeze(HINTS, newest_target)
    sandbox_tmp = tmp_path / "sandbox-tmp"
    sandbox_tmp.mkdir()
    dead = sandbox_tmp / "freezer-0-999999-0123456789ab"
    (dead / "tree").mkdir(parents=True)
    (dead / "tree" / "leftover").write_text("x")
    dead.chmod(0o700)
    alive = sandbox_tmp / "freezer-0-1-0123456789ab"  # pid 1 of the sandbox: bwrap's init
    alive.mkdir(mode=0o700)
    frozen = run_sandboxed(binary, env={"FREEZER_CACHE_DIR": "/proc/no-cache"},
                           tmp_dir=sandbox_tmp)
    assert frozen.returncode == 0, frozen.describe()
    assert sorted(p.name for p in sandbox_tmp.iterdir()) == [alive.name]
