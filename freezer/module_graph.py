"""Walk the program's imports, transitively, to the set of modules the bundle must carry.

Runs inside the target interpreter (see worker.py): module lookup uses that interpreter's own
`PathFinder`, builtin and frozen module tables, so what is found is what it would import.
Nothing is imported: parents' `__path__` come from their specs, not from running them.
"""

from __future__ import annotations

import _imp
import encodings
import fnmatch
import importlib.machinery
import os
import re
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass

from freezer.distributions import (
    DistIndex,
    Distribution,
    DistributionError,
    canonical_name,
    is_build_only,
    is_documentation,
    is_test_path,
    module_name,
    tests_package_dir,
)
from freezer.hints import hinted_imports
from freezer.scan_cache import ScanCache

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
# The C ones were read from CPython 3.9-3.13's Modules/*.c (PyImport_ImportModule,
# _PyImport_GetModuleAttrString, PyCapsule_Import, which imports the capsule's module) and
# checked against what `import X` loads; an extension whose import at init fails raises
# ImportError, which turns a `try: from _c import f except ImportError: from _py import f`
# into its fallback, left out of a --pruned build (see ModuleGraph._fallback_needed).
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

# A NUL-terminated string that could be a dotted module name, as C compilers lay them out.
_NUL_WORD = re.compile(rb"(?<=\0)[A-Za-z_][A-Za-z0-9_.]{1,39}(?=\0)")

# `from X import ...` / `import X, Y` at the start of a line of Cython source (not cimport).
_CYTHON_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import\b|import[ \t]+([\w., \t]+)$)", re.MULTILINE)

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
    origin: str  # "program", "stdlib", "thirdparty"
    root: str | None = None  # the search-path entry it was found under
    search_locations: list[str] | None = None
    reason: str = ""  # "importer:line", for reports on why a module is in the bundle
    dist: str | None = None  # the distribution it belongs to (third-party modules)
    # Bundled only as the rest of a package of the program's (add_program_packages): not
    # code the program is seen to need, so one that does not compile is left out.
    rest_of_package: bool = False


@dataclass
class Problem:
    """A missing module: an error when the program's own code needs it unconditionally."""

    module: str
    importer: str
    lineno: int
    fatal: bool
    program: bool = False  # imported by the program's own code (worth a warning if optional)

    text: str = ""  # a message of its own (a distribution that cannot be bundled)
    # The command-line words that asked for it (`--include-module a.b`, `-m app`), where no
    # file and line did: `--include-module:0:` read as a file name.
    request: str = ""
    # The distribution of the module's parent package, bundled whole without it: a module
    # that only the distribution's code can make at run time (six.moves), if at all.
    runtime_of: str = ""

    def message(self) -> str:
        if self.text:
            return self.text
        if self.request:
            return f"{self.request}: cannot find module {self.module}"
        return f"{self.importer}:{self.lineno}: cannot find module '{self.module}'"

    def warning(self) -> str:
        """What the build says of an import it left out and went on without."""
        if self.runtime_of:
            return (f"{self.message()}: no file of distribution '{self.runtime_of}', which "
                    "is bundled whole (a module its code makes at run time, if any)")
        return self.message() + " (optional import, left out)"


def is_pattern(exclude: str) -> bool:
    """An --exclude-module value with fnmatch's wildcards (`*.tests`), not a plain name."""
    return any(c in exclude for c in "*?[")


def _null_byte_error(error: BaseException, display: str, source: bytes) -> SyntaxError | None:
    """A NUL byte's parse error, naming the file and line; None for any other error.

    ast.parse reports a NUL byte without either (3.11+: a SyntaxError with no file name,
    3.9-3.10: a ValueError), which the worker's message showed as `None:None`.
    """
    nul = source.find(b"\0")
    if nul < 0 or not isinstance(error, (SyntaxError, ValueError)):
        return None
    if getattr(error, "filename", None):
        return None
    line = source.count(b"\n", 0, nul) + 1
    return SyntaxError("source code cannot contain null bytes", (display, line, None, None))


