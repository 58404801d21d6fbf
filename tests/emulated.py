"""Runtime roots for cross builds, and runs of their programs under user-mode qemu.

A root is made once per (platform, CPython, requirements, maker's source) by
`python -m freezer.target_root` and kept in the test cache. A frozen binary for the target then
runs in a bubblewrap sandbox whose only files are the target's glibc core (copied out of the
root) and a static qemu: nothing of this machine, and nothing else of the root, is reachable.
The reference is the root's own python, run under qemu with the root as its prefix.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO, _locked, freezer_env
from tests.sandbox import GLIBC_CORE, SANDBOX_HOME, Completed, bwrap_path, clean_env

ROOTS = Path.home() / ".cache" / "freezer-tests" / "roots"
# The loader's name differs by machine; the rest of glibc's core is named alike.
LOADERS = {"aarch64": "ld-linux-aarch64.so.1", "x86_64": "ld-linux-x86-64.so.2"}
MULTIARCH = {"aarch64": "aarch64-linux-gnu", "x86_64": "x86_64-linux-gnu"}


def missing(tools: list[str], needs_root: bool = False) -> str | None:
    """What keeps these tests from running here (a tool not installed, or not running as
    root for debootstrap), or None."""
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if needs_root and os.geteuid() != 0:
        return "debootstrap needs root"
    return None


def emulator(machine: str) -> str | None:
    """The static qemu for `machine`: static, so that it needs no library in the sandbox."""
    return shutil.which(f"qemu-{machine}-static")


def make_root(platform: str, minor: int, requirements: list[str]) -> Path:
    """A runtime root from Debian's packages, with `requirements` as its wheels (cached)."""
    digest = hashlib.sha256()
    for part in (platform, str(minor), *requirements,
                 (REPO / "freezer" / "target_root.py").read_text(encoding="utf-8")):
        digest.update(part.encode() + b"\0")

    def make(root: Path) -> None:
        made = subprocess.run([sys.executable, "-m", "freezer.target_root", str(root),
                               "--target", platform, "--python", f"3.{minor}", *requirements],
                              capture_output=True, text=True, env=freezer_env(), timeout=900)
        if made.returncode != 0:
            raise RuntimeError(f"making the root failed:\n{made.stdout}\n{made.stderr}")

    return _cached_root(f"{platform}-3.{minor}-{digest.hexdigest()[:16]}", make)


def _cached_root(name: str, make: Callable[[Path], None]) -> Path:
    """ROOTS/name, made by `make` once: under a lock (xdist workers share the cache), and
    marked complete only once made, so a run killed half-way makes it again."""
    root = ROOTS / name
    done = root / ".complete"
    if done.exists():
        return root
    with _locked(ROOTS / f"{name}.lock"):
        if done.exists():
            return root
        shutil.rmtree(root, ignore_errors=True)
        make(root)
        done.touch()
    return root


def glibc_only(root: Path, machine: str) -> Path:
    """A directory tree holding only the target's glibc core, from the root (cached)."""
    lib = root / ".glibc-only" / "lib"
    if (lib / LOADERS[machine]).exists():
        return lib
    with _locked(root / ".glibc-only.lock"):
        multiarch = lib / MULTIARCH[machine]
        multiarch.mkdir(parents=True, exist_ok=True)
        for name in (set(GLIBC_CORE) - set(LOADERS.values())) | {LOADERS[machine]}:
            for base in (root / "lib" / MULTIARCH[machine], root / "usr" / "lib" /
                         MULTIARCH[machine]):
                if (base / name).exists():
                    shutil.copy2(os.path.realpath(base / name), multiarch / name)
                    break
        (lib / LOADERS[machine]).symlink_to(f"{MULTIARCH[machine]}/{LOADERS[machine]}")
    return lib


def run_emulated(binary: Path, lib: Path, machine: str, args: list[str] = (),
                 timeout: float = 300) -> Completed:
    """Run `binary` at /app/<name> in a sandbox of the target's glibc core and qemu alone."""
    qemu = emulator(machine)
    assert qemu and bwrap_path(), "qemu-user-static and bubblewrap are needed"
    argv = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session",
            "--ro-bind", str(lib), "/lib", "--ro-bind", qemu, "/qemu",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", SANDBOX_HOME,
            "--ro-bind", str(binary), f"/app/{binary.name}", "--chdir", "/app",
            "/qemu", f"/app/{binary.name}", *args]
    done = subprocess.run(argv, capture_output=True, env=clean_env(SANDBOX_HOME),
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return Completed(argv, done.returncode, done.stdout, done.stderr, "/app")


def run_target_python(root: Path, machine: str, script: Path, args: list[str] = (),
                      timeout: float = 300) -> Completed:
    """The root's own python running `script` under qemu, from a copy of it in /tmp."""
    python = next(p for p in sorted((root / "usr" / "bin").glob("python3.*"))
                  if p.name[8:].isdigit())
    with tempfile.TemporaryDirectory(prefix="target-python-") as work:
        copy = Path(work) / script.name
        shutil.copy2(script, copy)
        argv = [emulator(machine) or f"qemu-{machine}", "-L", str(root), str(python),
                copy.name, *args]
        done = subprocess.run(argv, capture_output=True, cwd=work, timeout=timeout,
                              env=clean_env(work), stdin=subprocess.DEVNULL)
    return Completed(argv, done.returncode, done.stdout, done.stderr, work)


def debootstrap_root(suite: str, packages: list[str]) -> Path:
    """A minimal Debian `suite` system with `packages`, its links made relative (cached)."""
    digest = hashlib.sha256("\0".join([suite, *packages]).encode()).hexdigest()[:16]

    def make(root: Path) -> None:
        made = subprocess.run(["debootstrap", "--no-merged-usr", "--variant=minbase",
                               f"--include={','.join(packages)}", suite, str(root)],
                              capture_output=True, text=True, timeout=1200)
        if made.returncode != 0:
            raise RuntimeError(f"debootstrap failed:\n{made.stdout[-3000:]}\n{made.stderr}")
        relinked = subprocess.run([sys.executable, "-m", "freezer.target_root", "--relink",
                                   str(root)], capture_output=True, text=True,
                                  env=freezer_env())
        if relinked.returncode != 0:
            raise RuntimeError(f"relinking failed: {relinked.stderr}")

    return _cached_root(f"debian-{suite}-{digest}", make)


def run_in_chroot(root: Path, program: Path, args: list[str] = (),
                  timeout: float = 120) -> Completed:
    """Run `program` (a file of this machine) as /app/<name> inside `root`, a whole system."""
    argv = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session",
            "--ro-bind", str(root), "/", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp", "--tmpfs", SANDBOX_HOME,
            "--ro-bind", str(program.parent), "/app", "--chdir", "/app", *args]
    done = subprocess.run(argv, capture_output=True, env=clean_env(SANDBOX_HOME),
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return Completed(argv, done.returncode, done.stdout, done.stderr, "/app")
