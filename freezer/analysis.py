"""Program → analysis: ask the target interpreter what the program needs.

Starts freezer/worker.py under the target Python (see its docstring for why it must be that
interpreter) and turns its JSON answer into an `Analysis`.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from freezer import build_cache
from freezer.errors import FreezeError

if TYPE_CHECKING:
    from freezer.glibc import Floor

_HERE = Path(__file__).resolve().parent


@dataclass
class EntryPoint:
    """What the frozen program runs: a script, `-m module`, or `module:function`."""

    kind: str  # "script", "module", "func"
    path: Path | None = None
    module: str = ""
    func: str = ""
    # `freeze DIR`: the script is DIR/__main__.py run as `python DIR` runs it, which differs
    # from `python DIR/__main__.py` only in `__main__`'s spec (see runtime/__init__.py).
    directory: bool = False

    def request(self, display: str) -> dict:
        if self.kind == "script":
            return {"kind": "script", "path": str(self.path), "directory": self.directory}
        return {"kind": self.kind, "module": self.module, "func": self.func, "display": display}


@dataclass
class BundledModule:
    name: str
    kind: str  # "source", "package", "namespace", "extension"
    origin: str  # "program", "stdlib", "runtime"
    archive: str  # entry name in the payload
    file: str | None  # compiled pyc in the build cache, or the extension file
    source: str | None = None  # the .py it came from
    dist: str | None = None  # the third-party distribution it belongs to
    py: str | None = None  # the source to ship beside the bytecode (None: --no-sources)
    # Why it is bundled: where it was first reached ("app.py:3", "--include-module:0",
    # "rich (whole distribution, for rich.console)"), and the module whose import that was
    # ("" for none: start-up, a hint, the whole standard library). See build_record.py.
    reason: str = ""
    by: str = ""


@dataclass
class BundledDist:
    """A third-party distribution, bundled whole."""

    name: str
    version: str
    dist_info: str  # its .dist-info directory, at the top of the payload
    file_bound: bool  # served from real files (unpacked into the cache)
    why: str = ""
    direct: bool = True  # the program's own code imports it (not only other distributions)
    bundled_for: str = ""  # "for MODULE", "required by DIST", "plugin in group G"


@dataclass
class Analysis:
    target: dict
    modules: list[BundledModule]
    main: dict
    warnings: list[str] = field(default_factory=list)
    dists: list[BundledDist] = field(default_factory=list)
    data: dict[str, str] = field(default_factory=dict)  # archive name -> file
    data_dist: dict[str, str] = field(default_factory=dict)  # archive name -> distribution
    # auditwheel's vendored libraries: (archive name, file, distribution)
    vendored: list[tuple[str, str, str]] = field(default_factory=list)
    # The cold standard library: sources and package data of the stdlib modules the analysis
    # did not see imported, by archive name (see plan.py).
    cold: dict[str, str] = field(default_factory=dict)
    # --pruned: the stdlib modules left out.
    dropped: list[str] = field(default_factory=list)
    # Shared libraries the program's or its distributions' code names to ctypes.
    libraries: list[str] = field(default_factory=list)
    # The executable's glibc floor, set by the build once the plan is made (not for a .pyz).
    floor: Floor | None = None
    # How many modules the output holds where that is not len(modules): a .pyz carries the
    # program's and its distributions' modules only, the target Python has the stdlib.
    held: int | None = None
    # What code names but the build left out, and why: {"name", "why", "at"}.
    left_out: list[dict] = field(default_factory=list)
    # Seconds the worker spent on the analysis and on compiling, for the progress lines.
    timings: dict[str, float] = field(default_factory=dict)
    # Modules no entry holds (__main__, built-in and frozen ones) that import bundled ones:
    # {"name", "origin", "kind", "reason", "by"}, so that a why-chain reaches the program.
    importers: list[dict] = field(default_factory=list)
    # Bytes the binary's starts write to the cache at most (native files and trees unpacked).
    unpacked: int = 0
    sbom: bytes = b""  # the CycloneDX document the build embedded (sbom.py)
    boot_unpacked: int = 0  # of which every first start writes these (the boot libraries)


def clean_env() -> dict[str, str]:
    """The build's own environment for the target interpreter.

    The user's PYTHON* variables must not change what gets bundled or how it is compiled;
    PYTHONHASHSEED is fixed because set and frozenset constants are marshalled in hash order,
    and reproducible bytecode needs one order.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    return env


def analyse(python: str, entry: EntryPoint, display: str, program_path: list[str],
            include: list[str], exclude: list[str], cache_root: Path,
            collect: list[str] = (), traced: list[str] = (), pruned: bool = False,
            sources: bool = True, launcher: list[str] = ()) -> Analysis:
    """Run the worker under `python` (behind `launcher`, the emulator of a cross build)."""
    request = {
        "launcher": list(launcher),
        "entry": entry.request(display),
        "program_path": program_path,
        "include": include,
        "collect": list(collect),
        "traced": list(traced),
        "exclude": exclude,
        "pruned": pruned,
        "sources": sources,
        "runtime_dir": str(_HERE / "runtime"),
        # Created and checked here, from the root down (build_cache's rules), so an untrusted
        # cache stops the build before the worker starts; the worker checks them again.
        "pyc_cache": str(build_cache.build_dir(cache_root, "pyc")),
        "scan_cache": str(build_cache.build_dir(cache_root, "scan")),
    }
    try:
        proc = subprocess.run(
            [*launcher, python, str(_HERE / "worker.py")], input=json.dumps(request),
            capture_output=True, text=True, env=clean_env(), timeout=600,
        )
    except OSError as e:
        raise FreezeError(f"--python {python}: cannot run it ({e.strerror})") from None
    try:
        # The last line: anything the target's site hooks print comes before it.
        reply = json.loads(proc.stdout.strip().rsplit("\n", 1)[-1])
    except (ValueError, IndexError):
        detail = proc.stderr.strip().splitlines()[-1:] or ["no answer"]
        if "Traceback (most recent call last):" in proc.stderr:
            # The interpreter ran, and the analysis itself failed: say that, not "bad Python".
            raise FreezeError(f"the analysis under {python} failed: {detail[0]}") from None
        raise FreezeError(
            f"--python {python}: not a working CPython 3.9+ interpreter ({detail[0]})"
        ) from None
    if "fatal" in reply:
        if "target" not in reply:
            raise FreezeError(f"--python {python}: {reply['fatal']}")
        raise FreezeError(reply["fatal"])
    modules = [BundledModule(m["name"], m["kind"], m["origin"], m["archive"], m.get("file"),
                             m.get("source"), m.get("dist"), m.get("py"),
                             m.get("reason", ""), m.get("by", ""))
               for m in reply["modules"]]
    dists = [BundledDist(d["name"], d["version"], d["dist_info"], d["file_bound"], d["why"],
                         d.get("direct", True), d.get("bundled_for", ""))
             for d in reply.get("dists", [])]
    data = {d["archive"]: d["source"] for d in reply.get("data", [])}
    data_dist = {d["archive"]: d["dist"] for d in reply.get("data", []) if d.get("dist")}
    vendored = [(v["archive"], v["source"], v["dist"]) for v in reply.get("vendored", [])]
    cold = {c["archive"]: c["source"] for c in [*reply["cold"], *reply["cold_data"]]}
    return Analysis(reply["target"], modules, reply["main"], reply.get("warnings", []),
                    dists, data, data_dist, vendored, cold, reply.get("dropped", []),
                    libraries=reply.get("libraries", []), left_out=reply.get("left_out", []),
                    timings=reply.get("timings", {}), importers=reply.get("importers", []))
