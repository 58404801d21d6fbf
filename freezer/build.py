"""The build, end to end: program → analysis → bundle plan → payload → executable (or .pyz).

The output is written to `.OUT.freezer-tmp-PID` and renamed over OUT (payload.py), so an
existing OUT is never half-written. On top of that, `freeze` must never destroy what it should
not: OutputGuard refuses an OUT that must not be replaced at all, checked before any work and
again each time the build learns more of its inputs; a stop signal removes the temporary file
on its way out (errors.Interrupted), and one left by a killed build is removed by the next
(remove_stale_temps).
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import freezer
from freezer.analysis import Analysis, EntryPoint, analyse, clean_env
from freezer.bootloader import bootloader_for, cache_root
from freezer.errors import STOP_SIGNALS, FreezeError
from freezer.glibc import Floor, Version, floor_of
from freezer.native_deps import find_library, needed_libraries, system_dirs
from freezer.payload import write_executable
from freezer.plan import LIBGCC_S, BundlePlan, libpython_path, make_plan
from freezer.platforms import Platform, host
from freezer.pyz import write_pyz
from freezer.target_root import check_links
from freezer.trace import traced_modules

TOOL_DIR = Path(freezer.__file__).resolve().parent
# payload.write_atomically names its temporary file `.OUT` + this + the PID.
TEMP_MARK = ".freezer-tmp-"
# Prefixes the system shares with everything else: /usr/local/bin/tool is where tools are
# installed, whatever Python lives in /usr/local. Only their Python parts are protected.
SYSTEM_PREFIXES = frozenset(["/", "/usr", "/usr/local"])


@dataclass
class BuildOptions:
    entry: EntryPoint
    output: Path
    python: str = sys.executable
    # The platform built for, its runtime root ("" for this machine's own python) and the
    # words that run the root's python here (qemu; empty for a native python).
    platform: Platform = field(default_factory=host)
    root: str = ""
    launcher: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    # Packages bundled with every submodule and data file (--collect).
    collect: list[str] = field(default_factory=list)
    # (source file or directory, destination inside the bundle, posix, relative) (--add-data).
    add_data: list[tuple[Path, str]] = field(default_factory=list)
    # Arguments for one traced run of the program under the target (--trace), or None.
    trace_args: list[str] | None = None
    # --pruned: only the stdlib modules the analysis sees (no cold set, no sources).
    pruned: bool = False
    # Sources shipped beside the bytecode, for tracebacks and inspect (--no-sources: not).
    sources: bool = True
    # The oldest glibc the executable must run on (--glibc, or [tool.freezer] glibc), and
    # where it was asked for, as a refusal names it ("--glibc 2.31").
    glibc: Version | None = None
    glibc_from: str = ""


# --- the script --------------------------------------------------------------------------------

def check_script(path: Path) -> None:
    """Refuse a script Python could not run, in one line naming it, before any work.

    Found by the analysis instead, a directory was "no such file", a FIFO hung the build, and
    a NUL byte came out as `None:None: syntax error` (3.12+ report it without a file name,
    3.9-3.11 raise ValueError). Every Python refuses NUL bytes in source, so saying so here
    is the target's own verdict, in its words.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FreezeError(f"{path}: no such file") from None
    except OSError as e:
        raise FreezeError(f"{path}: {e.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise FreezeError(f"{path}: is a directory, not a script")
    if not stat.S_ISREG(st.st_mode):
        raise FreezeError(f"{path}: not a regular file")
    try:
        source = path.read_bytes()
    except OSError as e:
        raise FreezeError(f"{path}: cannot read it ({e.strerror})") from None
    nul = source.find(b"\0")
    if nul >= 0:
        line = source.count(b"\n", 0, nul) + 1
        raise FreezeError(f"{path.name}:{line}: syntax error: "
                          "source code cannot contain null bytes")


# --- the output --------------------------------------------------------------------------------

def check_output(output: Path) -> None:
    """Refuse an output whose directory cannot take it, before any work."""
    parent = output.parent
    if not parent.is_dir():
        raise FreezeError(f"-o {output}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise FreezeError(f"-o {output}: directory {parent} is not writable")


_NOT_REGULAR = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))


