"""Virtual environments of the third-party end-to-end tests, built from PyPI and cached.

The tests freeze programs with `--python VENV/bin/python`, as a user does, so they need real
venvs holding real wheels. Building one takes pip a while and the network, so each lives in
~/.cache/freezer-tests/venvs/<spec>-<pyX.Y>-<key>, where the key hashes everything the venv's
content depends on: the interpreter (path and full version), the pinned requirements file and
the files of the local packages (tests/thirdparty/local/) it installs. Change a pin or a local
package and the next run builds a new venv beside the old one; a few old ones are kept for
other work trees, the rest deleted.

A venv cannot be moved once built (its scripts, pyvenv.cfg and its editable install name
absolute paths), so it is built in place, under a lock so that `pytest -n auto` workers build it
once, and a marker file written last says it is complete. A directory without the marker is the
remains of an interrupted build and is built again from scratch.

Everything from PyPI is installed with --only-binary=:all: and exact pins: a test run never
compiles anything, and a pin without a wheel for the target fails loudly instead of quietly
building from source. Only the local packages are built (they are pure Python; pip fetches
their pinned build backend, itself a wheel).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import Target, _locked

VENV_CACHE = Path.home() / ".cache" / "freezer-tests" / "venvs"
THIRDPARTY = Path(__file__).resolve().parent / "thirdparty"
LOCAL_PACKAGES = THIRDPARTY / "local"
# Part of every key: bump it when the way a venv is built changes, so old ones are not reused.
BUILD_FORMAT = "1"
COMPLETE_MARKER = ".freezer-tests-complete"
# Venvs of other keys kept per (spec, interpreter), the most recently used: other work trees
# with other pins may still be testing with them.
KEEP_OTHER_KEYS = 2
PIP_TIMEOUT = 1200
# What the local source trees may contain that is not source: build by-products.
_NOT_SOURCE = ("__pycache__", "build", "dist")


class VenvError(RuntimeError):
    """A test venv could not be built: the message holds the command and its output."""


@dataclass(frozen=True)
class VenvSpec:
    """What one kind of test venv holds."""

    name: str
    # A pins file under tests/thirdparty/, or None for a venv with nothing installed (and no
    # pip either: it is only a --python for the clear-failure tests).
    requirements: str | None = None
    # Directories under tests/thirdparty/local/ installed as ordinary (built) wheels...
    local: tuple[str, ...] = ()
    # ...and installed editable, `pip install -e`.
    editable: tuple[str, ...] = ()


PLUGIN_PACKAGES = ("plughost", "plugin_alpha", "plugin_beta")
# Installed beside them: a package that imports a same-named module from its own directory,
# one that registers only a console script, two portions of one namespace package.
LOCAL_WHEELS = (*PLUGIN_PACKAGES, "selfload", "scriptonly", "ns_alpha", "ns_beta")

FULL = VenvSpec("full", "requirements-full.txt", LOCAL_WHEELS, ("edlib", "srclib"))
SMALL = VenvSpec("small", "requirements-small.txt", LOCAL_WHEELS, ("edlib", "srclib"))
BARE = VenvSpec("bare")
# Real programs' packages (issue 8), 3.11 only: web frameworks, parsers, locale data, mypyc,
# the scientific stack.
WIDE = VenvSpec("wide", "requirements-wide.txt")
# Distributions that ship test suites inside their packages (tests/test_tests_exclusion.py).
SUITES = VenvSpec("suites", "requirements-suites.txt", ("suiteship",))

# The minor version that gets the full venv; the others get the small one.
# The benchmark's requests+rich+click program's venv (tests/test_inspect.py).
RICHCLI = VenvSpec("richcli", "requirements-richcli.txt")
FULL_MINOR = 11


def spec_for(target: Target) -> VenvSpec:
    """The venv the programs of `target` are frozen from: the full set only for 3.11."""
    return FULL if target.version[1] == FULL_MINOR else SMALL


def _source_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of the source files of a local package, in a fixed order.

    Build by-products (egg-info, build/, caches) are left out: they are not what the package
    is, and a stray one must not change the key.
    """
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in _NOT_SOURCE or part.endswith(".egg-info") for part in relative.parts):
            continue
        if path.is_file() and path.suffix != ".pyc":
            yield relative.as_posix(), path


