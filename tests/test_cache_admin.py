"""`freeze cache info|prune|clear`, and the last-use mark a binary's start leaves for prune.

A real program is frozen; its binary runs in the glibc-only sandbox with a home of its own,
so its cache is a directory the test can read, age (os.utime) and prune. The binary must
behave as the program does under python before and after each prune. What a warm start
pays for the mark is checked with strace: no write at all while the marks are less than a
day old, one utimensat per directory once a day.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import Target, run_freezer
from sandbox import assert_same_behaviour, run_plain, run_sandboxed

DAY = 86400


def build(target: Target, tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("import json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    done = run_freezer(["app.py", "-q", "-o", "app", "--python", str(target.path)], src)
    assert done.returncode == 0, done.stderr
    return src, src / "app"


def cache_cmd(cache: Path, *argv: str) -> subprocess.CompletedProcess:
    cwd = next(p for p in cache.parents if p.is_dir())
    return run_freezer(["cache", *argv], cwd, env={"FREEZER_CACHE_DIR": str(cache)})


def runs_as_python(target: Target, src: Path, binary: Path, home: Path) -> None:
    plain = run_plain(target.path, ["app.py", "a b"], program_dir=src)
    frozen = run_sandboxed(binary, ["a b"], home_dir=home)
    assert_same_behaviour(frozen, plain, [str(src), plain.cwd])


def marks(cache: Path) -> dict[str, float]:
    """Each marked entry (native/X, verified/X, ...) -> its mtime."""
    return {f"{part.name}/{p.name}": p.lstat().st_mtime
            for part in cache.iterdir() if part.name in ("native", "tree", "pyc", "verified")
            for p in part.iterdir()}


def age(cache: Path, seconds: float) -> None:
    then = time.time() - seconds
    for name in marks(cache):
        os.utime(cache / name, (then, then), follow_symlinks=False)


@pytest.mark.usefixtures("sandbox_ready")
def test_prune_keeps_what_binaries_use(newest_target: Target, tmp_path: Path) -> None:
    src, binary = build(newest_target, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    cache = home / ".cache" / "freezer"
    done = cache_cmd(cache, "info")
    assert done.stdout == f"cache: {cache} (empty: not made yet)\n", done.stderr
    runs_as_python(newest_target, src, binary, home)  # the first start
    used = marks(cache)
    assert any(n.startswith("native/") for n in used) and any(n.startswith("verified/")
                                                              for n in used), used
    info = cache_cmd(cache, "info").stdout
    assert f"cache: {cache}\n" in info and "native/: libraries" in info, info
    # An entry of a binary no longer run, 40 days unused; the binary's own, as old.
    stale = cache / "native" / ("0" * 64)
    stale.mkdir()
    (stale / "libgone.so").write_bytes(b"x" * 1000)
    age(cache, 40 * DAY)
    runs_as_python(newest_target, src, binary, home)  # warm: marks what it uses
    now = time.time()
    after = marks(cache)
    for name in used:
        assert now - after[name] < 600, (name, now - after[name])
    assert now - after[f"native/{stale.name}"] > 39 * DAY
    done = cache_cmd(cache, "prune", "--days", "30")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"cache: {cache}: removed 1 entries unused for 30 days (0.0 MB "
                           "freed); the build cache (build/) is left as it is\n")
    assert not stale.exists() and set(marks(cache)) == set(used)
    runs_as_python(newest_target, src, binary, home)
    # Everything unused for 0 days: all of it; the next start is a first start again.
    done = cache_cmd(cache, "prune", "--days", "0")
    assert done.returncode == 0 and marks(cache) == {}, done.stdout
    runs_as_python(newest_target, src, binary, home)
    assert set(marks(cache)) == set(used)
    done = cache_cmd(cache, "clear")
    assert done.stdout.startswith(f"cache: {cache}: emptied (") and list(cache.iterdir()) == []


def utimensat_calls(binary: Path, cache: Path, tmp_path: Path) -> int:
    log = tmp_path / "strace.log"
    done = subprocess.run(["strace", "-f", "-qq", "-e", "trace=utimensat", "-o", str(log),
                           str(binary), "x"], env={**os.environ,
                                                   "FREEZER_CACHE_DIR": str(cache)},
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return sum(1 for line in log.read_text().splitlines() if "utimensat(" in line)


def test_mark_is_written_once_a_day(newest_target: Target, tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    _, binary = build(newest_target, tmp_path)
    cache = tmp_path / "cache"
    subprocess.run([str(binary)], env={**os.environ, "FREEZER_CACHE_DIR": str(cache)},
                   check=True, capture_output=True, timeout=60)
    entries = len(marks(cache))
    # Marked an hour ago: a warm start writes nothing, and leaves the marks as they are.
    age(cache, 3600)
    before = marks(cache)
    assert utimensat_calls(binary, cache, tmp_path) == 0
    assert marks(cache) == before
    # A day old: one write per entry it uses, this once.
    age(cache, DAY + 60)
    assert utimensat_calls(binary, cache, tmp_path) == entries
    assert utimensat_calls(binary, cache, tmp_path) == 0


@pytest.mark.parametrize(("argv", "line"), [
    ([], "usage: freeze cache info | prune [--days N] | clear"),
    (["frob"], "usage: freeze cache info | prune [--days N] | clear"),
    (["prune", "--days"], "usage: freeze cache info | prune [--days N] | clear"),
    (["prune", "--days", "soon"], "--days soon: not a number of days (0 or more)"),
    (["prune", "--days", "-1"], "--days -1: not a number of days (0 or more)"),
    (["info", "extra"], "usage: freeze cache info | prune [--days N] | clear"),
])
def test_cache_refusals(tmp_path: Path, argv: list[str], line: str) -> None:
    done = cache_cmd(tmp_path / "cache", *argv)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [f"freeze: error: {line}"]


def test_cache_that_is_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep").write_text("mine")
    (tmp_path / "cache").symlink_to(tmp_path / "elsewhere")
    done = cache_cmd(tmp_path / "cache", "clear")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"freeze: error: cache {tmp_path / 'cache'}: not a "
                                        "directory (a symbolic link or a file)"]
    assert (tmp_path / "elsewhere" / "keep").read_text() == "mine"