def check_kind(output: Path, st: os.stat_result) -> None:
    """Only a regular file may be replaced; never a symbolic link, wherever it points.

    Renaming over a device, a FIFO or a socket would swap a regular file in for everyone
    using it (as root, /dev/null). A link is refused rather than followed or replaced:
    replacing it leaves the file it names unchanged, which surprises, and writing through
    it is how a link planted in a shared directory turns a build into overwriting some
    other file. Naming the file itself is the user's one readlink.
    """
    if stat.S_ISLNK(st.st_mode):
        raise FreezeError(f"-o {output}: is a symbolic link (to {_link_target(output)}): "
                          "give the file itself (freeze neither writes through a link nor "
                          "replaces one)")
    if stat.S_ISDIR(st.st_mode):
        raise FreezeError(f"-o {output}: is a directory")
    for test, what in _NOT_REGULAR:
        if test(st.st_mode):
            raise FreezeError(f"-o {output}: is {what}, not a regular file")
    if not stat.S_ISREG(st.st_mode):
        raise FreezeError(f"-o {output}: is not a regular file")


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"  # gone or changed since the lstat: the refusal stands


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(st_dev, st_ino) of what path names (links followed), or None if nothing."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


class OutputGuard:
    """What an existing `-o OUT` must not be; a missing OUT destroys nothing and passes.

    Refused: anything but a regular file (check_kind), one of the build's inputs, and a file
    inside a tree the build reads. A program running from OUT is not refused: the rename
    leaves it its inode, and a frozen program reads its payload through the descriptor the
    bootloader opened (boot.c's io.open_code hook), not by path, so its later imports keep
    working; the next start runs the new build. That is the rebuild-while-it-runs loop ld
    allows too (it unlinks its output first). Opening OUT for writing would fail with
    ETXTBSY; freeze never does.
    Inputs are compared by identity (st_dev, st_ino), never by path string, so `./app.py`,
    hard links, symlinks (`--python` through .venv/bin/python) and symlinked directories are
    seen through. They are learnt in steps, and check() runs after each: the command line's
    (protect_options) and the target Python's environment (protect_target) before any work,
    the program's modules and everything bundled with them once the analysis has found them
    (protect_analysis), the files of the payload and the shared libraries they need once the
    plan is made (protect_plan, protect_natives).
    """

    def __init__(self, output: Path) -> None:
        self.output = output
        self.files: dict[tuple[int, int], str] = {}  # identity -> what it is, for messages
        self.trees: dict[tuple[int, int], str] = {}

    def protect(self, path: str | Path | None, what: str) -> None:
        """The file at path (if any) is an input; the first description given is kept."""
        ident = _identity(path) if path else None
        if ident:
            self.files.setdefault(ident, what)

    def protect_tree(self, path: str | Path | None, what: str) -> None:
        """No existing file anywhere under the directory path may be replaced."""
        ident = _identity(path) if path else None
        if ident:
            self.trees.setdefault(ident, what)

    def check(self) -> None:
        try:
            st = os.lstat(self.output)
        except FileNotFoundError:
            return
        except OSError as e:
            raise FreezeError(f"-o {self.output}: {e.strerror}") from None
        check_kind(self.output, st)
        what = self.files.get((st.st_dev, st.st_ino))
        if what:
            raise FreezeError(f"-o {self.output}: is {what}")
        what = self._enclosing_tree()
        if what:
            raise FreezeError(f"-o {self.output}: is inside {what}")

    def _enclosing_tree(self) -> str | None:
        """The innermost protected tree holding the output's directory, if any."""
        if not self.trees:
            return None
        directory = Path(os.path.realpath(self.output.parent))
        for candidate in (directory, *directory.parents):
            what = self.trees.get(_identity(candidate))
            if what:
                return what
        return None


def protect_options(guard: OutputGuard, opts: BuildOptions, root: Path) -> None:
    """What the command line alone says the build reads (and freezer's own files)."""
    if opts.entry.kind == "script":
        guard.protect(opts.entry.path, "the script being frozen")
    guard.protect(opts.python, f"the --python interpreter ({opts.python})")
    for source, _ in opts.add_data:
        if source.is_dir():
            guard.protect_tree(source, f"--add-data directory {source}")
        else:
            guard.protect(source, f"an --add-data source ({source})")
    guard.protect_tree(TOOL_DIR, f"freezer's own code ({TOOL_DIR})")
    guard.protect_tree(root, f"freezer's cache ({root})")


def protect_analysis(guard: OutputGuard, analysis: Analysis) -> None:
    """Every module and data file the analysis found."""
    for mod in analysis.modules:
        what = (f"one of the program's modules ({mod.name})" if mod.origin == "program"
                else f"a file of module {mod.name}, which the build bundles")
        for path in (mod.source, mod.py, mod.file):
            guard.protect(path, what)
    vendored = [source for _, source, _ in analysis.vendored]
    for path in [*analysis.data.values(), *analysis.cold.values(), *vendored]:
        guard.protect(path, "a file the build bundles")
    for _, path in analysis.beside_script:
        guard.protect(path, "a file beside the script that its code names")


