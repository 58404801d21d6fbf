"""The walk: from the program's entry, every import, transitively, to the modules the bundle
carries, with the reason each is there.

Runs inside the target interpreter (see worker.py). Names are found by `lookup`; for each
import met in a module's code the walk asks the rules of the module's origin what to do: the
stdlib's (`stdlib_rules`: hot or cold), third-party distributions' (`thirdparty_rules`: bundled
whole), and what must be served from real files (`file_rules`). Missing imports become
`problems`, judged once the walk is over. Nothing is imported.
"""

from __future__ import annotations

import encodings
import os
import re

from freezer.analyzer import file_rules, problems, stdlib_rules, thirdparty_rules
from freezer.analyzer.distributions import DistIndex, Distribution, DistributionError, module_name
from freezer.analyzer.hints import hinted_imports
from freezer.analyzer.lookup import Excludes, Finder, Module
from freezer.analyzer.problems import Problem, null_byte_error
from freezer.analyzer.scan_cache import ScanCache
from freezer.analyzer.stdlib_rules import IMPLICIT_IMPORTS, STARTUP_MODULES, on_request_only

__all__ = ["STARTUP_MODULES", "Module", "ModuleGraph", "Problem"]

# A NUL-terminated string that could be a dotted module name, as C compilers lay them out.
_NUL_WORD = re.compile(rb"(?<=\0)[A-Za-z_][A-Za-z0-9_.]{1,39}(?=\0)")

# `from X import ...` / `import X, Y` at the start of a line of Cython source (not cimport).
_CYTHON_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import\b|import[ \t]+([\w., \t]+)$)", re.MULTILINE)


