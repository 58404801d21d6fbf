"""The stdlib closure: for a stdlib module X, everything `python -I -S -c "import X"` loads is
in the hot set of a program that imports X (stored as bytecode, not left to the cold set).

A unit test of the analysis: it needs neither pyenv's interpreters nor a sandbox, only the
interpreter running the tests (the analysis runs under it as the target).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from freezer.analysis import EntryPoint, analyse

# Modules programs import every day, and those that failed frozen before the whole stdlib
# rode along (issue 8).
MODULES = [
    "decimal", "fractions", "statistics", "array", "unittest", "doctest", "pdb", "code",
    "cProfile", "compileall", "http.server", "pydoc", "timeit", "ctypes.wintypes", "argparse",
    "json", "csv", "sqlite3", "email.mime.text", "logging.handlers", "xml.etree.ElementTree",
    "asyncio", "concurrent.futures", "multiprocessing", "subprocess", "tarfile", "zipfile",
    "shutil", "tempfile", "datetime", "zoneinfo", "uuid", "ssl", "hashlib", "urllib.request",
    "http.client", "smtplib", "xmlrpc.client", "pickle", "shelve", "gzip", "bz2", "lzma",
    "calendar", "gettext", "difflib", "pprint", "inspect", "dis", "tokenize", "typing",
    "dataclasses", "secrets", "random", "locale", "traceback", "warnings", "platform",
]

# Real modules only: typing.io, pyexpat.errors and other names made by code at import time
# have no spec of their own (or another module's).
_LOADED = ("import sys\nimport {name}\nprint(*sorted(k for k, m in list(sys.modules.items())"
           " if getattr(m, '__spec__', None) is not None and m.__spec__.name == k))")


def _loaded_by_python(name: str) -> set[str]:
    """What `import name` makes python load, beyond what it had loaded at start."""
    done = subprocess.run([sys.executable, "-I", "-S", "-c", _LOADED.format(name=name)],
                          capture_output=True, text=True, check=True)
    startup = subprocess.run([sys.executable, "-I", "-S", "-c",
                              "import sys; print(*sorted(sys.modules))"],
                             capture_output=True, text=True, check=True)
    return set(done.stdout.split()) - set(startup.stdout.split())


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bytecode cache for all of them: each analysis compiles its hot set."""
    return tmp_path_factory.mktemp("closure-cache")


@pytest.mark.parametrize("name", MODULES)
def test_import_time_dependencies_are_hot(name: str, tmp_path: Path, build_cache: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(f"import {name}\n")
    analysis = analyse(sys.executable, EntryPoint("script", script), "app", [str(tmp_path)],
                       [], [], build_cache)
    hot = {m.name for m in analysis.modules}
    cold = {archive[:-3].replace("/", ".").removesuffix(".__init__")
            for archive in analysis.cold if archive.endswith(".py")}
    needed = {m for m in _loaded_by_python(name)
              if m not in sys.builtin_module_names and m not in _frozen()}
    assert needed - hot == set(), f"cold although `import {name}` loads them: {needed - hot}"
    assert not needed & cold


def _frozen() -> set[str]:
    import _imp

    return {m for m in sys.modules if _imp.is_frozen(m)} | {
        m for m in ("os", "codecs", "io", "abc", "stat", "posixpath", "genericpath",
                    "_collections_abc", "_sitebuiltins", "site", "zipimport")
        if _imp.is_frozen(m)}
