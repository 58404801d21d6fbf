"""The standard library's rules: which of its own imports make a module hot.

Every module of the target's stdlib rides along (worker.whole_stdlib); these rules decide only
what is bytecode in the hot set and what the cold set carries as sources, never what a program
can import. They apply to the stdlib's own code alone: the program's and third-party code's
imports are always followed. Each function returns a decision; the walk (graph.py) acts on it.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Callable

# Tooling, test and other-platform parts of the stdlib, reached only through lazy or optional
# imports in other stdlib modules (pdb from a debugging helper, tkinter from pydoc, ...).
# Bundled only when the program's own code, or --include-module, asks for them.
STDLIB_ONLY_ON_REQUEST = frozenset({
    "tkinter", "_tkinter", "idlelib", "turtle", "turtledemo", "test", "unittest", "doctest",
    "lib2to3", "distutils", "ensurepip", "venv", "pydoc", "pydoc_data", "pdb", "bdb", "cmd",
    "code", "codeop", "readline", "rlcompleter", "_pyrepl", "webbrowser", "http.server",
    "xmlrpc", "profile", "cProfile", "pstats", "trace", "timeit", "tabnanny", "pyclbr",
    "compileall", "py_compile", "zipapp", "this", "antigravity", "__hello__", "__phello__",
    "_testcapi", "_testinternalcapi", "_testlimitedcapi", "_testmultiphase", "_testbuffer",
    "_testimportmultiple", "_testclinic", "_xxtestfuzz", "_ctypes_test", "xxlimited",
    "xxlimited_35", "_xxsubinterpreters", "_xxinterpchannels", "_aix_support",
    "_osx_support", "_ios_support", "_bootsubprocess", "ctypes._aix", "ctypes.macholib",
    "ctypes.wintypes", "asyncio.windows_events", "asyncio.windows_utils",
    "multiprocessing.popen_spawn_win32", "encodings.mbcs", "encodings.oem", "nturl2path",
    "msilib", "winreg", "winsound", "_winapi", "msvcrt", "_overlapped", "nt",
})
# Imports the scan cannot follow for stdlib modules: made from C, or lazily inside a function in
# another top-level package (see stdlib_edge), yet needed by everyday use of the module.
# The C ones were read from CPython 3.9-3.13's Modules/*.c (PyImport_ImportModule,
# _PyImport_GetModuleAttrString, PyCapsule_Import, which imports the capsule's module) and
# checked against what `import X` loads; an extension whose import at init fails raises
# ImportError, which turns a `try: from _c import f except ImportError: from _py import f`
# into its fallback, left out of a --pruned build (see fallback_runs).
IMPLICIT_IMPORTS = {
    "argparse": ("shutil",),  # HelpFormatter sizes help to the terminal
    "gettext": ("locale",),  # _expand_lang, on every translation lookup
    "datetime": ("_strptime",),
    "_datetime": ("_strptime",),
    "time": ("_strptime",),  # time.strptime, from C
    # At init: the datetime C API capsule, find_tzfile, the file loader, the weak cache.
    "_zoneinfo": ("datetime", "zoneinfo._common", "zoneinfo._tzpath", "weakref"),
    "_json": ("json.decoder",),  # JSONDecodeError, raised from C
    "_ssl": ("_socket",),  # the socket C API capsule, at init
    "_curses_panel": ("_curses",),  # the curses C API capsule, at init
    # The CJK codecs find their codec class, and iso2022/big5hkscs the other tables, by
    # import from C when a codec is first made.
    "_codecs_cn": ("_multibytecodec",),
    "_codecs_jp": ("_multibytecodec",),
    "_codecs_kr": ("_multibytecodec",),
    "_codecs_tw": ("_multibytecodec",),
    "_codecs_hk": ("_multibytecodec", "_codecs_tw"),
    "_codecs_iso2022": ("_multibytecodec", "_codecs_cn", "_codecs_jp", "_codecs_kr"),
    "hashlib": ("_md5", "_sha1", "_sha256", "_sha512", "_sha2", "_blake2", "_sha3"),
    "warnings": ("linecache",),
    "multiprocessing": ("subprocess", "pickle"),  # forkserver/resource tracker command lines
    "_pickle": ("copyreg", "_compat_pickle", "functools", "codecs"),  # at init
    "_decimal": ("collections", "collections.abc", "numbers", "contextvars"),
    "array": ("collections.abc",),  # registered as a MutableSequence from C (3.11+)
    # pyexpat: the expat C API capsule, at init.
    "_elementtree": ("xml.etree.ElementPath", "copy", "pyexpat"),
    "_asyncio": ("asyncio",),
    "_ctypes": ("ctypes",),
    # Connection.iterdump; functools.lru_cache is the statement cache (3.11+).
    "_sqlite3": ("sqlite3", "sqlite3.dump", "functools"),
    "logging": ("traceback",),
}
# sysconfig imports its build-time data module under a name made at run time.
_SYSCONFIGDATA = getattr(sysconfig, "_get_sysconfigdata_name", lambda: "")()
if _SYSCONFIGDATA:
    IMPLICIT_IMPORTS["sysconfig"] = (_SYSCONFIGDATA,)

# Modules nearly every program loads, whose lazy imports of other packages serve rarely used
# features (os.popen -> subprocess, functools.singledispatch -> typing): those are not
# followed. Lazy imports in every other stdlib module are (argparse -> shutil, ...).
CORE_LAZY_SKIP = frozenset({
    "os", "posixpath", "ntpath", "genericpath", "stat", "codecs", "io", "abc", "types",
    "functools", "enum", "collections", "_collections_abc", "_weakrefset", "copyreg",
    "reprlib", "operator", "keyword", "re", "sre_compile", "sre_parse", "re._compiler",
    "re._parser", "encodings", "threading", "traceback", "warnings", "linecache",
    "tokenize", "typing", "contextlib", "weakref", "copy", "heapq", "_py_abc",
    # importlib's own machinery: find_distributions() -> importlib.metadata (email, zipfile,
    # tempfile, random, ...) is for programs that use importlib.metadata, which import it.
    "importlib", "importlib._bootstrap", "importlib._bootstrap_external",
    # shutil's archive functions (make_archive, unpack_archive -> tarfile, zipfile).
    "shutil",
})

# What CPython itself imports while starting, before any program code: not visible to a scan.
# _bootlocale (3.9 only) is imported from C by io.TextIOWrapper to pick the default encoding;
# without it 3.9 silently falls back to ASCII.
STARTUP_MODULES = ("encodings", "encodings.aliases", "encodings.utf_8", "encodings.latin_1",
                   "encodings.ascii", "codecs", "io", "abc", "_bootlocale")

# What the walk does with one import in a stdlib module's code (stdlib_edge).
FOLLOW = "follow"  # bundled hot, as any import
FOLLOW_COLD_TOOLING = "follow, tooling stays cold"  # a lazy/optional edge: see on_request_only
SKIP_FALLBACK = "skip: a fallback that never runs"
SKIP_CORE_LAZY = "skip: a core module's lazy import"


def on_request_only(name: str) -> bool:
    """Tooling, test or other-platform stdlib (STDLIB_ONLY_ON_REQUEST), or below it."""
    parts = name.split(".")
    return any(".".join(parts[:i]) in STDLIB_ONLY_ON_REQUEST for i in range(1, len(parts) + 1))


def fallback_runs(tried: tuple[str, ...], found: Callable[[str], bool]) -> bool:
    """Can the imports of a `try` body fail, so that its `except ImportError` runs?

    They can when one is not there (`found` says), and also when one is an extension module
    whose own imports from C (IMPLICIT_IMPORTS, made at its init) are not: `_zoneinfo` raises
    ImportError without `datetime`, and zoneinfo then imports its pure-Python twin.
    """
    for name in tried:
        if not found(name):
            return True
        if not all(found(n) for n in IMPLICIT_IMPORTS.get(name, ())):
            return True
    return False


def stdlib_edge(importer: str, imported: str, lazy: bool, optional: bool,
                fallback_for: tuple[str, ...], found: Callable[[str], bool]) -> str:
    """What the walk does with `import imported` in the stdlib module `importer`."""
    if fallback_for and not fallback_runs(fallback_for, found):
        # The fallback of imports that all succeed: python never runs it. Compiled
        # third-party code may still import it by name (see ModuleGraph.add_stdlib_fallbacks).
        return SKIP_FALLBACK
    if lazy and imported.split(".")[0] != importer.split(".")[0] and importer in CORE_LAZY_SKIP:
        # A core module's function importing from elsewhere (os.popen -> subprocess): a
        # feature few programs use, and following every such edge from modules that every
        # program loads would make most of the stdlib hot in hello world.
        return SKIP_CORE_LAZY
    # Tooling modules (STDLIB_ONLY_ON_REQUEST) stay cold when a stdlib module reaches them
    # lazily or optionally; an unconditional import makes them hot.
    return FOLLOW_COLD_TOOLING if lazy or optional else FOLLOW


def stdlib_names(stdlib_path: list[str]) -> frozenset[str]:
    """Top-level module names of the target's standard library (3.9 has no
    sys.stdlib_module_names)."""
    names = set(sys.builtin_module_names)
    for entry in stdlib_path:
        try:
            listing = os.listdir(entry)
        except OSError:
            continue
        for item in listing:
            stem = item.split(".")[0]
            if stem.isidentifier() and stem not in ("site", "this", "antigravity"):
                names.add(stem)
    return frozenset(names)
