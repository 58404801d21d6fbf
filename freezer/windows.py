"""Windows executables built on Linux: `freeze app.py -o app.exe --target windows-x86_64
--target-python python-3.11.9-embed-amd64.zip`.

The runtime is a Windows CPython the user gives: python.org's embeddable zip (or the
directory it unpacks to, or the `tools` directory of NuGet's `python` package). It is asked,
as every build asks its target: freezer/win_worker.py runs under that python.exe through
wine, reports the version, the magic number and what its start-up imports, and compiles the
runtime and the program with the target's own compiler.

What the executable carries: the whole standard library of the runtime's pythonXY.zip (its
bytecode, as python.exe imports it; the embeddable distribution has no sources, so tracebacks
show no source lines of the stdlib there either), every extension module (.pyd) of the
runtime and the DLLs they import from it, the program's modules found beside the script (or
on --path), and what the bootloader loads first (vcruntime140.dll, pythonXY.dll), all in the
payload format of the Linux binaries (docs/design.md), behind the Win32 bootloader.
Nothing is left out of the standard library, so no analysis of its imports is needed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from freezer import build_cache, module_store, runtime_formats
from freezer.bootloader import BootloaderError, bootloader_for, zstd
from freezer.errors import FreezeError
from freezer.payload import write_executable
from freezer.pe_imports import closure
from freezer.plan import NATIVE_DIR, BootLib, BundlePlan, Entry, _add_package_dirs, _add_store

records = runtime_formats.load("manifest")
HERE = Path(__file__).resolve().parent
WORKER = HERE / "win_worker.py"
RUNTIME_PACKAGE = "_freezer_runtime"
RUNTIME_FILENAME = "<frozen importlib._bootstrap_external>"
_DLL = re.compile(r"python3(\d+)\.dll$", re.I)


def wine() -> str:
    """wine64, which runs the target's python.exe during the build."""
    for name in ("wine64", "/usr/lib/wine/wine64", "wine"):
        found = shutil.which(name)
        if found:
            return found
    raise FreezeError("--target windows-x86_64: wine64 not found, which runs the target's "
                      "python.exe during the build (Debian: apt-get install wine64)")


def wine_path(path: str | Path) -> str:
    """The path wine's programs see for a file of this machine (drive Z: is /)."""
    return "Z:" + os.path.abspath(path).replace("/", "\\")


def wine_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.setdefault("WINEDEBUG", "-all")
    env["PYTHONHASHSEED"] = "0"  # reproducible bytecode: set constants in one order
    return env


@dataclass
class Runtime:
    """A Windows CPython's files: python.exe, pythonXY.dll, pythonXY.zip, DLLs, .pyd."""

    home: Path
    minor: int

    @property
    def dll(self) -> Path:
        return self.home / f"python3{self.minor}.dll"

    @property
    def stdlib_zip(self) -> Path:
        return self.home / f"python3{self.minor}.zip"

    def dlls(self) -> dict[str, str]:
        return {p.name.lower(): str(p) for p in sorted(self.home.glob("*.dll"))}


