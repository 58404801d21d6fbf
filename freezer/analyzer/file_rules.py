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


# What a literal may bring from beside the script, at most: beyond it, the directory is not
# the program's data (a literal "data" in a checkout holding a data set, a home directory).
BESIDE_SCRIPT_MAX_FILES = 2000
BESIDE_SCRIPT_MAX_BYTES = 100 << 20
# Not data of the program's: other builds, caches, environments, version control.
_NOT_DATA_DIRS = frozenset({"__pycache__", "build", "dist", "node_modules", "site-packages"})
_CODE_SUFFIXES = (".py", ".pyc", ".pyo")


def named_beside_script(script_dir: str, strings: Iterable[str],
                        library_strings: Iterable[str] = ()
                        ) -> tuple[list[tuple[str, str]], list[str]]:
    """(files, refusals): the files beside the main script that the program's own code names
    by a literal, as (script-relative name, file), and a line for each named directory too
    large to carry.

    `python app.py` reads `os.path.join(os.path.dirname(__file__), "config.json")` from the
    script's directory; the frozen program finds the same files beside its `__file__` (plan.py
    unpacks them with the script, as for `--add-data`). A literal that names a directory
    brings the directory. A directory that third-party code names (`library_strings`) comes
    too: Flask looks for "templates" and "static" beside the script, its application's root.
    Code is not data (modules are bundled as modules), nor are ELF files (other builds,
    ctypes libraries: see native_deps), nor environments or caches. A name the code computes
    is not seen: `--add-data` takes it.
    """
    script_dir = os.path.realpath(script_dir)
    files: dict[str, str] = {}
    refused: list[str] = []
    try:
        # A big program's code holds a few hundred thousand strings: only those whose first
        # part is a name in the directory are worth a look.
        present = set(os.listdir(script_dir))
    except OSError:
        return [], []
    strings = set(strings)
    library_dirs = {t for t in library_strings if t not in strings and t.strip("/") in present
                    and os.path.isdir(os.path.join(script_dir, t.strip("/")))}
    for text in sorted(strings | library_dirs):
        rel = os.path.normpath(text.lstrip("/")) if "\0" not in text else "."
        if rel in (".", "..") or rel.startswith(".." + os.sep) or rel.startswith(".") \
                or rel.split(os.sep)[0] not in present:
            continue
        full = os.path.join(script_dir, rel)
        if os.path.isfile(full):
            if _is_data_file(full):
                files[rel] = full
        elif os.path.isdir(full) and not _is_environment(full):
            found = list(_data_files(full, rel))
            size = sum(os.path.getsize(f) for _, f in found)
            if len(found) > BESIDE_SCRIPT_MAX_FILES or size > BESIDE_SCRIPT_MAX_BYTES:
                refused.append(
                    f"{full}: the program names this directory, but with {len(found)} files "
                    f"({size / 1e6:.0f} MB) it is not bundled: --add-data {rel} carries it")
                continue
            files.update(found)
    return sorted((rel.replace(os.sep, "/"), full) for rel, full in files.items()), refused


def _data_files(top: str, rel_top: str) -> Iterator[tuple[str, str]]:
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _NOT_DATA_DIRS
                         and not _is_environment(os.path.join(folder, d))
                         and not os.path.exists(os.path.join(folder, d, "__init__.py")))
        for name in sorted(names):
            full = os.path.join(folder, name)
            if not name.startswith(".") and _is_data_file(full):
                yield os.path.join(rel_top, os.path.relpath(full, top)), full


def _is_data_file(path: str) -> bool:
    if path.endswith(_CODE_SUFFIXES) or module_name(os.path.basename(path)) is not None:
        return False
    try:
        with open(path, "rb") as f:
            return f.read(4) != b"\x7fELF"
    except OSError:
        return False


def _is_environment(path: str) -> bool:
    """A virtual environment or a package directory: not the program's data files."""
    return os.path.exists(os.path.join(path, "pyvenv.cfg")) or \
        os.path.exists(os.path.join(path, "__init__.py"))