class ModuleGraph:
    def __init__(self, program_path: list[str], stdlib_path: list[str],
                 excludes: list[str], site_path: list[str] = (), machine: str = "",
                 scan_cache: str | None = None) -> None:
        self.program_path = [os.path.abspath(p) for p in program_path]
        self.scans = ScanCache(scan_cache)
        self.stdlib_path = stdlib_path
        self.site_path = list(site_path)
        self.excludes = excludes
        # Patterns are matched against every package above a name, names only by prefix.
        self._exclude_patterns = [e for e in excludes if is_pattern(e)]
        self._exclude_names = [e for e in excludes if not is_pattern(e)]
        self.machine = machine or os.uname().machine
        self.index = DistIndex([*self.program_path, *self.site_path])
        self.dists: dict[str, Distribution] = {}  # bundled, by name
        self.data: dict[str, str] = {}  # archive name -> file: data files and metadata
        self.data_dist: dict[str, str] = {}  # archive name -> distribution it came from
        # Top-level package no distribution owns -> its data files (archive names).
        self.loose_data: dict[str, list[str]] = {}
        self._stdlib_names: frozenset[str] | None = None
        self.modules: dict[str, Module] = {}
        self.missing: dict[str, None] = {}
        self.problems: list[Problem] = []
        self.strings: set[str] = set()
        self.program_strings: set[str] = set()  # the strings of the program's own code
        self.display: dict[str, str] = {}  # module name -> file name shown in messages
        self.program_imports: set[str] = set()  # what the program's own code imports
        # The `tests`/`test` subpackages of bundled distributions that no bundled code has
        # imported yet, left out: dotted name -> (distribution, its files, site-relative).
        self.unreached_tests: dict[str, tuple[Distribution, list[str]]] = {}
        # Fallback imports of stdlib modules not followed, since what they stand in for is
        # there: name -> (importer, line), for add_stdlib_fallbacks.
        self.skipped_fallbacks: dict[str, tuple[str, int]] = {}
        # Bundled modules, not the stdlib's, whose code stores into sys.modules or adds an
        # import finder (ScanResult.registers_modules) -> the top-level names it imports.
        self.registrars: dict[str, set[str]] = {}
        # Shared libraries the bundled code (not the stdlib's) names to ctypes by a literal.
        self.libraries: set[str] = set()
        # Set while add_program_packages adds the rest of a package: what those modules
        # import and cannot be found is a warning, not an error.
        self._lenient = False

    # -- lookup -------------------------------------------------------------------------------

    def excluded(self, name: str) -> bool:
        """Left out by --exclude-module: the name, or a package above it, is one of the names
        given or matches one of the patterns (fnmatch's, where `*` also spans dots)."""
        if any(name == e or name.startswith(e + ".") for e in self._exclude_names):
            return True
        if not self._exclude_patterns:
            return False
        parts = name.split(".")
        return any(fnmatch.fnmatchcase(".".join(parts[:i]), pattern)
                   for i in range(1, len(parts) + 1) for pattern in self._exclude_patterns)

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
            search = self.program_path + self.stdlib_path + self.site_path
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
        except KeyError:
            # A namespace package below a package that is not imported here: importlib
            # looks for the parent in sys.modules. Its portions are the matching directories.
            last = name.rpartition(".")[2]
            portions = [os.path.join(d, last) for d in search
                        if os.path.isdir(os.path.join(d, last))]
            if not portions:
                return None
            return Module(name, "namespace", None, origin or "thirdparty", None, portions)
        except (ImportError, ValueError, SyntaxError):
            return None
        if spec is None and not parent:
            spec = self._find_by_meta_path(name)
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
            if root in self.program_path and not self._installed(anchor):
                origin = "program"
            elif root in self.stdlib_path:
                origin = "stdlib"
            else:
                origin = "thirdparty"
        return Module(name, kind, path, origin, root,
                      list(locs) if locs is not None else None)

    def _installed(self, path: str) -> bool:
        """Was `path` installed by a distribution (pip install --target DIR, --path DIR)?"""
        try:
            return self.index.owner(path) is not None
        except DistributionError:
            return True  # broken: reported when the distribution is bundled

    @staticmethod
    def _find_by_meta_path(name: str):
        """Top-level modules served by an installed finder: editable installs.

        setuptools' editable installs map names to source directories from a meta-path finder
        that a .pth file installs; site ran those in this process, so ask them.
        """
        for finder in sys.meta_path:
            module = getattr(finder, "__module__", "") or ""
            if finder is importlib.machinery.PathFinder or module.startswith(
                    ("_frozen_importlib", "importlib", "_distutils_hack")):
                continue
            find_spec = getattr(finder, "find_spec", None)
            if find_spec is None:
                continue
            try:
                spec = find_spec(name, None)
            except Exception:  # a third-party finder's own failure: treat as not found
                continue
            if spec is not None:
                return spec
        return None

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
            program: bool = True, pruning: bool | None = None, request: str = "") -> bool:
        """Include `name`, its parents and everything they import; False if it was not found.

        `pruning`: apply the stdlib's hot-set rules (default: for imports not made by the
        program); they only decide what is bytecode and what the cold set carries.

        Every import of a bundled third-party module is followed, of any kind (optional,
        lazy, a fallback, a find_spec probe), from every module of its distribution, since
        any of them may be imported by a name made at run time (Markdown's extensions):
        python, run from the same environment, would find what they import, so the frozen
        program must. A distribution's test suites (`tests`/`test` subpackages) come only
        once bundled code imports them, and their own imports are not followed.

        `request`: the command-line words that asked for `name`, which a missing module's
        error names instead of a file and line.
        """
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sub = ".".join(parts[:i])
            if sub in self.modules:
                continue
            if (not program if pruning is None else pruning) and self._on_request_only(sub):
                return False  # the cold set carries it; not worth bytecode
            mod = self.find(sub)
            if mod is None:
                parent = self.modules.get(".".join(parts[:i - 1])) if i > 1 else None
                # Below a module that is not a package, only that module's own code, run
                # first, can make the name importable (os puts os.path in sys.modules): it
                # is bundled, so the frozen program succeeds or fails as python does. Not
                # for a request, which asks the build to carry a file of that name.
                below_module = parent is not None and parent.search_locations is None
                if not self.excluded(sub) and (request or not below_module):
                    # A submodule that no file of its bundled distribution holds: nothing
                    # more could be bundled for it, and only that distribution's own code
                    # can provide it at run time (six's meta-path importer makes
                    # `six.moves`), as it does under python. Not the build's to refuse.
                    owner = parent.dist if parent is not None and parent.dist \
                        and parent.origin == "thirdparty" else ""
                    self.problems.append(Problem(sub, importer, lineno, fatal and not owner,
                                                 program, runtime_of=owner or "",
                                                 request=request))
                return False
            self.modules[sub] = mod
            mod.reason = f"{importer}:{lineno}" if importer else "start-up"
            # _add_distribution sets mod.dist, which _scan's policy needs.
            if mod.origin != "thirdparty" or not self._add_distribution(mod):
                self._scan(mod)
            for implicit in IMPLICIT_IMPORTS.get(sub, ()):
                self.add(implicit, f"{sub} (implicit)", 0, fatal=False, program=False)
            for hinted in hinted_imports(sub):
                if self.find(hinted) is not None:
                    self.add(hinted, f"{sub} (built-in hint)", 0, fatal=False, program=False)
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
        if mod.kind == "extension" and mod.dist and mod.path:
            self._scan_binary(mod)
        if mod.kind not in ("source", "package", "frozen") or not mod.path:
            return
        with open(mod.path, "rb") as f:
            source = f.read()
        display = self.display.get(mod.name, mod.path)
        try:
            result = self.scans.scan(source, display, mod.name,
                                     mod.search_locations is not None)
        except (SyntaxError, RecursionError, MemoryError, ValueError) as e:
            if mod.origin == "program":
                named = _null_byte_error(e, display, source)
                if named is None:
                    raise
                raise named from None
            # Not code the target can compile either: python fails on it the same way, at
            # run time, if it is ever imported.
            return
        if not mod.name.startswith("encodings") and mod.name != "locale":
            # their alias tables name every codec
            self.strings |= result.strings
            if mod.origin == "program":
                self.program_strings |= result.strings
        program = mod.origin == "program"
        if result.registers_modules and mod.origin != "stdlib":
            self.registrars[mod.name] = {ref.name.split(".")[0] for ref in result.imports}
        if mod.origin != "stdlib":
            # The stdlib's own (ctypes.util's "c", uuid's) name what every machine has.
            self.libraries.update(result.libraries)
        # The stdlib's own imports decide only what is hot (bytecode) and what cold: its
        # pruning rules are about speed and size, never about what can be imported, and
        # they apply to the stdlib's code alone.
        stdlib = mod.origin == "stdlib"
        top = mod.name.split(".")[0]
        for ref in result.imports:
            where = self.display_name(mod)
            if program:
                self.program_imports.add(ref.name)
                self.program_imports.update(f"{ref.name}.{item}" for item in ref.fromlist)
            if self.excluded(ref.name):
                continue
            if stdlib and ref.fallback_for and not self._fallback_needed(ref.fallback_for):
                # The fallback of imports that all succeed: python never runs it. Compiled
                # third-party code may still import it by name (see add_stdlib_fallbacks).
                self.skipped_fallbacks.setdefault(ref.name, (self.display_name(mod),
                                                             ref.lineno))
                continue
            if stdlib and ref.lazy and ref.name.split(".")[0] != top \
                    and mod.name in CORE_LAZY_SKIP:
                # A core module's function importing from elsewhere (os.popen -> subprocess):
                # a feature few programs use, and following every such edge from modules
                # that every program loads would make most of the stdlib hot in hello world.
                continue
            # Tooling modules (STDLIB_ONLY_ON_REQUEST) stay cold when a stdlib module
            # reaches them lazily or optionally; an unconditional import makes them hot.
            pruning = stdlib and (ref.lazy or ref.optional)
            # The fallback of a `try` whose imports are all there never runs under python
            # (`except ImportError: import tomli as tomllib` on 3.11): bundled if found,
            # and no error if not.
            needed = not ref.optional and not (
                ref.fallback_for and not self._fallback_needed(ref.fallback_for))
            found = self.add(ref.name, where, ref.lineno,
                             fatal=program and needed and not self._lenient,
                             program=program, pruning=pruning)
            if found and ref.fromlist:
                target = self.modules[ref.name]
                if target.search_locations is not None:
                    for item in ref.fromlist:
                        sub = f"{ref.name}.{item}"
                        if (not pruning or not self._on_request_only(sub)) and \
                                self.find(sub) is not None:
                            self.add(sub, where, ref.lineno, fatal=False, program=program,
                                     pruning=pruning)

    def _fallback_needed(self, tried: tuple[str, ...]) -> bool:
        """Can the imports of a `try` body fail, so that its `except ImportError` runs?

        They can when one is not there, and also when one is an extension module whose own
        imports from C (IMPLICIT_IMPORTS, made at its init) are not: `_zoneinfo` raises
        ImportError without `datetime`, and zoneinfo then imports its pure-Python twin.
        """
        for name in tried:
            if self.find(name) is None:
                return True
            if any(self.find(n) is None for n in IMPLICIT_IMPORTS.get(name, ())):
                return True
        return False

    def add_stdlib_fallbacks(self) -> None:
        """Bundle the stdlib's skipped fallbacks when compiled third-party code is bundled.

        The pure-Python twins of the stdlib's accelerators (zoneinfo._zoneinfo, _pydecimal,
        _pydatetime) are importable modules, and compiled code reaches them directly:
        pandas' timezones module imports zoneinfo._zoneinfo from C. Cython 3.1+ keeps no
        plain names in its binaries, so _scan_binary cannot see such an import; with an
        extension module of a distribution in the bundle, the twins of the stdlib modules
        it carries come too (a few hundred KB beside the extension's megabytes), so a
        --pruned build does not fail where python would not.
        """
        if not any(m.kind == "extension" and m.origin == "thirdparty"
                   for m in self.modules.values()):
            return
        done: set[str] = set()
        while True:  # a twin's own scan may skip further fallbacks
            pending = sorted(set(self.skipped_fallbacks) - done)
            if not pending:
                return
            for name in pending:
                done.add(name)
                importer, lineno = self.skipped_fallbacks[name]
                if name not in self.modules and self.find(name) is not None:
                    self.add(name, f"{importer} (fallback, for compiled third-party code)",
                             lineno, fatal=False, program=False, pruning=True)

    def _scan_binary(self, mod: Module) -> None:
        """Standard-library modules a compiled extension imports from C.

        Cython keeps every name it imports as a NUL-terminated string (lxml.etree imports
        gzip that way); names of stdlib modules among the extension's strings are bundled if
        the target has them. A stray word that happens to name a small module costs little;
        a missing import costs the program.
        """
        with open(mod.path, "rb") as f:
            data = f.read()
        names = self.stdlib_names()
        found = set()
        for token in set(_NUL_WORD.findall(data)):
            name = token.decode()
            if name.split(".")[0] in names and all(p.isidentifier() for p in name.split(".")):
                found.add(name)
        for name in sorted(found):
            if name not in self.modules and self.find(name) is not None:
                self.add(name, f"{self.display_name(mod)} (name in binary)", 0, fatal=False,
                         program=False)

    def _scan_cython(self, path: str, dist: Distribution) -> None:
        """Imports in Cython sources a wheel ships (lxml's .pyx/.pxi): what its compiled
        modules import from C, which newer Cython keeps compressed in the binary."""
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        where = os.path.relpath(path, dist.site_dir)
        for match in _CYTHON_IMPORT.finditer(text):
            names = [match.group(1)] if match.group(1) else [
                part.split(" as ")[0].strip() for part in match.group(2).split(",")]
            for name in names:
                if all(p.isidentifier() for p in name.split(".")) and \
                        name.split(".")[0] in self.stdlib_names() and \
                        name not in self.modules and self.find(name) is not None:
                    self.add(name, where, 0, fatal=False, program=False)

    def stdlib_names(self) -> frozenset[str]:
        """Top-level module names of the target's standard library (3.9 has no
        sys.stdlib_module_names)."""
        if self._stdlib_names is None:
            names = set(sys.builtin_module_names)
            for entry in self.stdlib_path:
                try:
                    listing = os.listdir(entry)
                except OSError:
                    continue
                for item in listing:
                    stem = item.split(".")[0]
                    if stem.isidentifier() and stem not in ("site", "this", "antigravity"):
                        names.add(stem)
            self._stdlib_names = frozenset(names)
        return self._stdlib_names

    # -- distributions --------------------------------------------------------------------

    def _add_distribution(self, mod: Module) -> bool:
        """Bundle the whole distribution `mod` came from, and follow its modules' imports.

        True if `mod` is in one of its test suites, whose imports are not followed."""
        anchor = mod.path or (mod.search_locations[0] if mod.search_locations else "")
        try:
            dist = self.index.owner(anchor)
        except DistributionError as e:
            self.problems.append(Problem(mod.name, "", 0, True, text=str(e)))
            return False
        if dist is not None and dist.editable_root:
            # Its code stays where the project is, module by module, like the program's;
            # what the install put in site-packages is only its metadata.
            self._bundle_distribution(dist, f"for {mod.name}", metadata_only=True)
            return False
        elif dist is not None:
            mod.dist = dist.name
            self._bundle_distribution(dist, f"for {mod.name}")
            return self._bring_back_tests(mod.name, f"for {mod.name}")
        return False

    def _bundle_distribution(self, dist: Distribution, why: str,
                             metadata_only: bool = False) -> None:
        """Every file of `dist` its RECORD lists, then the distributions it needs."""
        if dist.name in self.dists:
            return
        try:
            dist.check_platform(self.machine)
            dist.check_files()
        except DistributionError as e:
            self.problems.append(Problem(dist.name, "", 0, True, text=str(e)))
            return
        self.dists[dist.name] = dist
        if metadata_only:
            for rel in dist.files:
                if rel.startswith(dist.dist_info + "/"):
                    self.data[rel] = os.path.join(dist.site_dir, rel)
            self._add_requirements(dist)
            return
        reason = f"{dist.name} (whole distribution, {why})"
        rels: list[str] = []
        vendored: list[str] = []
        for rel in dist.files:
            if rel.startswith(dist.dist_info + "/"):
                self.data[rel] = os.path.join(dist.site_dir, rel)
            elif rel.split("/")[0].endswith(".libs"):
                # auditwheel's vendored libraries: from memory they come in as the
                # extensions' needed libraries; unpacked, beside the package as in site.
                vendored.append(rel)
            else:
                tests = tests_package_dir(rel)
                if tests is None or tests.replace("/", ".") in self.modules:
                    rels.append(rel)
                else:
                    self.unreached_tests.setdefault(tests.replace("/", "."), (dist, []))[1] \
                        .append(rel)
        dist.vendored = vendored
        self._take_files(dist, rels, reason)
        self._add_requirements(dist)

    def _take_files(self, dist: Distribution, rels: list[str], reason: str) -> None:
        """Bundle these files of `dist` (site-relative): its modules, with the imports of
        every one outside its test suites followed, and its data files."""
        members: list[Module] = []
        cython_sources: list[str] = []
        for rel in rels:
            full = os.path.join(dist.site_dir, rel)
            if is_build_only(rel):
                if rel.endswith((".pyx", ".pxi")) and not is_test_path(rel):
                    cython_sources.append(full)
                continue
            found = module_name(rel)
            if found is None:
                if not os.path.isdir(full) and rel.rsplit("/", 1)[-1] != "py.typed":
                    self.data[rel] = full
                    self.data_dist[rel] = dist.name
                    if not is_test_path(rel) and not is_documentation(rel):
                        dist.data_files.append(rel)
                continue
            name, kind = found
            if self.excluded(name):
                continue
            known = self.modules.get(name)
            if known is not None and not (kind == "extension" and known.kind == "source"
                                          and known in members):
                known.dist = dist.name
                continue
            if known is not None:
                # mypyc-compiled packages ship x.py beside x.so; python imports the .so.
                members.remove(known)
            locs = [os.path.dirname(full)] if kind == "package" else None
            member = Module(name, kind, full, "thirdparty", dist.site_dir, locs, reason,
                            dist.name)
            self.modules[name] = member
            members.append(member)
        for member in members:
            if not is_test_path(os.path.relpath(member.path, dist.site_dir)):
                self._scan(member)
        for source in cython_sources:
            self._scan_cython(source, dist)

    def _bring_back_tests(self, name: str, why: str) -> bool:
        """Bundle the left-out test suite `name` lies in, whole; False if it lies in none.

        A distribution's `tests` subpackages are left out when it is bundled (see
        _bundle_distribution): nothing of the distribution imports them, so no code of the
        program can reach them. Once bundled code does import one (or --include-module,
        --collect or a traced run names it), python would find all of it, data files
        included, so all of it comes back; as a test suite, its own imports are not followed.
        """
        parts = name.split(".")
        for i in range(2, len(parts) + 1):
            entry = self.unreached_tests.pop(".".join(parts[:i]), None)
            if entry is not None:
                dist, rels = entry
                self._take_files(dist, rels, f"{dist.name} (test suite, {why})")
                return True
        return False

    def _add_requirements(self, dist: Distribution) -> None:
        """What it declares it needs, even if no import shows it (cryptography's Rust code
        imports cffi's _cffi_backend); conditional ones only if installed."""
        self._check_requirements(dist)
        for req in dist.requires(conditional=True):
            needed = self.index.named(req)
            if needed is not None:
                self._bundle_distribution(needed, f"required by {dist.name}")

    def collect(self, name: str) -> None:
        """--collect: the package with every submodule found in its directories."""
        if not self.add(name, "--collect", 0, request=f"--collect {name}"):
            return
        for sub in self._submodules(name):
            self.add(sub, "--collect", 0, fatal=False)

    def _submodules(self, name: str) -> Iterator[str]:
        """The modules below the bundled package `name`, found in its directories."""
        mod = self.modules[name]
        for location in mod.search_locations or ():
            for folder, dirs, files in os.walk(location):
                dirs[:] = sorted(d for d in dirs if d.isidentifier())
                rel = os.path.relpath(folder, location)
                prefix = name if rel == "." else name + "." + rel.replace(os.sep, ".")
                for file in sorted(files):
                    found = module_name(file)
                    if found and found[1] != "package":
                        yield f"{prefix}.{found[0]}"
                    elif file == "__init__.py" and prefix != name:
                        yield prefix

    def add_registered_packages(self) -> None:
        """Packages of the program whole, where its own code changes the import system.

        A module of the program that stores into sys.modules or installs a finder (a
        vendoring importer in `pkg.extern` mapping `pkg.extern.x` to `pkg._vendor.x`; an
        alias, `sys.modules["alias"] = pkg` then `from alias import sub`) makes names
        importable that no import statement shows; what they resolve to is code of its own
        top-level package, or of the packages it imports. Those come with every submodule,
        as a bundled distribution does (see collect).
        """
        done: set[str] = set()
        while True:
            tops = set()
            for name, imported in list(self.registrars.items()):
                if name in self.modules and self.modules[name].origin == "program":
                    tops.add(name.split(".")[0])
                    tops.update(imported)
            tops = sorted(t for t in tops - done if t in self.modules
                          and self.modules[t].origin == "program"
                          and self.modules[t].search_locations is not None)
            if not tops:
                return
            for top in tops:
                done.add(top)
                for sub in self._submodules(top):
                    before = set(self.modules)
                    try:
                        self.add(sub, "(package of a module registering modules)", 0,
                                 fatal=False)
                    except SyntaxError:
                        # Not code python could compile either: only an import of it fails.
                        for added in set(self.modules) - before:
                            del self.modules[added]

    def add_program_packages(self) -> None:
        """Every module of each package of the program's that is bundled, as a bundled
        distribution comes whole: python imports any of them by a name made at run time
        (`importlib.import_module("." + name, __package__)`, a plugin directory), and the
        scan sees only literal names. Their test suites (`tests`/`test` subpackages) come
        only when imported, as a distribution's do. Imports made by the modules added here
        alone are not needed by any code the program is seen to run, so one that cannot be
        found is a warning, not an error; a module that does not compile is left out (its
        import fails, as under python, though with ModuleNotFoundError)."""
        tops = sorted(name for name, mod in self.modules.items()
                      if "." not in name and mod.origin == "program" and not mod.dist
                      and mod.search_locations is not None and name != "__main__")
        self._lenient = True
        try:
            for top in tops:
                for sub in self._submodules(top):
                    if sub in self.modules or any(part in ("tests", "test")
                                                  for part in sub.split(".")[1:]):
                        continue
                    before = set(self.modules)
                    try:
                        self.add(sub, "(module of a package of the program)", 0, fatal=False)
                    except SyntaxError:
                        for added in set(self.modules) - before:
                            del self.modules[added]
                    for added in set(self.modules) - before:
                        self.modules[added].rest_of_package = True
        finally:
            self._lenient = False

    def add_package_data(self) -> None:
        """Data files in the program's packages (and other packages no RECORD describes).

        Everything in a bundled package's directory that is not code comes along, through
        directories that are not packages themselves (templates/, static/), as a wheel built
        from the project with package data would. A namespace package of the program's
        (a directory without `__init__.py`, `importlib.resources.files("app.data")`) has
        its files in each of its directories.
        """
        for mod in list(self.modules.values()):
            if mod.dist or mod.origin == "stdlib" or not mod.root:
                continue
            if mod.kind == "package":
                tops = [os.path.dirname(mod.path)]
            elif mod.kind == "namespace" and mod.origin == "program":
                tops = list(mod.search_locations or ())
            else:
                continue
            for folder, dirs, files in (step for top in tops for step in os.walk(top)):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                                 and not os.path.exists(os.path.join(folder, d, "__init__.py")))
                for name in sorted(files):
                    full = os.path.join(folder, name)
                    rel = os.path.relpath(full, mod.root).replace(os.sep, "/")
                    if name.startswith(".") or name.endswith(".py") or is_build_only(rel) \
                            or module_name(rel) is not None:
                        continue
                    self.data[rel] = full
                    self.loose_data.setdefault(mod.name.split(".")[0], []).append(rel)

    def decide_file_bound(self) -> None:
        """Which code is served from real files: every third-party distribution, and every
        package of the program's that has data files.

        A distribution's code may look for its files in any way (open beside `__file__`,
        `Path(__file__).parent.glob`, `os.listdir`, gettext's `localedir`, plugin discovery
        with `pkgutil.iter_modules` on its own directory): unpacked once into the cache, laid
        out as in site-packages, it finds them all, as it does under python. No guess about
        how its code reads them is needed.
        """
        for dist in self.dists.values():
            if dist.editable_root or not dist.dist_info:
                continue
            dist.file_bound = True
            dist.why_files = "third-party distributions are served from real files"
        self._decide_loose_packages()

    def _decide_loose_packages(self) -> None:
        """The same for top-level packages no distribution owns (the program's own, editable
        installs): one with data files becomes a tree of its own."""
        for top, data in sorted(self.loose_data.items()):
            members = [m for m in self.modules.values() if m.dist is None
                       and (m.path or m.kind == "namespace")
                       and (m.name == top or m.name.startswith(top + "."))]
            if not members or not data:
                continue
            tree = Distribution.loose(f"{top} (files)", f"{top} has data files, such as "
                                      f"{data[0]}")
            self.dists[tree.name] = tree
            for member in members:
                member.dist = tree.name
            for d in data:
                self.data_dist[d] = tree.name

    def add_plugins(self) -> None:
        """Bundle the distributions that register entry points in a group bundled code names.

        Plugins are found through metadata, never imported by name; a group name spelled in
        bundled code ("fzt.plugins", "pygments.lexers") is the one sign a scan can see.
        Libraries that install or inspect packages (pip, setuptools, importlib_metadata)
        name `console_scripts` and `gui_scripts`, which nearly every distribution registers:
        those two count only where the program's own code names them (a program listing
        the installed commands, or loading them through stevedore).
        """
        scripts = {"console_scripts", "gui_scripts"} - self.program_strings
        tried: set[int] = {id(d) for d in self.dists.values()}
        changed = True
        while changed:  # a plugin's own code may name further groups
            changed = False
            for dist in self.index.dists:
                if id(dist) in tried:
                    continue
                groups = dist.entry_point_groups() - scripts
                named = groups & self.strings
                if named:
                    tried.add(id(dist))
                    self._bundle_distribution(dist, f"plugin in group {sorted(named)[0]}")
                    changed = True

    def _check_requirements(self, dist: Distribution) -> None:
        """A distribution's unconditional requirements must be installed too."""
        installed = {canonical_name(d.stub_name) for d in self.index.dists}
        for req in dist.requires():
            if canonical_name(req) not in installed:
                self.problems.append(Problem(req, "", 0, True, text=(
                    f"{dist.label()} requires '{req}', which is not installed for this "
                    f"Python: install it (python -m pip install {req})")))

    def display_name(self, mod: Module) -> str:
        if mod.name in self.display:
            return self.display[mod.name]
        if mod.path and mod.root and mod.origin == "program":
            return os.path.relpath(mod.path, mod.root)
        return mod.path or mod.name

    def add_codecs(self) -> None:
        """Bundle the codecs whose names appear as string literals in bundled code."""
        aliases = encodings.aliases.aliases
        looks_like_codec = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{1,24}").fullmatch
        for text in sorted(filter(looks_like_codec, self.strings)):
            norm = encodings.normalize_encoding(text).lower()
            target = aliases.get(norm, norm)
            if target.isidentifier() and f"encodings.{target}" not in self.modules:
                if self.find(f"encodings.{target}") is not None:
                    self.add(f"encodings.{target}", "codec name in bundled code", 0,
                             fatal=False, program=False)

    def _registrar_for(self, name: str) -> str | None:
        """A bundled module that may make `name` importable at run time, with no file to
        find: one of the program's own modules, or a package above `name`, whose code
        stores into sys.modules, installs a finder or adds to sys.path (an alias, a
        vendoring importer, a directory of plugins).
        The analysis cannot tell which names that code makes, so python is the judge."""
        parts = name.split(".")
        for i in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:i]) in self.registrars:
                return ".".join(parts[:i])
        return next((m for m in sorted(self.registrars) if m in self.modules
                     and self.modules[m].origin == "program"), None)

    def fatal_problems(self) -> list[Problem]:
        """Missing modules that stop the build. An import that a registering module may
        satisfy at run time is left to python (see warnings); a command-line request is
        not: it asks for a file to carry, and no code of the program's can make one."""
        return [p for p in self.problems
                if p.fatal and (p.text or (p.module not in self.modules
                                           and (p.request
                                                or self._registrar_for(p.module) is None)))]

    def warnings(self) -> list[str]:
        """Imports of the program's own code that are not there, but may be at run time
        (optional ones, ones only their distribution's code can make, or ones a registering
        module may make): worth knowing."""
        found = set()
        for p in self.problems:
            if not p.program or p.text or p.module in self.modules:
                continue
            if not p.fatal:
                found.add(p.warning())
            elif not p.request and (registrar := self._registrar_for(p.module)) is not None:
                shown = self.display_name(self.modules[registrar])
                found.add(p.message() + f" (left to run time: {shown}"
                          " changes sys.path, sys.modules or the import finders)")
        return sorted(found)
