"""What needs real files: the code served from a directory in the cache, not from the store.

A distribution's code may look for its files in any way: open beside `__file__`,
`Path(__file__).parent.glob`, `os.listdir`, gettext's `localedir`, plugin discovery with
`pkgutil.iter_modules` on its own directory. Unpacked once into the cache, laid out as in
site-packages, it finds them all, as it does under python, and no guess about how its code
reads them is needed (runtime/trees.py serves them). The same holds for a package of the
program's own that has data files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from freezer.analyzer.distributions import Distribution, is_build_only, module_name
from freezer.analyzer.lookup import Module

WHY_DISTRIBUTION = "third-party distributions are served from real files"


def served_from_files(dist: Distribution) -> bool:
    """Every installed third-party distribution is; an editable install's code stays where
    the project is, module by module, like the program's."""
    return bool(dist.dist_info) and not dist.editable_root


def package_data(mod: Module) -> Iterator[tuple[str, str]]:
    """(root-relative name, file) of the data files in a package no RECORD describes: the
    program's own, an editable install's.

    Everything in its directory that is not code comes along, through directories that are
    not packages themselves (templates/, static/), as a wheel built from the project with
    package data would. A namespace package of the program's (a directory without
    `__init__.py`, `importlib.resources.files("app.data")`) has its files in each of its
    directories.
    """
    if mod.dist or mod.origin == "stdlib" or not mod.root:
        return
    if mod.kind == "package":
        tops = [os.path.dirname(mod.path)]
    elif mod.kind == "namespace" and mod.origin == "program":
        tops = list(mod.search_locations or ())
    else:
        return
    for folder, dirs, files in (step for top in tops for step in os.walk(top)):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                         and not os.path.exists(os.path.join(folder, d, "__init__.py")))
        for name in sorted(files):
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, mod.root).replace(os.sep, "/")
            if name.startswith(".") or name.endswith(".py") or is_build_only(rel) \
                    or module_name(rel) is not None:
                continue
            yield rel, full


def loose_trees(loose_data: dict[str, list[str]], modules: Iterable[Module]
                ) -> Iterator[tuple[Distribution, list[Module], list[str]]]:
    """(tree, its modules, its data files) for each top-level package no distribution owns
    that has data files: it becomes a tree of its own, served from real files."""
    modules = list(modules)
    for top, data in sorted(loose_data.items()):
        members = [m for m in modules if m.dist is None
                   and (m.path or m.kind == "namespace")
                   and (m.name == top or m.name.startswith(top + "."))]
        if not members or not data:
            continue
        tree = Distribution.loose(f"{top} (files)", f"{top} has data files, such as {data[0]}")
        yield tree, members, data
