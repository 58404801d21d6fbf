"""Fixtures of the end-to-end suite: target interpreters, the sandbox check, and `freeze`.

Every built binary is cached under ~/.cache/freezer-tests/binaries/<key>, the key covering
everything the build depends on (the program's files, the target interpreter, the arguments and
the tool's own source), so a re-run, or CI with a warm cache, rebuilds nothing that did not
change. Entries are written atomically and built under a lock, so `pytest -n auto` workers
never see half a binary nor build the same one twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sandbox import GLIBC_DIR, SandboxError, bwrap_argv, bwrap_path

REPO = Path(__file__).resolve().parents[1]
TOOL_SOURCE = REPO / "freezer"
PROGRAMS = Path(__file__).resolve().parent / "programs"
BINARY_CACHE = Path.home() / ".cache" / "freezer-tests" / "binaries"
# zig's own cache (glibc stubs, objects), shared by the many builds of the suite that each
# start from an empty FREEZER_CACHE_DIR; the tool keeps it in its cache unless this is set.
os.environ.setdefault("ZIG_GLOBAL_CACHE_DIR",
                      str(Path.home() / ".cache" / "freezer-tests" / "zig"))
# Binaries are grouped by the tool's source hash; the groups of this many other tool versions,
# the most recently used, are kept (for other work trees testing them), older ones deleted.
KEEP_OTHER_TOOL_VERSIONS = 3
# A group another work tree's run may still be writing to: a group's directory gains an entry
# with each binary built, so one written to this recently is never pruned.
BUSY_SECONDS = 6 * 3600
SUPPORTED_MINORS = range(9, 14)
BUILD_TIMEOUT = 600


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def pyenv_root() -> Path:
    """$PYENV_ROOT, else what `pyenv root` says, else ~/.pyenv."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    return Path.home() / ".pyenv"


@dataclass(frozen=True)
class Target:
    """One target interpreter: what `--python` is given."""

    path: Path
    version: tuple[int, int, int]
    id: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", f"py{self.version[0]}.{self.version[1]}")

    def __str__(self) -> str:
        return self.id

    @functools.cached_property
    def full_version(self) -> str:
        """sys.version of the interpreter, part of the binary cache key."""
        done = subprocess.run([str(self.path), "-c", "import sys; print(sys.version)"],
                              capture_output=True, text=True, check=True)
        return done.stdout.strip()


def discover_targets(minors: Sequence[int] = SUPPORTED_MINORS) -> list[Target]:
    """Newest patch release of each wanted 3.x under pyenv's versions/."""
    best: dict[int, Target] = {}
    for python in (pyenv_root() / "versions").glob("3.*/bin/python3.*"):
        version = re.fullmatch(r"3\.(\d+)\.(\d+)", python.parent.parent.name)
        name = re.fullmatch(r"python3\.(\d+)", python.name)
        if not version or not name or version.group(1) != name.group(1):
            continue
        minor, patch = int(version.group(1)), int(version.group(2))
        if minor in minors and (minor not in best or best[minor].version[2] < patch):
            best[minor] = Target(python, (3, minor, patch))
    return [best[minor] for minor in sorted(best)]


TARGETS = discover_targets()


def old_python() -> Path | None:
    """pyenv's 3.8, which the tool must refuse as a target."""
    found = discover_targets(minors=[8])
    return found[-1].path if found else None


@pytest.fixture(params=TARGETS or [None], ids=[t.id for t in TARGETS] or ["no-target"])
def target(request: pytest.FixtureRequest) -> Target:
    """Each target interpreter in turn."""
    if request.param is None:
        message = f"no CPython 3.9-3.13 found under {pyenv_root() / 'versions'}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return request.param


@pytest.fixture
def newest_target() -> Target:
    """One interpreter, for tests whose subject does not depend on the target."""
    if not TARGETS:
        if in_ci():
            pytest.fail("no target interpreter")
        pytest.skip("no target interpreter")
    return TARGETS[-1]


@functools.cache
def sandbox_problem() -> str | None:
    """Why the sandbox cannot run here, or None: runs glibc's ld.so inside it."""
    if bwrap_path() is None:
        return "bubblewrap (bwrap) is not installed"
    if not (GLIBC_DIR / "libc.so.6").exists():
        return f"no glibc in {GLIBC_DIR}"
    with tempfile.TemporaryDirectory() as app:
        try:
            argv = bwrap_argv("probe", Path(app))
        except SandboxError as exc:
            return str(exc)
        done = subprocess.run([*argv, str(GLIBC_DIR / "ld-linux-x86-64.so.2"), "--version"],
                              capture_output=True, text=True, env={})
    if done.returncode != 0:
        return f"bwrap cannot create the sandbox here: {done.stderr.strip()}"
    return None


def require(problem: str | None, what: str) -> None:
    """Skip the test for `problem` (what this machine lacks), except under CI, where `what`
    must run: there it is a failure. Nothing happens when there is no problem."""
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"CI must run {what}: {problem}")
    pytest.skip(problem)


@pytest.fixture(scope="session")
def sandbox_ready() -> None:
    """Skip without a usable sandbox, except under CI, where that is a failure."""
    require(sandbox_problem(), "the sandboxed tests")


