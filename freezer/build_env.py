"""Isolated build environments: `freeze app.py -r requirements.txt` and `freeze PROJECT_DIR`.

Freezing a project used to mean making a venv by hand, installing the project into it and
finding the function behind each console script. freezer does those steps itself: a venv of
the target interpreter (--python), under the build cache, with the requirements files and
the project installed into it as pip installs them, then the program is frozen from that
venv's python, so it sees exactly what `pip install` gave it and nothing of the machine's
own site-packages.

The installer is pip, run as `python -m pip` inside the new venv: `venv` puts it there from
the interpreter's own ensurepip, so it needs nothing from the network to exist, it honours
the user's pip configuration (indexes, find-links, constraints, certificates) as a plain
`pip install` would, and it installs for exactly the interpreter that runs it. uv is faster
at resolving, but it is one more download, reads a configuration of its own, and its
offline mode needs its own warm cache; pip's wheel cache already makes a second environment
of the same requirements quick.

An environment is kept for the next build, keyed by the interpreter and the text of what
it installs from (the requirements files, the project's pyproject.toml): the same inputs
reuse it with no pip run at all. The project's own code changes more often than its
dependencies, so it is reinstalled (without its dependencies) whenever a hash of its files
differs from the one recorded at the last install. A lock serialises concurrent builds of
one environment, and a completion mark written last tells a whole one from a broken one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from freezer import build_cache
from freezer.analysis import clean_env
from freezer.errors import FreezeError

COMPLETE = "complete.json"
# Not the project's code: what a build or an editor leaves in a project directory.
_SKIPPED = frozenset({".git", ".hg", ".venv", "venv", "build", "dist", "__pycache__", ".tox",
                      ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules"})
PIP_TIMEOUT = 1800


def project_hash(project: Path) -> str:
    """A hash of the project's files (names and bytes), what a reinstall depends on."""
    digest = hashlib.sha256()
    for base, dirs, files in os.walk(project):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = Path(base) / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            digest.update(str(path.relative_to(project)).encode() + b"\0")
            digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def env_key(python: str, requirements: list[Path], project: Path | None) -> str:
    digest = hashlib.sha256()
    digest.update(os.path.realpath(python).encode() + b"\0")
    try:
        st = os.stat(python)
        digest.update(f"{st.st_size}:{st.st_mtime_ns}\0".encode())
    except OSError:
        pass
    for path in requirements:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    if project is not None:
        digest.update(str(project).encode() + b"\0")
        digest.update((project / "pyproject.toml").read_bytes())
    return digest.hexdigest()[:32]


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=_pip_env(),
                              stdin=subprocess.DEVNULL, timeout=PIP_TIMEOUT)
    except OSError as e:
        raise FreezeError(f"{what}: cannot run {command[0]} ({e.strerror})") from None
    except subprocess.TimeoutExpired:
        raise FreezeError(f"{what}: still running after {PIP_TIMEOUT} s, stopped") from None
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr + done.stdout).splitlines()
                 if line.strip() and not line.startswith("WARNING:")]
        errors = [line for line in lines if line.startswith("ERROR:")]
        raise FreezeError(f"{what} failed: {(errors or lines or ['no output'])[0]}")


def _pip_env() -> dict[str, str]:
    """The build's environment for pip: the user's pip settings, not their PYTHON* ones,
    and nothing that would send the install somewhere else than the venv."""
    env = clean_env()
    for key in ("PIP_USER", "PIP_TARGET", "PIP_PREFIX", "VIRTUAL_ENV"):
        env.pop(key, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def environment(root: Path, python: str, requirements: list[Path],
                project: Path | None) -> tuple[str, bool]:
    """(the environment's python, whether pip ran) for these inputs, made or reused."""
    key = env_key(python, requirements, project)
    home = build_cache.build_dir(root, "envs", key)
    venv = home / "venv"
    env_python = str(venv / "bin" / "python")
    with open(home / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        mark = home / COMPLETE
        recorded = _read_mark(mark)
        wanted = project_hash(project) if project is not None else ""
        if recorded is not None and os.path.exists(env_python):
            if recorded.get("project") == wanted:
                return env_python, False
            _run([env_python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                  str(project)], f"pip install {project}")
            _write_mark(mark, wanted)
            return env_python, True
        if venv.exists():
            shutil.rmtree(venv)  # a broken one, left by a build that was stopped
        _run([python, "-m", "venv", str(venv)], f"{python} -m venv")
        command = [env_python, "-m", "pip", "install", "-q"]
        for path in requirements:
            command += ["-r", str(path)]
        if project is not None:
            command.append(str(project))
        shown = " ".join(["pip install", *(f"-r {p.name}" for p in requirements),
                          *([str(project)] if project else [])])
        _run(command, shown)
        _write_mark(mark, wanted)
    return env_python, True


def _read_mark(mark: Path) -> dict | None:
    try:
        data = json.loads(mark.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_mark(mark: Path, project: str) -> None:
    tmp = mark.with_name(mark.name + ".tmp")
    tmp.write_text(json.dumps({"project": project}))
    os.replace(tmp, mark)


_SCRIPTS = """\
import json, sys
from importlib.metadata import distribution
eps = distribution(sys.argv[1]).entry_points
print(json.dumps({e.name: e.value for e in eps if e.group == "console_scripts"}))
"""


def console_scripts(env_python: str, name: str) -> dict[str, str]:
    """The installed project's console scripts: name -> "module:function"."""
    done = subprocess.run([env_python, "-c", _SCRIPTS, name], capture_output=True, text=True,
                          env=clean_env(), stdin=subprocess.DEVNULL, timeout=120)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise FreezeError(f"the installed project {name} has no metadata ({detail})") from None


def project_name(directory: Path) -> str | None:
    """The [project] name of the pyproject.toml in `directory`, or None if it has none (then
    it is no project pip could install)."""
    from freezer.config import tomllib

    path = directory / "pyproject.toml"
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise FreezeError(f"{path}: cannot read it ({e})") from None
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) and name else None
