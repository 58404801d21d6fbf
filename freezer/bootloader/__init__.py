"""Builds the native bootloader (boot.c) for one target CPython and platform, and knows the
cache location.

The bootloader is compiled per target CPython because ``PyConfig``'s layout differs between
versions; it is never linked against libpython (everything is resolved with ``dlsym``), and
the layouts it needs are recorded in pylayout.h (see gen_pylayout.py), so no Python.h is
needed either.  By default it is built with zig (pip's ``ziglang``, see toolchain.py) against
glibc 2.17, for this machine or another target; builds are cached by content, so a second
freeze for the same target costs nothing.

libzstd is linked statically (only its decompressor ends up in the binary, some 200 KB): the
boot libraries are stored zstd-compressed (libpython shrinks from ~6 MB to ~1.6 MB), and the
frozen program must not depend on a libzstd being installed where it runs.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shlex
import subprocess
from pathlib import Path

from freezer import build_cache
from freezer.bootloader import toolchain
from freezer.bootloader.toolchain import TARGETS, ToolchainError, host_target

__all__ = ["TARGETS", "BootloaderError", "bootloader_for", "cache_root", "host_target"]

HERE = Path(__file__).resolve().parent
BOOT_C = HERE / "boot.c"
# Everything boot.c includes from this directory (its platform layers, compiled into it, and
# its headers): part of every bootloader's cache key.
OWN_HEADERS = (HERE / "boot_posix.c", HERE / "boot_win32.c", HERE / "pyabi.h",
               HERE / "pylayout.h")
# -pthread: the first start hashes libpython on a second thread while it is decompressed.
# -fPIE -pie: the code stays mapped for the life of the program, so it is placed at random as
# a distribution's compiler does by default (zig's default is a fixed address).
CFLAGS = ["-O2", "-s", "-pthread", "-fPIE", "-pie", "-Wl,--gc-sections"]
LIBS = ["-ldl"]
# Windows: a console program whose entry point is wmain (wide argv, as python.exe's); no
# -pthread (no second thread there), no -ldl (LoadLibraryExW is kernel32's). The PE is
# position-independent (ASLR) by default.
WIN_CFLAGS = ["-O2", "-s", "-municode", "-Wl,--gc-sections", "-Wl,--subsystem,console"]
WIN_LIBS: list[str] = []


class BootloaderError(Exception):
    """The bootloader cannot be built; the message is one line saying what to install."""


def cache_root() -> Path:
    """Return freezer's per-user cache directory (it need not exist yet).

    ``$FREEZER_CACHE_DIR``, else ``$XDG_CACHE_HOME/freezer`` (only if absolute, as the XDG spec
    says), else ``$HOME/.cache/freezer`` (the password database if ``$HOME`` is unset or empty).
    boot.c applies exactly the same rule at run time, so both sides agree on one cache: a
    relative FREEZER_CACHE_DIR or home is refused, as boot.c refuses it (it would name a
    different directory in every working directory).
    """
    env = os.environ.get("FREEZER_CACHE_DIR")
    if env:
        if not os.path.isabs(env):
            raise BootloaderError(f"FREEZER_CACHE_DIR={env} is not an absolute path")
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "freezer"
    home = os.environ.get("HOME")
    if not home:
        try:
            home = pwd.getpwuid(os.getuid()).pw_dir
        except KeyError:
            home = ""
    if not home or not os.path.isabs(home):
        raise BootloaderError("no home directory for the cache: set FREEZER_CACHE_DIR")
    return Path(home) / ".cache" / "freezer"


def supported_versions() -> list[str]:
    """The CPython versions pylayout.h has a layout for ("3.9", ...)."""
    text = (HERE / "pylayout.h").read_text()
    return [f"3.{m}" for m in re.findall(r"FREEZER_PY_MINOR == (\d+)", text)]


def bootloader_for(version: str, cache_root: Path, *, target: str | None = None,
                   toolchain_kind: str | None = None) -> Path:
    """Return the path of a bootloader for CPython `version` (``"3.12"``, ``"3.12.1"``) on
    `target`.

    ``target`` is ``"linux-x86_64"`` or ``"linux-aarch64"`` (default: this machine);
    ``toolchain_kind`` is ``"zig"`` or ``"cc"`` (default: ``$FREEZER_TOOLCHAIN``, else zig;
    cc builds for this machine only).  The result is cached under
    ``<cache_root>/build/bootloader/<key>/boot``, where the key covers everything the binary
    depends on: boot.c and its own headers, the version, the target, the toolchain (its
    kind, command and version) with its flags, and the libzstd.a linked.  The cache's rules
    are build_cache's: a cached bootloader is used only if its content still has the
    SHA-256 recorded when it was built (any other is built again and replaced: it goes into
    every binary), and a new one is written to a temporary file and renamed into place, so
    concurrent builds are safe.
    """
    minor = ".".join(version.split(".")[:2])
    if minor not in supported_versions():
        raise BootloaderError(f"no bootloader for Python {version}: freezer supports "
                              f"{', '.join(supported_versions())}")
    try:
        tc = toolchain.select(target, toolchain_kind)
        zstd = toolchain.libzstd(tc, cache_root)
    except ToolchainError as exc:
        raise BootloaderError(str(exc)) from None
    except OSError as exc:
        raise BootloaderError(
            f"cannot write to the cache {cache_root} ({exc.strerror or exc}): "
            "set FREEZER_CACHE_DIR to a writable directory"
        ) from None
    win = tc.target.startswith("windows-")
    libs = WIN_LIBS if win else LIBS
    flags = [*tc.target_flags(), *(WIN_CFLAGS if win else CFLAGS),
             f"-DFREEZER_PY_MINOR={minor.split('.')[1]}"]
    # zstd.h's directory is in the cache: its content is in zstd.identity, and the key must
    # not change with the cache's path (a moved cache still holds the same bootloaders).
    key = _cache_key(version, tc, flags, zstd.identity, libs)
    if zstd.include.parts:
        flags.append(f"-I{zstd.include}")
    out_dir = build_cache.build_dir(cache_root, "bootloader", key)
    out = out_dir / "boot"
    if build_cache.check(out):
        return out

    try:
        tmp = build_cache.new_temp(out_dir, "boot")
    except OSError as exc:
        raise BootloaderError(
            f"cannot write to the cache {cache_root} ({exc.strerror}): "
            "set FREEZER_CACHE_DIR to a writable directory"
        ) from exc
    try:
        cmd = [*tc.cc, *flags, str(BOOT_C), "-o", tmp, str(zstd.library), *libs]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                  env=tc.run_env(cache_root), stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise BootloaderError(
                f"cannot run the C compiler {tc.cc[0]} ({exc.strerror}): install gcc "
                "(e.g. apt-get install gcc) or set CC"
            ) from exc
        if proc.returncode != 0:
            hint = ("install gcc and libzstd-dev" if tc.kind == "cc"
                    else "reinstall ziglang, or report it")
            raise BootloaderError(
                f"compiling the bootloader for Python {version} on {tc.target} with "
                f"{tc.kind} failed ({toolchain.first_error(proc.stderr)}): {hint}"
            )
        # 0700 in the cache; the binaries made from it get their own mode.
        build_cache.commit(tmp, out, mode=0o700)
    except OSError as exc:
        raise BootloaderError(
            f"cannot write to the cache {cache_root} ({exc.strerror or exc}): "
            "set FREEZER_CACHE_DIR to a writable directory"
        ) from exc
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return out


def _cache_key(version: str, tc: toolchain.Toolchain, flags: list[str],
               zstd_identity: str, libs: list[str]) -> str:
    """Hash every input that can change the built binary, each part length-prefixed."""
    h = hashlib.sha256()

    def part(data: bytes) -> None:
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)

    part(BOOT_C.read_bytes())
    for header in OWN_HEADERS:
        part(header.read_bytes())
    part(version.encode())  # as given: only the minor version changes the binary, but a
    # new patch release rebuilding it once is cheap insurance
    part(tc.target.encode())
    part(f"{tc.kind}\0{tc.identity}".encode())
    part(os.fsencode(shlex.join([*tc.cc, *flags, *libs])))
    part(zstd_identity.encode())
    return h.hexdigest()
