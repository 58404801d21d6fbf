"""The C toolchain that builds bootloaders: zig (from pip, the default) or the system's cc.

Why zig by default: it is a whole C toolchain for every target in one wheel, with glibc stubs
of any version, so a bootloader can be built on a machine without gcc, libc headers or
libzstd-dev, for linux-x86_64 and linux-aarch64 alike, against glibc 2.17 (the result runs on
any distribution of the last decade, whatever the build machine's glibc). Why cc is kept:
someone may prefer their distribution's compiler, or have no way to fetch the zstd sources;
``FREEZER_TOOLCHAIN=cc`` selects it (with ``$CC`` as before), for this machine's architecture
only, against this machine's glibc and its libzstd.a (libzstd-dev).

With zig, the bootloader's zstd decompressor is built here from the sources of the ``zstd``
sdist (its ``zstd/lib/common`` and ``zstd/lib/decompress``): fetched once with ``pip
download`` into the build cache, checked against the pinned SHA-256, and compiled into a
decompressor-only libzstd.a per target, cached by everything that goes into it.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from freezer import build_cache

__all__ = ["GLIBC_FLOOR", "TARGETS", "Toolchain", "ToolchainError", "host_target",
           "select"]

# freezer's target names -> the CPU architecture in zig's triples and in `uname -m`.
TARGETS = {"linux-x86_64": "x86_64", "linux-aarch64": "aarch64", "windows-x86_64": "x86_64"}
# The oldest glibc a zig-built bootloader runs on (boot.c calls newer functions as raw
# system calls); CentOS 7 and Debian 8 have 2.17 and 2.19.
GLIBC_FLOOR = "2.17"
# The zstd sources: the sdist of the `zstd` package, pinned by version and SHA-256 (its
# bundled libzstd is the upstream release of the same number).
ZSTD_SDIST = ("zstd", "1.5.7.2",
              "6d8684c69009be49e1b18ec251a5eb0d7e24f93624990a8a124a1da66a92fc8a")
# -g0: zig emits debug info by default, and it names the (temporary) build directory.
ZSTD_CFLAGS = ["-O2", "-g0", "-fPIE", "-ffunction-sections", "-fdata-sections",
               "-DZSTD_LEGACY_SUPPORT=0", "-DZSTD_MULTITHREAD=0", "-DXXH_NAMESPACE=ZSTD_"]
ZSTD_HEADERS = ("zstd.h", "zstd_errors.h")
ENV = "FREEZER_TOOLCHAIN"


class ToolchainError(Exception):
    """No usable toolchain or zstd library; the message is one line saying what to do."""


def host_target() -> str:
    """freezer's name for this machine's platform (only Linux is a target)."""
    machine = platform.machine()
    for name, arch in TARGETS.items():
        if arch == machine:
            return name
    return f"linux-{machine}"


@dataclass(frozen=True)
class Toolchain:
    """A compiler command for one target and how to get its libzstd.a.

    ``identity`` is what the bootloader's cache key records of the toolchain: a different
    compiler or version must never reuse a bootloader built by another.
    """

    kind: str  # "zig" or "cc"
    target: str  # e.g. "linux-aarch64"
    cc: tuple[str, ...]  # the command, ready to take compiler arguments
    identity: str

    @property
    def windows(self) -> bool:
        return self.target.startswith("windows-")

    def target_flags(self) -> list[str]:
        if self.kind == "zig" and self.windows:
            # mingw-w64's headers and import libraries, linked against the UCRT that every
            # Windows 10 has (and python.org's CPython uses): nothing else to install.
            return ["-target", f"{TARGETS[self.target]}-windows-gnu"]
        if self.kind == "zig":
            return ["-target", f"{TARGETS[self.target]}-linux-gnu.{GLIBC_FLOOR}"]
        return []

    def run_env(self, cache_root: Path) -> dict[str, str]:
        """zig keeps its own cache (glibc stubs, compiled objects) under freezer's, not in
        ~/.cache/zig: one place to clear, with freezer's permissions, and no write outside
        FREEZER_CACHE_DIR (a read-only home still builds).  An explicit
        ZIG_GLOBAL_CACHE_DIR is respected (the test suite shares one between its caches)."""
        env = dict(os.environ)
        if self.kind == "zig":
            d = env.get("ZIG_GLOBAL_CACHE_DIR") or str(build_cache.build_dir(cache_root,
                                                                              "zig-cache"))
            env.update(ZIG_GLOBAL_CACHE_DIR=d, ZIG_LOCAL_CACHE_DIR=d)
        return env


def select(target: str | None = None, kind: str | None = None) -> Toolchain:
    """The toolchain to build for `target` (default: this machine): ``kind``, else
    ``$FREEZER_TOOLCHAIN``, else zig."""
    target = target or host_target()
    if target not in TARGETS:
        raise ToolchainError(f"unknown target {target}: expected one of "
                             f"{', '.join(TARGETS)}")
    kind = kind or os.environ.get(ENV) or "zig"
    if kind == "zig":
        return _zig(target)
    if kind == "cc":
        if target != host_target():
            raise ToolchainError(f"{ENV}=cc builds for this machine ({host_target()}) only, "
                                 f"not {target}: use the zig toolchain (unset {ENV})")
        return _cc(target)
    raise ToolchainError(f"{ENV}={kind}: expected zig or cc")


def _zig(target: str) -> Toolchain:
    try:
        import ziglang
        version = metadata.version("ziglang")
    except (ImportError, metadata.PackageNotFoundError):
        raise ToolchainError(
            f"the zig toolchain is not installed for {sys.executable}: pip install ziglang "
            f"(a dependency of freezer), or set {ENV}=cc to use the system's C compiler"
        ) from None
    where = os.path.dirname(ziglang.__file__)
    return Toolchain("zig", target, (sys.executable, "-m", "ziglang", "cc"),
                     f"zig {version} {where}")


def _cc(target: str) -> Toolchain:
    """``$CC`` (which may carry words, e.g. "ccache gcc") or cc, resolved to an absolute path
    so that the cache key changes when a different compiler would be used."""
    words = shlex.split(os.environ.get("CC") or "cc")
    found = shutil.which(words[0]) if words else None
    if not found:
        name = words[0] if words else "$CC"
        raise ToolchainError(
            f"no C compiler found ({name}): install gcc (e.g. apt-get install gcc), set CC, "
            f"or unset {ENV} to use zig"
        )
    cmd = (found, *words[1:])
    # Its version too: an upgraded compiler at the same path builds the bootloader again.
    try:
        version = subprocess.run([*cmd, "--version"], capture_output=True, text=True,
                                 errors="replace", stdin=subprocess.DEVNULL).stdout
    except OSError:
        version = ""
    return Toolchain("cc", target, cmd, f"{shlex.join(cmd)}\0{version.partition(chr(10))[0]}")


# --- libzstd --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Zstd:
    """A static decompressor library and the directory of its headers."""

    library: Path
    include: Path
    identity: str  # for the bootloader's cache key


def libzstd(tc: Toolchain, cache_root: Path) -> Zstd:
    """The libzstd.a the bootloader links, for `tc`'s target."""
    if tc.kind == "cc":
        return _system_libzstd(tc)
    return _built_libzstd(tc, cache_root)


