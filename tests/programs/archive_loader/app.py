"""A stdlib module's file, found the way source tools (jedi, parso, IDE servers) find it.

They ask the import system for the module's loader and tell an archive's (zipimport) from a
file's by the loader's type: a file's mtime comes from os.stat of its path, an archive
member's from the archive. Frozen, the stdlib lives inside the binary, so its modules'
paths are inside a file, where os.stat fails; the answers must be python's all the same.
"""

import importlib.util
import os
import pkgutil
import zipimport


def modified(name: str) -> float:
    spec = importlib.util.find_spec(name)
    loader = spec.loader
    if isinstance(loader, zipimport.zipimporter):
        return os.path.getmtime(loader.archive)
    return os.path.getmtime(loader.get_filename(name))


for name in ("json", "json.decoder", "email.mime.text"):
    spec = importlib.util.find_spec(name)
    source = spec.loader.get_source(name)
    print(name, modified(name) > 0, "import" in source, spec.loader.is_package(name))

# Listing stays python's: the finder is not listed as a place of modules of its own, and
# the stdlib modules CPython 3.11+ runs frozen (os, stat, runpy, importlib.util) are files
# under python, listed with the others.
wanted = {"json", "csv", "os", "stat", "runpy", "codecs", "posixpath", "zipimport",
          "__hello__", "__phello__", "encodings"}
top = [(i.name, i.ispkg) for i in pkgutil.iter_modules()
       if i.name in wanted or i.name.startswith(("_freezer", "__hello", "__phello"))]
print("listed", sorted(top), len(top) == len(set(top)))
import importlib  # noqa: E402

inner = [i.name for i in pkgutil.iter_modules(importlib.__path__) if not i.name.startswith("_")]
print("importlib", sorted(inner))
importlib.invalidate_caches()
print("after invalidate", importlib.util.find_spec("csv") is not None)
