"""Every entry of the built-in hints table (freezer/analyzer/hints.py) is exercised by a frozen
program.

Each entry maps to a program of tests/thirdparty/programs that needs it: frozen from the test
venv, its bundle must hold the hinted modules, and it must run in the sandbox as under the
venv's python (with the hint missing, the program fails there).
"""

from __future__ import annotations

import pytest
from conftest import TARGETS, freeze
from sandbox import assert_same_behaviour, run_plain, run_sandboxed
from venvs import FULL, FULL_MINOR, THIRDPARTY, venv_python

from freezer.analyzer.hints import HINTS
from freezer.module_store import listing

pytestmark = pytest.mark.usefixtures("sandbox_ready")

# hint key -> (program, environment of both runs, a piece of python's stdout)
PROGRAM_FOR = {
    "zoneinfo": ("zoneinfo_tzdata", {"PYTHONTZPATH": ""}, "paris 2024-03-31T03:30:00+02:00"),
}


def test_every_hint_has_a_program() -> None:
    assert sorted(PROGRAM_FOR) == sorted(HINTS)


@pytest.mark.parametrize("key", sorted(HINTS))
def test_hint(key: str) -> None:
    target = next((t for t in TARGETS if t.version[1] == FULL_MINOR), None)
    if target is None:
        pytest.skip(f"no CPython 3.{FULL_MINOR}")
    python = venv_python(target, FULL)
    program, env, expect = PROGRAM_FOR[key]
    program_dir = THIRDPARTY / "programs" / program
    binary = freeze(program_dir, target, python=python, name=f"hint-{program}")
    names = listing(binary)
    for hinted in HINTS[key]["imports"]:
        assert any(n.startswith(hinted.replace(".", "/") + "/") or
                   n == hinted.replace(".", "/") + ".pyc" for n in names), hinted
    frozen = run_sandboxed(binary, [], env=env)
    plain = run_plain(python, ["app.py"], program_dir=program_dir, env=env)
    assert expect in plain.out, plain.describe()
    assert_same_behaviour(frozen, plain, [str(program_dir)])
