"""Which shared libraries a native file needs, found the way the dynamic linker would.

The frozen program must carry every library its libpython and extension modules load, except
the glibc core, which every Linux machine has and which must match the machine's kernel
interface. Libraries are found from each file's DT_NEEDED, through its RPATH/RUNPATH, the
target's LIBDIR and the system's linker cache, and returned in an order where each library
comes after the ones it needs (glibc then satisfies a later DT_NEEDED by the soname of the
copy already loaded from memory, never from the disk).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
from dataclasses import asdict, dataclass

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

from freezer import build_cache
from freezer.errors import FreezeError
from freezer.platforms import LINUX

# Present on every glibc system, tied to the running kernel and loader: never bundled.
# glibc's other libraries too (libresolv, which krb5 links, and the rest): they come with
# every glibc, and a copy of the build machine's calls into its own libc by GLIBC_PRIVATE
# symbols that no other glibc release has (and Debian 12's needs 2.36's DT_RELR support).
GLIBC_CORE = frozenset({
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
    "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld-linux.so.2", "ld-linux-armhf.so.3",
    "libresolv.so.2", "libanl.so.1", "libnsl.so.1", "libBrokenLocale.so.1",
    "libthread_db.so.1", "libmvec.so.1", "libc_malloc_debug.so.0",
})


@dataclass(frozen=True)
class ElfInfo:
    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]  # DT_RPATH directories, $ORIGIN expanded
    runpath: tuple[str, ...]  # DT_RUNPATH directories, $ORIGIN expanded
    # (library, version) of every symbol version the file needs (.gnu.version_r), e.g.
    # ("libc.so.6", "GLIBC_2.34"): the oldest C library it can be loaded with (glibc.py).
    verneed: tuple[tuple[str, str], ...] = ()

    @property
    def search(self) -> tuple[str, ...]:
        """This object's own run path directories, in the order ld.so tries them."""
        return self.runpath or self.rpath

    def search_with(self, inherited: tuple[str, ...]) -> tuple[str, ...]:
        """Where ld.so looks for this object's DT_NEEDED: its DT_RUNPATH alone if it has one;
        otherwise its DT_RPATH, then the DT_RPATH of each object that loaded it (auditwheel
        sets DT_RPATH on an extension, and its vendored libgfortran finds libquadmath
        through it)."""
        return self.runpath if self.runpath else self.rpath + inherited

    def passes_on(self, inherited: tuple[str, ...]) -> tuple[str, ...]:
        """The DT_RPATH chain that the objects this one loads inherit."""
        return inherited if self.runpath else self.rpath + inherited


# Bumped when what read_elf records changes, so older cache entries are no longer asked for.
_ELF_CACHE_VERSION = "2"  # 2: verneed


