"""`freeze PROJECT_DIR` / `freeze .`, `freeze app.py -r requirements.txt`, and bare `freeze`
with [tool.freezer] entry and output: freezer makes the build environment itself.

The project is src-layout, with two console scripts and a dependency from the package
index (six), copied into a fresh directory with no venv prepared: `freeze .` must install
it with pip into an environment of its own and build each script. The reference is the
same project installed by pip into a venv here: each binary, run in the glibc-only
sandbox, must print and exit as the installed console script does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Target, run_freezer
from sandbox import run_sandboxed

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "fzt-mytool"
version = "1.0"
dependencies = ["six"]

[project.scripts]
mytool = "fzt_mytool.cli:main"
mytool-count = "fzt_mytool.cli:count"
"""
CLI = """\
import sys

import six


def main():
    print("mytool", six.PY3, sys.argv[1:])
    print("to stderr", file=sys.stderr)
    return 0


def count():
    print(len(sys.argv) - 1)
    return 3
"""


def make_project(where: Path, table: str = "") -> Path:
    project = where / "proj"
    (project / "src" / "fzt_mytool").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT + table)
    (project / "src" / "fzt_mytool" / "__init__.py").write_text("")
    (project / "src" / "fzt_mytool" / "cli.py").write_text(CLI)
    return project


def installed(target: Target, project: Path, where: Path) -> Path:
    """A venv with the project installed by pip: its bin directory."""
    venv = where / "reference"
    subprocess.run([str(target.path), "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", str(project)], check=True,
                   capture_output=True, timeout=900)
    return venv / "bin"


def install_line(stderr: str) -> str:
    """The install step's line (heartbeats of a long pip run may come before it)."""
    return next(line for line in stderr.splitlines() if line.startswith("freeze: install: "))


def same_as_installed(binary: Path, script: Path, args: list[str]) -> None:
    plain = subprocess.run([str(script), *args], capture_output=True, timeout=60,
                           env={"PATH": "/usr/bin:/bin", "HOME": str(script.parent),
                                "LANG": "C.UTF-8"})
    frozen = run_sandboxed(binary, args)
    assert (frozen.returncode, frozen.stdout, frozen.stderr) == \
        (plain.returncode, plain.stdout, plain.stderr), frozen.describe()


@pytest.mark.usefixtures("sandbox_ready")
def test_freeze_dot_builds_every_console_script(newest_target: Target, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    done = run_freezer([".", "--python", str(newest_target.path)], project)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (project / "dist").iterdir()) == ["mytool", "mytool-count"]
    assert install_line(done.stderr).startswith("freeze: install: with pip ("), done.stderr
    reference = installed(newest_target, project, tmp_path)
    for name, args in [("mytool", ["a", "b c"]), ("mytool-count", ["x", "y"])]:
        same_as_installed(project / "dist" / name, reference / name, args)
    # The same inputs again: the environment is reused, no pip run.
    done = run_freezer([".", "--script", "mytool-count", "-o", "out", "--python",
                        str(newest_target.path)], project)
    assert done.returncode == 0, done.stderr
    assert install_line(done.stderr).startswith("freeze: install: reused ("), done.stderr
    assert [p.name for p in (project / "out").iterdir()] == ["mytool-count"]
    # The project's code changed: reinstalled, and the binary has the new code.
    cli = project / "src" / "fzt_mytool" / "cli.py"
    cli.write_text(CLI.replace("return 3", "return 5"))
    done = run_freezer([".", "--script", "mytool-count", "-o", "out", "--python",
                        str(newest_target.path)], project)
    assert done.returncode == 0, done.stderr
    assert install_line(done.stderr).startswith("freeze: install: with pip ("), done.stderr
    assert run_sandboxed(project / "out" / "mytool-count", ["1"]).returncode == 5


@pytest.mark.usefixtures("sandbox_ready")
def test_requirements_file(newest_target: Target, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("import sys, six\nprint(six.PY3, sys.argv[1:])\n")
    (src / "requirements.txt").write_text("six\n")
    done = run_freezer(["app.py", "-r", "requirements.txt", "-o", "app", "--python",
                        str(newest_target.path)], src)
    assert done.returncode == 0, done.stderr
    # python from an environment with the same requirements, made here by pip.
    venv = tmp_path / "venv"
    subprocess.run([str(newest_target.path), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", "-r", str(src / "requirements.txt")],
                   check=True, capture_output=True, timeout=900)
    plain = subprocess.run([str(venv / "bin" / "python"), "app.py", "x"], cwd=src,
                           capture_output=True, timeout=60)
    frozen = run_sandboxed(src / "app", ["x"])
    assert (frozen.returncode, frozen.stdout, frozen.stderr) == \
        (plain.returncode, plain.stdout, plain.stderr) == (0, b"True ['x']\n", b"")
    # Without the requirements, the target python has no six: the build says so.
    done = run_freezer(["app.py", "-o", "app2", "--python", str(newest_target.path)], src)
    assert done.returncode == 2 and "six" in done.stderr


@pytest.mark.usefixtures("sandbox_ready")
def test_bare_freeze_builds_what_the_table_says(newest_target: Target, tmp_path: Path) -> None:
    table = (f'\n[tool.freezer]\nentry = "."\noutput = "bin"\npython = '
             f'"{newest_target.path}"\n')
    project = make_project(tmp_path, table)
    done = run_freezer([], project)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (project / "bin").iterdir()) == ["mytool", "mytool-count"]
    frozen = run_sandboxed(project / "bin" / "mytool-count", ["a"])
    assert (frozen.returncode, frozen.out) == (3, "1\n"), frozen.describe()
    # A script entry: bare `freeze` builds it to the output the table names.
    (project / "tool.py").write_text("print('tool')\n")
    (project / "pyproject.toml").write_text(
        PYPROJECT + f'\n[tool.freezer]\nentry = "tool.py"\noutput = "tool"\n'
                    f'python = "{newest_target.path}"\n')
    done = run_freezer([], project)
    assert done.returncode == 0, done.stderr
    frozen = run_sandboxed(project / "tool")
    assert (frozen.returncode, frozen.out) == (0, "tool\n"), frozen.describe()


@pytest.mark.parametrize(("argv", "line"), [
    (["app.py", "-o", "x", "--script", "a"],
     "--script NAME: only for a project directory (freeze PROJECT_DIR)"),
    (["app.py", "-o", "x", "-r", "nosuch.txt"], "-r nosuch.txt: no such file"),
    (["app.py"], "give the output with -o OUT (or output in [tool.freezer])"),
])
def test_refusals(tmp_path: Path, argv: list[str], line: str) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    done = run_freezer([*argv, "--python", sys.executable], tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [f"freeze: error: {line}"]


def test_unknown_script_is_refused(newest_target: Target, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    done = run_freezer([str(project), "--script", "nope", "--python", str(newest_target.path)],
                       tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == ("freeze: error: --script nope: project fzt-mytool "
                                            "has no console script nope (it has mytool, "
                                            "mytool-count)")
    assert not (project / "dist").exists() or not any((project / "dist").iterdir())


def test_project_without_scripts(newest_target: Target, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    text = PYPROJECT.split("[project.scripts]")[0]
    (project / "pyproject.toml").write_text(text)
    done = run_freezer([str(project), "--python", str(newest_target.path)], tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"freeze: error: {project}: project fzt-mytool has no console scripts "
        "([project.scripts]): give a script, -m MODULE or MODULE:FUNCTION")
