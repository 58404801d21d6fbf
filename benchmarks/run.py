"""freezer side by side with PyInstaller, Nuitka and plain python.

One command, from the repository root, after `pip install -e '.[benchmark]'`:

    .venv/bin/python benchmarks/run.py            # full run, CPython 3.11: an hour or more
    .venv/bin/python benchmarks/run.py --quick    # smoke test: stdlib programs, fewer runs
    .venv/bin/python benchmarks/run.py --programs typer --tools freezer,nuitka

It builds every program in benchmarks/programs/ with each tool for the target interpreter and
measures, for each binary, against the same program under python:

* warm start: median of --runs starts, interleaved run by run with python and the other
  tools' binaries (the order rotating every round), so a slow spell of a shared machine hits
  all alike;
* first start: freezer with FREEZER_CACHE_DIR pointing at a new, empty directory each time
  (it unpacks libpython there); PyInstaller and Nuitka onefile extract on every start anyway,
  and get a new, empty TMPDIR the same way;
* bytes written on first start: one more start with a new, empty cache directory and TMPDIR,
  whose contents are summed while the binary runs (every few ms: the peak, since onefile
  builds remove their extraction directory at exit) and once after it exits (what is kept);
* peak RSS, from GNU time (see `peak_rss_kb` for why not from this process's wait4);
* binary size;
* build time, cold (freezer: a new empty FREEZER_CACHE_DIR; PyInstaller: new work and config
  directories; Nuitka: a new NUITKA_CACHE_DIR, which holds its ccache) and warm (the same
  caches again).

The baseline is `python -I -S prog.py` for standard-library programs, and the same script under
the program's venv python for third-party ones (site-packages is needed there). The ratios are
the headline; the absolute times depend on the machine. Results go to benchmarks/results/
(latest.md, latest.png, latest.json; quick.* for --quick). Nothing here asserts anything about
the numbers; a build or a run that fails (or a Nuitka build that takes longer than
--nuitka-timeout) is recorded as such and the benchmark goes on.

Each program has a requirements.txt beside it, and gets a venv of the target interpreter made
from that file alone (under ~/.cache/freezer-bench/venvs/, keyed by the requirements and the
interpreter), so no program is frozen with another's packages in sight. PyInstaller and Nuitka
are installed into that same venv, since they must run on the interpreter they bundle and see
the program's packages; their versions are the ones the `benchmark` extra installed next to
freezer, so the extra decides what is compared.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from cross import cross_lines  # benchmarks/ is sys.path[0] when run as a script

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PROGRAMS_DIR = BENCH / "programs"
RESULTS_DIR = BENCH / "results"
CACHE = Path(os.environ.get("FREEZER_BENCH_CACHE", Path.home() / ".cache" / "freezer-bench"))
DEFAULT_TARGET = "3.11"
GNU_TIME = "/usr/bin/time"
LARGEST = 8  # entries listed per freezer binary in the results
# What each compared tool needs installed in a program's venv, besides the program's packages:
# Nuitka's onefile compresses its payload with zstandard (without it, it stores it as is).
BUILD_TOOLS = {"pyinstaller": ("pyinstaller",), "nuitka": ("nuitka", "zstandard")}
TOOL_KEYS = ("freezer", "pyinstaller", "nuitka")  # what --tools names
RUN_TIMEOUT = 300.0  # seconds one start may take before it is recorded as a failed run


# --- what is measured ----------------------------------------------------------------------

@dataclass(frozen=True)
class Program:
    """One benchmark program: a script under benchmarks/programs/<dir>/, with the
    requirements.txt beside it that its venv is made from (comments only: stdlib alone)."""

    name: str
    script: str  # relative to PROGRAMS_DIR
    args: tuple[str, ...] = ()

    @property
    def requirements(self) -> list[str]:
        """The requirement lines, without comments and blanks: what keys the venv, so that a
        reworded comment does not make a new one."""
        path = PROGRAMS_DIR / Path(self.script).parent / "requirements.txt"
        lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
        return [line for line in lines if line]

    @property
    def third_party(self) -> bool:
        return bool(self.requirements)


PROGRAMS = [
    Program("hello", "hello/hello.py"),
    Program("cli (argparse+json+pathlib)", "cli/cli.py", args=(".",)),
    Program("requests+rich+click", "richcli/richcli.py"),
    Program("numpy", "numpy_stats/numpy_stats.py"),
    Program("pandas+scipy", "pandas_scipy/pandas_scipy.py"),
    Program("typer+rich+pydantic+httpx", "depcli/depcli.py", args=("list", "--limit", "5")),
]


@dataclass
class Row:
    """Every figure for one program built by one tool (or run by python, the baseline)."""

    program: str
    tool: str
    status: str = "ok"  # "ok", or what went wrong ("build failed: ...", "run failed: ...")
    warm_ms: float | None = None
    first_ms: float | None = None
    rss_mb: float | None = None
    rss_exact: bool = True  # False: an upper bound (no GNU time; see peak_rss_kb)
    size_mb: float | None = None
    first_write_mb: float | None = None  # peak bytes under the fresh cache dir and TMPDIR
    first_kept_mb: float | None = None  # what of it is still there once the binary exited
    build_cold_s: float | None = None
    build_warm_s: float | None = None
    breakdown: dict[str, float] = field(default_factory=dict)  # payload MB per kind (freezer)
    largest: list[tuple[str, float]] = field(default_factory=list)  # biggest entries, MB


@dataclass
class Target:
    """The interpreter everything is built for and compared against."""

    python: str  # the base interpreter (pyenv's)
    version: str


# --- small helpers ---------------------------------------------------------------------------

def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pyenv_root() -> Path:
    """Where pyenv keeps its interpreters; asked of pyenv so a non-default root is honoured."""
    if "PYENV_ROOT" in os.environ:
        return Path(os.environ["PYENV_ROOT"])
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return Path.home() / ".pyenv"


def resolve_python(spec: str) -> str:
    """`3.11`, `3.11.7` or a path → an interpreter path (the newest pyenv match for a version)."""
    if os.sep in spec or not re.fullmatch(r"3\.\d+(\.\d+)?", spec):
        path = shutil.which(spec) or spec
        if not os.access(path, os.X_OK):
            sys.exit(f"run.py: --python {spec}: no such executable")
        return path
    minor = ".".join(spec.split(".")[:2])
    pattern = spec if spec.count(".") == 2 else f"{spec}.*"
    found = glob.glob(str(pyenv_root() / "versions" / pattern / "bin" / f"python{minor}"))
    if not found:
        sys.exit(f"run.py: --python {spec}: not found under {pyenv_root()}/versions")
    return max(found, key=lambda p: [int(x) for x in re.findall(r"\d+", Path(p).parts[-3])])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for every build and run: no PYTHON* variable leaks into any of them."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "FREEZER_", "PYINSTALLER_", "NUITKA_"))}
    env.update(extra)
    return env


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["no output"])[-1][:160]


def host_version(dist: str) -> str | None:
    """The version of `dist` the `benchmark` extra installed next to freezer, or None: the
    programs' venvs get that same version, so the extra picks what is compared."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@dataclass