def venv_key(target: Target, spec: VenvSpec) -> str:
    """Hash of everything the venv's content depends on."""
    digest = hashlib.sha256()
    for part in (BUILD_FORMAT, spec.name, str(target.path), target.full_version):
        digest.update(part.encode() + b"\0")
    if spec.requirements is not None:
        digest.update((THIRDPARTY / spec.requirements).read_bytes() + b"\0")
    for kind, names in (("local", spec.local), ("editable", spec.editable)):
        for name in names:
            digest.update(f"{kind}\0{name}\0".encode())
            for relative, path in _source_files(LOCAL_PACKAGES / name):
                data = path.read_bytes()
                digest.update(f"{relative}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()[:20]


def venv_dir(target: Target, spec: VenvSpec) -> Path:
    return VENV_CACHE / f"{spec.name}-{target.id}-{venv_key(target, spec)}"


def site_packages(python: Path) -> Path:
    """The site-packages directory of the venv whose python is `python`."""
    venv = python.parent.parent
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    if len(found) != 1:
        raise VenvError(f"expected one site-packages in {venv}, found {found}")
    return found[0]


# Builds that failed in this process: every test that needs the venv fails with the same
# message at once instead of running pip again (a pin without a wheel stays without one).
_FAILED: dict[tuple[Target, VenvSpec], VenvError] = {}


@functools.cache
def venv_python(target: Target, spec: VenvSpec) -> Path:
    """The python of the `spec` venv for `target`, built first if it is not in the cache."""
    if (target, spec) in _FAILED:
        raise _FAILED[target, spec]
    venv = venv_dir(target, spec)
    python = venv / "bin" / "python"
    if not (venv / COMPLETE_MARKER).exists():
        with _locked(venv.with_name(venv.name + ".lock")):
            if not (venv / COMPLETE_MARKER).exists():
                try:
                    _build(target, spec, venv)
                except VenvError as exc:
                    _FAILED[target, spec] = exc
                    raise
                _prune(target, spec, venv)
    os.utime(venv)  # recently used: other work trees' pruning keeps it
    return python


def _pip_env() -> dict[str, str]:
    """The runner's environment (the machine's pip settings included) for pip, minus what
    would make it install somewhere else or import the wrong code."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "PIP_USER", "PIP_TARGET", "PIP_PREFIX")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def _run(command: list[str], what: str) -> None:
    """Run a build step; on failure raise VenvError showing its whole output."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=_pip_env(),
                              timeout=PIP_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise VenvError(f"{what} timed out after {PIP_TIMEOUT}s: {command}") from exc
    if done.returncode != 0:
        raise VenvError(f"{what} failed (status {done.returncode}):\n$ {' '.join(command)}\n"
                        f"--- stderr ---\n{done.stderr[-8000:]}\n"
                        f"--- stdout ---\n{done.stdout[-4000:]}")


def _build(target: Target, spec: VenvSpec, venv: Path) -> None:
    """Build the venv at its final place; the completion marker is written last."""
    if venv.exists():
        shutil.rmtree(venv)  # an interrupted build: start again
    venv.parent.mkdir(parents=True, exist_ok=True)
    create = [str(target.path), "-m", "venv"]
    if spec.requirements is None:
        create.append("--without-pip")
    _run([*create, str(venv)], f"creating the {spec.name} venv for {target}")
    if spec.requirements is not None:
        # The local packages are copied into the venv first: pip builds them in place, which
        # would leave egg-info and build/ directories in the repository, and an editable
        # install must point at sources that live exactly as long as the venv.
        sources = venv / "src"
        for name in (*spec.local, *spec.editable):
            shutil.copytree(LOCAL_PACKAGES / name, sources / name,
                            ignore=shutil.ignore_patterns(*_NOT_SOURCE, "*.egg-info", "*.pyc"))
        command = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                   "--disable-pip-version-check", "--only-binary=:all:",
                   "-r", str(THIRDPARTY / spec.requirements)]
        command += [str(sources / name) for name in spec.local]
        for name in spec.editable:
            command += ["-e", str(sources / name)]
        _run(command, f"installing the {spec.name} venv for {target}")
    (venv / COMPLETE_MARKER).write_text(venv_key(target, spec) + "\n")


def _prune(target: Target, spec: VenvSpec, current: Path) -> None:
    """Delete this spec's and interpreter's venvs of other keys but the few most recently used.

    One that another process holds the lock of (being built right now) is left alone.
    """
    others = sorted((path for path in VENV_CACHE.glob(f"{spec.name}-{target.id}-*")
                     if path.is_dir() and path != current),
                    key=lambda path: path.stat().st_mtime, reverse=True)
    for stale in others[KEEP_OTHER_KEYS:]:
        lock = stale.with_name(stale.name + ".lock")
        with open(lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            try:
                shutil.rmtree(stale, ignore_errors=True)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        # The lock file stays: removing it could let two processes lock different files.
