"""The portable form: a zipapp (`.pyz`) of the program's pure-Python sources and packages.

It runs on any platform with a compatible Python, because it carries no interpreter and no
native code; the native executable is the opposite trade (needs nothing, built per platform).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Callable

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


def _pure_twin(extension: str | None) -> Path | None:
    """x.py shipped beside a compiled x.so (mypyc, Cython's pure mode): what a .pyz uses."""
    if not extension:
        return None
    path = Path(extension)
    twin = path.with_name(path.name.split(".")[0] + ".py")
    return twin if twin.is_file() else None


def _native_dists(analysis: Analysis) -> set[str]:
    """Distributions with an extension module that has no pure twin."""
    return {m.dist for m in analysis.modules
            if m.kind == "extension" and m.dist and not _pure_twin(m.source)}


def write_pyz(output: Path, analysis: Analysis, entry: EntryPoint,
              warnings: list[str] | None = None,
              records: Callable[[], list[tuple[str, bytes]]] | None = None) -> None:
    """The program's modules and its third-party distributions, as sources.

    A distribution with native code that only other distributions reach (an optional
    import, say) is left out with a warning: the Python the .pyz runs on may have it
    installed. One the program imports itself stops the build.
    """
    files: dict[str, bytes] = {"__main__.py": main_source(analysis, entry)}
    direct = {d.name for d in analysis.dists if d.direct}
    left_out = sorted(_native_dists(analysis) - direct)
    if left_out and warnings is not None:
        warnings.append(f"left out of the .pyz, as they hold native code: {', '.join(left_out)}"
                        " (install them where the .pyz runs)")
    dist_infos = {d.dist_info for d in analysis.dists if d.name in left_out}
    analysis.held = 0
    for mod in analysis.modules:
        if mod.origin not in ("program", "thirdparty") or mod.dist in left_out:
            continue
        if mod.kind == "extension" and _pure_twin(mod.source):
            source = _pure_twin(mod.source)
            files[mod.archive.rpartition("/")[0] + "/" * ("/" in mod.archive)
                  + source.name] = source.read_bytes()
            analysis.held += 1
            continue
        if mod.kind == "extension":
            owner = f"distribution '{mod.dist}'" if mod.dist else mod.source
            raise FreezeError(f"{owner}: a .pyz carries pure Python only, and {mod.name} is "
                              "an extension module (build a native executable instead)")
        if mod.kind in ("source", "package"):
            files[mod.archive[:-1]] = Path(mod.source).read_bytes()  # .pyc -> .py
            analysis.held += 1
    for archive, source in analysis.data.items():
        if archive.split("/")[0] in dist_infos or analysis.data_dist.get(archive) in left_out:
            continue
        data = Path(source).read_bytes()
        if archive.endswith(".dist-info/RECORD"):
            # The bundled RECORD names bytecode; a .pyz carries the sources.
            data = data.replace(b".pyc,,", b".py,,")
        files[archive] = data
    if records is not None:  # the build record and SBOM, made once all is known
        files.update(records())

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
