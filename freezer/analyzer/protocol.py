"""The analysis worker's protocol: one request on its stdin, one reply as the last line of
its stdout, both JSON of the dataclasses here.

Shared by both sides: the build (freezer/analysis.py) writes the request and reads the reply,
the worker (worker.py, under the target interpreter) does the reverse. So this module keeps to
the stdlib and 3.9 syntax, and a field is named once, here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields


@dataclass
class Entry:
    """What the frozen program runs: a script, `-m module`, or `module:function`."""

    kind: str  # "script", "module", "func"
    path: str = ""  # the script
    directory: bool = False  # the script is DIR/__main__.py of `freeze DIR`
    module: str = ""
    func: str = ""
    display: str = ""  # the file name a `module:function` entry's tracebacks show


@dataclass
class Request:
    entry: Entry
    program_path: list[str]
    include: list[str]
    exclude: list[str]
    runtime_dir: str  # freezer/runtime, compiled into every binary
    pyc_cache: str  # build-cache directories, created and checked by the build side
    scan_cache: str
    collect: list[str] = field(default_factory=list)
    traced: list[str] = field(default_factory=list)  # what a --trace run imported
    pruned: bool = False
    sources: bool = True
    # The words that run the target interpreter again (a cross build's emulator).
    launcher: list[str] = field(default_factory=list)


@dataclass
class BundledModule:
    name: str
    kind: str  # "source", "package", "namespace", "extension"
    origin: str  # "program", "stdlib", "thirdparty", "runtime"
    archive: str  # entry name in the payload
    file: str | None = None  # compiled pyc in the build cache, or the extension file
    source: str | None = None  # the .py it came from
    dist: str | None = None  # the third-party distribution it belongs to
    py: str | None = None  # the source to ship beside the bytecode (None: --no-sources)
    reason: str = ""  # why it is bundled: "importer:line", a request, "start-up", ...


@dataclass
class BundledDist:
    """A third-party distribution, bundled whole."""

    name: str
    version: str
    dist_info: str  # its .dist-info directory, at the top of the payload
    file_bound: bool  # served from real files (unpacked into the cache)
    why: str = ""
    direct: bool = True  # the program's own code imports it (not only other distributions)


@dataclass
class File:
    """A file the bundle carries as it is: data, metadata, a vendored library, cold stdlib."""

    archive: str
    source: str
    dist: str | None = None


@dataclass
class Main:
    kind: str  # "script", "directory", "module"
    arg: str  # the script's shown name, or the module to run
    pyc: str | None = None  # the script's compiled code
    source: str | None = None  # the script's file on the build machine


@dataclass
class Reply:
    # The interpreter's facts (worker.target_facts); empty when it is no CPython 3.9+.
    target: dict = field(default_factory=dict)
    fatal: str = ""  # the build's one-line error; nothing below is set then
    warnings: list[str] = field(default_factory=list)
    libraries: list[str] = field(default_factory=list)  # named to ctypes by bundled code
    modules: list[BundledModule] = field(default_factory=list)
    dists: list[BundledDist] = field(default_factory=list)
    data: list[File] = field(default_factory=list)
    vendored: list[File] = field(default_factory=list)
    cold: list[File] = field(default_factory=list)  # cold stdlib sources and data
    dropped: list[str] = field(default_factory=list)  # --pruned: stdlib modules left out
    # Files beside the main script that its code names (file_rules.named_beside_script).
    beside_script: list[File] = field(default_factory=list)
    main: Main | None = None


# Fields holding further dataclasses: (class, is a list).
_NESTED = {
    (Request, "entry"): (Entry, False),
    (Reply, "modules"): (BundledModule, True),
    (Reply, "dists"): (BundledDist, True),
    (Reply, "data"): (File, True),
    (Reply, "vendored"): (File, True),
    (Reply, "cold"): (File, True),
    (Reply, "beside_script"): (File, True),
    (Reply, "main"): (Main, False),
}


def dumps(message: Request | Reply) -> str:
    return json.dumps(asdict(message))


def loads(cls: type, text: str):
    """A `cls` from its JSON; ValueError when the text is not one."""
    return _build(cls, json.loads(text))


def _build(cls: type, data: dict):
    if not isinstance(data, dict):
        raise ValueError(f"not a {cls.__name__}")
    known = {f.name for f in fields(cls)}
    values = {}
    for name, value in data.items():
        if name not in known:
            continue
        nested = _NESTED.get((cls, name))
        if nested is not None and value is not None:
            inner, many = nested
            value = [_build(inner, v) for v in value] if many else _build(inner, value)
        values[name] = value
    try:
        return cls(**values)
    except TypeError as e:
        raise ValueError(f"not a {cls.__name__}: {e}") from None
