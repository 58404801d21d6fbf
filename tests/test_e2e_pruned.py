"""--pruned builds of programs whose imports are made from C, end to end: frozen for each
target, run in the sandbox, compared with plain python.

A pruned build carries only the standard-library modules the analysis sees, so an import made
from C that the analysis does not know fails there (and only there: the full build's cold set
has every module), either as a ModuleNotFoundError or, where the extension's init fails, as a
`try: from _c import X except ImportError: from _py import X` taking the left-out fallback.
"""

from __future__ import annotations

import pytest
from conftest import PROGRAMS, Target, freeze
from sandbox import assert_same_behaviour, run_plain, run_sandboxed

pytestmark = pytest.mark.usefixtures("sandbox_ready")


def _same_as_python(program: str, target: Target, expect: str) -> None:
    directory = PROGRAMS / program
    binary = freeze(directory, target, "--pruned", name=f"{program}")
    frozen = run_sandboxed(binary)
    plain = run_plain(target.path, ["app.py"], program_dir=directory)
    assert expect in plain.out, plain.describe()
    assert_same_behaviour(frozen, plain, [str(directory)])


def test_pruned_carries_imports_made_from_c(target: Target) -> None:
    """_zoneinfo, _elementtree, _json, _ssl, time.strptime and the CJK codecs, each used
    the way that needs what it imports from C."""
    _same_as_python("pruned_c_imports", target, "zoneinfo C class: True")


def test_pruned_carries_typing_for_generic_syntax(newest_target: Target) -> None:
    """`class Box[T]` (3.12+) makes the interpreter import typing from C."""
    if newest_target.version < (3, 12):
        pytest.skip("generic syntax is 3.12+")
    _same_as_python("pruned_generics", newest_target, "__main__.Box[int] 3 4")


def test_pruned_uncaught_exception_is_printed_once(target: Target) -> None:
    """Without the traceback module (not carried when the program does not import it), the
    uncaught exception is printed by python's own printer: status 1, python's last line, and
    no "Error in sys.excepthook" (the runtime's printer needs traceback on 3.9-3.12)."""
    directory = PROGRAMS / "pruned_raise"
    binary = freeze(directory, target, "--pruned", name="pruned_raise")
    frozen = run_sandboxed(binary)
    plain = run_plain(target.path, ["app.py"], program_dir=directory)
    assert plain.returncode == 1 and plain.out == "before\n", plain.describe()
    assert (frozen.returncode, frozen.out) == (1, "before\n"), frozen.describe()
    assert "sys.excepthook" not in frozen.err, frozen.describe()
    assert frozen.err.splitlines()[0] == "Traceback (most recent call last):", frozen.describe()
    assert frozen.err.splitlines()[-1] == plain.err.splitlines()[-1], frozen.describe()
