"""Cross-build rows of the benchmark: linux-aarch64 binaries built on this x86_64 machine.

For each program: the build time (cold: an empty freezer cache; warm: the same build again)
and the size of the native build from the benchmark's interpreter and of the aarch64 build
from a runtime root of Debian's arm64 packages (made once by `python -m freezer.target_root`,
with the program's wheels for aarch64). Start-up is not compared: under qemu it measures the
emulator. Each aarch64 binary is run once under qemu so that a broken build is not a row.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
# (name, script, wheels for the root): the benchmark's own programs.
PROGRAMS = [("hello", "hello/hello.py", []),
            ("numpy", "numpy_stats/numpy_stats.py", ["numpy==2.4.6"])]
ROOTS = Path.home() / ".cache" / "freezer-bench" / "roots"


def _freeze(args: list[str], cwd: Path, cache: Path) -> float:
    """One build, in seconds; an error names the build."""
    env = {**os.environ, "FREEZER_CACHE_DIR": str(cache),
           "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "freezer", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"freeze {' '.join(args)}: {done.stderr.strip()[-300:]}")
    return took


def _root(minor: int, wheels: list[str]) -> Path:
    root = ROOTS / f"arm64-3.{minor}-{'-'.join(w.replace('==', '') for w in wheels) or 'base'}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "freezer.target_root", str(root), "--target",
                        "linux-aarch64", "--python", f"3.{minor}", *wheels], check=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
        (root / ".complete").touch()
    return root


def _qemu_runs(binary: Path, root: Path) -> bool:
    qemu = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")
    done = subprocess.run([qemu, "-L", str(root), str(binary)], capture_output=True,
                          timeout=600, cwd=binary.parent)
    return done.returncode == 0


def cross_lines(python: str, minor: int) -> list[str]:
    """The markdown section: one row per program and platform."""
    if not (shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")):
        return ["Cross builds left out: qemu-user is not installed."]
    out = ["| program | platform | build cold (s) | build warm (s) | size (MB) |",
           "| --- | --- | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory(prefix="freezer-bench-cross-") as name:
        work = Path(name)
        for program, script, wheels in PROGRAMS:
            src = HERE / "programs" / script
            root = _root(minor, wheels)
            venv_python = python
            if wheels:  # the native build needs the same wheels, for this machine
                venv = work / f"venv-{program}"
                subprocess.run([python, "-m", "venv", str(venv)], check=True)
                subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                                *wheels], check=True)
                venv_python = str(venv / "bin" / "python")
            builds = {"linux-x86_64": ["--python", venv_python],
                      "linux-aarch64": ["--target", "linux-aarch64", "--target-root",
                                        str(root)]}
            for platform, extra in builds.items():
                cache = work / f"cache-{program}-{platform}"
                binary = work / f"{program}-{platform}"
                args = [src.name, *extra, "-o", str(binary)]
                cold = _freeze(args, src.parent, cache)
                warm = _freeze(args, src.parent, cache)
                size = binary.stat().st_size / 1e6
                note = ""
                if platform == "linux-aarch64" and not _qemu_runs(binary, root):
                    note = " (does not run under qemu)"
                out.append(f"| {program} | {platform}{note} | {cold:.1f} | {warm:.1f} | "
                           f"{size:.1f} |")
    return out
