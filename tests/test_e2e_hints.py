"""Hints for what no scan can see, end to end: [tool.freezer] in the program's pyproject.toml
(--add-data beside the script, --collect of a package imported by computed names) and --trace,
frozen for each target, run in the sandbox, compared with plain python."""

from __future__ import annotations

import pytest
from conftest import PROGRAMS, Target, freeze
from sandbox import assert_same_behaviour, run_plain, run_sandboxed

from freezer.module_store import listing

pytestmark = pytest.mark.usefixtures("sandbox_ready")

PROGRAM = PROGRAMS / "hints_data"


def _compare(binary, target: Target, args: list[str], expect: str) -> None:
    frozen = run_sandboxed(binary, args)
    plain = run_plain(target.path, ["app.py", *args], program_dir=PROGRAM)
    assert expect in plain.out, plain.describe()
    assert_same_behaviour(frozen, plain, [str(PROGRAM)])


def test_pyproject_hints(target: Target) -> None:
    """Data added beside the script is found through __file__; collected plugins import."""
    binary = freeze(PROGRAM, target)
    _compare(binary, target, [], "plugin beta beta ran")
    names = listing(binary)
    assert "plugins/beta.pyc" in names and "assets/greeting.txt" in names


def test_trace_bundles_a_computed_import(target: Target) -> None:
    """colorsys is imported by a name reversed at run time: the scan cannot see it, one traced
    run with the same argument can."""
    untraced = freeze(PROGRAM, target)
    assert "colorsys.pyc" not in listing(untraced)
    binary = freeze(PROGRAM, target, "--trace", "sysroloc", name="hints_traced")
    assert "colorsys.pyc" in listing(binary)
    _compare(binary, target, ["sysroloc"], "extra colorsys")


def test_untraced_computed_import_of_the_stdlib_works(newest_target: Target) -> None:
    """Without the trace the module still imports, from the cold standard library: the
    frozen program does what python does, hints or not."""
    binary = freeze(PROGRAM, newest_target)
    assert "colorsys.pyc" not in listing(binary)
    _compare(binary, newest_target, ["sysroloc"], "extra colorsys")


def test_pruned_computed_import_fails_like_a_missing_module(newest_target: Target) -> None:
    """--pruned carries only what the analysis saw: the program then fails as python would
    without the module, the same ModuleNotFoundError, not a crash."""
    binary = freeze(PROGRAM, newest_target, "--pruned", name="hints_pruned")
    frozen = run_sandboxed(binary, ["sysroloc"])
    assert frozen.returncode == 1
    assert b"ModuleNotFoundError: No module named 'colorsys'" in frozen.stderr
