"""Build-side helper run under the *target* interpreter: analysis and bytecode.

The build host may run freezer on Python 3.11 while freezing for 3.9 or 3.13; the source must
be parsed with the target's grammar, modules found with the target's own import tables, and
bytecode made by the target's compiler. So this script is started as `TARGET worker.py`
with a JSON request on stdin, and answers with one line of JSON, the last on stdout. `site`
runs as it would for `TARGET app.py`, so the target's site-packages, .pth directories and
editable installs are seen exactly as the program sees them. It never runs inside a frozen
program.
"""

from __future__ import annotations

import sys

if sys.implementation.name != "cpython" or sys.version_info < (3, 9):  # pragma: no cover
    print('{"fatal": "not CPython 3.9 or newer"}')
    raise SystemExit(0)

import hashlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import marshal  # noqa: E402
import os  # noqa: E402
import sysconfig  # noqa: E402
from pathlib import Path  # noqa: E402

# Drop this file's directory (sys.path[0]) so it cannot shadow the stdlib the analysis looks
# at, and make the freezer package importable instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_PATH = [p for p in sys.path[1:] if p]
sys.path[:] = [os.path.dirname(_HERE)] + TARGET_PATH

from freezer import build_cache  # noqa: E402
from freezer.distributions import is_stdlib_entry, stdlib_dirs  # noqa: E402
from freezer.errors import FreezeError  # noqa: E402
from freezer.module_graph import STARTUP_MODULES, ModuleGraph  # noqa: E402
from freezer.stdlib_inventory import inventory  # noqa: E402

_STDLIB_DIRS = stdlib_dirs()
STDLIB_PATH = [p for p in TARGET_PATH if is_stdlib_entry(p, _STDLIB_DIRS)]
SITE_PATH = [p for p in TARGET_PATH if not is_stdlib_entry(p, _STDLIB_DIRS)]

RUNTIME_PACKAGE = "_freezer_runtime"
# The file name of the runtime's code: the import system's own, so that python's machinery
# treats the runtime's frames (its finders and loaders sit between importlib and a module's
# code) as it treats importlib's: warnings' stacklevel skips them (a DeprecationWarning of a
# module imported by __main__ is shown, as under python), and tracebacks of failed imports
# are trimmed of them.
RUNTIME_FILENAME = "<frozen importlib._bootstrap_external>"
# Unchecked hash-based pycs: no timestamps, so builds are reproducible, and zipimport never
# looks for the (absent) source to validate them.
_PYC_FLAGS = (0b01).to_bytes(4, "little")


# The words that run this interpreter again (a cross build's qemu; the request sets it): a
# child cannot exec the target's programs directly where no binfmt handler is registered.
_LAUNCHER: list[str] = []


def target_facts() -> dict:
    cfg = sysconfig.get_config_var
    return {
        "version": ".".join(map(str, sys.version_info[:3])),
        "executable": sys.executable,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "ext_suffix": cfg("EXT_SUFFIX"),
        "shared": bool(cfg("Py_ENABLE_SHARED")),
        "libdir": cfg("LIBDIR"),
        "multiarch": cfg("MULTIARCH") or "",
        "instsoname": cfg("INSTSONAME") or cfg("LDLIBRARY"),
        "include": sysconfig.get_paths()["include"],
        "machine": os.uname().machine,
        "zlib_builtin": "zlib" in sys.builtin_module_names,
        "cache_tag": sys.implementation.cache_tag,
        "stdlib": sysconfig.get_paths()["stdlib"],
        "tzpath": cfg("TZPATH") or "",
        "boot_modules": _boot_modules(),
    }


# Run by a bare interpreter configured as the bootloader configures the frozen one.
_BOOT_PROBE = ("import sys; print(' '.join(sorted(n for n, m in sys.modules.items() "
               "if getattr(getattr(m, '__spec__', None), 'has_location', False))))")


