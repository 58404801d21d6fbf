"""Builds the native bootloader (boot.c) for one target CPython, and knows the cache location.

The bootloader is compiled per target CPython because ``PyConfig``'s layout differs between
versions; it is never linked against libpython (everything is resolved with ``dlsym``), so only
the headers of the target are needed.  Builds are cached by content, so a second freeze for the
same target costs nothing and needs no compiler.

libzstd is linked statically (only its decompressor ends up in the binary, some 200 KB): the
boot libraries are stored zstd-compressed (libpython shrinks from ~6 MB to ~1.6 MB), and the
frozen program must not depend on a libzstd being installed where it runs.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shlex
import shutil
import subprocess
from pathlib import Path

from freezer import build_cache

__all__ = ["BootloaderError", "bootloader_for", "cache_root"]

BOOT_C = Path(__file__).with_name("boot.c")
# -pthread: the first start hashes libpython on a second thread while it is decompressed.
CFLAGS = ["-O2", "-s", "-pthread", "-Wl,--gc-sections"]
LIBS = ["-ldl"]


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


def bootloader_for(include_dir: str, version: str, cache_root: Path,
                   toolchain: list[str] | None = None, sysroot: str = "") -> Path:
    """Return the path of a bootloader built for the CPython whose headers are in include_dir.

    ``version`` (e.g. ``"3.12"``) only names the target in messages and the cache key.  The
    result is cached under ``<cache_root>/build/bootloader/<key>/boot``, where the key covers
    everything the binary depends on: boot.c, the include directory and its pyconfig.h and
    patchlevel.h, the version and the compiler.  The cache's rules are build_cache's: a cached
    bootloader is used only if its content still has the SHA-256 recorded when it was built
    (any other is built again and replaced: it goes into every binary), and a new one is
    written to a temporary file and renamed into place, so concurrent builds are safe.
    """
    compiler = toolchain or _compiler()
    include = Path(include_dir)
    if not (include / "Python.h").is_file():
        raise BootloaderError(
            f"Python {version} headers not found in {include_dir}: install them "
            f"(e.g. apt-get install python{'.'.join(version.split('.')[:2])}-dev, or a Python "
            "built with its headers)"
        )
    libzstd = _static_libzstd(compiler, sysroot)
    key = _cache_key(include, version, compiler, libzstd)
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
        # A root's pyconfig.h dispatches to its multiarch copy under <root>/usr/include.
        roots = [f"-idirafter{sysroot}/usr/include"] if sysroot else []
        cmd = [*compiler, *CFLAGS, f"-I{include}", *roots, str(BOOT_C), "-o", tmp,
               str(libzstd), *LIBS]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        except OSError as exc:
            raise BootloaderError(
                f"cannot run the C compiler {compiler[0]} ({exc.strerror}): install gcc "
                "(e.g. apt-get install gcc) or set CC"
            ) from exc
        if proc.returncode != 0:
            raise BootloaderError(
                f"compiling the bootloader for Python {version} failed "
                f"({_first_error(proc.stderr)}): install gcc, libzstd-dev and the "
                f"Python {version} headers"
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


def _compiler() -> list[str]:
    """Return the compiler command: ``$CC`` (which may carry words, e.g. "ccache gcc") or cc.

    The program is resolved to an absolute path so that the cache key changes when a different
    compiler would be used.
    """
    words = shlex.split(os.environ.get("CC") or "cc")
    found = shutil.which(words[0]) if words else None
    if not found:
        name = words[0] if words else "$CC"
        raise BootloaderError(
            f"no C compiler found ({name}): install gcc (e.g. apt-get install gcc) or set CC"
        )
    return [found, *words[1:]]


def _static_libzstd(compiler: list[str], sysroot: str = "") -> Path:
    """Return the path of libzstd.a as the compiler would find it (Debian: libzstd-dev).

    ``-print-file-name`` answers with the bare name when the library is not on the compiler's
    search path, so that is the "not installed" case.
    """
    found = glob.glob(os.path.join(sysroot, "usr/lib/*-linux-gnu/libzstd.a")) if sysroot else []
    try:
        out = found[0] if found else subprocess.run(
            [*compiler, "-print-file-name=libzstd.a"], capture_output=True, text=True,
            check=False).stdout.strip()
    except OSError:
        out = ""
    if not os.path.isabs(out) or not os.path.isfile(out):
        raise BootloaderError(
            "no static zstd library (libzstd.a) for the bootloader: install libzstd-dev "
            "(e.g. apt-get install libzstd-dev)"
        )
    return Path(out)


def _cache_key(include: Path, version: str, compiler: list[str], libzstd: Path) -> str:
    """Hash every input that can change the built binary, each part length-prefixed."""
    h = hashlib.sha256()

    def part(data: bytes) -> None:
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)

    part(BOOT_C.read_bytes())
    part(os.fsencode(str(include)))
    part(version.encode())
    for name in ("pyconfig.h", "patchlevel.h"):
        header = include / name
        part(header.read_bytes() if header.is_file() else b"")
    part(os.fsencode(shlex.join([*compiler, *CFLAGS, *LIBS])))
    # The library goes into the binary; its identity is enough (hashing 1 MB on every freeze
    # would cost more than the rest of the key).
    st = libzstd.stat()
    part(f"{libzstd}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _first_error(stderr: str) -> str:
    """The compiler's first diagnostic line, so the one-line message says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error" in line:
            return line
    return lines[0] if lines else "no output"
