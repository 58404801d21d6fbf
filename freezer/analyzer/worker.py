"""Build-side helper run under the *target* interpreter: analysis and bytecode.

The build host may run freezer on Python 3.11 while freezing for 3.9 or 3.13; the source must
be parsed with the target's grammar, modules found with the target's own import tables, and
bytecode made by the target's compiler. So this script is started as `TARGET worker.py`
with a request on stdin, and answers with one line, the last on stdout (protocol.py). `site`
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
import marshal  # noqa: E402
import os  # noqa: E402
import sysconfig  # noqa: E402
from pathlib import Path  # noqa: E402

# Drop this file's directory (sys.path[0]) so it cannot shadow the stdlib the analysis looks
# at, and make the freezer package importable instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_PATH = [p for p in sys.path[1:] if p]
sys.path[:] = [os.path.dirname(os.path.dirname(_HERE))] + TARGET_PATH

from freezer import build_cache  # noqa: E402
from freezer.analyzer import file_rules  # noqa: E402
from freezer.analyzer.distributions import is_stdlib_entry, stdlib_dirs  # noqa: E402
from freezer.analyzer.graph import STARTUP_MODULES, ModuleGraph  # noqa: E402
from freezer.analyzer.protocol import (  # noqa: E402
    BundledDist,
    BundledModule,
    File,
    Main,
    Reply,
    Request,
    dumps,
    loads,
)
from freezer.analyzer.stdlib_inventory import inventory  # noqa: E402
from freezer.errors import FreezeError  # noqa: E402

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


def entry_code(request: Request, graph: ModuleGraph) -> tuple[str, str, bytes, str]:
    """The program's entry: (main kind, argument, source, file name shown in tracebacks)."""
    entry = request.entry
    if entry.kind == "script":
        path = entry.path
        display = os.path.basename(path)
        graph.add_source("__main__", path, display)
        with open(path, "rb") as f:
            # A directory's __main__.py runs as a script with a spec (runtime/__init__.py).
            kind = "directory" if entry.directory else "script"
            return kind, display, f.read(), display
    name = entry.module
    func = entry.func
    asked = f"-m {name}" if entry.kind == "module" else f"{name}:{func}"
    graph.add(name, "command line", 0, request=asked)
    if entry.kind == "module":
        mod = graph.find(name)
        if mod is not None and mod.search_locations is not None:
            graph.add(name + ".__main__", "command line", 0, request=asked)
        return "module", name, b"", ""
    display = entry.display
    source = (f"import sys\nfrom {name} import {func.split('.')[0]}\n"
              f"sys.exit({func}())\n").encode()
    return "script", display, source, display


def bundled_record(dist, graph: ModuleGraph, modules: list[BundledModule],
                   cache_dir: str) -> str:
    """A RECORD listing what the bundle holds of `dist` (x.pyc where it carries no source).

    importlib.metadata reads RECORD for files() and packages_distributions(), and from 3.13
    drops the files that do not exist; the original would name sources that are not there.
    Hashes are left out, which RECORD allows, as the bundled bytes are not pip's.
    """
    names = {m.archive[:-1] if m.py else m.archive for m in modules
             if m.dist == dist.name and not m.archive.endswith("/")}
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


def whole_stdlib(graph: ModuleGraph, pruned: bool) -> tuple[list[File], list[str]]:
    """The standard library beyond what the analysis saw: (cold modules and data files,
    names left out). Extension modules join the graph (they are packed like the hot ones);
    pure modules become the cold set, carried as sources (see stdlib_inventory.py).

    With `pruned`, nothing is added and the names left out are returned instead.
    """
    modules, data = inventory(STDLIB_PATH)
    cold, dropped = [], []
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
        cold.append(File(archive, path))
    for archive, path in sorted(data.items()):
        package = archive.rpartition("/")[0].replace("/", ".")
        if graph.excluded(package):
            continue
        if package in graph.modules:
            graph.data[archive] = path  # beside its hot package, where its loader reads
        elif not pruned:
            cold.append(File(archive, path))
    return cold, dropped


