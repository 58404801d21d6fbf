"""gdb can run a frozen program, whether its libraries come from the cache or from memfds:
they are loaded as /proc/<pid>/fd/N, a name that means the same file to the debugger (as
/proc/self/fd/N, gdb opened its own descriptor N and hung)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import PROGRAMS, Target, freeze
from sandbox import clean_env


@pytest.mark.parametrize("where", ["cache", "memfd"])
def test_gdb_runs_the_program(newest_target: Target, tmp_path: Path, where: str) -> None:
    gdb = shutil.which("gdb")
    assert gdb, "gdb is not installed (.ci/run installs it)"
    binary = freeze(PROGRAMS / "argv_exit", newest_target)
    cache = tmp_path / "cache" if where == "cache" else Path("/proc/no-cache")
    env = clean_env(str(tmp_path), {"FREEZER_CACHE_DIR": str(cache)})
    # Stopped as it exits, when every library is loaded; their list names libpython.
    command = [gdb, "-nx", "-batch", "-ex", "catch syscall exit_group", "-ex", "run",
               "-ex", "info sharedlibrary", "-ex", "kill", "--args", str(binary), "one"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    # Read by gdb ("Yes"): libpython, through the process's own descriptor (libgcc_s is this
    # machine's own where it has one: plan.gcc_s_is_fallback).
    loaded = re.findall(r"\sYes(?: \(\*\))?\s+/proc/\d+/fd/\d+$", done.stdout, re.M)
    assert len(loaded) >= 1, done.stdout
    assert "/proc/self/fd/" not in done.stdout, done.stdout