class Venv:
    """A program's venv: its python, and what is installed in it (for the results)."""

    path: Path
    error: str = ""  # why it could not be made; the program's rows then say so

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def packages(self) -> dict[str, str]:
        """Name → version of everything installed, as pip sees it after the last install."""
        frozen = self.path / "installed.txt"
        if not frozen.is_file():
            return {}
        return dict(line.split("==", 1) for line in frozen.read_text().splitlines()
                    if "==" in line)


def pip_install(venv: Venv, wanted: list[str]) -> str:
    """Install into the venv; empty on success, else the tail of pip's complaint. Records what
    is installed afterwards, since a later install may move a shared dependency."""
    proc = subprocess.run([venv.python, "-m", "pip", "install", "-q", "--prefer-binary",
                           "--disable-pip-version-check", *wanted],
                          capture_output=True, text=True, env=clean_env(), check=False,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        return f"pip install {' '.join(wanted)} failed: {first_line(proc.stderr)}"
    record_installed(venv)
    return ""


def record_installed(venv: Venv) -> None:
    """Write what pip sees installed to installed.txt, read back by Venv.packages."""
    frozen = subprocess.run([venv.python, "-m", "pip", "freeze", "--all",
                             "--disable-pip-version-check"], capture_output=True, text=True,
                            env=clean_env(), check=False)
    (venv.path / "installed.txt").write_text(frozen.stdout)


def program_venv(program: Program, target: Target) -> Venv:
    """The venv of the target interpreter with only the program's requirements, made once and
    reused. Keyed by the requirement lines and the interpreter (its real path and version), so
    programs with the same requirements (the stdlib ones: none) share one."""
    key = "\n".join([os.path.realpath(target.python), target.version, *program.requirements])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    venv = Venv(CACHE / "venvs" / f"cpython-{target.version}-{digest}")
    if (venv.path / "ready").exists():
        return venv
    log(f"   making the venv {venv.path} ({' '.join(program.requirements) or 'no packages'})")
    shutil.rmtree(venv.path, ignore_errors=True)  # a half-made one from an interrupted run
    proc = subprocess.run([target.python, "-m", "venv", str(venv.path)], capture_output=True,
                          text=True, env=clean_env(), check=False)
    if proc.returncode != 0:
        venv.error = f"venv failed: {first_line(proc.stderr)}"
        return venv
    (venv.path / "requirements.txt").write_text("\n".join(program.requirements) + "\n")
    if program.requirements:
        venv.error = pip_install(venv, ["-r", str(venv.path / "requirements.txt")])
    else:
        record_installed(venv)
    if not venv.error:
        (venv.path / "ready").touch()
    return venv


def install_tool(venv: Venv, key: str) -> str:
    """Put a build tool (and what it needs) into the venv at the host's versions, once; empty
    when it is there, else why not."""
    wanted = []
    for dist in BUILD_TOOLS[key]:
        version = host_version(dist)
        if version is None:
            return f"{dist} is not installed here (pip install -e '.[benchmark]')"
        wanted.append(f"{dist}=={version}")
    marker = venv.path / ("with-" + "-".join(wanted).replace("==", "-"))
    if marker.exists():
        return ""
    log(f"   installing {' '.join(wanted)} into {venv.path.name} ...")
    error = pip_install(venv, wanted)
    if not error:
        marker.touch()
    return error


def python_version(python: str) -> str:
    out = subprocess.run([python, "-I", "-S", "-c", "import platform; "
                          "print(platform.python_version())"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def machine() -> str:
    """One line about where the numbers come from, for the table's heading and the README."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith(
                "model name"))
    except (OSError, StopIteration):
        pass
    distro = platform.system()
    try:
        with open("/etc/os-release") as f:
            distro = next(line.split("=", 1)[1].strip().strip('"') for line in f
                          if line.startswith("PRETTY_NAME="))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{distro}, Linux {platform.release()}, {cpu} ({platform.machine()}), "
            f"{os.cpu_count()} CPUs, {mem:.0f} GiB RAM")


def git_commit() -> str:
    out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


# --- the tools -------------------------------------------------------------------------------

@dataclass
class Built:
    """A build's outcome: the binary, or why there is none."""

    binary: Path | None
    seconds: float
    error: str = ""


class Tool:
    """A way of turning a script into one executable file, with caches that can be reset."""

    name = ""
    key = ""  # what --tools calls it
    needs = ""  # the BUILD_TOOLS entry it installs into the program's venv, if any
    max_warm_builds: int | None = None  # fewer warm builds than --warm-builds (Nuitka: slow)
    timeout = 1800.0  # seconds a build may take before it is recorded as too slow

    def __init__(self, target: Target, work: Path) -> None:
        self.target = target
        self.work = work / re.sub(r"\W+", "-", self.name).strip("-")

    def prepare(self, venv: Venv) -> str:
        """Make the tool usable for a program built from this venv; empty when it is, else
        why not (shown in the results)."""
        return install_tool(venv, self.needs) if self.needs else ""

    def build(self, program: Program, venv: Venv, cold: bool) -> Built:
        raise NotImplementedError

    def first_start_env(self, scratch: Path) -> dict[str, str]:
        """Environment for a first start: whatever the tool caches at run time, empty."""
        return {}

    def warm_env(self) -> dict[str, str]:
        return {}

    def _timed_build(self, cmd: list[str], env: dict[str, str], out: Path) -> Built:
        if out.exists():
            out.unlink()
        start = time.perf_counter()
        try:
            # A session of its own, so that a build stopped for taking too long goes with its
            # compilers (Nuitka's scons runs gcc in processes of its own).
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env=env, cwd=self.work,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as e:
            return Built(None, 0.0, f"build failed: {e}")
        try:
            stdout, stderr = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return Built(None, time.perf_counter() - start,
                         f"build too slow: stopped after {self.timeout:.0f} s")
        seconds = time.perf_counter() - start
        if proc.returncode != 0 or not out.is_file():
            return Built(None, seconds, f"build failed: {first_line(stderr + stdout)}")
        return Built(out, seconds)


class Freezer(Tool):
    """This project, run by the interpreter running the benchmark (it has pyelftools)."""

    name = "freezer"
    key = "freezer"
    options: tuple[str, ...] = ()

    def build(self, program: Program, venv: Venv, cold: bool) -> Built:
        self.work.mkdir(parents=True, exist_ok=True)
        cache = self.work / f"build-cache-{slug(program)}{''.join(self.options)}"
        if cold:
            shutil.rmtree(cache, ignore_errors=True)
        out = self.work / (slug(program) + "".join(self.options))
        # The stdlib programs are frozen from the bare interpreter, like their baseline.
        python = venv.python if program.third_party else self.target.python
        cmd = [sys.executable, "-m", "freezer", str(PROGRAMS_DIR / program.script), "-o",
               str(out), "--python", python, "-q", *self.options]
        env = clean_env(FREEZER_CACHE_DIR=str(cache), PYTHONPATH=str(REPO))
        return self._timed_build(cmd, env, out)

    def first_start_env(self, scratch: Path) -> dict[str, str]:
        return {"FREEZER_CACHE_DIR": str(scratch)}

    def warm_env(self) -> dict[str, str]:
        return {"FREEZER_CACHE_DIR": str(self.work / "run-cache")}


class FreezerPruned(Freezer):
    """freezer --pruned: only the stdlib modules the analysis sees, no sources."""

    name = "freezer --pruned"
    options = ("--pruned",)


class PyInstaller(Tool):
    """PyInstaller --onefile, from the program's venv, optionally with --strip."""

    key = "pyinstaller"
    needs = "pyinstaller"

    def __init__(self, target: Target, work: Path, strip: bool) -> None:
        self.strip = strip
        self.name = "PyInstaller --strip" if strip else "PyInstaller"
        super().__init__(target, work)

    def build(self, program: Program, venv: Venv, cold: bool) -> Built:
        base = self.work / slug(program)
        if cold:
            shutil.rmtree(base, ignore_errors=True)
        for d in ("dist", "build", "spec", "config"):
            (base / d).mkdir(parents=True, exist_ok=True)
        cmd = [venv.python, "-m", "PyInstaller", "--onefile", "--noconfirm",
               "--log-level", "ERROR", "--name", slug(program),
               "--distpath", str(base / "dist"), "--workpath", str(base / "build"),
               "--specpath", str(base / "spec"), *(["--strip"] if self.strip else []),
               str(PROGRAMS_DIR / program.script)]
        # PyInstaller keeps its cache of processed binaries in its config directory.
        env = clean_env(PYINSTALLER_CONFIG_DIR=str(base / "config"))
        return self._timed_build(cmd, env, base / "dist" / slug(program))

    def first_start_env(self, scratch: Path) -> dict[str, str]:
        return {"TMPDIR": str(scratch)}  # where onefile extracts itself


class Nuitka(Tool):
    """Nuitka --onefile, from the program's venv: it compiles the program and every module it
    imports to C, so a build takes minutes (hello: over two on a loaded 2-core machine) and
    needs a C compiler and patchelf. One warm build only, and a build beyond --nuitka-timeout
    is recorded as too slow."""

    name = "Nuitka"
    key = "nuitka"
    needs = "nuitka"
    max_warm_builds = 1

    def prepare(self, venv: Venv) -> str:
        missing = [t for t in ("gcc", "patchelf") if not shutil.which(t)]
        if missing:
            return f"needs {' and '.join(missing)} on PATH"
        return super().prepare(venv)

    def build(self, program: Program, venv: Venv, cold: bool) -> Built:
        base = self.work / slug(program)
        if cold:
            shutil.rmtree(base, ignore_errors=True)
        (base / "cache").mkdir(parents=True, exist_ok=True)
        cmd = [venv.python, "-m", "nuitka", "--onefile", "--quiet",
               "--assume-yes-for-downloads", f"--output-dir={base}",
               f"--output-filename={slug(program)}", str(PROGRAMS_DIR / program.script)]
        # Its cache directory holds its ccache (when ccache is installed) and its bytecode
        # cache: what makes a warm build faster.
        env = clean_env(NUITKA_CACHE_DIR=str(base / "cache"))
        return self._timed_build(cmd, env, base / slug(program))

    def first_start_env(self, scratch: Path) -> dict[str, str]:
        # Onefile extracts into {TEMP}/onefile_<pid>_<time>/, {TEMP} being $TMPDIR.
        return {"TMPDIR": str(scratch)}


def slug(program: Program) -> str:
    return Path(program.script).stem


# --- running and measuring -------------------------------------------------------------------

@dataclass
class Subject:
    """Something to start: the baseline python or one tool's binary, with its row."""

    row: Row
    cmd: list[str]
    env: dict[str, str]
    tool: Tool | None = None
    samples: list[float] = field(default_factory=list)


def timed_run(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall time of one start in ms; output to /dev/null so that no pipe is part of it."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=False,
                              timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{cmd[0]} ran longer than {RUN_TIMEOUT:.0f} s") from None
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}")
    return elapsed


def tree_bytes(root: Path) -> int:
    """Bytes in the regular files under root (their sizes, not the blocks they take; links
    are not followed or counted). Files may vanish while it walks: a onefile binary removes
    its extraction directory at exit."""
    total = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


def first_start_writes(cmd: list[str], env: dict[str, str], cwd: Path, scratch: Path
                       ) -> tuple[int, int]:
    """Bytes a first start writes, as (peak while it runs, kept after it exits).

    env points TMPDIR and the tool's run-time cache into scratch, new and empty, so whatever
    the run writes for itself lands there: freezer's cache (kept, reused by later
    starts), PyInstaller's _MEI* and Nuitka's onefile_* extraction directories (removed at
    exit). Those are only visible while the program runs, so the directory is summed every
    few ms until it exits; extraction finishes before the program's own code starts, so the
    peak seen is all of it unless the program ends within one poll of that (then it is a
    lower bound)."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    peak, deadline = 0, time.monotonic() + RUN_TIMEOUT
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{cmd[0]} ran longer than {RUN_TIMEOUT:.0f} s")
        peak = max(peak, tree_bytes(scratch))
        time.sleep(0.002)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}")
    kept = tree_bytes(scratch)
    return max(peak, kept), kept


def peak_rss_kb(cmd: list[str], env: dict[str, str], cwd: Path, scratch: Path
                ) -> tuple[float, bool]:
    """Peak resident set of one run in KiB, and whether that figure is exact.

    The kernel carries a process's high-water mark across exec, and this benchmark spawns from
    a Python of tens of MB (vfork shares its memory), so wait4's ru_maxrss for a direct child
    cannot go below that. GNU time forks from a process of a few hundred KB and reports its
    child's ru_maxrss, so it is used when present; without it the figure is an upper bound.
    For PyInstaller onefile (a parent that extracts and a child that runs Python) ru_maxrss is
    that of the larger of the two processes, not their sum.
    """
    if os.access(GNU_TIME, os.X_OK):
        out = scratch / "time.out"
        subprocess.run([GNU_TIME, "-f", "%M", "-o", str(out), *cmd], env=env, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       timeout=RUN_TIMEOUT)
        return float(out.read_text().split()[-1]), True
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait a second time
    return float(usage.ru_maxrss), False


def fresh_dir(root: Path) -> Iterator[Path]:
    """New, empty directories under root, each removed when the next one is made."""
    n = 0
    while True:
        d = root / f"fresh-{n}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        yield d
        shutil.rmtree(d, ignore_errors=True)
        n += 1


def payload_breakdown(binary: Path) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """MB per kind of content of a freezer binary, and its largest entries: where its bytes
    go, for the issue's "where a target is missed" question."""
    parts = {"bootloader": 0.0, "libpython (zstd)": 0.0, "other boot libs (zstd)": 0.0,
             "extensions + libs": 0.0, "bytecode (.pyc)": 0.0, "other": 0.0}
    with zipfile.ZipFile(binary) as zf:
        infos = zf.infolist()
        parts["bootloader"] = min((i.header_offset for i in infos), default=0) / 1e6
        for info in infos:
            name = info.filename
            if name.endswith(".zst"):
                key = ("libpython (zstd)" if "/libpython" in name
                       else "other boot libs (zstd)")
            elif name.endswith(".pyc"):
                key = "bytecode (.pyc)"
            elif ".so" in name.rsplit("/", 1)[-1]:
                key = "extensions + libs"
            else:
                key = "other"
            parts[key] += info.compress_size / 1e6
    total = binary.stat().st_size / 1e6
    parts["other"] += total - sum(parts.values())  # zip headers and directory
    largest = sorted(infos, key=lambda i: -i.compress_size)[:LARGEST]
    return ({k: round(v, 3) for k, v in parts.items()},
            [(short_name(i.filename), round(i.compress_size / 1e6, 3)) for i in largest])


def short_name(entry: str) -> str:
    """An entry's name without the `__freezer__/native/<sha256>/` of native files."""
    return entry.rsplit("/", 1)[-1] if entry.startswith("__freezer__/native/") else entry


def measure_program(program: Program, target: Target, tools: list[Tool], opts: argparse.Namespace,
                    work: Path, venvs: dict[str, dict[str, str]]) -> list[Row]:
    """Build the program with every tool, check every binary, and measure them all together.
    What its venv holds goes into venvs (by program name), for the results."""
    log(f"\n== {program.name}")
    script = PROGRAMS_DIR / program.script
    run_dir = work / "cwd" / slug(program)  # a few files for the cli to summarise
    run_dir.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(["alpha\n", "beta beta\n", '{"k": 1}\n']):
        (run_dir / f"file{i}{'.json' if i == 2 else '.txt'}").write_text(text)

    # A venv only when something needs one: the stdlib programs frozen by freezer alone do not.
    venv = Venv(Path(target.python).parent.parent)
    if program.third_party or any(tool.needs for tool in tools):
        venv = program_venv(program, target)
    if program.third_party:
        base = Subject(Row(program.name, "python (venv)"),
                       [venv.python, str(script), *program.args], clean_env())
        if venv.error:
            base.row.status = venv.error
            return [base.row]
    else:
        base = Subject(Row(program.name, "python -I -S"),
                       [target.python, "-I", "-S", str(script), *program.args], clean_env())
    expected = subprocess.run(base.cmd, env=base.env, cwd=run_dir, capture_output=True,
                              check=False)
    if expected.returncode != 0:
        base.row.status = f"run failed: {first_line(expected.stderr.decode(errors='replace'))}"
        return [base.row]

    subjects = [base]
    rows = [base.row]
    for tool in tools:
        row = Row(program.name, tool.name)
        rows.append(row)
        why = venv.error or tool.prepare(venv)
        if why:
            row.status = why
            log(f"   {tool.name}: {why}")
            continue
        log(f"   {tool.name}: cold build ...")
        cold = tool.build(program, venv, cold=True)
        row.build_cold_s = cold.seconds
        if cold.binary is None:
            row.status = cold.error
            log(f"   {tool.name}: {cold.error}")
            continue
        log(f"   {tool.name}: cold build {cold.seconds:.1f} s")
        warm, binary = [], cold.binary
        for _ in range(min(opts.warm_builds, tool.max_warm_builds or opts.warm_builds)):
            built = tool.build(program, venv, cold=False)
            if built.binary is None:
                row.status = built.error
                log(f"   {tool.name}: warm build: {built.error}")
                break
            warm.append(built.seconds)
            binary = built.binary
        if row.status != "ok":
            continue
        row.build_warm_s = statistics.median(warm) if warm else None
        row.size_mb = binary.stat().st_size / 1e6
        if isinstance(tool, Freezer):
            row.breakdown, row.largest = payload_breakdown(binary)
        env = clean_env(**tool.warm_env())
        try:
            got = subprocess.run([str(binary), *program.args], env=env, cwd=run_dir,
                                 capture_output=True, check=False, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            row.status = f"run failed: ran longer than {RUN_TIMEOUT:.0f} s"
            continue
        if got.returncode != 0 or got.stdout != expected.stdout:
            row.status = (f"run failed: exit {got.returncode}, "
                          f"{first_line(got.stderr.decode(errors='replace')) or 'wrong output'}")
            log(f"   {tool.name}: {row.status}")
            continue
        subjects.append(Subject(row, [str(binary), *program.args], env, tool))
    if venv.path.is_relative_to(CACHE):  # what it holds now the build tools are in too
        venvs[program.name] = venv.packages()

    log(f"   warm starts: {opts.runs} interleaved rounds of {len(subjects)} ...")
    # One unrecorded start each (page cache, freezer's run-time cache), then the rounds.
    run_rounds(subjects, 1, lambda s: timed_run(s.cmd, s.env, run_dir))
    for s in subjects:
        s.samples = []
    run_rounds(subjects, opts.runs, lambda s: timed_run(s.cmd, s.env, run_dir))
    for s in subjects:
        if s.samples:
            s.row.warm_ms = statistics.median(s.samples)

    binaries = [s for s in subjects if s.tool is not None and s.row.status == "ok"]
    log(f"   first starts: {opts.first_runs} rounds ...")
    for s in binaries:
        s.samples = []
    scratch = fresh_dir(work / "first")
    run_rounds(binaries, opts.first_runs, lambda s: timed_run(
        s.cmd, {**s.env, **s.tool.first_start_env(next(scratch))}, run_dir))
    for s in binaries:
        if s.samples:
            s.row.first_ms = statistics.median(s.samples)

    log("   bytes written on first start: one run each ...")
    for s in binaries:
        if s.row.status != "ok":
            continue
        where = next(scratch)
        (where / "tmp").mkdir()
        (where / "cache").mkdir()
        # PyInstaller's and Nuitka's run-time "cache" is TMPDIR: theirs wins.
        env = {**s.env, "TMPDIR": str(where / "tmp"), **s.tool.first_start_env(where / "cache")}
        try:
            peak, kept = first_start_writes(s.cmd, env, run_dir, where)
        except RuntimeError as e:
            s.row.status = f"run failed: {e}"
            continue
        s.row.first_write_mb, s.row.first_kept_mb = peak / 1e6, kept / 1e6

    log(f"   peak RSS: {opts.rss_runs} runs each ...")
    for s in subjects:
        if s.row.status != "ok":
            continue
        try:
            readings = [peak_rss_kb(s.cmd, s.env, run_dir, work)
                        for _ in range(opts.rss_runs)]
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            s.row.status = f"run failed: {e}"
            continue
        s.row.rss_mb = statistics.median(kb for kb, _ in readings) / 1024
        s.row.rss_exact = all(exact for _, exact in readings)
    return rows


def run_rounds(subjects: list[Subject], rounds: int, run: Callable[[Subject], float]) -> None:
    """Each round starts every subject once, in an order that rotates from round to round."""
    for i in range(rounds):
        k = i % len(subjects) if subjects else 0
        for s in subjects[k:] + subjects[:k]:
            if s.row.status != "ok":
                continue
            try:
                s.samples.append(run(s))
            except RuntimeError as e:
                s.row.status = f"run failed: {e}"


# --- reporting -------------------------------------------------------------------------------

def ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value is not None and base else "–"


def report_rows(rows: list[Row]) -> list[list[str]]:
    """Table cells: ratios against the program's baseline first, absolute figures after.

    A row that failed has three cells: program, tool and what went wrong."""
    out = []
    by_program: dict[str, list[Row]] = {}
    for r in rows:
        by_program.setdefault(r.program, []).append(r)
    for program, group in by_program.items():
        base = group[0]
        pyi_strip = next((r for r in group if r.tool == "PyInstaller --strip"), None)
        for r in group:
            if r.status != "ok":
                out.append([program, r.tool, r.status.replace("|", "\\|")])  # tool output
                continue
            is_base = r is base
            rss = (f"{ratio(r.rss_mb, base.rss_mb)} ({'' if r.rss_exact else '≤'}"
                   f"{r.rss_mb:.1f} MB)" if r.rss_mb is not None else "–")
            size = "–"
            if r.size_mb is not None:
                rel = ratio(r.size_mb, pyi_strip.size_mb if pyi_strip and pyi_strip.status
                            == "ok" else None)
                size = f"{r.size_mb:.2f} MB" + (f" ({rel}×)" if rel != "–" else "")
            out.append([
                program, r.tool,
                f"{ratio(r.warm_ms, base.warm_ms)} ({r.warm_ms:.1f} ms)" if r.warm_ms else "–",
                "–" if is_base or r.first_ms is None else
                f"{ratio(r.first_ms, base.warm_ms)} ({r.first_ms:.1f} ms)",
                rss, size, writes_cell(r),
                "–" if r.build_cold_s is None else f"{r.build_cold_s:.2f} s",
                "–" if r.build_warm_s is None else f"{r.build_warm_s:.2f} s",
            ])
    return out


def writes_cell(r: Row) -> str:
    """Bytes written on first start, and whether they stay (a cache later starts reuse) or
    go at exit (an extraction every start repeats)."""
    if r.first_write_mb is None or r.first_kept_mb is None:
        return "–"
    if r.first_kept_mb >= 0.99 * r.first_write_mb:
        fate = "kept"
    elif r.first_kept_mb < 0.01 * r.first_write_mb:
        fate = "removed at exit"
    else:
        fate = f"{r.first_kept_mb:.1f} MB kept"
    return f"{r.first_write_mb:.1f} MB ({fate})"


HEADER = ["program", "tool", "warm start ×python (median)", "first start ×python",
          "peak RSS ×python", "size (× PyInstaller --strip)", "written on first start",
          "build, cold", "build, warm"]

# Issue 4's targets: (program, description, row filter, value, limit).
# (program, what the target says, figure, limit, tool): issue 4's, and issue 8's budgets
# for binaries that carry the whole standard library and the sources.
TARGETS = [
    ("hello", "warm start ≤ 1.1× python -I -S", "warm", 1.1, "freezer"),
    ("hello", "first start ≤ 3× python -I -S", "first", 3.0, "freezer"),
    ("hello", "binary ≤ 7.0 MB (whole stdlib and sources)", "size", 7.0, "freezer"),
    ("hello", "--pruned binary ≤ 2.0 MB", "size", 2.0, "freezer --pruned"),
    ("hello", "build ≤ 1 s with warm caches", "build_warm", 1.0, "freezer"),
    ("hello", "build ≤ 5 s with cold caches", "build_cold", 5.0, "freezer"),
    ("hello", "peak RSS ≤ 1.2× python -I -S", "rss", 1.2, "freezer"),
    ("requests+rich+click", "warm start ≤ 1.1× the venv's python", "warm", 1.1, "freezer"),
    ("requests+rich+click", "size ≤ 0.6× PyInstaller --strip", "size_vs_pyi", 0.6,
     "freezer"),
]


def target_lines(rows: list[Row]) -> list[str]:
    """Met / missed for each of the issue's targets (freezer's rows only)."""
    lines = ["| target | freezer | met |", "| --- | ---: | :---: |"]
    for program, text, what, limit, tool in TARGETS:
        group = [r for r in rows if r.program == program]
        mine = next((r for r in group if r.tool == tool), None)
        base = group[0] if group else None
        pyi = next((r for r in group if r.tool == "PyInstaller --strip"), None)
        value = None
        if mine and mine.status == "ok" and base:
            value = {
                "warm": mine.warm_ms / base.warm_ms if base.warm_ms else None,
                "first": mine.first_ms / base.warm_ms if mine.first_ms and base.warm_ms
                else None,
                "size": mine.size_mb,
                "build_warm": mine.build_warm_s,
                "build_cold": mine.build_cold_s,
                "rss": mine.rss_mb / base.rss_mb if mine.rss_mb and base.rss_mb else None,
                "size_vs_pyi": mine.size_mb / pyi.size_mb if pyi and pyi.size_mb else None,
            }[what]
        if value is None:
            shown = mine.status if mine and mine.status != "ok" else "not measured"
            lines.append(f"| {program}: {text} | {shown} | – |")
        else:
            lines.append(f"| {program}: {text} | {value:.2f} | "
                         f"{'yes' if value <= limit else '**no**'} |")
    return lines


def markdown(rows: list[Row], meta: dict[str, str], venvs: dict[str, dict[str, str]]) -> str:
    out = [f"# Benchmark results ({meta['mode']})", "",
           f"{meta['date']}; {meta['machine']}.  ",
           f"CPython {meta['python']}, PyInstaller {meta['pyinstaller']}, Nuitka "
           f"{meta['nuitka']} ({meta['ccache']}), freezer {meta['commit']}. Warm start: "
           f"median of {meta['runs']} interleaved runs; first start: median of "
           f"{meta['first_runs']}; peak RSS: median of {meta['rss_runs']}; build: one cold, "
           f"median of {meta['warm_builds']} warm (Nuitka: one).", "",
           "Ratios against the same program under python (`python -I -S prog.py`, or the "
           "program's venv python for third-party programs); absolute figures in "
           "parentheses. First start: freezer with an empty cache, PyInstaller and Nuitka "
           "with an empty TMPDIR (onefile extracts on every start). Written on first start: "
           "the bytes of the files under a new, empty cache directory and TMPDIR, summed "
           "every few ms while one first start runs (the peak) and after it exits (what is "
           "kept): freezer's cache stays for later starts; PyInstaller's `_MEI*` and Nuitka's "
           "`onefile_*` directories are removed at exit and written again on every start.", ""]
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("|" + " --- |" * 2 + " ---: |" * (len(HEADER) - 2))
    for cells in report_rows(rows):
        cells += [""] * (len(HEADER) - len(cells))  # a failed row: its status, then blanks
        out.append("| " + " | ".join(cells) + " |")
    if meta.get("skipped"):
        out += ["", meta["skipped"]]
    if venvs:
        out += ["", "Each program's venv (its requirements.txt, then the build tools):", ""]
        for program, packages in venvs.items():
            listed = ", ".join(f"{k} {v}" for k, v in sorted(packages.items(),
                                                             key=lambda kv: kv[0].lower()))
            out.append(f"- {program}: {listed or '–'}")
    out += ["", "## Targets (issue 4, CPython 3.11)", "", *target_lines(rows)]
    breakdowns = [r for r in rows if r.breakdown]
    if breakdowns:
        kinds = list(breakdowns[0].breakdown)
        out += ["", "## Where a freezer binary's bytes go (MB)", "",
                "| program | " + " | ".join(kinds) + " |",
                "| --- |" + " ---: |" * len(kinds)]
        for r in breakdowns:
            out.append(f"| {r.program}, {r.tool} | "
                       + " | ".join(f"{r.breakdown[k]:.2f}" for k in kinds) + " |")
        out += ["", "Largest entries (MB, as stored; `.zst` is compressed, the rest is not):", ""]
        for r in breakdowns:
            out.append(f"- {r.program}, {r.tool}: "
                       + ", ".join(f"{n} {mb:.2f}" for n, mb in r.largest))
    return "\n".join(out) + "\n"


def chart(rows: list[Row], path: Path, title: str) -> bool:
    """Grouped bars per program, one colour per tool; ratios where there is a baseline."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed: no chart (pip install -e '.[benchmark]')")
        return False
    programs = list(dict.fromkeys(r.program for r in rows))
    tools = list(dict.fromkeys(r.tool for r in rows if not r.tool.startswith("python")))
    base = {p: next(r for r in rows if r.program == p) for p in programs}

    def value(r: Row, what: str) -> float | None:
        b = base[r.program]
        if r.status != "ok":
            return None
        return {
            "warm": r.warm_ms / b.warm_ms if r.warm_ms and b.warm_ms else None,
            "first": r.first_ms / b.warm_ms if r.first_ms and b.warm_ms else None,
            "rss": r.rss_mb / b.rss_mb if r.rss_mb and b.rss_mb else None,
            "size": r.size_mb, "writes": r.first_write_mb,
            "build_cold": r.build_cold_s, "build_warm": r.build_warm_s,
        }[what]

    panels = [("warm", "warm start (× python)", True), ("first", "first start (× python)", True),
              ("rss", "peak RSS (× python)", True), ("size", "binary size (MB)", False),
              ("writes", "written on first start (MB)", False),
              ("build_cold", "build, cold caches (s)", False),
              ("build_warm", "build, warm caches (s)", False)]
    fig, axes = plt.subplots(2, 4, figsize=(20, 8.5))
    axes.flat[-1].axis("off")  # seven panels in a grid of eight
    width = 0.8 / max(len(tools), 1)
    for ax, (what, label, is_ratio) in zip(axes.flat, panels):
        for t, tool in enumerate(tools):
            xs, ys = [], []
            for p, program in enumerate(programs):
                r = next((r for r in rows if r.program == program and r.tool == tool), None)
                v = value(r, what) if r else None
                if v is not None:
                    xs.append(p + (t - (len(tools) - 1) / 2) * width)
                    ys.append(v)
            bars = ax.bar(xs, ys, width, label=tool)
            ax.bar_label(bars, fmt="%.2g", fontsize=7)
        if is_ratio:
            ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_title(label)
        ax.set_xticks(range(len(programs)))
        ax.set_xticklabels([p.split(" ")[0] for p in programs])
        if what.startswith("build") or what in ("warm", "first"):
            ax.set_yscale("log")  # PyInstaller's onefile starts are 5-30× python
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", default=DEFAULT_TARGET,
                   help=f"target interpreter: a path or a pyenv version (default "
                        f"{DEFAULT_TARGET}, the newest 3.11 under pyenv)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: standard-library programs only, 10 warm runs, 3 first "
                        "starts, one warm build; results go to results/quick.*")
    p.add_argument("--runs", type=int, help="warm starts per binary (default 20; quick 10)")
    p.add_argument("--first-runs", type=int, help="first starts per binary (default 7)")
    p.add_argument("--rss-runs", type=int, help="peak-RSS runs per binary (default 3)")
    p.add_argument("--warm-builds", type=int, help="warm builds per tool (default 3)")
    p.add_argument("--programs", help="comma-separated names of programs to run (a prefix "
                   "of each name is enough: hello,cli,requests,numpy,pandas,typer)")
    p.add_argument("--tools", help="comma-separated tools to compare with python, of "
                   f"{','.join(TOOL_KEYS)} (default: all; --quick: freezer,pyinstaller, "
                   "since a Nuitka build takes minutes)")
    p.add_argument("--no-pyinstaller", action="store_true",
                   help="freezer and python only (no PyInstaller, no Nuitka)")
    p.add_argument("--no-nuitka", action="store_true", help="leave Nuitka out")
    p.add_argument("--cross", action=argparse.BooleanOptionalAction, default=None,
                   help="add linux-aarch64 cross-build rows (default: on, off with --quick)")
    p.add_argument("--nuitka-timeout", type=float, default=1800, metavar="SECONDS",
                   help="record a Nuitka build that takes longer as too slow (default 1800)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")
    opts = p.parse_args(argv)
    opts.runs = opts.runs or (10 if opts.quick else 20)
    opts.first_runs = opts.first_runs or (3 if opts.quick else 7)
    opts.rss_runs = opts.rss_runs or (1 if opts.quick else 3)
    opts.warm_builds = opts.warm_builds or (1 if opts.quick else 3)
    if opts.runs < 10 and not opts.quick:
        p.error("--runs: the median of fewer than 10 runs is too noisy to compare")

    programs = [prog for prog in PROGRAMS if not (opts.quick and prog.third_party)]
    if opts.programs:
        wanted = [w.strip() for w in opts.programs.split(",") if w.strip()]
        programs = [prog for prog in PROGRAMS if any(prog.name.startswith(w) for w in wanted)]
        if not programs:
            p.error(f"--programs: none of {wanted} names a program")
    chosen = (opts.tools.split(",") if opts.tools else
              ["freezer", "pyinstaller"] if opts.quick else list(TOOL_KEYS))
    chosen = [t.strip().lower() for t in chosen if t.strip()]
    unknown = [t for t in chosen if t not in TOOL_KEYS]
    if unknown:
        p.error(f"--tools: unknown {','.join(unknown)} (known: {','.join(TOOL_KEYS)})")
    left_out = [t for t in TOOL_KEYS if t not in chosen]
    if opts.no_pyinstaller:
        left_out += [t for t in ("pyinstaller", "nuitka") if t not in left_out]
    if opts.no_nuitka and "nuitka" not in left_out:
        left_out.append("nuitka")
    python = resolve_python(opts.python)
    target = Target(python, python_version(python))

    with tempfile.TemporaryDirectory(prefix="freezer-bench-") as name:
        work = Path(name)
        candidates: list[Tool] = [Freezer(target, work), FreezerPruned(target, work),
                                  PyInstaller(target, work, strip=False),
                                  PyInstaller(target, work, strip=True), Nuitka(target, work)]
        for tool in candidates:
            if isinstance(tool, Nuitka):
                tool.timeout = opts.nuitka_timeout
        tools = [tool for tool in candidates if tool.key not in left_out]
        venvs: dict[str, dict[str, str]] = {}
        rows: list[Row] = []
        for program in programs:
            rows += measure_program(program, target, tools, opts, work, venvs)

    stem = "quick" if opts.quick else "latest"
    names = {"freezer": "freezer", "pyinstaller": "PyInstaller", "nuitka": "Nuitka"}
    meta = {
        "mode": "quick" if opts.quick else "full",
        "date": datetime.date.today().isoformat(), "machine": machine(),
        "python": target.version,
        "pyinstaller": ("–" if "pyinstaller" in left_out else
                        host_version("pyinstaller") or "not installed"),
        "nuitka": "–" if "nuitka" in left_out else host_version("nuitka") or "not installed",
        "ccache": "with ccache" if shutil.which("ccache") else "without ccache",
        "commit": git_commit(), "runs": str(opts.runs), "first_runs": str(opts.first_runs),
        "rss_runs": str(opts.rss_runs), "warm_builds": str(opts.warm_builds),
        "skipped": (f"Left out: {', '.join(names[t] for t in left_out)}." if left_out
                    else ""),
    }
    opts.out.mkdir(parents=True, exist_ok=True)
    text = markdown(rows, meta, venvs)
    if opts.cross if opts.cross is not None else not opts.quick:
        minor = int(target.version.split(".")[1])
        text += ("\n## Cross builds: linux-aarch64 from this x86_64 machine\n\n"
                 + "\n".join(cross_lines(python, minor)) + "\n")
    (opts.out / f"{stem}.md").write_text(text)
    (opts.out / f"{stem}.json").write_text(json.dumps(
        {"meta": meta, "venvs": venvs, "rows": [asdict(r) for r in rows]}, indent=1,
        ensure_ascii=False) + "\n")
    title = f"CPython {target.version}, {meta['date']}: {meta['machine']}"
    drew = chart(rows, opts.out / f"{stem}.png", title)
    print(text)
    log(f"wrote {opts.out / stem}.md, .json{', .png' if drew else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