def main() -> None:
    request = loads(Request, sys.stdin.read())
    _LAUNCHER[:] = request.launcher
    reply = Reply(target_facts())
    graph = ModuleGraph(request.program_path, STDLIB_PATH, request.exclude, SITE_PATH,
                        os.uname().machine, request.scan_cache)
    compiler = Compiler(request.pyc_cache)
    try:
        kind, arg, source, display = entry_code(request, graph)
        for name in STARTUP_MODULES:
            graph.add(name, fatal=False, program=False)
        if request.sources:
            # The runtime imports it at start, for source lines (see runtime/sources.py).
            graph.add("warnings", fatal=False, program=False)
        # The runtime adds site's exit(), help(), ... to builtins at start (site_builtins.py).
        graph.add("_sitebuiltins", fatal=False, program=False)
        for name in request.include:
            graph.add(name, "--include-module", 0, request=f"--include-module {name}")
        for name in request.collect:
            graph.collect(name)
        for name in request.traced:
            # What one run imported: bundled if found here, never an error if not (a module
            # made at run time, six.moves, ...).
            if graph.find(name) is not None:
                graph.add(name, "--trace", 0, fatal=False)
        graph.add_plugins()
        graph.add_registered_packages()
        graph.add_stdlib_fallbacks()
        graph.add_codecs()
        graph.add_package_data()
        graph.decide_file_bound()
        if not request.pruned or graph.data or graph.dists:
            # zipimport and zipfile inflate the deflated entries (sources, data) with zlib,
            # an extension module in most builds; a --pruned build with nothing to inflate
            # stores everything and carries zlib only if the program imports it.
            graph.add("zlib", fatal=False, program=False)
        main_pyc = compiler.pyc(None, display, source) if kind != "module" else None
    except SyntaxError as e:
        reply.fatal = f"{e.filename}:{e.lineno}: syntax error: {e.msg}"
        print(dumps(reply))
        return
    problems = graph.fatal_problems()
    if problems:
        reply.fatal = problems[0].message()
        print(dumps(reply))
        return
    reply.warnings = graph.warnings()
    if request.entry.kind == "script":
        beside, refused = file_rules.named_beside_script(
            os.path.dirname(request.entry.path), graph.program_strings)
        reply.beside_script = [File(rel, full) for rel, full in beside]
        reply.warnings += refused
    reply.libraries = sorted(graph.libraries)
    reply.cold, reply.dropped = whole_stdlib(graph, request.pruned)
    try:
        modules = bundled_modules(graph, compiler, request.sources)
    except SyntaxError as e:
        reply.fatal = str(e)
        print(dumps(reply))
        return
    modules += runtime_modules(request.runtime_dir, compiler)
    for dist in graph.dists.values():
        if dist.dist_info and not dist.editable_root:
            record = f"{dist.dist_info}/RECORD"
            graph.data[record] = bundled_record(dist, graph, modules, request.pyc_cache)
            top_level = f"{dist.dist_info}/top_level.txt"
            if top_level not in graph.data:
                # packages_distributions() infers top-level names from RECORD's .py files
                # (3.10-3.12), which the bundle has as .pyc: it reads this file first.
                tops = sorted({m.name.split(".")[0] for m in modules if m.dist == dist.name})
                text = "".join(t + "\n" for t in tops).encode()
                graph.data[top_level] = cached_text(text, request.pyc_cache, "top_level.txt")
    direct = {m.dist for m in graph.modules.values()
              if m.dist and (m.name in graph.program_imports or m.name in request.include)}
    reply.modules = modules
    reply.dists = [BundledDist(d.name, d.version, d.dist_info, d.file_bound, d.why_files,
                               d.name in direct)
                   for d in sorted(graph.dists.values(), key=lambda d: d.name.lower())]
    reply.data = [File(a, graph.data[a], graph.data_dist.get(a)) for a in sorted(graph.data)]
    # auditwheel's vendored libraries: needed only if the distribution is unpacked (the plan
    # decides; from memory they come in as the extensions' needed libraries).
    reply.vendored = [File(rel, os.path.join(d.site_dir, rel), d.name)
                      for d in graph.dists.values() for rel in d.vendored]
    reply.main = Main(kind, arg, main_pyc, request.entry.path or None)
    print(dumps(reply))


def bundled_modules(graph: ModuleGraph, compiler: Compiler, sources: bool
                    ) -> list[BundledModule]:
    """The walk's modules, compiled; SyntaxError (the build's message) for a module of the
    program's that the target cannot compile. Other code that does not compile is left out:
    python fails on it the same way, at run time, if it is ever imported."""
    modules = []
    for mod in sorted(graph.modules.values(), key=lambda m: m.name):
        if mod.name == "__main__" or mod.kind in ("builtin", "frozen"):
            continue
        item = BundledModule(mod.name, mod.kind, mod.origin, archive_name(mod),
                             source=mod.path, dist=mod.dist, reason=mod.reason)
        if mod.kind in ("source", "package"):
            # The file name python's tracebacks show: the source's own path, which linecache
            # reads where it exists and asks the module's loader for where it does not.
            if sources:
                item.py = mod.path
            try:
                item.file = compiler.pyc(mod.path, mod.path)
            except SyntaxError as e:
                if mod.origin == "program":
                    shown = os.path.relpath(mod.path, mod.root) if mod.root else mod.path
                    raise SyntaxError(f"{shown}:{e.lineno}: syntax error: {e.msg}") from None
                continue
        elif mod.kind == "extension":
            item.file = mod.path
        modules.append(item)
    return modules


def runtime_modules(runtime_dir: str, compiler: Compiler) -> list[BundledModule]:
    """freezer/runtime, which every binary carries, compiled without docstrings."""
    modules = []
    for fn in sorted(os.listdir(runtime_dir)):
        if fn.endswith(".py"):
            stem = fn[:-3]
            modules.append(BundledModule(
                RUNTIME_PACKAGE if stem == "__init__" else f"{RUNTIME_PACKAGE}.{stem}",
                "package" if stem == "__init__" else "source", "runtime",
                f"{RUNTIME_PACKAGE}/{fn}c",
                compiler.pyc(os.path.join(runtime_dir, fn), RUNTIME_FILENAME, optimize=2)))
    return modules


if __name__ == "__main__":
    try:
        main()
    except FreezeError as e:
        # The build cache refused or could not be written: the build's one line, as freeze
        # itself reports it (main() prints its answer last, so nothing was printed yet).
        print(dumps(Reply(target_facts(), fatal=str(e))))
