"""Programs found to fail when frozen, by a survey of packages and patterns no other test had
covered; each case freezes a real program, runs it in the glibc-only sandbox and compares it
with the venv's python (stdout, stderr up to the documented traceback differences, status).

resources-by-name: a package reached only through a resource API (`importlib.resources.files(
"myapp.data")`, `pkgutil.get_data("myapp.tmpl", ...)`, `files("tzdata.zoneinfo")` after
`from importlib.resources import files`) is imported by that call, so it must be bundled, but
no import statement names it. The program's own data packages and a real distribution's
(tzdata, from the test venvs) are both reached that way, and a missing one ends the program
with python's traceback.

pkg-resources-dists: pkg_resources' working set, built from sys.path (the binary), holds the
bundled distributions (versions, `require`, entry points), as python's holds site-packages'.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TARGETS, Target, freeze
from sandbox import assert_same_behaviour, run_plain, run_sandboxed
from venvs import FULL, FULL_MINOR, THIRDPARTY, site_packages, spec_for, venv_python

pytestmark = pytest.mark.usefixtures("sandbox_ready")

PROGRAMS = THIRDPARTY / "programs"
# The oldest, the full-venv and the newest supported versions: importlib.resources differs.
MINORS = (9, 11, 13)


def _targets() -> list:
    found = [pytest.param(t, id=t.id) for t in TARGETS if t.version[1] in MINORS]
    return found or [pytest.param(None, id="no-target")]


@pytest.mark.parametrize("py", _targets())
def test_resources_by_name(py: Target | None, tmp_path: Path) -> None:
    """Packages named only by resource calls are bundled and behave as under python."""
    if py is None:
        pytest.skip("no CPython 3.9/3.11/3.13 found")
    python = venv_python(py, spec_for(py))
    program_dir = PROGRAMS / "resources_by_name"
    plain = run_plain(python, ["app.py"], program_dir=program_dir, workdir=tmp_path / "plain")
    assert plain.returncode == 1 and "tzdata b'TZif' Europe/Paris" in plain.out \
        and "No module named 'myapp.missing'" in plain.err, plain.describe()
    binary = freeze(program_dir, py, python=python, name="resources_by_name")
    frozen = run_sandboxed(binary)
    assert_same_behaviour(frozen, plain,
                          [str(program_dir), plain.cwd, str(site_packages(python))])


def test_pkg_resources_sees_bundled_distributions(tmp_path: Path) -> None:
    """get_distribution, require and iter_entry_points answer as under python."""
    target = next((t for t in TARGETS if t.version[1] == FULL_MINOR), None)
    if target is None:
        pytest.skip(f"no CPython 3.{FULL_MINOR}")
    python = venv_python(target, FULL)
    program_dir = PROGRAMS / "pkg_resources_dists"
    plain = run_plain(python, ["app.py"], program_dir=program_dir, workdir=tmp_path / "plain")
    assert plain.returncode == 1 and "plugins [('alpha'" in plain.out \
        and "DistributionNotFound" in plain.err, plain.describe()
    binary = freeze(program_dir, target, python=python, name="pkg_resources_dists")
    frozen = run_sandboxed(binary)
    assert_same_behaviour(frozen, plain,
                          [str(program_dir), plain.cwd, str(site_packages(python))])
