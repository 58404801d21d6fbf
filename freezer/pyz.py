"""The portable form: a zipapp (`.pyz`) of the program's own pure-Python sources.

It runs on any platform with a compatible Python, because it carries no interpreter and no
native code; the native executable is the opposite trade (needs nothing, built per platform).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from freezer.analysis import Analysis, EntryPoint
from freezer.errors import FreezeError
from freezer.payload import FIXED_DATE, write_atomically

SHEBANG = b"#!/usr/bin/env python3\n"


def main_source(analysis: Analysis, entry: EntryPoint) -> bytes:
    if entry.kind == "script":
        return entry.path.read_bytes()
    if entry.kind == "module":
        return (f"import runpy\nrunpy.run_module({entry.module!r}, run_name='__main__', "
                "alter_sys=True)\n").encode()
    return (f"import sys\nfrom {entry.module} import {entry.func.split('.')[0]}\n"
            f"sys.exit({entry.func}())\n").encode()


def write_pyz(output: Path, analysis: Analysis, entry: EntryPoint) -> None:
    files: dict[str, bytes] = {"__main__.py": main_source(analysis, entry)}
    for mod in analysis.modules:
        if mod.origin != "program":
            continue
        if mod.kind == "extension":
            raise FreezeError(f"{mod.source}: a .pyz carries pure Python only, and "
                              f"{mod.name} is an extension module (build a native executable)")
        if mod.kind in ("source", "package"):
            files[mod.archive[:-1]] = Path(mod.source).read_bytes()  # .pyc -> .py

    def build(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(SHEBANG)
            with zipfile.ZipFile(f, "w") as zf:
                for name in sorted(files):
                    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
                    info.create_system = 3
                    info.external_attr = 0o100644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, files[name], compresslevel=9)

    write_atomically(output, build)