def _system_libzstd(tc: Toolchain) -> Zstd:
    """libzstd.a as the compiler finds it (Debian: libzstd-dev), with the system's zstd.h.

    ``-print-file-name`` answers with the bare name when the library is not on the
    compiler's search path, so that is the "not installed" case.
    """
    try:
        out = subprocess.run([*tc.cc, "-print-file-name=libzstd.a"], capture_output=True,
                             text=True, check=False).stdout.strip()
    except OSError:
        out = ""
    if not os.path.isabs(out) or not os.path.isfile(out):
        raise ToolchainError(
            "no static zstd library (libzstd.a) for the bootloader: install libzstd-dev "
            f"(e.g. apt-get install libzstd-dev), or unset {ENV} to use zig"
        )
    st = os.stat(out)
    # Its identity is enough (hashing 1 MB on every freeze would cost more than the rest).
    return Zstd(Path(out), Path(), f"{out}\0{st.st_size}\0{st.st_mtime_ns}")


def zstd_sdist(cache_root: Path) -> Path:
    """The pinned zstd sdist, from the build cache or fetched once with ``pip download``.

    Fetched by the interpreter running freezer, through its pip and pip's configuration
    (index, proxy, certificates), so it comes from wherever that pip installs from. Checked
    against the pinned SHA-256 on every use (build_cache's record beside it).
    """
    name, version, sha256 = ZSTD_SDIST
    out = build_cache.build_dir(cache_root, "sdist") / f"{name}-{version}.tar.gz"
    if build_cache.check(out, sha256):
        return out
    with tempfile.TemporaryDirectory(prefix="freezer-sdist-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
               "--no-deps", "--dest", tmp, f"{name}=={version}"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                  stdin=subprocess.DEVNULL, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolchainError(f"cannot run pip to fetch the zstd sources ({exc})") from None
        files = sorted(Path(tmp).glob(f"{name}-{version}.tar.gz"))
        if proc.returncode != 0 or not files:
            why = _last_line(proc.stderr) or "no file"
            raise ToolchainError(
                f"cannot fetch the zstd sources {name}=={version} with pip download ({why}): "
                f"check the network or pip's index settings, or set {ENV}=cc with libzstd-dev"
            )
        data = files[0].read_bytes()
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise ToolchainError(f"the zstd sources {name}=={version} have SHA-256 {got}, "
                             f"not the pinned {sha256}: refusing them")
    build_cache.save(out, data)
    return out


def _sources(sdist: Path) -> dict[str, bytes]:
    """The decompressor's sources and headers from the sdist: relative path -> bytes."""
    keep: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(sdist.read_bytes()), mode="r:gz") as tar:
        for m in tar.getmembers():
            parts = m.name.split("/")
            if not m.isfile() or len(parts) < 4 or parts[1:3] != ["zstd", "lib"]:
                continue
            rel = "/".join(parts[3:])
            if rel in ZSTD_HEADERS or (len(parts) == 5 and parts[3] in ("common",
                                                                         "decompress")):
                f = tar.extractfile(m)
                if f is not None:
                    keep[rel] = f.read()
    return keep


