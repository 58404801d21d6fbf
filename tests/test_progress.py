"""What a build says while it runs: its steps with their times, -q's silence, -v's decisions,
the live line on a terminal only, and the summary's cache bytes, by the real `freeze`.

Each builds a real program; its binary runs in the glibc-only sandbox and must behave as
the program does under python, whatever the build printed. The summary's promise about the
cache is measured: a first start with an empty cache must write what it says.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Target, freezer_env, run_freezer
from sandbox import assert_same_behaviour, run_plain, run_sandboxed

APP = """\
import json
import helper
try:
    import decimal
except ImportError:
    decimal = None
print(json.dumps({"x": helper.X, "decimal": decimal is not None}))
"""


def program(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text(APP)
    (src / "helper.py").write_text("import csv\nX = csv.QUOTE_ALL\n")
    return src


def frozen_behaves(target: Target, src: Path, binary: Path, tmp_path: Path) -> None:
    plain = run_plain(target.path, ["app.py"], program_dir=src, workdir=tmp_path / "plain")
    assert plain.returncode == 0, plain.describe()
    assert_same_behaviour(run_sandboxed(binary), plain, [str(src), plain.cwd])


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


@pytest.mark.usefixtures("sandbox_ready")
def test_steps_and_summary(newest_target: Target, tmp_path: Path) -> None:
    src = program(tmp_path)
    done = run_freezer(["app.py", "-o", "app", "--python", str(newest_target.path)], src)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    steps = [re.fullmatch(r"freeze: (\w+)(?:: (.*))? \((\d+\.\d) s\)", line) for line in lines]
    named = [m.group(1) for m in steps if m]
    assert named == ["environment", "analysis", "compile", "compress", "write"], done.stderr
    analysis = next(m for m in steps if m and m.group(1) == "analysis")
    modules = int(re.match(r"(\d+) modules, 0 distributions", analysis.group(2)).group(1))
    assert "\r" not in done.stderr  # no terminal, no live line
    summary = re.fullmatch(r"freeze: wrote app \((\d+\.\d) MB, (\d+) modules, 0 distributions, "
                           r"CPython [\d.]+\)", lines[-3])
    assert summary, done.stderr
    assert int(summary.group(2)) == modules
    assert abs(float(summary.group(1)) - (src / "app").stat().st_size / 1e6) < 0.06
    assert re.fullmatch(r"freeze: app needs glibc \d+\.\d+ or newer: .*", lines[-2]), done.stderr
    cache = re.fullmatch(r"freeze: a first start writes (\d+\.\d) MB to the cache, up to "
                         r"(\d+\.\d) MB as its imports unpack more \(each once, shared by every "
                         r"binary that carries it\)", lines[-1])
    assert cache, done.stderr
    # Measured: a first start with an empty cache writes what the line says, plus the
    # extension modules this program imports (_json, _csv: small) and the cache's marks.
    empty = tmp_path / "cache"
    first = subprocess.run([str(src / "app")], env={**os.environ, "FREEZER_CACHE_DIR": str(empty)},
                           capture_output=True, timeout=60)
    assert first.returncode == 0, first.stderr
    written = tree_bytes(empty) / 1e6
    said = float(cache.group(1))
    assert said <= written + 0.05 and written < said * 1.1, (said, written)
    assert float(cache.group(2)) >= written
    frozen_behaves(newest_target, src, src / "app", tmp_path)


@pytest.mark.usefixtures("sandbox_ready")
def test_quiet_prints_nothing(newest_target: Target, tmp_path: Path) -> None:
    src = program(tmp_path)
    done = run_freezer(["app.py", "-o", "app", "-q", "--python", str(newest_target.path)], src)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    frozen_behaves(newest_target, src, src / "app", tmp_path)


@pytest.mark.usefixtures("sandbox_ready")
def test_verbose_gives_each_reason(newest_target: Target, tmp_path: Path) -> None:
    src = program(tmp_path)
    done = run_freezer(["app.py", "-o", "app", "-v", "--exclude-module", "decimal",
                        "--include-module", "textwrap", "--python", str(newest_target.path)],
                       src)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "freeze: module helper (program): imported at app.py:2" in lines, done.stderr
    assert "freeze: module json (stdlib): imported at app.py:1" in lines, done.stderr
    assert "freeze: module csv (stdlib): imported at helper.py:1" in lines, done.stderr
    assert "freeze: module textwrap (stdlib): asked for by --include-module" in lines
    assert "freeze: left out decimal: --exclude-module (imported at app.py:4)" in lines
    assert any(re.fullmatch(r"freeze: \d+ more standard-library modules carried as sources, "
                            r"compiled on first import: .*", line) for line in lines)
    # The decisions come after the analysis, before the steps that use them.
    assert lines.index("freeze: module helper (program): imported at app.py:2") < \
        next(i for i, line in enumerate(lines) if line.startswith("freeze: compress"))
    # freeze why reads the same reasons back from the binary.
    why = run_freezer(["why", "app", "textwrap"], src)
    assert why.stdout == "textwrap (standard library): asked for by --include-module\n", why
    why = run_freezer(["why", "app", "csv"], src)
    assert why.stdout.splitlines() == ["csv (standard library): imported at helper.py:1",
                                       "helper (the program): imported at app.py:2",
                                       "__main__ (the program): the script app.py"], why
    why = run_freezer(["why", "app", "decimal"], src)
    assert why.stdout == ("decimal: not in app: left out, --exclude-module (imported at "
                          "app.py:4)\n"), why
    # decimal left out: the program's own fallback runs, as python's does without decimal.
    frozen = run_sandboxed(src / "app")
    assert frozen.returncode == 0, frozen.describe()
    assert frozen.out == '{"x": 1, "decimal": false}\n'


def test_quiet_and_verbose_refused(tmp_path: Path) -> None:
    src = program(tmp_path)
    done = run_freezer(["app.py", "-o", "app", "-q", "-v", "--python", sys.executable], src)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "freeze: error: give -q (errors only) or -v (decisions too), not both"]
    assert not (src / "app").exists()


def read_all(fd: int, timeout: float = 300) -> bytes:
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise TimeoutError(out)
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return out
        if not chunk:
            return out
        out += chunk


@pytest.mark.usefixtures("sandbox_ready")
def test_live_line_on_a_terminal(newest_target: Target, tmp_path: Path) -> None:
    """A cold build (a new, empty cache: the bootloader is built, libpython stripped and
    compressed) has steps long enough for the live line, rewritten in place; each step's
    own line is left whole once the step ends."""
    src = program(tmp_path)
    primary, secondary = pty.openpty()
    env = {**freezer_env(), "FREEZER_CACHE_DIR": str(tmp_path / "cold")}
    proc = subprocess.Popen([sys.executable, "-m", "freezer", "app.py", "-o", "app",
                             "--python", str(newest_target.path)], cwd=src, env=env,
                            stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary)
    os.close(secondary)
    try:
        out = read_all(primary).decode()
    finally:
        os.close(primary)
    assert proc.wait(timeout=60) == 0, out
    live = re.findall(r"\rfreeze: (\w+)\.\.\. (\d+\.\d) s \(total (\d+\.\d) s\)", out)
    assert live, out
    assert {step for step, _, _ in live} <= {"environment", "analysis", "compress", "write"}
    # Once cleared, each step's line starts at column 0 of its own line.
    finished = [line.rsplit("\r", 1)[-1] for line in out.replace("\r\n", "\n").split("\n")]
    assert any(re.fullmatch(r"freeze: compress: \d+ native files \(\d+\.\d s\)", line)
               for line in finished), out
    assert finished[-2].startswith("freeze: a first start writes"), out
    frozen_behaves(newest_target, src, src / "app", tmp_path)


@pytest.mark.usefixtures("sandbox_ready")
def test_long_step_is_said_off_a_terminal(newest_target: Target, tmp_path: Path) -> None:
    """A step running past the hold is said every HEARTBEAT seconds in a log too (here the
    traced run of a program that takes 38 s), and the lines held before come out then."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("import sys, time\nif sys.argv[1:] == ['slow']:\n"
                                "    time.sleep(38)\nprint('done')\n")
    proc = subprocess.Popen([sys.executable, "-m", "freezer", "app.py", "-o", "app",
                             "--trace", "slow", "--python", str(newest_target.path)], cwd=src,
                            env=freezer_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stamps: list[tuple[float, str]] = []
    start = time.monotonic()
    for line in proc.stderr:
        stamps.append((time.monotonic() - start, line.rstrip("\n")))
    assert proc.wait(timeout=60) == 0, stamps
    beats = [(t, line) for t, line in stamps
             if re.fullmatch(r"freeze: trace\.\.\. \d+\.\d s \(total \d+\.\d s\)", line)]
    assert len(beats) >= 1, stamps
    # Said while the step ran, not at its end; the environment's line came out with it.
    trace_end = next(t for t, line in stamps if line.startswith("freeze: trace: "))
    assert beats[0][0] < trace_end - 2, stamps
    assert stamps[0][1].startswith("freeze: environment: ") and stamps[0][0] < trace_end - 2
    frozen = run_sandboxed(src / "app")
    assert (frozen.returncode, frozen.out) == (0, "done\n"), frozen.describe()
