"""Start-up cost of a frozen hello world against `python -I -S hello.py`.

Run from anywhere, with a Python that can run freezer (the repository's venv will do):

    python benchmarks/startup.py                      # pyenv's 3.11.7
    python benchmarks/startup.py --python 3.9 --python 3.13 --runs 50

For each target interpreter it freezes a one-line `print("hello world")` script with
`python -m freezer --python TARGET`, then measures:

* warm start: the binary against `TARGET -I -S hello.py`, interleaved run by run (and the
  order swapped every other run) so that a slow spell of the machine hits both alike;
* first start: the binary with FREEZER_CACHE_DIR pointing at a new, empty directory, as the
  very first run on a machine is; once as built and once with FREEZER_NO_MEMFD=1, where the
  native files have to be written to that cache before they can be loaded;
* peak RSS of one run of each (median of three), from GNU time where it is installed (see
  `peak_rss_mb` for why not from this process's own rusage).

It prints markdown tables and asserts nothing about the numbers: start-up time depends on the
machine, and the point is the ratio between the two columns measured in the same run.
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HELLO = 'print("hello world")\n'
DEFAULT_TARGET = "3.11.7"


@dataclass
class Result:
    """Everything measured for one target interpreter, in milliseconds and megabytes."""

    label: str
    python_ms: float
    frozen_ms: float
    size_mb: float
    first_ms: float
    first_nomemfd_ms: float
    python_rss_mb: str  # formatted: may carry a "≤" (see peak_rss_mb)
    frozen_rss_mb: str


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
    """Turn `3.12`, `3.11.7` or a path into an interpreter path, so versions can be named short."""
    if os.sep in spec or not re.fullmatch(r"3\.\d+(\.\d+)?", spec):
        path = shutil.which(spec) or spec
        if not os.access(path, os.X_OK):
            sys.exit(f"startup.py: --python {spec}: no such executable")
        return path
    minor = ".".join(spec.split(".")[:2])
    pattern = spec if spec.count(".") == 2 else f"{spec}.*"
    found = sorted(glob.glob(str(pyenv_root() / "versions" / pattern / "bin" / f"python{minor}")))
    if not found:
        sys.exit(f"startup.py: --python {spec}: not found under {pyenv_root()}/versions")
    return found[-1]


def python_version(python: str) -> str:
    """The target's full version, for the table's first column."""
    code = "import platform; print(platform.python_version())"
    out = subprocess.run([python, "-I", "-S", "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def freeze(python: str, script: Path, output: Path) -> None:
    """Build with the repository's freezer, run by this interpreter (it needs pyelftools)."""
    cmd = [sys.executable, "-m", "freezer", str(script), "-o", str(output),
           "--python", python, "-q"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"startup.py: freezing for {python} failed ({proc.returncode}):\n{proc.stderr}")


def check_output(cmd: list[str], env: dict[str, str]) -> None:
    """Run once and insist on the greeting, so the timings below are of a program that works."""
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0 or out.stdout != "hello world\n":
        sys.exit(f"startup.py: {cmd[0]} printed {out.stdout!r}, exit {out.returncode}, "
                 f"stderr {out.stderr!r}")


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall time of one run in milliseconds; output goes to /dev/null so no pipe is timed."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000


GNU_TIME = "/usr/bin/time"


def peak_rss_mb(cmd: list[str], env: dict[str, str], tmp: Path) -> tuple[float, bool]:
    """Peak resident set of one run in MB, and whether that figure is exact.

    The kernel carries a process's high-water mark across exec, and this benchmark forks from
    a Python of some 14 MB, so the child's own rusage (os.wait4, or RUSAGE_CHILDREN deltas)
    cannot go below that. GNU time forks from a process of a few hundred KB, so it is used
    when present; without it, the wait4 figure is only an upper bound.
    """
    if os.access(GNU_TIME, os.X_OK):
        out = tmp / "time.out"
        subprocess.run([GNU_TIME, "-f", "%M", "-o", str(out), *cmd], env=env,
                       stdout=subprocess.DEVNULL, check=True)
        return int(out.read_text().split()[-1]) / 1024, True  # KiB
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # the Popen must not wait a second time
    if proc.returncode != 0:
        sys.exit(f"startup.py: {cmd[0]} exited {proc.returncode}")
    return usage.ru_maxrss / 1024, False  # KiB on Linux


def median_rss(cmd: list[str], env: dict[str, str], tmp: Path) -> str:
    """Median of three peak-RSS readings, formatted; "≤" marks an upper bound."""
    readings = [peak_rss_mb(cmd, env, tmp) for _ in range(3)]
    exact = all(ok for _, ok in readings)
    return ("" if exact else "≤ ") + f"{statistics.median(mb for mb, _ in readings):.1f}"