def _compiled_units(sources: dict[str, bytes], arch: str) -> list[str]:
    units = sorted(p for p in sources if p.endswith(".c"))
    # The x86_64 Huffman decoder's assembly loop (zstd builds it only there, and not for
    # Windows, where its source assembles to nothing).
    if arch == "x86_64" and "decompress/huf_decompress_amd64.S" in sources:
        units.append("decompress/huf_decompress_amd64.S")
    return units


def _built_libzstd(tc: Toolchain, cache_root: Path) -> Zstd:
    """A decompressor-only libzstd.a for `tc`'s target, built from the sdist (3-10 s, once per
    target and toolchain), with zstd.h beside it."""
    sdist = zstd_sdist(cache_root)
    h = hashlib.sha256()
    for part in (ZSTD_SDIST[2], tc.identity, shlex.join(tc.target_flags()),
                 shlex.join(ZSTD_CFLAGS)):
        h.update(len(part).to_bytes(8, "little") + part.encode())
    key = h.hexdigest()
    out_dir = build_cache.build_dir(cache_root, "libzstd", key)
    lib = out_dir / "libzstd.a"
    identity = f"libzstd {key}"
    if build_cache.check(lib) and all(build_cache.check(out_dir / n) for n in ZSTD_HEADERS):
        return Zstd(lib, out_dir, identity)
    sources = _sources(sdist)
    units = _compiled_units(sources, TARGETS[tc.target])
    if not units or any(n not in sources for n in ZSTD_HEADERS):
        raise ToolchainError(f"{sdist}: not the zstd sources expected (no zstd/lib)")
    env = tc.run_env(cache_root)
    with tempfile.TemporaryDirectory(prefix="freezer-zstd-") as tmp:
        src = Path(tmp, "lib")
        for rel, data in sources.items():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_bytes(data)

        # Relative paths from the temporary directory: the objects name their source file,
        # and the same inputs must give the same library wherever it is built.
        def compile_one(rel: str) -> str:
            obj = rel.replace("/", "_") + ".o"
            cmd = [*tc.cc, *tc.target_flags(), *ZSTD_CFLAGS, "-c", f"lib/{rel}", "-o", obj]
            _run(cmd, env, f"compiling zstd's {rel} for {tc.target}", cwd=tmp)
            return obj

        with ThreadPoolExecutor(max(1, min(len(units), os.cpu_count() or 1))) as pool:
            objects = list(pool.map(compile_one, units))
        archive = Path(tmp, "libzstd.a")
        ar = [sys.executable, "-m", "ziglang", "ar"]
        _run([*ar, "rcs", "libzstd.a", *objects], env, "archiving libzstd.a", cwd=tmp)
        for n in ZSTD_HEADERS:
            build_cache.save(out_dir / n, sources[n])
        build_cache.save(lib, archive.read_bytes())
    return Zstd(lib, out_dir, identity)


def _run(cmd: list[str], env: dict[str, str], what: str, cwd: str | None = None) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env,
                              stdin=subprocess.DEVNULL, cwd=cwd)
    except OSError as exc:
        raise ToolchainError(f"{what}: cannot run {cmd[0]} ({exc.strerror})") from None
    if proc.returncode != 0:
        raise ToolchainError(f"{what} failed ({first_error(proc.stderr)})")


def first_error(stderr: str) -> str:
    """The compiler's first diagnostic line, so a one-line message says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error" in line:
            return line
    return lines[0] if lines else "no output"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("WARNING: Location")]
    return lines[-1] if lines else ""
