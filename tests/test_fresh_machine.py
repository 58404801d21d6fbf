"""The README's first set-up command on a fresh Debian 12 with no C compiler, no -dev package
and no Python.h: ci/fresh-debian.sh debootstraps that system (cached between runs) and runs
the command, as README.md shows it, inside it. It must install freezer, freeze the example
and run it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import REPO, require
from tests.emulated import missing

CACHE = Path.home() / ".cache" / "freezer-tests" / "fresh-debian"


def test_readme_set_up_on_a_fresh_debian_without_a_compiler() -> None:
    require(missing(["debootstrap", "bwrap", "git"], needs_root=True), "the fresh-machine test")
    done = subprocess.run(["bash", str(REPO / "ci" / "fresh-debian.sh"), str(CACHE)],
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "fresh-debian: ok" in done.stdout
    assert "Hello, world! Grüße" in done.stdout, done.stdout