def warm_start(python_cmd: list[str], frozen_cmd: list[str], env: dict[str, str],
               runs: int, warmups: int) -> tuple[float, float]:
    """Median of `runs` interleaved runs of each command, after `warmups` unrecorded pairs."""
    for _ in range(warmups):
        timed(python_cmd, env)
        timed(frozen_cmd, env)
    py_times: list[float] = []
    frozen_times: list[float] = []
    for i in range(runs):
        if i % 2 == 0:
            py_times.append(timed(python_cmd, env))
            frozen_times.append(timed(frozen_cmd, env))
        else:
            frozen_times.append(timed(frozen_cmd, env))
            py_times.append(timed(python_cmd, env))
    return statistics.median(py_times), statistics.median(frozen_times)


def first_start(frozen_cmd: list[str], env: dict[str, str], trials: int, tmp: Path,
                no_memfd: bool) -> float:
    """Median start of the binary with a cache directory that has never been used."""
    times = []
    for i in range(trials):
        cache = tmp / f"cache-first-{int(no_memfd)}-{i}"
        run_env = dict(env, FREEZER_CACHE_DIR=str(cache))
        if no_memfd:
            run_env["FREEZER_NO_MEMFD"] = "1"
        times.append(timed(frozen_cmd, run_env))
        shutil.rmtree(cache, ignore_errors=True)
    return statistics.median(times)


def measure(python: str, runs: int, warmups: int, trials: int) -> Result:
    """Build the hello world for one target and take every measurement of it."""
    with tempfile.TemporaryDirectory(prefix="freezer-bench-") as name:
        tmp = Path(name)
        script = tmp / "hello.py"
        script.write_text(HELLO)
        binary = tmp / "hello"
        freeze(python, script, binary)
        # The warm runs get a cache of their own, so the user's cache neither helps nor grows.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["FREEZER_CACHE_DIR"] = str(tmp / "cache-warm")
        python_cmd = [python, "-I", "-S", str(script)]
        frozen_cmd = [str(binary)]
        check_output(python_cmd, env)
        check_output(frozen_cmd, env)
        py_ms, frozen_ms = warm_start(python_cmd, frozen_cmd, env, runs, warmups)
        return Result(
            label=f"CPython {python_version(python)}",
            python_ms=py_ms,
            frozen_ms=frozen_ms,
            size_mb=binary.stat().st_size / 1e6,
            first_ms=first_start(frozen_cmd, env, trials, tmp, no_memfd=False),
            first_nomemfd_ms=first_start(frozen_cmd, env, trials, tmp, no_memfd=True),
            python_rss_mb=median_rss(python_cmd, env, tmp),
            frozen_rss_mb=median_rss(frozen_cmd, env, tmp),
        )


def print_tables(results: list[Result], runs: int, warmups: int, trials: int) -> None:
    """Markdown, so the output can be pasted into the README as it is."""
    print(f"{platform.system()} {platform.release()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs; medians of {runs} interleaved runs after {warmups} warm-ups; "
          f"first starts: medians of {trials}\n")
    print("| interpreter | python -I -S (ms) | frozen (ms) | frozen / python | binary (MB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r.label} | {r.python_ms:.1f} | {r.frozen_ms:.1f} | "
              f"{r.frozen_ms / r.python_ms:.2f} | {r.size_mb:.1f} |")
    print()
    print("| interpreter | first start, empty cache (ms) | same, FREEZER_NO_MEMFD=1 (ms) "
          "| peak RSS python (MB) | peak RSS frozen (MB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r.label} | {r.first_ms:.1f} | {r.first_nomemfd_ms:.1f} | "
              f"{r.python_rss_mb} | {r.frozen_rss_mb} |")


def main(argv: list[str] | None = None) -> int:
    """Measure every target first, then print, so progress lines don't break up the tables."""
    p = argparse.ArgumentParser(description="Start-up time of a frozen hello world vs python.")
    p.add_argument("--python", action="append", metavar="PY",
                   help=f"target interpreter: a path or a pyenv version such as 3.12 "
                        f"(repeatable; default {DEFAULT_TARGET})")
    p.add_argument("--runs", type=int, default=30,
                   help="timed runs of each command (at least 30; default 30)")
    p.add_argument("--warmups", type=int, default=3, help="unrecorded runs first (default 3)")
    p.add_argument("--first-trials", type=int, default=5, metavar="N",
                   help="first starts with a new empty cache, per mode (default 5)")
    args = p.parse_args(argv)
    if args.runs < 30:
        p.error("--runs: a median of fewer than 30 runs is too noisy to compare")
    targets = [resolve_python(s) for s in (args.python or [DEFAULT_TARGET])]
    results = []
    for target in targets:
        print(f"measuring {target} ...", file=sys.stderr, flush=True)
        results.append(measure(target, args.runs, args.warmups, args.first_trials))
    print_tables(results, args.runs, args.warmups, args.first_trials)
    return 0


if __name__ == "__main__":
    sys.exit(main())
