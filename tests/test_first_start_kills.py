"""First starts killed at any moment never poison the cache: every file left at a final name
is whole and verified, and a later start runs correctly and removes the temp files the
killed ones left behind. Racing first starts share the cache the same way."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from conftest import PROGRAMS, Target, freeze
from sandbox import clean_env

STALE = 11 * 60  # seconds: older than the bootloader's ten minutes


def _start(binary: Path, cache: Path, home: Path) -> subprocess.Popen:
    env = clean_env(str(home), {"FREEZER_CACHE_DIR": str(cache)})
    return subprocess.Popen([str(binary)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def _check_cache(cache: Path) -> list[Path]:
    """Every library at its final name hashes to its directory's name; return temp files."""
    for library in (cache / "native").glob("*/*"):
        if library.suffix == ".ok" or library.name.startswith(".freezer-tmp-"):
            continue
        assert hashlib.sha256(library.read_bytes()).hexdigest() == library.parent.name, library
    return sorted(p for p in cache.rglob(".freezer-tmp-*"))


def test_killed_first_starts_never_poison_the_cache(newest_target: Target,
                                                    tmp_path: Path) -> None:
    binary = freeze(PROGRAMS / "crypto", newest_target)
    home = tmp_path / "home"
    home.mkdir()
    expected = None
    rng = random.Random(1234)
    for round_ in range(6):
        cache = tmp_path / f"cache{round_}"
        started = [_start(binary, cache, home) for _ in range(4)]
        time.sleep(rng.uniform(0.0, 0.08))
        for i, proc in enumerate(started):
            proc.send_signal(signal.SIGKILL if i % 2 == 0 else signal.SIGTERM)
        for proc in started:
            proc.communicate(timeout=60)
        leftovers = _check_cache(cache)
        for path in leftovers:
            os.utime(path, (time.time() - STALE, time.time() - STALE))
        # A copy is a new file: its first start sweeps what killed first starts left.
        copy = tmp_path / f"copy{round_}"
        shutil.copyfile(binary, copy)
        copy.chmod(0o755)
        done = subprocess.run([str(copy)], capture_output=True, timeout=60,
                              env=clean_env(str(home), {"FREEZER_CACHE_DIR": str(cache)}))
        assert done.returncode == 0, done
        if expected is None:
            expected = done.stdout
        assert done.stdout == expected and done.stderr == b"", done
        assert _check_cache(cache) == [], "temp files of killed starts left behind"


def test_racing_first_starts_agree(newest_target: Target, tmp_path: Path) -> None:
    """Eight first starts at once on one empty cache: all correct, the cache whole."""
    binary = freeze(PROGRAMS / "crypto", newest_target)
    home = tmp_path / "home"
    home.mkdir()
    cache = tmp_path / "cache"
    started = [_start(binary, cache, home) for _ in range(8)]
    results = [proc.communicate(timeout=120) + (proc.returncode,) for proc in started]
    assert len(set(results)) == 1 and results[0][2] == 0, results[0]
    assert _check_cache(cache) == []