@functools.cache
def read_elf(path: str) -> ElfInfo:
    """The file's dynamic section, from the build cache when this file was read before.

    pyelftools takes ~25 ms a file, and a hello world's stdlib has ~90 native files: most
    of a warm build (1.7 s) was spent here. The key is the file's identity (real path, inode,
    size, mtime), as for stripped copies (plan.NativeStore); the record is held to
    build_cache's rules, since it decides what gets bundled."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError as e:
        raise FreezeError(f"{path}: not a readable ELF shared object ({e})") from None
    ident = f"{_ELF_CACHE_VERSION}\0{real}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}"
    key = hashlib.sha256(ident.encode()).hexdigest()[:32]
    from freezer.bootloader import BootloaderError, cache_root

    record = None
    try:
        record = build_cache.build_dir(cache_root(), "elf", key[:2]) / f"{key}.json"
        data = build_cache.load(record)
        if data is not None:
            fields = json.loads(data)
            verneed = tuple((str(lib), str(version)) for lib, version in fields["verneed"])
            return ElfInfo(fields["soname"], *(tuple(fields[k]) for k in
                                               ("needed", "rpath", "runpath")), verneed)
    except (FreezeError, BootloaderError, OSError, ValueError, KeyError, TypeError):
        pass  # no usable cache: read the file
    info = _parse_elf(path)
    if record is not None:
        try:
            build_cache.save(record, json.dumps(asdict(info)).encode())
        except OSError:
            pass
    return info


def _parse_elf(path: str) -> ElfInfo:
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            soname, needed, rpath, runpath = None, [], [], []
            verneed: list[tuple[str, str]] = []
            for section in elf.iter_sections():
                if isinstance(section, GNUVerNeedSection):
                    for library, versions in section.iter_versions():
                        verneed.extend((library.name, v.name) for v in versions)
                if not isinstance(section, DynamicSection):
                    continue
                for tag in section.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(tag.needed)
                    elif tag.entry.d_tag == "DT_SONAME":
                        soname = tag.soname
                    elif tag.entry.d_tag in ("DT_RPATH", "DT_RUNPATH"):
                        is_rpath = tag.entry.d_tag == "DT_RPATH"
                        raw = tag.rpath if is_rpath else tag.runpath
                        origin = os.path.dirname(os.path.realpath(path))
                        for d in raw.split(":"):
                            (rpath if is_rpath else runpath).append(
                                d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin))
    except (ELFError, OSError) as e:
        raise FreezeError(f"{path}: not a readable ELF shared object ({e})") from None
    return ElfInfo(soname, tuple(needed), tuple(rpath), tuple(runpath), tuple(verneed))


@functools.lru_cache(maxsize=1)
def _linker_cache() -> dict[str, str]:
    """soname -> path from the system linker cache (`ldconfig -p`), x86-64 entries first."""
    found: dict[str, str] = {}
    for exe in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            out = subprocess.run([exe, "-p"], capture_output=True, text=True, check=True).stdout
            break
        except (OSError, subprocess.CalledProcessError):
            continue
    else:
        return found
    for line in out.splitlines()[1:]:
        name, _, rest = line.strip().partition(" (")
        flags, _, path = rest.partition(") => ")
        if path and name not in found and ("x86-64" in flags or "64bit" in flags
                                           or os.uname().machine not in ("x86_64",)):
            found[name] = path
    return found


def in_root(directory: str, sysroot: str) -> str:
    """A directory the target's dynamic linker would search, as a path here: inside the
    runtime root for a build from one (an absolute RPATH names the target's filesystem)."""
    if not sysroot or not os.path.isabs(directory) or directory == sysroot \
            or directory.startswith(sysroot.rstrip("/") + "/"):
        return directory
    return os.path.join(sysroot, directory.lstrip("/"))


def system_dirs(target: dict) -> tuple[tuple[str, ...], str]:
    """(directories searched after a file's own RPATH/RUNPATH, runtime root or "") of the
    target interpreter's build: its LIBDIR, and for a root the target's default library
    directories inside it (this machine's linker cache then says nothing about the target)."""
    root = target.get("root", "")
    dirs = tuple(in_root(d, root) for d in (target.get("libdir"),) if d)
    if root:
        dirs += LINUX[target["platform"]].library_dirs(root)
    return dirs, root


def find_library(soname: str, search: tuple[str, ...], extra_dirs: tuple[str, ...],
                 sysroot: str = "") -> str | None:
    """The file the dynamic linker would load for `soname`: the searching file's own dirs,
    then `extra_dirs`, then (for this machine's own python) the system's linker cache and
    default directories."""
    for d in (*search, *extra_dirs):
        candidate = os.path.join(in_root(d, sysroot), soname)
        if os.path.isfile(candidate):
            return candidate
    if sysroot:
        return None
    path = _linker_cache().get(soname)
    if path and os.path.isfile(path):
        return path
    for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
              "/lib", "/usr/lib", "/usr/local/lib"):
        candidate = os.path.join(d, soname)
        if os.path.isfile(candidate):
            return candidate
    return None


def needed_libraries(path: str, extra_dirs: tuple[str, ...],
                     provided: frozenset[str] = frozenset(),
                     missing: list[tuple[str, str]] | None = None,
                     sysroot: str = "") -> list[tuple[str, str]]:
    """(soname, path) of every library `path` needs, transitively, dependencies first.

    `provided` are sonames loaded by other means (libpython, by the bootloader). A library
    found nowhere stops the build, unless `missing` is given: then (object, soname) is
    appended to it and the search goes on without it. That is for extension modules, which
    python cannot load either on this machine (numba's optional TBB thread pool without
    libtbb): bundled all the same, their import fails with the dynamic linker's own message,
    as it does under python, and finds the library where a machine has it.
    """
    order: list[tuple[str, str]] = []
    seen: set[str] = set()

    def visit(p: str, inherited: tuple[str, ...]) -> None:
        info = read_elf(p)
        for soname in info.needed:
            if soname in GLIBC_CORE or soname in provided or soname in seen:
                continue
            seen.add(soname)
            dep = find_library(soname, info.search_with(inherited), extra_dirs, sysroot)
            if dep is None and missing is not None:
                missing.append((p, soname))
                continue
            if dep is None:
                where = f"in the target root {sysroot}" if sysroot else "on this machine"
                raise FreezeError(
                    f"{p}: needs shared library {soname}, which is not installed {where} "
                    "(install it, or --exclude-module the module that needs it)"
                )
            visit(dep, info.passes_on(inherited))
            order.append((soname, dep))

    visit(path, ())
    return order


def needs_cycle(path: str, extra_dirs: tuple[str, ...], sysroot: str = "") -> str | None:
    """A library that `path` needs, directly or not, and that needs itself back; or None.

    Libraries loaded from memory must be loaded dependencies first, which a cycle makes
    impossible (Pillow's vendored freetype and harfbuzz need each other); such a file must be
    loaded from real files, where the dynamic linker resolves the cycle itself.
    """
    state: dict[str, int] = {}  # soname -> 1 while being visited, 2 when done

    def visit(p: str, inherited: tuple[str, ...]) -> str | None:
        info = read_elf(p)
        for soname in info.needed:
            if soname in GLIBC_CORE or state.get(soname) == 2:
                continue
            if state.get(soname) == 1:
                return soname
            dep = find_library(soname, info.search_with(inherited), extra_dirs, sysroot)
            if dep is None:
                continue  # needed_libraries reports it
            state[soname] = 1
            found = visit(dep, info.passes_on(inherited))
            if found:
                return found
            state[soname] = 2
        return None

    return visit(path, ())
