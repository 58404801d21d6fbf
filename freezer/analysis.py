"""Program → analysis: ask the target interpreter what the program needs.

Starts freezer/analyzer/worker.py under the target Python (see its docstring for why it must be that
interpreter) and turns its answer (analyzer/protocol.py) into an `Analysis`.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from freezer import build_cache
from freezer.analyzer import protocol
from freezer.analyzer.protocol import BundledDist, BundledModule
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

    def request(self, display: str) -> protocol.Entry:
        if self.kind == "script":
            return protocol.Entry("script", path=str(self.path), directory=self.directory)
        return protocol.Entry(self.kind, module=self.module, func=self.func, display=display)


@dataclass
class Analysis:
    target: dict
    modules: list[BundledModule]  # (the worker's, see analyzer/protocol.py)
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
    # Files beside the main script that its code names: (script-relative name, file).
    beside_script: list[tuple[str, str]] = field(default_factory=list)
    # The executable's glibc floor, set by the build once the plan is made (not for a .pyz).
    floor: Floor | None = None
    # How many modules the output holds where that is not len(modules): a .pyz carries the
    # program's and its distributions' modules only, the target Python has the stdlib.
    held: int | None = None


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
    request = protocol.Request(
        entry=entry.request(display), program_path=program_path, include=include,
        exclude=exclude, runtime_dir=str(_HERE / "runtime"),
        # Created and checked here, from the root down (build_cache's rules), so an untrusted
        # cache stops the build before the worker starts; the worker checks them again.
        pyc_cache=str(build_cache.build_dir(cache_root, "pyc")),
        scan_cache=str(build_cache.build_dir(cache_root, "scan")),
        collect=list(collect), traced=list(traced), pruned=pruned, sources=sources,
        launcher=list(launcher))
    try:
        proc = subprocess.run(
            [*launcher, python, str(_HERE / "analyzer" / "worker.py")],
            input=protocol.dumps(request),
            capture_output=True, text=True, env=clean_env(), timeout=600,
        )
    except OSError as e:
        raise FreezeError(f"--python {python}: cannot run it ({e.strerror})") from None
    try:
        # The last line: anything the target's site hooks print comes before it.
        reply = protocol.loads(protocol.Reply, proc.stdout.strip().rsplit("\n", 1)[-1])
    except (ValueError, IndexError):
        detail = proc.stderr.strip().splitlines()[-1:] or ["no answer"]
        if "Traceback (most recent call last):" in proc.stderr:
            # The interpreter ran, and the analysis itself failed: say that, not "bad Python".
            raise FreezeError(f"the analysis under {python} failed: {detail[0]}") from None
        raise FreezeError(
            f"--python {python}: not a working CPython 3.9+ interpreter ({detail[0]})"
        ) from None
    if reply.fatal:
        if not reply.target:
            raise FreezeError(f"--python {python}: {reply.fatal}")
        raise FreezeError(reply.fatal)
    data = {d.archive: d.source for d in reply.data}
    data_dist = {d.archive: d.dist for d in reply.data if d.dist}
    vendored = [(v.archive, v.source, v.dist) for v in reply.vendored]
    cold = {c.archive: c.source for c in reply.cold}
    return Analysis(reply.target, reply.modules, asdict(reply.main), reply.warnings,
                    reply.dists, data, data_dist, vendored, cold, reply.dropped,
                    libraries=reply.libraries,
                    beside_script=[(f.archive, f.source) for f in reply.beside_script])
