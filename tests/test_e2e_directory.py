"""`freeze DIR`: a directory with `__main__.py` is frozen as `python DIR` runs it.

python puts DIR first on sys.path and runs its `__main__` module from there (runpy), so
the sibling modules `__main__.py` imports by plain name are found, and `__main__` has a
spec named `__main__` and an empty `__package__` (where a script has None for both). The
binary runs in the glibc-only sandbox; the zipapp under the target python.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import PROGRAMS, Target, freeze, run_freezer
from sandbox import assert_same_behaviour, run_plain, run_sandboxed

PROGRAM = PROGRAMS / "dirmain"


@pytest.mark.usefixtures("sandbox_ready")
@pytest.mark.parametrize("args", [[], ["a", "b"]])
def test_directory_runs_as_python_runs_it(target: Target, tmp_path: Path,
                                          args: list[str]) -> None:
    plain = run_plain(target.path, ["myapp", *args], program_dir=PROGRAM,
                      workdir=tmp_path / "plain")
    assert plain.returncode == len(args) + 2, plain.describe()
    assert "name: __main__ spec: __main__ package: ''" in plain.out, plain.describe()
    binary = freeze(PROGRAM, target, entry=["myapp"], name="myapp")
    frozen = run_sandboxed(binary, args)
    assert_same_behaviour(frozen, plain, [str(PROGRAM), plain.cwd])


def test_directory_zipapp_runs_as_python_runs_it(target: Target, tmp_path: Path) -> None:
    plain = run_plain(target.path, ["myapp", "x"], program_dir=PROGRAM,
                      workdir=tmp_path / "plain")
    pyz = freeze(PROGRAM, target, entry=["myapp"], name="myapp.pyz")
    empty = tmp_path / "empty"
    empty.mkdir()
    zipped = run_plain(target.path, [str(pyz), "x"], program_dir=empty,
                       workdir=tmp_path / "zipped")
    assert_same_behaviour(zipped, plain, [str(PROGRAM), plain.cwd])


def test_directory_without_main_is_pythons_refusal(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helper.py").write_text("X = 1\n")
    done = run_freezer(["lib", "-o", "out", "--python", sys.executable], tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "freeze: error: can't find '__main__' module in 'lib' (as python lib would say): give "
        "a script in it, or a package with -m PACKAGE"]
    assert not (tmp_path / "out").exists()
