"""Every module of the target's standard library that a frozen program can carry.

Runs in the worker, under the target interpreter (stdlib only, 3.9 syntax). The whole standard
library rides along in every binary: what the analysis sees is stored as bytecode (the hot
set), everything else as deflated sources beside it (the cold set, see plan.py and
runtime/modules.py). Correctness then never depends on the analysis guessing right: whatever
`python app.py` could import from the standard library, the frozen program can.

Left out are only the parts that cannot work in a frozen program or are no part of any
program: CPython's own test suite (and the `test`/`tests` packages inside other packages), the
IDLE editor and the turtle demos (which need Tk's files), ensurepip (wheels of pip), and the
test-only extension modules. tkinter comes only when the program imports it (it needs the
Tcl/Tk libraries and their script directories).
"""

from __future__ import annotations

import os
import sys

from freezer.analyzer.distributions import module_name

# Top-level names never carried unless the program imports them itself.
NOT_CARRIED = frozenset({
    "test", "idlelib", "turtledemo", "ensurepip", "site-packages", "__pycache__",
})
# Carried only when the analysis sees them imported (they need Tcl/Tk on the machine).
ONLY_IF_IMPORTED = frozenset({"tkinter", "_tkinter", "turtle"})
# Directories inside packages that hold test suites.
_TEST_DIRS = frozenset({"test", "tests", "idle_test"})


def _test_only_extension(name: str) -> bool:
    """CPython's test helpers, built as extension modules."""
    return name.startswith(("_test", "xx", "_xx")) or name == "_ctypes_test"


def _module_of(rel: str) -> tuple[str, str] | None:
    """(dotted name, kind) of a stdlib-relative file path, or None if it is not a module.

    As for a distribution's files, except that sysconfig imports its data module by a name
    made at run time, with dashes in it (`_sysconfigdata__linux_x86_64-linux-gnu`)."""
    if "/" not in rel and rel.startswith("_sysconfigdata") and rel.endswith(".py"):
        return rel[:-3], "source"
    return module_name(rel)


def inventory(stdlib_path: list[str]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """The carriable stdlib: ({module name: (kind, file)}, {archive name: data file}).

    Data files are those inside stdlib packages that their code reads through its loader
    (lib2to3's pickled grammars through pkgutil.get_data).
    """
    modules: dict[str, tuple[str, str]] = {}
    data: dict[str, str] = {}
    for entry in stdlib_path:
        if not os.path.isdir(entry):
            continue
        for folder, dirs, files in os.walk(entry):
            rel_dir = os.path.relpath(folder, entry)
            parts = [] if rel_dir == "." else rel_dir.split(os.sep)
            if not parts:
                dirs[:] = sorted(d for d in dirs if d not in NOT_CARRIED
                                 and not d.startswith("config-") and d.isidentifier()
                                 or d == "lib-dynload")
            else:
                dirs[:] = sorted(d for d in dirs if d not in _TEST_DIRS and d.isidentifier())
            if parts == ["lib-dynload"]:
                parts = []  # extension modules are top-level modules
            is_package = "__init__.py" in files
            for fn in sorted(files):
                rel = "/".join([*parts, fn])
                found = _module_of(rel)
                if found is None:
                    if parts and is_package and not fn.endswith((".pyc", ".pyo")):
                        data.setdefault(rel, os.path.join(folder, fn))
                    continue
                name, kind = found
                top = name.split(".")[0]
                if top in NOT_CARRIED or (kind == "extension" and _test_only_extension(top)):
                    continue
                if parts and not is_package:
                    continue  # a directory of scripts, not a package (Tools/, ...)
                modules.setdefault(name, (kind, os.path.join(folder, fn)))
    for name in list(modules):
        if name.split(".")[0] in ONLY_IF_IMPORTED:
            del modules[name]
    for rel in list(data):
        if rel.split("/")[0] in ONLY_IF_IMPORTED:
            del data[rel]
    return modules, data


def builtin_names() -> frozenset[str]:
    return frozenset(sys.builtin_module_names)