def protect_natives(guard: OutputGuard, analysis: Analysis) -> None:
    """The shared libraries that libpython and the extension modules need.

    The plan bundles stripped copies from the cache; these are the originals it read. Asked
    again of native_deps after the plan, when every ELF file is already read (and cached).
    """
    target = analysis.target
    libdirs, sysroot = system_dirs(target)
    roots = [m.file for m in analysis.modules if m.kind == "extension" and m.file]
    try:
        roots.append(libpython_path(target))
    except FreezeError:
        pass
    guard.protect(find_library(LIBGCC_S, (), libdirs, sysroot),
                  "a shared library the build bundles")
    for root in roots:
        try:
            needed = needed_libraries(root, libdirs, missing=[], sysroot=sysroot)
        except FreezeError:
            continue
        for _, path in needed:
            guard.protect(path, "a shared library the build bundles")


def protect_plan(guard: OutputGuard, plan: BundlePlan) -> None:
    """The files the payload's entries are read from: --add-data files among them, found
    through any symbolic link inside an --add-data directory."""
    for entry in plan.entries.values():
        guard.protect(entry.path, "a file the build bundles")


# What protect_target asks the target interpreter: where its environment is. -I is not used:
# site must run as it does for the analysis (a venv's sys.prefix comes from it).
_ENVIRONMENT_QUERY = """\
import json, os, site, sys, sysconfig
paths = sysconfig.get_paths()
cfg = sysconfig.get_config_var
trees = [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib", "include",
                            "platinclude") if k in paths]
trees += getattr(site, "getsitepackages", list)()
if hasattr(site, "getusersitepackages"):
    trees.append(site.getusersitepackages())
libdir, soname = cfg("LIBDIR") or "", cfg("INSTSONAME") or cfg("LDLIBRARY") or ""
files = [sys.executable, os.path.join(sys.prefix, "pyvenv.cfg")]
if soname:
    files += [os.path.join(libdir, soname), os.path.join(libdir, cfg("MULTIARCH") or "", soname)]
prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
print(json.dumps({"trees": trees, "files": files, "prefixes": prefixes}))
"""


def target_environment(python: str, launcher: list[str] = ()) -> dict:
    """The target's interpreter, libpython and pyvenv.cfg, its library trees (stdlib,
    headers, site-packages) and prefixes; {} if it cannot answer (the analysis then says
    why, in its own words). One short run (~20 ms), before the analysis, so an output
    inside the environment is refused before any work."""
    try:
        done = subprocess.run([*launcher, python, "-c", _ENVIRONMENT_QUERY], capture_output=True,
                              text=True, env=clean_env(), timeout=60,
                              stdin=subprocess.DEVNULL)
        facts = json.loads(done.stdout.strip().rsplit("\n", 1)[-1])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return {}
    return facts if isinstance(facts, dict) else {}


def protect_target(guard: OutputGuard, opts: BuildOptions) -> None:
    """The target Python's environment: its files, library trees, and its prefix unless that
    is the system's (see SYSTEM_PREFIXES); a runtime root as a whole."""
    if opts.root:
        guard.protect_tree(opts.root, f"the target's runtime root ({opts.root})")
    facts = target_environment(opts.python, opts.launcher)
    for path in facts.get("files", ()):
        guard.protect(path, f"a file of the target Python ({path})")
    for directory in facts.get("trees", ()):
        guard.protect_tree(directory, f"the target Python's environment ({directory})")
    for prefix in facts.get("prefixes", ()):
        if os.path.realpath(prefix) not in SYSTEM_PREFIXES:
            guard.protect_tree(prefix, f"the target Python's environment ({prefix})")


# --- the temporary file ------------------------------------------------------------------------

def temp_path(output: Path, pid: int | None = None) -> Path:
    return output.with_name(f".{output.name}{TEMP_MARK}{os.getpid() if pid is None else pid}")


def _pid_is_gone(pid: int) -> bool:
    if pid == os.getpid():
        return True  # a previous process with this PID: this one has not written yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OverflowError:
        return True  # no process can have it
    except PermissionError:
        return False  # alive, another user's
    return False


def remove_stale_temps(output: Path) -> None:
    """Delete what killed builds of this output left: `.OUT.freezer-tmp-PID`, PID gone.

    SIGKILL (or a crash, or a power cut) leaves the temporary file behind; nothing else can
    remove it. Only names of exactly that form are touched, only regular files (never a
    link), only the current user's, and only if no process PID exists. A build in another
    PID namespace (a container sharing the directory) looks dead from here: its rename would
    then fail with a "cannot write" error, never write a wrong file.
    """
    pattern = re.compile(re.escape(f".{output.name}{TEMP_MARK}") + r"([1-9][0-9]*)")
    try:
        names = os.listdir(output.parent)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if not match:
            continue
        path = output.parent / name
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() \
                and _pid_is_gone(int(match.group(1))):
            _remove_file(path)