@pytest.fixture(scope="session", autouse=True)
def private_tempdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the suite's own temporary files (and the tool's, via TMPDIR) out of /tmp itself,
    so the test that checks a run leaves nothing new in /tmp sees only the binary's doing."""
    private = tmp_path_factory.getbasetemp() / "tmp"
    private.mkdir(exist_ok=True)
    saved_dir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(private)
    os.environ["TMPDIR"] = str(private)
    yield
    tempfile.tempdir = saved_dir
    if saved_env is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved_env


def _files_of(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every file under root, in a fixed order, caches excluded."""
    if root.is_file():
        yield root.name, root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path.relative_to(root).as_posix(), path


def _hash_tree(digest: hashlib._Hash, root: Path) -> None:
    for relative, path in _files_of(root):
        digest.update(f"{relative}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())


@functools.cache
def tool_source_hash() -> str:
    """Hash of the tool's own source: a changed tool invalidates every cached binary."""
    digest = hashlib.sha256()
    _hash_tree(digest, TOOL_SOURCE)
    return digest.hexdigest()


def tool_cache_group() -> Path:
    """The binary cache's directory for the tool's current source."""
    return BINARY_CACHE / tool_source_hash()[:16]


def prune_binary_cache() -> None:
    """Delete the binaries of all but the current and a few recently used tool versions.

    Without this, every change to the tool would leave another copy of every test binary.
    A group in use by a run in another work tree (written to in the last BUSY_SECONDS) stays:
    pruning it under that run made its builds fail with "cannot write".
    """
    current = tool_cache_group()
    current.mkdir(parents=True, exist_ok=True)
    os.utime(current)  # marks it as recently used, for other work trees' pruning
    others = sorted((p for p in BINARY_CACHE.iterdir() if p != current),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in others[KEEP_OTHER_TOOL_VERSIONS:]:
        if time.time() - stale.stat().st_mtime < BUSY_SECONDS:
            continue
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Prune the binary cache once per run: in the controller, not in each xdist worker."""
    if not hasattr(session.config, "workerinput"):
        prune_binary_cache()


class FreezeError(AssertionError):
    """The tool failed to build a program the test expected it to build."""


def freezer_env() -> dict[str, str]:
    """The test runner's environment, with the repository's `freezer` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def run_freezer(args: Sequence[str], cwd: Path, timeout: float = BUILD_TIMEOUT,
                env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m freezer ARGS` from this repository, run in cwd; output captured as text.

    env adds to (or overrides) the test runner's environment.
    """
    return subprocess.run([sys.executable, "-m", "freezer", *args], cwd=cwd,
                          env={**freezer_env(), **(env or {})}, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def freeze(program: Path | str, target: Target, *extra_args: str,
           entry: Sequence[str] | None = None, name: str | None = None,
           output: Path | None = None, tool_env: Mapping[str, str] | None = None,
           python: Path | None = None) -> Path:
    """Freeze a program for `target`; return the binary.

    program is a script, or a directory whose entry is `entry` (default ["app.py"]; or e.g.
    ["-m", "mypkg"] or ["mypkg.cli:main"]). The tool runs in the program's directory, like
    `python -m` would. The output is named `name` (default: the directory's name; a ".pyz"
    name asks for a zipapp). With `output`, the binary is built there and never cached (for
    tests of the build itself, which may give the tool extra environment in tool_env);
    otherwise it comes from, or goes to, the binary cache. `python` (e.g. a venv's python of
    `target`'s version) is given as --python instead of target.path; it is part of the cache
    key through the arguments, so a venv's path must change when its content does.
    """
    program = Path(program).resolve()
    program_dir = program if program.is_dir() else program.parent
    if entry is None:
        entry = ["app.py"] if program.is_dir() else [program.name]
    name = name or program_dir.name
    args = [*entry, "--python", str(python or target.path), *extra_args]
    if output is not None:
        _build(program_dir, [*args, "-o", str(output)], tool_env)
        return output
    digest = hashlib.sha256()
    # The program's own path too: its bytecode names it (tracebacks show it), so a binary
    # built from another checkout of the same files is not this one.
    for part in (tool_source_hash(), str(target.path), target.full_version, name,
                 str(program_dir), *args):
        digest.update(part.encode() + b"\0")
    _hash_tree(digest, program_dir)
    key = digest.hexdigest()[:32]
    group = tool_cache_group()
    cached = group / key / name
    if cached.exists():
        return cached
    with _locked(group / f"{key}.lock"):
        if cached.exists():
            return cached
        scratch = Path(tempfile.mkdtemp(prefix=f"build-{key}-", dir=group))
        try:
            _build(program_dir, [*args, "-o", str(scratch / name)])
            cached.parent.mkdir(exist_ok=True)
            os.replace(scratch / name, cached)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return cached


def _build(program_dir: Path, args: list[str],
           env: Mapping[str, str] | None = None) -> None:
    done = run_freezer(args, cwd=program_dir, env=env)
    if done.returncode != 0:
        raise FreezeError(f"freezing failed (status {done.returncode}) in {program_dir}:\n"
                          f"$ python -m freezer {' '.join(args)}\n"
                          f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}")

