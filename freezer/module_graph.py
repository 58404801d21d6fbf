"""Walk the program's imports, transitively, to the set of modules the bundle must carry.

Runs inside the target interpreter (see worker.py): module lookup uses that interpreter's own
`PathFinder`, builtin and frozen module tables, so what is found is what it would import.
Nothing is imported: parents' `__path__` come from their specs, not from running them.
"""

from __future__ import annotations

import _imp
import encodings
import importlib.machinery
import os
import sys
from dataclasses import dataclass

from freezer.imports_scan import scan_source

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
# another top-level package (see ModuleGraph._scan), yet needed by everyday use of the module.
IMPLICIT_IMPORTS = {
    "argparse": ("shutil",),  # HelpFormatter sizes help to the terminal
    "gettext": ("locale",),  # _expand_lang, on every translation lookup
    "datetime": ("_strptime",),
    "_datetime": ("_strptime",),
    "hashlib": ("_md5", "_sha1", "_sha256", "_sha512", "_sha2", "_blake2", "_sha3"),
    "warnings": ("linecache",),
    "multiprocessing": ("subprocess", "pickle"),  # forkserver/resource tracker command lines
    "_pickle": ("copyreg", "_compat_pickle"),
    "_decimal": ("collections", "numbers", "contextvars"),
    "_elementtree": ("xml.etree.ElementPath", "copy"),
    "_asyncio": ("asyncio",),
    "_ctypes": ("ctypes",),
    "_sqlite3": ("sqlite3", "sqlite3.dump"),  # Connection.iterdump, from C
    "logging": ("traceback",),
}

# Modules nearly every program loads, whose lazy imports of other packages serve rarely used
# features (os.popen -> subprocess, functools.singledispatch -> typing): those are not
# followed. Lazy imports in every other stdlib module are (argparse -> shutil, ...).
CORE_LAZY_SKIP = frozenset({
    "os", "posixpath", "ntpath", "genericpath", "stat", "codecs", "io", "abc", "types",
    "functools", "enum", "collections", "_collections_abc", "_weakrefset", "copyreg",
    "reprlib", "operator", "keyword", "re", "sre_compile", "sre_parse", "re._compiler",
    "re._parser", "encodings", "threading", "traceback", "warnings", "linecache",
    "tokenize", "typing", "contextlib", "weakref", "copy", "heapq", "_py_abc",
})

# What CPython itself imports while starting, before any program code: not visible to a scan.
# _bootlocale (3.9 only) is imported from C by io.TextIOWrapper to pick the default encoding;
# without it 3.9 silently falls back to ASCII.
STARTUP_MODULES = ("encodings", "encodings.aliases", "encodings.utf_8", "encodings.latin_1",
                   "encodings.ascii", "codecs", "io", "abc", "_bootlocale")
_EXT_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


@dataclass
class Module:
    name: str
    kind: str  # "source", "package", "namespace", "extension", "builtin", "frozen"
    path: str | None  # source or extension file on the build machine
    origin: str  # "program", "stdlib"
    root: str | None = None  # the search-path entry it was found under
    search_locations: list[str] | None = None
    reason: str = ""  # "importer:line", for reports on why a module is in the bundle


@dataclass
class Problem:
    """A missing module: an error when the program's own code needs it unconditionally."""

    module: str
    importer: str
    lineno: int
    fatal: bool
    program: bool = False  # imported by the program's own code (worth a warning if optional)

    def message(self) -> str:
        return f"{self.importer}:{self.lineno}: cannot find module '{self.module}'"