def _remove_file(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        pass  # not ours to insist on: the build goes on, or fails with its own reason


def write_output(output: Path, write: Callable[[], None]) -> None:
    """Run one of payload's writers, its temporary file made here first, exclusively.

    payload opens `.OUT.freezer-tmp-PID` with plain open(): were something already there (a
    link planted in a shared directory, a directory), it would write through it or fail
    obscurely. Created here with O_EXCL|O_NOFOLLOW, it is a new regular file of ours.
    Whatever stops the write (an error, Interrupted from a signal), it does not outlive it:
    the stop signals are blocked from its creation until the `try` that removes it, since a
    handler may run between any two steps of Python code.
    """
    tmp = temp_path(output)
    unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        _create_new(output, tmp)
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)  # a pending one raises here
            write()
        finally:
            _remove_file(tmp)  # gone already if the write succeeded: renamed over the output
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)


def _create_new(output: Path, tmp: Path) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        os.close(os.open(tmp, flags, 0o600))
    except FileExistsError:
        raise FreezeError(f"-o {output}: {tmp} is in the way (not a file freeze left "
                          "behind: remove it)") from None
    except OSError as e:
        raise FreezeError(f"{output}: cannot write ({e.strerror})") from None


# --- the build ---------------------------------------------------------------------------------

def program_search_path(opts: BuildOptions) -> list[str]:
    base = [str(opts.entry.path.parent)] if opts.entry.kind == "script" else [os.getcwd()]
    return base + [os.path.abspath(p) for p in opts.paths]


def target_bootloader(opts: BuildOptions, target: dict, cache: Path) -> Path:
    """The bootloader for the target's CPython version and platform: built here by zig for
    any platform (no headers of the target needed, see freezer/bootloader), or by the
    system's cc for this machine where FREEZER_TOOLCHAIN=cc says so."""
    return bootloader_for(target["version"], cache, target=opts.platform.name)


def glibc_floor(boot: Path, plan: BundlePlan) -> Floor:
    """The glibc floor of the executable: its bootloader, which runs first, then every
    native file of the plan (glibc.py). Each file's version needs are read once and kept
    in the build cache with its other ELF facts (native_deps.read_elf)."""
    return floor_of([("the bootloader", str(boot), True), *plan.natives])


def build(opts: BuildOptions) -> Analysis:
    entry = opts.entry
    if entry.kind == "script":
        check_script(entry.path)
    check_output(opts.output)
    root = cache_root()
    guard = OutputGuard(opts.output)
    protect_options(guard, opts, root)
    guard.check()
    protect_target(guard, opts)
    guard.check()
    remove_stale_temps(opts.output)
    search = program_search_path(opts)
    traced: list[str] = []
    trace_warnings: list[str] = []
    if opts.trace_args is not None:
        traced = traced_modules(opts.python, entry, opts.trace_args, search,
                                warnings=trace_warnings, launcher=opts.launcher)
    analysis = analyse(opts.python, entry, opts.output.name, search, opts.include,
                       opts.exclude, root, collect=opts.collect, traced=traced,
                       pruned=opts.pruned, sources=opts.sources, launcher=opts.launcher)
    if opts.root:
        check_links(opts.root, analysis.target["stdlib"])
    analysis.target["root"] = opts.root
    analysis.target["platform"] = opts.platform.name
    analysis.warnings[:0] = trace_warnings
    given = {dest for _, dest in opts.add_data}
    output = os.path.realpath(opts.output)
    analysis.beside_script = [(name, path) for name, path in analysis.beside_script
                              if name not in given and os.path.realpath(path) != output]
    # The program's other modules, and every file bundled with them, are known only now.
    protect_analysis(guard, analysis)
    guard.check()
    if opts.output.suffix == ".pyz":
        write_output(opts.output,
                     lambda: write_pyz(opts.output, analysis, entry, analysis.warnings))
        return analysis
    plan = make_plan(analysis, root, opts.add_data, sources=opts.sources)
    target = analysis.target
    boot = target_bootloader(opts, target, root)
    analysis.floor = glibc_floor(boot, plan)
    if opts.glibc is not None:
        refusal = analysis.floor.check(opts.glibc, opts.glibc_from)
        if refusal:
            raise FreezeError(refusal)
    protect_plan(guard, plan)
    protect_natives(guard, analysis)
    guard.check()
    write_output(opts.output, lambda: write_executable(opts.output, boot, plan))
    return analysis
