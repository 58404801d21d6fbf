"""Find a module by name as the target's import system would, without importing it.

Lookup uses the target interpreter's own `PathFinder`, builtin and frozen module tables and
the meta-path finders site installed (editable installs), so what is found is what it would
import. Parents' `__path__` come from their specs, not from running them.
"""

from __future__ import annotations

import _imp
import fnmatch
import importlib.machinery
import os
import sys
from dataclasses import dataclass

from freezer.analyzer.distributions import DistIndex, DistributionError

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


def is_pattern(exclude: str) -> bool:
    """An --exclude-module value with fnmatch's wildcards (`*.tests`), not a plain name."""
    return any(c in exclude for c in "*?[")


class Excludes:
    """What the user leaves out by name (--exclude-module): names, and glob patterns matched
    against every package above a name, where `*` also spans dots."""

    def __init__(self, excludes: list[str]) -> None:
        self.patterns = [e for e in excludes if is_pattern(e)]
        self.names = [e for e in excludes if not is_pattern(e)]

    def __call__(self, name: str) -> bool:
        if any(name == e or name.startswith(e + ".") for e in self.names):
            return True
        if not self.patterns:
            return False
        parts = name.split(".")
        return any(fnmatch.fnmatchcase(".".join(parts[:i]), pattern)
                   for i in range(1, len(parts) + 1) for pattern in self.patterns)


class Finder:
    """Name -> Module on the target's search path: the program's directories first, then the
    stdlib's, then site's, as `sys.path` orders them for `python app.py`.

    `bundled` is the walk's table of modules already in the bundle (shared, not copied): a
    name there is that module, so a distribution's members found from its RECORD are the ones
    their submodules are looked up below. Misses are remembered.
    """

    def __init__(self, program_path: list[str], stdlib_path: list[str], site_path: list[str],
                 excluded: Excludes, bundled: dict[str, Module], index: DistIndex) -> None:
        self.program_path = program_path
        self.stdlib_path = stdlib_path
        self.site_path = site_path
        self.excluded = excluded
        self.bundled = bundled
        self.index = index
        self.missing: dict[str, None] = {}

    def find(self, name: str) -> Module | None:
        """Locate `name`; None when the target cannot import it (or it is excluded)."""
        if name in self.bundled:
            return self.bundled[name]
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
            spec = _find_by_meta_path(name)
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
        root = root_of(anchor, name)
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


def root_of(path: str, name: str) -> str:
    """The search-path directory `name` lives under (the top of its package tree)."""
    depth = name.count(".") + 1
    root = path
    for _ in range(depth):
        root = os.path.dirname(root)
    if os.path.basename(path).startswith("__init__."):
        root = os.path.dirname(root)
    return root