class ModuleGraph:
    def __init__(self, program_path: list[str], stdlib_path: list[str],
                 excludes: list[str]) -> None:
        self.program_path = [os.path.abspath(p) for p in program_path]
        self.stdlib_path = stdlib_path
        self.excludes = excludes
        self.modules: dict[str, Module] = {}
        self.missing: dict[str, None] = {}
        self.problems: list[Problem] = []
        self.strings: set[str] = set()
        self.display: dict[str, str] = {}  # module name -> file name shown in messages

    # -- lookup -------------------------------------------------------------------------------

    def excluded(self, name: str) -> bool:
        return any(name == e or name.startswith(e + ".") for e in self.excludes)

    def find(self, name: str) -> Module | None:
        """Locate `name` without importing it; None when the target cannot import it."""
        if name in self.modules:
            return self.modules[name]
        if name in self.missing or self.excluded(name):
            return None
        module = self._locate(name)
        if module is None:
            self.missing[name] = None
        return module

    def _locate(self, name: str) -> Module | None:
        parent, _, _ = name.rpartition(".")
        if parent:
            pmod = self.find(parent)
            if pmod is None or pmod.search_locations is None:
                return None
            search = pmod.search_locations
            origin = pmod.origin
        else:
            if name in sys.builtin_module_names:
                return Module(name, "builtin", None, "stdlib")
            search = self.program_path + self.stdlib_path
            origin = None
        if _imp.is_frozen(name):
            # The target runs these from its own frozen copies; scan their sources all the same.
            spec = importlib.machinery.PathFinder.find_spec(name, search)
            path = spec.origin if spec and spec.has_location else None
            locs = spec.submodule_search_locations if spec else None
            return Module(name, "frozen", path, "stdlib",
                          search_locations=list(locs) if locs is not None else None)
        try:
            spec = importlib.machinery.PathFinder.find_spec(name, search)
        except (ImportError, ValueError, SyntaxError):
            return None
        if spec is None:
            return None
        locs = spec.submodule_search_locations
        path = spec.origin if spec.has_location else None
        if spec.loader is None or (locs is not None and path is None):
            kind = "namespace"
        elif path and path.endswith(_EXT_SUFFIXES):
            kind = "extension"
        elif path and path.endswith(".py"):
            kind = "package" if locs is not None else "source"
        else:
            return None  # sourceless .pyc or something else we cannot carry
        anchor = path or (list(locs)[0] if locs else "")
        root = self._root_of(anchor, name)
        if origin is None:
            origin = "program" if root in self.program_path else "stdlib"
        return Module(name, kind, path, origin, root,
                      list(locs) if locs is not None else None)

    def _root_of(self, path: str, name: str) -> str:
        """The search-path directory `name` lives under (the top of its package tree)."""
        depth = name.count(".") + 1
        root = path
        for _ in range(depth):
            root = os.path.dirname(root)
        if os.path.basename(path).startswith("__init__."):
            root = os.path.dirname(root)
        return root

    # -- walk ---------------------------------------------------------------------------------

    def add(self, name: str, importer: str = "", lineno: int = 0, fatal: bool = True,
            program: bool = True) -> bool:
        """Include `name`, its parents and everything they import; False if it was not found."""
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sub = ".".join(parts[:i])
            if sub in self.modules:
                continue
            if not program and self._on_request_only(sub):
                return False
            mod = self.find(sub)
            if mod is None:
                if not self.excluded(sub):
                    self.problems.append(Problem(sub, importer, lineno, fatal, program))
                return False
            self.modules[sub] = mod
            mod.reason = f"{importer}:{lineno}" if importer else "start-up"
            self._scan(mod)
            for implicit in IMPLICIT_IMPORTS.get(sub, ()):
                self.add(implicit, f"{sub} (implicit)", 0, fatal=False, program=False)
        return True

    @staticmethod
    def _on_request_only(name: str) -> bool:
        parts = name.split(".")
        return any(".".join(parts[:i]) in STDLIB_ONLY_ON_REQUEST for i in range(1, len(parts) + 1))

    def add_source(self, name: str, path: str, display: str, is_package: bool = False) -> Module:
        """Include a file that is not found by name (the main script)."""
        mod = Module(name, "package" if is_package else "source", path, "program",
                     os.path.dirname(path))
        self.modules[name] = mod
        self.display[name] = display
        self._scan(mod)
        return mod

    def _scan(self, mod: Module) -> None:
        if mod.kind not in ("source", "package", "frozen") or not mod.path:
            return
        with open(mod.path, "rb") as f:
            source = f.read()
        display = self.display.get(mod.name, mod.path)
        result = scan_source(source, display, mod.name, mod.search_locations is not None)
        if not mod.name.startswith("encodings"):  # its alias table names every codec
            self.strings |= result.strings
        program = mod.origin == "program"
        top = mod.name.split(".")[0]
        for ref in result.imports:
            where = self.display_name(mod)
            if self.excluded(ref.name):
                continue
            if not program and ref.lazy and ref.name.split(".")[0] != top \
                    and mod.name in CORE_LAZY_SKIP:
                # A core module's function importing from elsewhere (os.popen -> subprocess):
                # a feature few programs use, and following every such edge from modules
                # that every program loads would bundle most of the stdlib into hello world.
                continue
            found = self.add(ref.name, where, ref.lineno, fatal=program and not ref.optional,
                             program=program)
            if found and ref.fromlist:
                target = self.modules[ref.name]
                if target.search_locations is not None:
                    for item in ref.fromlist:
                        sub = f"{ref.name}.{item}"
                        if (program or not self._on_request_only(sub)) and \
                                self.find(sub) is not None:
                            self.add(sub, where, ref.lineno, fatal=False, program=program)

    def display_name(self, mod: Module) -> str:
        if mod.name in self.display:
            return self.display[mod.name]
        if mod.path and mod.root and mod.origin == "program":
            return os.path.relpath(mod.path, mod.root)
        return mod.path or mod.name

    def add_codecs(self) -> None:
        """Bundle the codecs whose names appear as string literals in bundled code."""
        aliases = encodings.aliases.aliases
        for text in sorted(self.strings):
            norm = encodings.normalize_encoding(text).lower()
            target = aliases.get(norm, norm)
            if target.isidentifier() and f"encodings.{target}" not in self.modules:
                if self.find(f"encodings.{target}") is not None:
                    self.add(f"encodings.{target}", "codec name in bundled code", 0,
                             fatal=False, program=False)

    def fatal_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.fatal and p.module not in self.modules]

    def warnings(self) -> list[str]:
        """Optional imports of the program's own code that are not there: worth knowing."""
        return sorted({p.message() + " (optional import, left out)" for p in self.problems
                       if p.program and not p.fatal and p.module not in self.modules})
