"""Import scans kept across builds, one file per source content (runs in the worker).

A warm build of a big program was mostly the worker parsing every module of every bundled
distribution again (sympy with numpy: 3,600 modules, 60 s). A scan depends only on the
source bytes, the module's name and kind (relative imports resolve against it), the
target's grammar and the scanner's own code, so those are the key; the result is the
ImportRefs, string constants, whether it registers modules and the libraries it names to
ctypes, as JSON (data, never code, but it decides what the binary carries). Entries follow
freezer/build_cache.py: private directories, writes atomic, and an entry is read only if
its bytes hash to the SHA-256 recorded beside it; any other, or one that does not parse,
is a miss.
"""

from __future__ import annotations

import hashlib
import json
import sys

from freezer import build_cache
from freezer.analyzer import imports_scan
from freezer.analyzer.imports_scan import ImportRef, ScanResult, scan_source


def _scanner_version() -> bytes:
    with open(imports_scan.__file__, "rb") as f:
        return hashlib.sha256(f.read()).digest()


class ScanCache:
    """Scans by content under `directory` (build_cache.build_dir(root, "scan")), or none."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self.salt = _scanner_version() + sys.version.encode() if directory else b""

    def scan(self, source: bytes, display: str, module: str, is_package: bool) -> ScanResult:
        """scan_source(), from the cache when the same scan was made before."""
        if not self.directory:
            return scan_source(source, display, module, is_package)
        key = hashlib.sha256(self.salt + f"\0{module}\0{is_package}\0".encode() + source)
        digest = key.hexdigest()
        # An untrusted directory is the build's error (FreezeError), not a miss.
        path = build_cache.ensure_dir(self.directory, digest[:2]) / (digest + ".json")
        raw = build_cache.load(path)
        if raw is not None:
            try:
                data = json.loads(raw.decode("utf-8"))
                return ScanResult([ImportRef(r[0], r[1], r[2], tuple(r[3]), r[4], r[5],
                                             tuple(r[6])) for r in data["imports"]],
                                  set(data["strings"]), bool(data["registers_modules"]),
                                  set(data["libraries"]))
            except (ValueError, KeyError, IndexError, TypeError):
                pass  # recorded, yet not a scan of this version: made again
        result = scan_source(source, display, module, is_package)  # SyntaxError propagates
        data = {"imports": [[r.name, r.lineno, r.optional, list(r.fromlist), r.dynamic, r.lazy,
                             list(r.fallback_for)] for r in result.imports],
                "strings": sorted(result.strings),
                "registers_modules": result.registers_modules,
                "libraries": sorted(result.libraries)}
        try:
            build_cache.save(path, json.dumps(data).encode("utf-8"))
        except OSError:
            pass  # a cache that cannot be written only costs the next build time
        return result
