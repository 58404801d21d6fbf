"""Analysis → bundle plan: every entry of the payload, and what the bootloader loads first.

Native files are stripped (pyenv's libpython shrinks from 23 MB to under 6 MB) through a cache
keyed by the file's identity, so a warm build does not strip again; the stripped copy is hashed
again on every build all the same (~10 ms for libpython), as what goes into the binary must be
what was recorded (see freezer/build_cache.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from freezer import build_cache, module_store, runtime_formats
from freezer.analysis import Analysis
from freezer.bootloader import zstd
from freezer.errors import FreezeError
from freezer.native_deps import (
    GLIBC_CORE,
    find_library,
    in_root,
    needed_libraries,
    needs_cycle,
    read_elf,
    system_dirs,
)

NATIVE_DIR = "__freezer__/native"
records = runtime_formats.load("manifest")  # the manifest's format: freezer/runtime/manifest.py
MANIFEST, MAIN_PYC, MAIN_PY = records.MANIFEST, records.MAIN_PYC, records.MAIN_PY
LIBGCC_S = "libgcc_s.so.1"


@dataclass
class Entry:
    name: str
    path: str | None = None  # file whose bytes become the entry
    data: bytes | None = None
    # Deflated in the zip: data files, metadata and sources, read after the runtime has made
    # zlib loadable (zipfile and zipimport inflate them); never native files the bootloader
    # reads raw. Those of an unpacked tree are inflated once, into the cache.
    deflate: bool = False
    # zlib level: 6, or 1 for large native files of trees (level 6 spent 15 s of a sympy
    # build deflating shared libraries, for a few per cent).
    level: int = 6

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        with open(self.path, "rb") as f:
            return f.read()


@dataclass
class BootLib:
    """A library the bootloader loads before Python starts (libpython last)."""

    soname: str
    entry: str
    sha256: str  # of the library itself, never of its compressed form: the cache key
    # The entry holds the library as one zstd frame (freezer/bootloader/zstd.py) of this many
    # bytes once decompressed; 0: the entry is the library as it is.
    size: int = 0


@dataclass
class BundlePlan:
    entries: dict[str, Entry] = field(default_factory=dict)
    boot: list[BootLib] = field(default_factory=list)  # load order; libpython last
    manifest: list[str] = field(default_factory=list)
    # (name, is package, pyc file) of the modules the bootloader freezes (module_store.py).
    frozen: list[tuple[str, bool, str]] = field(default_factory=list)
    # (how the summary names it, the file on this machine, loaded at start) of every native
    # file the binary may load, in load order: what sets its glibc floor (glibc.py). Not a
    # library the runtime loads only where the system has none of its own (`fallback`).
    natives: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        self.entries[entry.name] = entry


class NativeStore:
    """Stripped copies of native files, with their SHA-256, cached across builds.

    Under ``build/strip/<key>/<name>``, the SHA-256 in ``<name>.sha256`` beside it
    (build_cache's rules). A copy is used only if its bytes still hash to that record: the
    digest names the library in the boot table and the bytes go into the binary, so a copy
    that differs (planted, or damaged) is stripped again and replaced.
    """

    def __init__(self, cache_root: Path, foreign: bool = False) -> None:
        self.root = cache_root
        # This machine's binutils strip only its own architecture's files. Another's come
        # from a distribution's packages or wheels, which are stripped already.
        self.strip = None if foreign else shutil.which("strip")
        # Set once a file that would have been stripped was bundled as it is, strip being
        # missing: the build says so in one warning (libpython is then ~4 times the size),
        # where it used to go on without a word. Never for another machine's files, which
        # are not stripped on purpose.
        self.warning: str | None = None
        self._foreign = foreign
        # One build asks for the same file more than once (a tree's extension modules).
        self._done: dict[str, tuple[str, str]] = {}

    def get(self, path: str) -> tuple[str, str]:
        """(stripped copy, its SHA-256) of the native file `path`."""
        st = os.stat(path)
        strippable = _strippable(path)
        strip = self.strip if strippable else None
        if strippable and strip is None and not self._foreign:
            self.warning = ("binutils strip not found: native files are bundled unstripped, "
                            "and the output is larger (install binutils)")
        ident = f"{os.path.realpath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{strip}"
        if ident in self._done:
            return self._done[ident]
        key = hashlib.sha256(ident.encode()).hexdigest()[:32]
        out_dir = build_cache.build_dir(self.root, "strip", key)
        out = out_dir / os.path.basename(path)
        digest = build_cache.check(out)
        if digest is None:
            try:
                tmp = build_cache.new_temp(out_dir, out.name)
            except OSError as e:
                raise FreezeError(f"{out_dir}: cannot write to the cache ({e.strerror})") from None
            try:
                shutil.copyfile(path, tmp)
                if strip:
                    subprocess.run([strip, "--strip-unneeded", tmp], check=True,
                                   capture_output=True)
                digest = build_cache.commit(tmp, out)
            except (OSError, subprocess.CalledProcessError) as e:
                raise FreezeError(f"{path}: cannot prepare native file ({e})") from None
            finally:
                if os.path.lexists(tmp):
                    os.unlink(tmp)
        self._done[ident] = (str(out), digest)
        return self._done[ident]


def _strippable(path: str) -> bool:
    """Strip the interpreter's and the system's files, never a wheel's.

    Wheels come stripped already, and auditwheel rewrites their headers with patchelf in
    ways `strip` can break: numpy's vendored OpenBLAS comes out with segments that are no
    longer page-aligned, and will not load.
    """
    real = os.path.realpath(path)
    return not re.search(r"/(site|dist)-packages/|\.libs/", real)


def _ext_label(path: str, name: str) -> str:
    """An extension module as the glibc floor names it: its file, and the module, which is
    what an --exclude-module takes."""
    return f"{os.path.basename(path)} (module {name})"


def _is_elf(path: str) -> bool:
    """A vendored file that is native code (auditwheel's .libs hold only such files, but a
    distribution's other vendored files may be anything)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def libpython_path(target: dict) -> str:
    name = target["instsoname"]
    libdir = in_root(target["libdir"], target.get("root", ""))
    for d in (libdir, os.path.join(libdir, target["multiarch"])):
        if d and os.path.isfile(os.path.join(d, name)):
            return os.path.join(d, name)
    raise FreezeError(_no_libpython(target, name, libdir))


def _no_libpython(target: dict, name: str, libdir: str) -> str:
    """Why there is no libpython to bundle, and what to do.

    Debian's /usr/bin/python3.X is a shared build whose libpython is a package of its own
    (libpython3.X), not installed with python3.X: sysconfig names the shared library
    (INSTSONAME) and it is missing. "Not built with --enable-shared" sent such users off to
    build a Python they did not need. A build that is not shared names a static library.
    """
    executable = target["executable"]
    minor = ".".join(target["version"].split(".")[:2])
    if re.fullmatch(r"/usr/bin/python3(\.\d+)?", executable) and ".so" in name:
        package = f"libpython{minor}"
        where = f" into the runtime root {target['root']}" if target.get("root") else ""
        return (f"Python {target['version']} at {executable} has no {name} in {libdir}: "
                f"install {package}{where} (apt-get install {package})")
    return (f"Python {target['version']} at {executable} has no shared libpython ({name}); "
            "freezer needs a CPython built with --enable-shared")


def tree_names(archive: str, cache_tag: str, has_source: bool) -> tuple[str, str | None]:
    """(bytecode, source) paths of a module inside an unpacked tree.

    With its source, the bytecode goes where python caches it (`__pycache__/x.TAG.pyc`), so
    the path finder loads it as python loads a site-packages module: `__file__` is the .py,
    and tracebacks and `inspect` read the source. Without, it stays a sourceless `x.pyc`.
    """
    if not has_source:
        return archive, None
    folder, _, name = archive.rpartition("/")
    stem = name[:-4]
    cached = f"__pycache__/{stem}.{cache_tag}.pyc"
    return (f"{folder}/{cached}" if folder else cached), archive[:-1]


def ctypes_libraries(names: list[str], libdirs: tuple[str, ...],
                     sysroot: str = "") -> list[tuple[str, str, str]]:
    """(name as the code gives it, soname, file) of the libraries code names to ctypes that
    the target has, as python would find them: a path as it is, a file name (`libz.so.1`)
    where the dynamic linker looks, a short name (`"png"`) as ctypes.util.find_library
    resolves it. The glibc core, on every machine, and names found nowhere (python's load
    would fail as well, or the code guards it) are left out.

    `sysroot`: the target's runtime root for a cross build, where every name is looked up,
    since this machine's files and linker cache say nothing about the target's."""
    import ctypes.util

    found = []
    for name in sorted(set(names)):
        if "/" in name:
            candidate = in_root(name, sysroot)
            path = candidate if os.path.isfile(candidate) else None
        elif ".so" in name:
            path = find_library(name, (), libdirs, sysroot)
        elif sysroot:
            path = _short_name_in_root(name, libdirs)
        else:
            soname = ctypes.util.find_library(name)
            path = find_library(soname, (), libdirs) if soname else None
        if path is None:
            continue
        try:
            soname = read_elf(path).soname or os.path.basename(path)
        except FreezeError:
            continue  # not a shared object (a linker script named libc.so)
        if soname not in GLIBC_CORE:
            found.append((name, soname, path))
    return found


def _short_name_in_root(name: str, libdirs: tuple[str, ...]) -> str | None:
    """The file ctypes.util.find_library(`name`) would name on the target, looked for in
    the target root's library directories (`libdirs`, already inside it): find_library
    asks the running machine's linker cache, which is this one's, not the target's. The
    versioned file with the shortest suffix (`libpng16.so.16` over `.so.16.37.0`), as the
    linker cache lists sonames."""
    prefix = f"lib{name}.so."
    for directory in libdirs:
        try:
            files = [f for f in os.listdir(directory) if f.startswith(prefix)]
        except OSError:
            continue
        files = [f for f in files if os.path.isfile(os.path.join(directory, f))]
        if files:
            best = min(files, key=lambda f: (f.count("."), f))
            return os.path.join(directory, best)
    return None


def make_plan(analysis: Analysis, cache_root: Path,
              add_data: list[tuple[Path, str]] = (), sources: bool = True) -> BundlePlan:
    target = analysis.target
    store = NativeStore(cache_root, foreign=target["machine"] != os.uname().machine)
    plan = BundlePlan()
    libdirs, sysroot = system_dirs(target)
    libs: dict[str, str] = {}  # soname -> sha256 of every bundled shared library
    sizes: dict[str, int] = {}  # sha256 -> size of the library once decompressed

    def packed(stripped: str, digest: str) -> str:
        """A native file zstd-compressed, as the runtime unpacks it with the bootloader's
        decompressor (_freezer_boot.unpack) into the cache, once."""
        sizes[digest] = os.path.getsize(stripped)
        return zstd.compressed_copy(stripped, digest, cache_root)

    def add_native(soname: str, path: str, needed_by: str | None) -> str:
        stripped, digest = store.get(path)
        entry = f"{NATIVE_DIR}/{digest}/{soname}.zst"
        plan.add(Entry(entry, path=packed(stripped, digest)))
        libs[soname] = digest
        if needed_by is not None:
            plan.natives.append((f"{soname} (for {needed_by})", path, False))
        return entry

    libpython = libpython_path(target)
    pysoname = target["instsoname"]
    boot_deps = needed_libraries(libpython, libdirs, sysroot=sysroot)
    # glibc dlopens libgcc_s by name to unwind a thread in pthread_exit (CPython calls it when
    # a thread is ended at shutdown); not part of the glibc core, so it must come along. Where
    # no bundled file needs it, it is only a fallback: see _add_gcc_s.
    gcc_s = find_library(LIBGCC_S, (), libdirs, sysroot)

    def add_boot(soname: str, path: str, position: int) -> None:
        # Compressed: the bootloader unpacks them once into the cache and loads them from
        # there, so warm starts pay nothing for it (libpython is ~6 MB stored, ~1.6 MB packed).
        stripped, digest = store.get(path)
        entry = f"{NATIVE_DIR}/{digest}/{soname}.zst"
        plan.add(Entry(entry, path=zstd.compressed_copy(stripped, digest, cache_root)))
        libs[soname] = digest
        plan.boot.insert(position, BootLib(soname, entry, digest,
                                           size=os.path.getsize(stripped)))
        plan.natives.insert(position, (soname, path, True))

    for soname, path in [*boot_deps, (pysoname, libpython)]:
        add_boot(soname, path, len(plan.boot))
    # libgcc_s too: loaded before any extension module, from the boot table or at the
    # runtime's start (gcc_s_is_fallback).
    provided = frozenset([pysoname, *libs, LIBGCC_S])
    # (object, soname) of libraries that extension modules need and this machine lacks.
    unloadable: list[tuple[str, str]] = []
    file_bound = {d.name for d in analysis.dists if d.file_bound}
    for mod in analysis.modules:
        if mod.kind == "extension" and mod.dist and mod.dist not in file_bound \
                and needs_cycle(mod.file, libdirs, sysroot):
            file_bound.add(mod.dist)  # cannot load from memory: see needs_cycle
    trees: dict[str, list[str]] = {}  # file-bound distribution -> its entries
    # Deflate only if zipfile will find zlib: bundled, or built into the interpreter.
    deflate = any(m.name == "zlib" for m in analysis.modules) or target.get("zlib_builtin")

    tree_exts: dict[str, list[str]] = {}  # file-bound distribution -> its extension files
    stored: list[module_store.StoredModule] = []  # what goes into the module store
    boot_modules = frozenset(target.get("boot_modules") or ())
    frozen_stdlib: list[str] = []
    cache_tag = target.get("cache_tag") or "cpython-" + "".join(target["version"].split(".")[:2])
    for mod in analysis.modules:
        if mod.dist in file_bound:
            # Served from real files in the cache (see runtime/trees.py), unpacked once.
            if mod.kind == "extension":
                plan.add(Entry(mod.archive, path=store.get(mod.file)[0], deflate=deflate,
                               level=1))
                plan.natives.append((_ext_label(mod.file, mod.name), mod.file, False))
                trees.setdefault(mod.dist, []).append(mod.archive)
                tree_exts.setdefault(mod.dist, []).append(mod.file)
            elif mod.kind != "namespace":
                pyc, py = tree_names(mod.archive, cache_tag, bool(mod.py))
                plan.add(Entry(pyc, path=mod.file, deflate=deflate))
                trees.setdefault(mod.dist, []).append(pyc)
                if py:
                    plan.add(Entry(py, path=mod.py, deflate=deflate))
                    trees[mod.dist].append(py)
        elif mod.kind == "namespace":
            plan.add(Entry(mod.archive, data=b""))
        elif mod.kind == "extension":
            needs = needed_libraries(mod.file, libdirs, provided, unloadable, sysroot)
            plan.natives.append((_ext_label(mod.file, mod.name), mod.file, False))
            for soname, path in needs:
                if soname not in libs:
                    add_native(soname, path, f"module {mod.name}")
            stripped, digest = store.get(mod.file)
            plan.add(Entry(mod.archive, path=packed(stripped, digest)))
            plan.manifest.append(records.ext_record(
                mod.name, mod.archive, digest, [s for s, _ in needs], sizes[digest]))
        elif mod.origin == "runtime":
            # Imported before the store can be read: CPython's frozen modules (boot.c).
            plan.frozen.append((mod.name, mod.kind == "package", mod.file))
        else:
            if mod.name in boot_modules:
                # What CPython's start-up imports, frozen likewise, and in the store too, so
                # the runtime can give it the loader and file its other modules have.
                plan.frozen.append((mod.name, mod.kind == "package", mod.file))
                frozen_stdlib.append(mod.name)
            stored.append(module_store.StoredModule(
                mod.name, mod.kind == "package", mod.file, mod.py, mod.origin == "stdlib"))
    dist_infos = {d.dist_info: d.name for d in analysis.dists}
    for archive, source in sorted(analysis.data.items()):
        plan.add(Entry(archive, path=source, deflate=deflate))
        if _is_elf(source):  # a library a package loads with ctypes, a helper it runs
            plan.natives.append((archive, source, False))
        owner = _data_owner(archive, analysis, dist_infos)
        if owner in file_bound:
            trees.setdefault(owner, []).append(archive)
    for archive, source, dist in analysis.vendored:
        if dist in file_bound:
            plan.add(Entry(archive, path=source, deflate=deflate, level=1))
            trees.setdefault(dist, []).append(archive)
            if _is_elf(source):
                plan.natives.append((f"{archive} (of {dist})", source, False))
    _add_user_data(plan, analysis, add_data, file_bound, trees)
    for dist in sorted(trees):
        preload = []
        own = {os.path.realpath(plan.entries[e].path) for e in trees[dist]
               if plan.entries[e].path}
        own |= {os.path.realpath(src) for _, src, d in analysis.vendored if d == dist}
        for ext in tree_exts.get(dist, ()):
            # Libraries from outside the distribution (libstdc++ for numpy) are not where
            # the unpacked tree's run paths point: loaded from the payload before its code.
            for soname, path in needed_libraries(ext, libdirs, provided, unloadable,
                                                 sysroot):
                if os.path.realpath(path) not in own and soname not in preload:
                    if soname not in libs:
                        add_native(soname, path, dist)
                    preload.append(soname)
        _add_tree(plan, dist, sorted(trees[dist]), preload)
    for name, soname, path in ctypes_libraries(analysis.libraries, libdirs, sysroot):
        # Loaded by the program through ctypes, from the machine's library directories
        # under python: carried, with what they need, and loaded once ctypes is imported,
        # so that dlopen of the same name finds the loaded copy by its soname. Before
        # libgcc_s is decided: a carried library that links it makes it a boot library.
        try:
            needs = needed_libraries(path, libdirs, provided, sysroot)
        except FreezeError:
            continue  # needs a library the target lacks: python could not load it either
        deps = [d for d, _ in needs if d != soname]
        for dep, dep_path in needs:
            if dep not in libs:
                add_native(dep, dep_path, soname)
        if soname not in libs and soname not in provided:
            add_native(soname, path, "ctypes")
        plan.manifest.append(records.dll_record(name, soname, deps))
    if gcc_s and LIBGCC_S not in libs:
        if gcc_s_is_fallback(plan):
            # A library record the runtime loads only where the system has no libgcc_s.
            add_native(LIBGCC_S, gcc_s, None)
            plan.manifest.append(records.fallback_record(LIBGCC_S))
        else:
            add_boot(LIBGCC_S, gcc_s, 0)  # first, as it was before it could be a fallback
    for obj, soname in sorted(set(unloadable)):
        analysis.warnings.append(
            f"{obj} needs shared library {soname}, which is not installed on this machine: "
            "bundled as it is, its import fails as it does under python")
    for soname in sorted(libs):
        if soname not in {b.soname for b in plan.boot}:
            digest = libs[soname]
            plan.manifest.append(records.lib_record(
                soname, f"{NATIVE_DIR}/{digest}/{soname}.zst", digest, sizes[digest]))
    for archive, source in sorted(analysis.cold.items()):
        # The cold standard library: modules as sources only in the store, compiled on first
        # import and cached (runtime/modules.py); their package data stays in the zip.
        if archive.endswith(".py"):
            package = archive.endswith("/__init__.py")
            name = archive[:-len("/__init__.py") if package else -3].replace("/", ".")
            stored.append(module_store.StoredModule(name, package, None, source, True))
        else:
            plan.add(Entry(archive, path=source, deflate=deflate))
    _add_store(plan, stored, cache_root)
    if frozen_stdlib:
        plan.manifest.append(records.frozen_record(frozen_stdlib))
    if analysis.cold:
        # Where the build machine's stdlib is: cold modules compile with the file names
        # python shows. Last on its line: the path may hold spaces.
        plan.manifest.append(records.stdlib_record(target["stdlib"]))
    main = analysis.main
    # Fields that may hold spaces (a script's name) come last on their line.
    plan.manifest.insert(0, records.main_record(main["kind"], main["arg"]))
    if main.get("pyc"):
        plan.add(Entry(MAIN_PYC, path=main["pyc"]))
        if main.get("source") and sources:
            plan.add(Entry(MAIN_PY, path=main["source"], deflate=deflate))
    plan.add(Entry(MANIFEST, data=records.write(plan.manifest)))
    if plan.frozen:
        plan.add(Entry(module_store.FROZEN_ENTRY, data=module_store.frozen_blob(plan.frozen)))
    _add_package_dirs(plan)
    if store.warning:
        analysis.warnings.append(store.warning)
    return plan


def gcc_s_is_fallback(plan: BundlePlan) -> bool:
    """Whether libgcc_s can be left to the system, the bundled copy only a fallback.

    glibc's pthread_exit dlopens it by name, so a system that has one of its own needs no
    copy of ours, and the build machine's copy (Debian 12's needs GLIBC_2.35) would raise
    the floor of every binary for the sake of the few systems that have none (a bare
    container). Unless some bundled file links against it (libstdc++ does, and may need
    symbol versions an older system's copy lacks): then it is a boot library as libpython's
    own dependencies are, and counts in the floor like them.
    """
    for _, path, _ in plan.natives:
        try:
            if LIBGCC_S in read_elf(path).needed:
                return False
        except FreezeError:
            continue  # a vendored file that only looks like ELF: nothing loads it
    return True


def _add_store(plan: BundlePlan, stored: list[module_store.StoredModule],
               cache_root: Path) -> None:
    """The module store's streams (freezer/runtime/store.py), and their manifest records."""
    for kind, data in module_store.build_streams(stored).items():
        entry = f"{module_store.ENTRY_DIR}/{kind}.zst"
        plan.add(Entry(entry, data=module_store.compressed(data, cache_root)))
        plan.manifest.append(records.store_record(
            kind, entry, hashlib.sha256(data).hexdigest(), len(data)))


MAIN_TREE = "."  # the tree of --add-data files beside the main script, not a module name


def _add_user_data(plan: BundlePlan, analysis: Analysis, add_data: list[tuple[Path, str]],
                   file_bound: set[str], trees: dict[str, list[str]]) -> None:
    """--add-data files: into a bundled package (read through importlib.resources, or from
    real files if the package is unpacked), or beside the main script; and the files beside
    the script that its code names.

    Files beside the script are unpacked into the cache with it, and `__file__` of the main
    script is then in that directory: `os.path.dirname(__file__)` finds them as it does in
    the source tree.
    """
    packages = {m.name: m for m in analysis.modules
                if "." not in m.name and m.kind in ("package", "namespace")}
    for source, dest in add_data:
        files = [(dest, source)] if source.is_file() else [
            (f"{dest}/{f.relative_to(source).as_posix()}", f)
            for f in sorted(source.rglob("*"))
            if f.is_file() and "__pycache__" not in f.parts]
        for archive, path in files:
            if archive in plan.entries:
                raise FreezeError(f"--add-data {source}:{dest}: {archive} is already in the "
                                  "bundle (a module or another file)")
            plan.add(Entry(archive, path=str(path)))
            top = archive.split("/")[0]
            if top in packages and "/" in archive:
                owner = packages[top].dist
                if owner in file_bound:
                    trees[owner].append(archive)
            else:
                trees.setdefault(MAIN_TREE, []).append(archive)
    for archive, path in analysis.beside_script:
        # Named by the program's code (file_rules.named_beside_script); a name the bundle
        # already holds is its module or package data, which the code then reads instead.
        if archive not in plan.entries and archive.split("/")[0] not in packages:
            plan.add(Entry(archive, path=path))
            trees.setdefault(MAIN_TREE, []).append(archive)


def _data_owner(archive: str, analysis: Analysis, dist_infos: dict[str, str]) -> str | None:
    """The distribution a data entry belongs to (its metadata stays in the zip: None)."""
    top = archive.split("/")[0]
    if top in dist_infos:
        return None
    return analysis.data_dist.get(archive)


def _add_tree(plan: BundlePlan, dist: str, entries: list[str],
              preload: list[str] = ()) -> None:
    """Manifest records of a distribution that is unpacked into the cache on first import.

    The key covers every entry's name and bytes, so a changed distribution gets a new
    directory and an unchanged one is shared by every binary that carries it.
    """
    digest = hashlib.sha256()
    tops = set()
    for name in entries:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(plan.entries[name].read()).digest())
        if name.startswith("__pycache__/"):
            name = name[len("__pycache__/"):]  # a top-level module's bytecode
        top = name.split("/")[0]
        tops.add(top.split(".")[0])
    key = digest.hexdigest()[:32]
    if dist == MAIN_TREE:
        tops = {MAIN_TREE}
    plan.manifest.extend(records.tree_records(key, tops, preload, entries))


def _add_package_dirs(plan: BundlePlan) -> None:
    """Directory entries, so zipimport and importlib.resources see packages as directories."""
    dirs = set()
    for name in plan.entries:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]) + "/")
    for d in dirs:
        plan.entries.setdefault(d, Entry(d, data=b""))