def runtime(given: str | None, cache_root: Path) -> Runtime:
    """The runtime --target-python names: a directory, or an embeddable zip unpacked once
    into the build cache (keyed by the zip's SHA-256)."""
    if not given:
        raise FreezeError("--target windows-x86_64 needs --target-python: the Windows CPython "
                          "to ship, python.org's embeddable zip (python-3.X.Y-embed-amd64.zip) "
                          "or a directory holding python.exe and python3X.dll")
    path = Path(given)
    if path.is_file() and zipfile.is_zipfile(path):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        home = build_cache.build_dir(cache_root, "windows-python", digest)
        if not (home / ".complete").is_file():
            tmp = Path(tempfile.mkdtemp(prefix=".freezer-tmp-", dir=home.parent))
            with zipfile.ZipFile(path) as z:
                z.extractall(tmp)
            (tmp / ".complete").write_text(digest + "\n")
            shutil.rmtree(home, ignore_errors=True)  # what a killed build left, if anything
            try:
                os.rename(tmp, home)
            except OSError:  # another build's copy got there first: the same files
                shutil.rmtree(tmp, ignore_errors=True)
        path = home
    elif not path.is_dir():
        raise FreezeError(f"--target-python {given}: neither a directory nor a zip file")
    inner = [d for d in path.iterdir() if d.is_dir() and (d / "python.exe").is_file()]
    if not (path / "python.exe").is_file() and len(inner) == 1:
        path = inner[0]  # a zip of the directory rather than of its files
    found = [m for p in path.iterdir() if (m := _DLL.fullmatch(p.name))]
    if not (path / "python.exe").is_file() or len(found) != 1:
        raise FreezeError(f"--target-python {given}: not a Windows CPython (python.exe and "
                          "one python3X.dll expected)")
    rt = Runtime(path, int(found[0].group(1)))
    if not rt.stdlib_zip.is_file():
        raise FreezeError(f"--target-python {given}: no {rt.stdlib_zip.name} (the embeddable "
                          "distribution's standard library)")
    return rt