def _boot_modules() -> list[str]:
    """The modules CPython's own start-up imports from its search path (`encodings` and the
    codec of UTF-8 mode; before 3.11 also `io`, `abc`, `codecs`), under the configuration the
    bootloader gives the frozen interpreter (isolated, no site, UTF-8 mode).

    The frozen interpreter imports them before the runtime and its module store exist, so
    they stay plain bytecode entries of the zip, which zipimport serves (plan.py). Asked of
    the interpreter rather than listed: the set differs between versions."""
    import subprocess

    try:
        out = subprocess.run([*_LAUNCHER, sys.executable, "-I", "-S", "-X", "utf8", "-c",
                              _BOOT_PROBE], capture_output=True, text=True, timeout=60,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return out.split()


class Compiler:
    """Compiles sources to pyc bytes, kept in a cache across builds, keyed by the source.

    A pyc is marshalled code that every user of the binary runs, so a cached one is used only
    under build_cache's rules: a private file in a private directory whose bytes hash to the
    SHA-256 recorded beside it when it was compiled. Any other is compiled again.
    """

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = build_cache.ensure_dir(cache_dir)

    def pyc(self, source_path: str | None, dfile: str, source: bytes | None = None,
            optimize: int = 0) -> str:
        if source is None:
            with open(source_path, "rb") as f:
                source = f.read()
        key = hashlib.sha256(
            importlib.util.MAGIC_NUMBER + f"{dfile}\0{optimize}\0".encode() + source
        ).hexdigest()
        out = build_cache.ensure_dir(self.cache_dir, key[:2]) / (key + ".pyc")
        if build_cache.check(out):
            return str(out)
        code = compile(source, dfile, "exec", dont_inherit=True, optimize=optimize)
        data = (importlib.util.MAGIC_NUMBER + _PYC_FLAGS + importlib.util.source_hash(source)
                + marshal.dumps(code))
        _save(out, data)
        return str(out)


def _save(out: Path, data: bytes, sidecar: bool = True) -> None:
    """build_cache.save(), a failure reported as the build's one-line error."""
    try:
        build_cache.save(out, data, sidecar=sidecar)
    except OSError as e:
        raise FreezeError(f"{out.parent}: cannot write to the cache ({e.strerror or e})") \
            from None


def archive_name(mod) -> str:
    base = mod.name.replace(".", "/")
    if mod.kind == "package":
        return base + "/__init__.pyc"
    if mod.kind == "namespace":
        return base + "/"
    if mod.kind == "extension":
        return os.path.dirname(base) + "/" + os.path.basename(mod.path) if "/" in base \
            else os.path.basename(mod.path)
    return base + ".pyc"


def entry_code(request: dict, graph: ModuleGraph) -> tuple[str, str, bytes, str]:
    """The program's entry: (main kind, argument, source, file name shown in tracebacks)."""
    entry = request["entry"]
    if entry["kind"] == "script":
        path = entry["path"]
        display = os.path.basename(path)
        graph.add_source("__main__", path, display)
        with open(path, "rb") as f:
            # A directory's __main__.py runs as a script with a spec (runtime/__init__.py).
            kind = "directory" if entry.get("directory") else "script"
            return kind, display, f.read(), display
    name = entry["module"]
    func = entry["func"]
    request = f"-m {name}" if entry["kind"] == "module" else f"{name}:{func}"
    graph.add(name, "command line", 0, request=request)
    if entry["kind"] == "module":
        mod = graph.find(name)
        if mod is not None and mod.search_locations is not None:
            graph.add(name + ".__main__", "command line", 0, request=request)
        return "module", name, b"", ""
    display = entry["display"]
    source = (f"import sys\nfrom {name} import {func.split('.')[0]}\n"
              f"sys.exit({func}())\n").encode()
    return "script", display, source, display


def bundled_record(dist, graph: ModuleGraph, modules: list[dict], cache_dir: str) -> str:
    """A RECORD listing what the bundle holds of `dist` (x.pyc where it carries no source).

    importlib.metadata reads RECORD for files() and packages_distributions(), and from 3.13
    drops the files that do not exist; the original would name sources that are not there.
    Hashes are left out, which RECORD allows, as the bundled bytes are not pip's.
    """
    names = {m["archive"][:-1] if m.get("py") else m["archive"] for m in modules
             if m.get("dist") == dist.name and not m["archive"].endswith("/")}
    names |= {a for a, owner in graph.data_dist.items() if owner == dist.name}
    names |= {a for a in graph.data if a.startswith(dist.dist_info + "/")}
    rows = "".join(f"{_csv_field(n)},,\n" for n in sorted(names))
    return cached_text(rows.encode("utf-8"), cache_dir, "RECORD")


def cached_text(data: bytes, cache_dir: str, kind: str) -> str:
    """A file made by the build, kept content-addressed beside the compiled bytecode (its name
    is its SHA-256, which a cached one must still match)."""
    digest = hashlib.sha256(data).hexdigest()
    out = build_cache.ensure_dir(cache_dir, "made") / (digest + "." + kind)
    if build_cache.check(out, sha256=digest) is None:
        _save(out, data, sidecar=False)
    return str(out)


def _csv_field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if any(c in name for c in ',"\n') else name


def whole_stdlib(graph: ModuleGraph, pruned: bool) -> tuple[list[dict], list[dict], list[str]]:
    """The standard library beyond what the analysis saw: (cold modules, cold data files,
    names left out). Extension modules join the graph (they are packed like the hot ones);
    pure modules become the cold set, carried as sources (see stdlib_inventory.py).

    With `pruned`, nothing is added and the names left out are returned instead.
    """
    modules, data = inventory(STDLIB_PATH)
    cold, cold_data, dropped = [], [], []
    for name, (kind, path) in sorted(modules.items()):
        if name in graph.modules or graph.excluded(name):
            continue
        if pruned:
            dropped.append(name)
            continue
        if kind == "extension":
            mod = graph.find(name)
            if mod is not None and mod.kind == "extension":
                mod.reason = "standard library (carried whole)"
                graph.modules[name] = mod
            continue
        base = name.replace(".", "/")
        archive = base + "/__init__.py" if kind == "package" else base + ".py"
        cold.append({"name": name, "archive": archive, "source": path})
    for archive, path in sorted(data.items()):
        package = archive.rpartition("/")[0].replace("/", ".")
        if graph.excluded(package):
            continue
        if package in graph.modules:
            graph.data[archive] = path  # beside its hot package, where its loader reads
        elif not pruned:
            cold_data.append({"archive": archive, "source": path})
    return cold, cold_data, dropped


def main() -> None:
    request = json.load(sys.stdin)
    _LAUNCHER[:] = request.get("launcher", ())
    reply: dict = {"target": target_facts()}
    graph = ModuleGraph(request["program_path"], STDLIB_PATH, request["exclude"], SITE_PATH,
                        os.uname().machine, request.get("scan_cache"))
    compiler = Compiler(request["pyc_cache"])
    try:
        kind, arg, source, display = entry_code(request, graph)
        for name in STARTUP_MODULES:
            graph.add(name, fatal=False, program=False)
        if request.get("sources", True):
            # The runtime imports it at start, for source lines (see runtime/sources.py).
            graph.add("warnings", fatal=False, program=False)
        # The runtime adds site's exit(), help(), ... to builtins at start (site_builtins.py).
        graph.add("_sitebuiltins", fatal=False, program=False)
        for name in request["include"]:
            graph.add(name, "--include-module", 0, request=f"--include-module {name}")
        for name in request.get("collect", ()):
            graph.collect(name)
        for name in request.get("traced", ()):
            # What one run imported: bundled if found here, never an error if not (a module
            # made at run time, six.moves, ...).
            if graph.find(name) is not None:
                graph.add(name, "--trace", 0, fatal=False)
        graph.add_plugins()
        graph.add_registered_packages()
        graph.add_program_packages()
        graph.add_stdlib_fallbacks()
        graph.add_codecs()
        graph.add_package_data()
        graph.decide_file_bound()
        if not request.get("pruned") or graph.data or graph.dists:
            # zipimport and zipfile inflate the deflated entries (sources, data) with zlib,
            # an extension module in most builds; a --pruned build with nothing to inflate
            # stores everything and carries zlib only if the program imports it.
            graph.add("zlib", fatal=False, program=False)
        main_pyc = compiler.pyc(None, display, source) if kind != "module" else None
    except SyntaxError as e:
        reply["fatal"] = f"{e.filename}:{e.lineno}: syntax error: {e.msg}"
        print(json.dumps(reply))
        return
    problems = graph.fatal_problems()
    if problems:
        reply["fatal"] = problems[0].message()
        print(json.dumps(reply))
        return
    reply["warnings"] = graph.warnings()
    reply["libraries"] = sorted(graph.libraries)
    cold, cold_data, dropped = whole_stdlib(graph, request.get("pruned", False))
    modules = []
    for mod in sorted(graph.modules.values(), key=lambda m: m.name):
        if mod.name == "__main__" or mod.kind in ("builtin", "frozen"):
            continue
        item = {"name": mod.name, "kind": mod.kind, "origin": mod.origin,
                "archive": archive_name(mod), "source": mod.path, "reason": mod.reason,
                "dist": mod.dist}
        if mod.kind in ("source", "package"):
            # The file name python's tracebacks show: the source's own path, which linecache
            # reads where it exists and asks the module's loader for where it does not.
            dfile = mod.path
            if request.get("sources", True):
                item["py"] = mod.path
            try:
                item["file"] = compiler.pyc(mod.path, dfile)
            except SyntaxError as e:
                if mod.origin == "program" and not mod.rest_of_package:
                    shown = os.path.relpath(mod.path, mod.root) if mod.root else mod.path
                    reply["fatal"] = f"{shown}:{e.lineno}: syntax error: {e.msg}"
                    print(json.dumps(reply))
                    return
                continue
        elif mod.kind == "extension":
            item["file"] = mod.path
        modules.append(item)
    runtime_dir = request["runtime_dir"]
    for fn in sorted(os.listdir(runtime_dir)):
        if fn.endswith(".py"):
            stem = fn[:-3]
            arch = f"{RUNTIME_PACKAGE}/{fn}c"
            modules.append({
                "name": RUNTIME_PACKAGE if stem == "__init__" else f"{RUNTIME_PACKAGE}.{stem}",
                "kind": "package" if stem == "__init__" else "source",
                "origin": "runtime", "archive": arch,
                # Without docstrings: every binary carries the runtime.
                "file": compiler.pyc(os.path.join(runtime_dir, fn), RUNTIME_FILENAME,
                                     optimize=2),
            })
    for dist in graph.dists.values():
        if dist.dist_info and not dist.editable_root:
            record = f"{dist.dist_info}/RECORD"
            graph.data[record] = bundled_record(dist, graph, modules, request["pyc_cache"])
            top_level = f"{dist.dist_info}/top_level.txt"
            if top_level not in graph.data:
                # packages_distributions() infers top-level names from RECORD's .py files
                # (3.10-3.12), which the bundle has as .pyc: it reads this file first.
                tops = sorted({m["name"].split(".")[0] for m in modules
                               if m.get("dist") == dist.name})
                text = "".join(t + "\n" for t in tops).encode()
                graph.data[top_level] = cached_text(text, request["pyc_cache"], "top_level.txt")
    main_source = request["entry"].get("path")
    direct = {m.dist for m in graph.modules.values()
              if m.dist and (m.name in graph.program_imports or m.name in request["include"])}
    dists = [{"name": d.name, "version": d.version, "file_bound": d.file_bound,
              "why": d.why_files, "dist_info": d.dist_info, "direct": d.name in direct}
             for d in sorted(graph.dists.values(), key=lambda d: d.name.lower())]
    data = [{"archive": a, "source": graph.data[a], "dist": graph.data_dist.get(a)}
            for a in sorted(graph.data)]
    # auditwheel's vendored libraries: needed only if the distribution is unpacked (the plan
    # decides; from memory they come in as the extensions' needed libraries).
    vendored = [{"archive": rel, "source": os.path.join(d.site_dir, rel), "dist": d.name}
                for d in graph.dists.values() for rel in d.vendored]
    reply.update(modules=modules, dists=dists, data=data, vendored=vendored, cold=cold,
                 cold_data=cold_data, dropped=dropped,
                 main={"kind": kind, "arg": arg, "pyc": main_pyc, "source": main_source})
    print(json.dumps(reply))


if __name__ == "__main__":
    try:
        main()
    except FreezeError as e:
        # The build cache refused or could not be written: the build's one line, as freeze
        # itself reports it (main() prints its answer last, so nothing was printed yet).
        print(json.dumps({"target": target_facts(), "fatal": str(e)}))