class ModuleGraph:
    """The bundle's modules, distributions and data files, as the walk adds them."""

    def __init__(self, program_path: list[str], stdlib_path: list[str],
                 excludes: list[str], site_path: list[str] = (), machine: str = "",
                 scan_cache: str | None = None) -> None:
        self.program_path = [os.path.abspath(p) for p in program_path]
        self.scans = ScanCache(scan_cache)
        self.stdlib_path = stdlib_path
        self.site_path = list(site_path)
        self.excludes = excludes
        self.excluded = Excludes(excludes)
        self.machine = machine or os.uname().machine
        self.index = DistIndex([*self.program_path, *self.site_path])
        self.modules: dict[str, Module] = {}
        self.finder = Finder(self.program_path, stdlib_path, self.site_path, self.excluded,
                             self.modules, self.index)
        self.dists: dict[str, Distribution] = {}  # bundled, by name
        self.data: dict[str, str] = {}  # archive name -> file: data files and metadata
        self.data_dist: dict[str, str] = {}  # archive name -> distribution it came from
        # Top-level package no distribution owns -> its data files (archive names).
        self.loose_data: dict[str, list[str]] = {}
        self._stdlib_names: frozenset[str] | None = None
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

    def find(self, name: str) -> Module | None:
        """Locate `name` without importing it; None when the target cannot import it."""
        return self.finder.find(name)

    def _found(self, name: str) -> bool:
        return self.finder.find(name) is not None

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
            if (not program if pruning is None else pruning) and on_request_only(sub):
                return False  # the cold set carries it; not worth bytecode
            mod = self.find(sub)
            if mod is None:
                self._missing(sub, parts[:i - 1], importer, lineno, fatal, program, request)
                return False
            self.modules[sub] = mod
            mod.reason = f"{importer}:{lineno}" if importer else "start-up"
            # _add_distribution sets mod.dist, which _scan's policy needs.
            if mod.origin != "thirdparty" or not self._add_distribution(mod):
                self._scan(mod)
            for implicit in IMPLICIT_IMPORTS.get(sub, ()):
                self.add(implicit, f"{sub} (implicit)", 0, fatal=False, program=False)
            for hinted in hinted_imports(sub):
                if self._found(hinted):
                    self.add(hinted, f"{sub} (built-in hint)", 0, fatal=False, program=False)
        return True

    def _missing(self, name: str, parent_parts: list[str], importer: str, lineno: int,
                 fatal: bool, program: bool, request: str) -> None:
        """Record the import of `name`, which the target cannot find, as a Problem."""
        parent = self.modules.get(".".join(parent_parts)) if parent_parts else None
        # Below a module that is not a package, only that module's own code, run first, can
        # make the name importable (os puts os.path in sys.modules): it is bundled, so the
        # frozen program succeeds or fails as python does. Not for a request, which asks the
        # build to carry a file of that name.
        below_module = parent is not None and parent.search_locations is None
        if self.excluded(name) or (below_module and not request):
            return
        # A submodule that no file of its bundled distribution holds: nothing more could be
        # bundled for it, and only that distribution's own code can provide it at run time
        # (six's meta-path importer makes `six.moves`), as it does under python. Not the
        # build's to refuse.
        owner = parent.dist if parent is not None and parent.dist \
            and parent.origin == "thirdparty" else ""
        self.problems.append(Problem(name, importer, lineno, fatal and not owner, program,
                                     runtime_of=owner or "", request=request))

    def add_source(self, name: str, path: str, display: str, is_package: bool = False) -> Module:
        """Include a file that is not found by name (the main script)."""
        mod = Module(name, "package" if is_package else "source", path, "program",
                     os.path.dirname(path))
        self.modules[name] = mod
        self.display[name] = display
        self._scan(mod)
        return mod

    def _scan(self, mod: Module) -> None:
        """Follow the imports in `mod`'s code, each as the rules of `mod`'s origin say."""
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
                named = null_byte_error(e, display, source)
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
        stdlib = mod.origin == "stdlib"
        if result.registers_modules and not stdlib:
            self.registrars[mod.name] = {ref.name.split(".")[0] for ref in result.imports}
        if not stdlib:
            # The stdlib's own (ctypes.util's "c", uuid's) name what every machine has.
            self.libraries.update(result.libraries)
        where = self.display_name(mod)
        for ref in result.imports:
            if program:
                self.program_imports.add(ref.name)
                self.program_imports.update(f"{ref.name}.{item}" for item in ref.fromlist)
            if self.excluded(ref.name):
                continue
            pruning = False
            if stdlib:
                edge = stdlib_rules.stdlib_edge(mod.name, ref.name, ref.lazy, ref.optional,
                                                ref.fallback_for, self._found)
                if edge == stdlib_rules.SKIP_FALLBACK:
                    self.skipped_fallbacks.setdefault(ref.name, (where, ref.lineno))
                    continue
                if edge == stdlib_rules.SKIP_CORE_LAZY:
                    continue
                pruning = edge == stdlib_rules.FOLLOW_COLD_TOOLING
            # The fallback of a `try` whose imports are all there never runs under python
            # (`except ImportError: import tomli as tomllib` on 3.11): bundled if found,
            # and no error if not.
            needed = not ref.optional and not (
                ref.fallback_for and not stdlib_rules.fallback_runs(ref.fallback_for,
                                                                    self._found))
            found = self.add(ref.name, where, ref.lineno, fatal=program and needed,
                             program=program, pruning=pruning)
            if found and ref.fromlist and self.modules[ref.name].search_locations is not None:
                for item in ref.fromlist:
                    sub = f"{ref.name}.{item}"
                    if (not pruning or not on_request_only(sub)) and self._found(sub):
                        self.add(sub, where, ref.lineno, fatal=False, program=program,
                                 pruning=pruning)

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
                if name not in self.modules and self._found(name):
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
            if name not in self.modules and self._found(name):
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
                        name not in self.modules and self._found(name):
                    self.add(name, where, 0, fatal=False, program=False)

    def stdlib_names(self) -> frozenset[str]:
        """Top-level module names of the target's standard library."""
        if self._stdlib_names is None:
            self._stdlib_names = stdlib_rules.stdlib_names(self.stdlib_path)
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
        files = thirdparty_rules.sort_files(dist, self.modules)
        for rel in files.metadata:
            self.data[rel] = os.path.join(dist.site_dir, rel)
        if not metadata_only:
            dist.vendored = files.vendored
            for name, rels in files.unreached_tests.items():
                self.unreached_tests.setdefault(name, (dist, []))[1].extend(rels)
            self._take_files(dist, files.code_and_data,
                             f"{dist.name} (whole distribution, {why})")
        self.problems.extend(thirdparty_rules.missing_requirements(dist, self.index))
        for needed in thirdparty_rules.required(dist, self.index):
            self._bundle_distribution(needed, f"required by {dist.name}")

    def _take_files(self, dist: Distribution, rels: list[str], reason: str) -> None:
        """Bundle these files of `dist` (site-relative): its modules, with the imports of
        every one outside its test suites followed, and its data files."""
        taken = thirdparty_rules.take_files(dist, rels, reason, self.excluded, self.modules)
        for rel, full in taken.data.items():
            self.data[rel] = full
            self.data_dist[rel] = dist.name
        for name in taken.adopted:
            self.modules[name].dist = dist.name
        for member in taken.modules:
            self.modules[member.name] = member
        for member in taken.scanned:
            self._scan(member)
        for source in taken.cython_sources:
            self._scan_cython(source, dist)

    def _bring_back_tests(self, name: str, why: str) -> bool:
        """Bundle the left-out test suite `name` lies in, whole; False if it lies in none.

        A distribution's `tests` subpackages are left out when it is bundled (see
        thirdparty_rules.sort_files): nothing of the distribution imports them, so no code of
        the program can reach them. Once bundled code does import one (or --include-module,
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

    def add_plugins(self) -> None:
        """Bundle the distributions that register entry points in a group bundled code names
        (see thirdparty_rules.plugin_group)."""
        tried: set[int] = {id(d) for d in self.dists.values()}
        changed = True
        while changed:  # a plugin's own code may name further groups
            changed = False
            for dist in self.index.dists:
                if id(dist) in tried:
                    continue
                group = thirdparty_rules.plugin_group(dist, self.strings, self.program_strings)
                if group:
                    tried.add(id(dist))
                    self._bundle_distribution(dist, f"plugin in group {group}")
                    changed = True

    # -- requests and what code makes importable ------------------------------------------

    def collect(self, name: str) -> None:
        """--collect: the package with every submodule found in its directories."""
        if not self.add(name, "--collect", 0, request=f"--collect {name}"):
            return
        for sub in self._submodules(name):
            self.add(sub, "--collect", 0, fatal=False)

    def _submodules(self, name: str):
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

    def add_codecs(self) -> None:
        """Bundle the codecs whose names appear as string literals in bundled code."""
        aliases = encodings.aliases.aliases
        looks_like_codec = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{1,24}").fullmatch
        for text in sorted(filter(looks_like_codec, self.strings)):
            norm = encodings.normalize_encoding(text).lower()
            target = aliases.get(norm, norm)
            if target.isidentifier() and f"encodings.{target}" not in self.modules:
                if self._found(f"encodings.{target}"):
                    self.add(f"encodings.{target}", "codec name in bundled code", 0,
                             fatal=False, program=False)

    # -- real files -----------------------------------------------------------------------

    def add_package_data(self) -> None:
        """Data files in the program's packages (and other packages no RECORD describes)."""
        for mod in list(self.modules.values()):
            for rel, full in file_rules.package_data(mod):
                self.data[rel] = full
                self.loose_data.setdefault(mod.name.split(".")[0], []).append(rel)

    def decide_file_bound(self) -> None:
        """Which code is served from real files (see file_rules): every third-party
        distribution, and every package of the program's that has data files."""
        for dist in self.dists.values():
            if file_rules.served_from_files(dist):
                dist.file_bound = True
                dist.why_files = file_rules.WHY_DISTRIBUTION
        for tree, members, data in file_rules.loose_trees(self.loose_data,
                                                          self.modules.values()):
            self.dists[tree.name] = tree
            for member in members:
                member.dist = tree.name
            for d in data:
                self.data_dist[d] = tree.name

    # -- the verdict ----------------------------------------------------------------------

    def display_name(self, mod: Module) -> str:
        if mod.name in self.display:
            return self.display[mod.name]
        if mod.path and mod.root and mod.origin == "program":
            return os.path.relpath(mod.path, mod.root)
        return mod.path or mod.name

    def fatal_problems(self) -> list[Problem]:
        """Missing modules that stop the build (see problems.fatal_problems)."""
        return problems.fatal_problems(self.problems, self.modules, self.registrars)

    def warnings(self) -> list[str]:
        """Missing imports worth knowing (see problems.build_warnings)."""
        return problems.build_warnings(self.problems, self.modules, self.registrars,
                                       self.display_name)