def ask(rt: Runtime, compile_jobs: list[tuple[str, str, str, int]]) -> dict:
    """Run win_worker.py under the runtime's python.exe: its facts, the jobs compiled.

    stdin is a pipe (the request): under wine, python.exe with stdin on /dev/null fails to
    set up sys.stdin."""
    request = {"compile": [[wine_path(s), d, wine_path(o), opt] for s, d, o, opt in compile_jobs]}
    cmd = [wine(), str(rt.home / "python.exe"), "-I", "-S", wine_path(WORKER)]
    try:
        done = subprocess.run(cmd, input=json.dumps(request), capture_output=True, text=True,
                              env=wine_env(), timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise FreezeError(f"--target-python {rt.home}: cannot run its python.exe under wine "
                          f"({e})") from None
    try:
        reply = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise FreezeError(f"--target-python {rt.home}: its python.exe did not answer under "
                          f"wine ({detail})") from None
    if reply["errors"]:
        raise FreezeError(reply["errors"][0])
    return reply


# --- the program's own modules -------------------------------------------------------------

def _imports(source: bytes, package: str) -> list[str]:
    """The absolute names a module's import statements name (relative ones resolved)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[:len(parts) - node.level + 1] if node.level > 1 else parts
                base = ".".join([*parts, *([base] if base else [])])
            names.append(base)
            names += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
    return [n for n in names if n]


@dataclass
class ProgramModule:
    name: str
    path: Path
    package: bool
    extension: bool = False


def program_modules(script: Path, search: list[Path], stdlib: set[str]) -> list[ProgramModule]:
    """The modules the script imports, transitively, found on its search path (the script's
    directory, then --path), as python would look there first; the standard library is
    carried whole and the names it holds are looked up there only when no file here has
    them (python's sys.path puts the script's directory first too)."""
    found: dict[str, ProgramModule] = {}
    todo = [(n, "") for n in _imports(script.read_bytes(), "")]
    while todo:
        name, _ = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sub = ".".join(parts[:i])
            if sub in found:
                continue
            mod = _find(sub, search, found)
            if mod is None:
                break
            found[sub] = mod
            if not mod.extension:
                pkg = sub if mod.package else sub.rpartition(".")[0]
                todo += [(n, pkg) for n in _imports(mod.path.read_bytes(), pkg)]
    return sorted(found.values(), key=lambda m: m.name)


def _find(name: str, search: list[Path], found: dict[str, ProgramModule]) -> ProgramModule | None:
    parent, _, last = name.rpartition(".")
    if parent:
        if parent not in found or not found[parent].package:
            return None
        dirs = [found[parent].path.parent]
    else:
        dirs = search
    for d in dirs:
        if (d / last / "__init__.py").is_file():
            return ProgramModule(name, d / last / "__init__.py", True)
        if (d / f"{last}.py").is_file():
            return ProgramModule(name, d / f"{last}.py", False)
        for pyd in sorted(d.glob(f"{last}.*pyd")):
            if pyd.name.split(".")[0] == last:
                return ProgramModule(name, pyd, False, extension=True)
        for so in sorted(d.glob(f"{last}.*so")):
            if so.name.split(".")[0] == last:
                # python.exe cannot import it either; a build that carried the rest would fail
                # only at run time, on the user's machine.
                raise FreezeError(f"{so}: a Linux extension module, for a Windows executable: "
                                  "install the package's win_amd64 wheel instead")
    return None


def _dist_infos(search: list[Path], tops: set[str]) -> list[Path]:
    """The metadata directories of the distributions whose top-level names are carried."""
    out = []
    for d in search:
        for info in sorted(d.glob("*.dist-info")):
            names = set()
            top = info / "top_level.txt"
            if top.is_file():
                names = set(top.read_text().split())
            elif (info / "RECORD").is_file():
                names = {line.split("/")[0].split(",")[0].split(".")[0]
                         for line in (info / "RECORD").read_text().splitlines()}
            if names & tops:
                out.append(info)
    return out


# --- the build ------------------------------------------------------------------------------

def build_windows(script: Path, output: Path, target_python: str | None, search: list[Path],
                  cache_root: Path, sources: bool = True) -> tuple[str, int]:
    """Write the Windows executable; the target's CPython version and how many modules it
    holds."""
    rt = runtime(target_python, cache_root)
    with tempfile.TemporaryDirectory(prefix="freezer-win-") as tmp_dir:
        tmp = Path(tmp_dir)
        stdlib_dir = tmp / "stdlib"
        with zipfile.ZipFile(rt.stdlib_zip) as z:
            z.extractall(stdlib_dir)
        stdlib_names = {p.relative_to(stdlib_dir).parts[0].split(".")[0]
                        for p in stdlib_dir.iterdir()}
        program = program_modules(script, search, stdlib_names)
        jobs: list[tuple[str, str, str, int]] = []
        runtime_src = HERE / "runtime"
        runtime_pycs = []
        for fn in sorted(os.listdir(runtime_src)):
            if fn.endswith(".py"):
                stem = fn[:-3]
                name = RUNTIME_PACKAGE if stem == "__init__" else f"{RUNTIME_PACKAGE}.{stem}"
                out = tmp / f"rt-{stem}.pyc"
                jobs.append((str(runtime_src / fn), RUNTIME_FILENAME, str(out), 2))
                runtime_pycs.append((name, stem == "__init__", str(out)))
        main_pyc = tmp / "main.pyc"
        jobs.append((str(script), script.name, str(main_pyc), 0))
        program_pycs = []
        for mod in program:
            if not mod.extension:
                out = tmp / f"prog-{mod.name}.pyc"
                jobs.append((str(mod.path), str(mod.path), str(out), 0))
                program_pycs.append((mod, str(out)))
        facts = ask(rt, jobs)
        try:
            boot = bootloader_for(facts["version"], cache_root, target="windows-x86_64")
        except BootloaderError as e:
            raise FreezeError(str(e)) from None
        plan, held = _plan(rt, facts, stdlib_dir, runtime_pycs, main_pyc, script, program_pycs,
                     program, search, cache_root, sources)
        write_executable(output, boot, plan)
    return facts["version"], held


def _plan(rt: Runtime, facts: dict, stdlib_dir: Path, runtime_pycs: list, main_pyc: Path,
          script: Path, program_pycs: list, program: list[ProgramModule], search: list[Path],
          cache_root: Path, sources: bool) -> tuple[BundlePlan, int]:
    plan = BundlePlan()
    dlls = rt.dlls()
    for p in search:
        dlls.update({f.name.lower(): str(f) for f in sorted(p.glob("*.dll"))})
    libs: dict[str, tuple[str, int]] = {}  # name -> (sha256, size)

    def packed(name: str, path: str) -> str:
        data = Path(path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        entry = f"{NATIVE_DIR}/{digest}/{name}.zst"
        if entry not in plan.entries:
            plan.add(Entry(entry, path=zstd.compressed_copy(path, digest, cache_root)))
        libs.setdefault(name, (digest, len(data)))
        return entry

    boot_names = []
    for name, path in [*closure(rt.dll, dlls), (rt.dll.name, str(rt.dll))]:
        entry = packed(name, path)
        digest, size = libs[name]
        plan.boot.append(BootLib(name, entry, digest, size=size))
        boot_names.append(name.lower())

    def add_extension(name: str, archive: str, path: Path) -> None:
        needs = [n for n, p in closure(path, dlls) if n.lower() not in boot_names]
        for n, p in closure(path, dlls):
            if n.lower() not in boot_names:
                packed(n, p)
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        plan.add(Entry(archive, path=zstd.compressed_copy(str(path), digest, cache_root)))
        plan.manifest.append(records.ext_record(name, archive, digest, needs, len(data)))

    carried = {m.name for m in program}
    for pyd in sorted(rt.home.glob("*.pyd")):
        name = pyd.name.split(".")[0]
        if name not in carried:
            add_extension(name, pyd.name, pyd)
    stored = []
    for pyc in sorted(stdlib_dir.rglob("*.pyc")):
        rel = pyc.relative_to(stdlib_dir).as_posix()
        package = rel.endswith("/__init__.pyc")
        name = rel[:-len("/__init__.pyc")] if package else rel[:-4]
        name = name.replace("/", ".")
        if name.split(".")[0] in carried:
            continue  # the script's directory comes first on python's sys.path
        stored.append(module_store.StoredModule(name, package, str(pyc), None, True))
    for f in sorted(stdlib_dir.rglob("*")):
        if f.is_file() and f.suffix != ".pyc":
            plan.add(Entry(f.relative_to(stdlib_dir).as_posix(), path=str(f), deflate=True))
    for mod, pyc in program_pycs:
        stored.append(module_store.StoredModule(mod.name, mod.package, pyc,
                                                str(mod.path) if sources else None, False))
    for mod in program:
        if mod.extension:
            archive = "/".join([*mod.name.split(".")[:-1], mod.path.name])
            add_extension(mod.name, archive, mod.path)
    tops = {m.name.split(".")[0] for m in program}
    for info in _dist_infos(search, tops):
        for f in sorted(info.rglob("*")):
            if f.is_file():
                plan.add(Entry(f"{info.name}/{f.relative_to(info).as_posix()}", path=str(f),
                               deflate=True))
    # The boot modules: the runtime's, and the encodings package whole, since the codec of
    # the console or of the ANSI code page start-up needs depends on the machine it runs on.
    boot_modules = {n for n in facts["boot_modules"]}
    boot_modules |= {m.name for m in stored if m.name.split(".")[0] == "encodings"}
    frozen_stdlib = []
    for mod in stored:
        if mod.name in boot_modules:
            plan.frozen.append((mod.name, mod.package, mod.pyc))
            frozen_stdlib.append(mod.name)
    plan.frozen += runtime_pycs
    boot_set = {b.soname for b in plan.boot}
    for name in sorted(libs):
        if name not in boot_set:
            digest, size = libs[name]
            plan.manifest.append(records.lib_record(
                name, f"{NATIVE_DIR}/{digest}/{name}.zst", digest, size))
    _add_store(plan, stored, cache_root)
    plan.manifest.append(records.frozen_record(sorted(frozen_stdlib)))
    plan.manifest.insert(0, records.main_record("script", script.name))
    plan.add(Entry(records.MAIN_PYC, path=str(main_pyc)))
    if sources:
        plan.add(Entry(records.MAIN_PY, path=str(script), deflate=True))
    plan.add(Entry(records.MANIFEST, data=records.write(plan.manifest)))
    plan.add(Entry(module_store.FROZEN_ENTRY, data=module_store.frozen_blob(plan.frozen)))
    _add_package_dirs(plan)
    held = len(stored) + sum(1 for line in plan.manifest if line.startswith("ext "))
    return plan, held
