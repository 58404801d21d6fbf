"""A program keeps importing from the file it was started from when that file is replaced
(an upgrade while it runs) or deleted: its reads go through the descriptor the bootloader
holds, not the path. Run outside the sandbox, which binds the binary by inode and so could
not show a replacement."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import PROGRAMS, Target, freeze
from sandbox import clean_env, run_plain

PROGRAM = PROGRAMS / "replaced"


@pytest.mark.parametrize("how", ["replaced", "deleted", "overwritten-copy"])
def test_imports_after_the_binary_changed(target: Target, tmp_path: Path, how: str) -> None:
    binary = freeze(PROGRAM, target)
    other = freeze(PROGRAMS / "hello", target)
    plain = run_plain(target.path, ["app.py"], program_dir=PROGRAM, stdin=b"go\n",
                      workdir=tmp_path / "plain")
    assert plain.returncode == 0, plain.describe()
    where = tmp_path / "bin"
    where.mkdir()
    running = where / "app"
    shutil.copyfile(binary, running)
    running.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.Popen([str(running)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=clean_env(str(home)), cwd=where)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        if how == "replaced":
            shutil.copyfile(other, where / "new")
            os.replace(where / "new", running)
        elif how == "deleted":
            running.unlink()
        else:  # a new file at the same path, written in place after the old was removed
            running.unlink()
            shutil.copyfile(other, running)
        out, err = proc.communicate(b"go\n", timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert (proc.returncode, err.decode(), b"ready\n" + out) == (
        plain.returncode, plain.err, plain.stdout)
