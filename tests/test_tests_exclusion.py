"""Test suites inside distributions are left out of the bundle unless bundled code imports
them, `--include-module` brings one back, and `--exclude-module` takes glob patterns.

The end-to-end cases freeze tests/thirdparty/programs/test_suites from the `suites` venv
(tests/venvs.py, cached): colorama, a small pure-Python wheel from PyPI whose package holds its
test suite (colorama/tests/), and the local fzt-suiteship, which ships one suite nothing
imports (with a data file), one named `test`, and one its own code imports and reads a data
file of. Each binary runs in the sandbox and must behave as the venv's python does; then the
program is asked, by names only its command line spells, which modules the import system
finds and which test-suite files the distributions' RECORDs list, and that must be python's
answer less exactly what was left out. Asking the frozen program, not reading the payload,
keeps the test independent of the payload's format.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TARGETS, Target, freeze, in_ci, run_freezer
from sandbox import assert_same_behaviour, run_plain, run_sandboxed
from venvs import FULL_MINOR, SUITES, THIRDPARTY, site_packages, venv_python

from freezer.analyzer import distributions
from freezer.analyzer.graph import ModuleGraph
from freezer.cli import options_from_argv
from freezer.errors import FreezeError

PROGRAM = THIRDPARTY / "programs" / "test_suites"
# What the probe asks about: each suite, a module inside it, and their neighbours.
PROBED = (
    "colorama", "colorama.tests", "colorama.tests.ansi_test", "colorama.tests.utils",
    "suiteship.testing", "suiteship.reached.tests", "suiteship.reached.tests.fixtures",
    "suiteship.tests", "suiteship.tests.test_shout", "suiteship.sub", "suiteship.sub.test",
    "suiteship.extra_a", "suiteship.extra_b",
)
# The suites no bundled code imports (suiteship.reached.tests is imported by
# suiteship.testing, and suiteship.testing is no suite).
UNREACHED = frozenset({"colorama.tests", "suiteship.tests", "suiteship.sub.test"})

# (id, freeze's options, the modules the binary must not find)
CASES = [
    ("default", (), UNREACHED),
    ("include", ("--include-module", "colorama.tests"), UNREACHED - {"colorama.tests"}),
    # A pattern that matches nothing is no error.
    ("glob", ("--exclude-module", "suiteship.extra_*", "--exclude-module", "nomatch.*"),
     UNREACHED | {"suiteship.extra_a", "suiteship.extra_b"}),
]


@pytest.fixture(scope="module")
def py311() -> Target:
    """CPython 3.11, for which the suites venv is built."""
    for target in TARGETS:
        if target.version[1] == FULL_MINOR:
            return target
    if in_ci():
        pytest.fail("no CPython 3.11 for the test-suite exclusion tests")
    pytest.skip("no CPython 3.11 for the test-suite exclusion tests")


def _within(name: str, packages: frozenset[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def expected_probe(plain_out: str, absent: frozenset[str]) -> str:
    """python's probe answer with the modules in `absent` (and below) not found, and their
    files gone from the RECORD lines, as the bundle's RECORD must list what it holds."""
    lines = []
    for line in plain_out.splitlines():
        kind, *rest = line.split(" ")
        if kind == "spec" and _within(rest[0], absent):
            line = f"spec {rest[0]} absent"
        elif kind == "record" and _within(rest[1].rsplit("/", 1)[0].replace("/", "."), absent):
            continue
        lines.append(line + "\n")
    return "".join(lines)


@pytest.mark.usefixtures("sandbox_ready")
@pytest.mark.parametrize("case, options, absent", [pytest.param(*c, id=c[0]) for c in CASES])
def test_test_suites(case: str, options: tuple[str, ...], absent: frozenset[str],
                     py311: Target, tmp_path: Path) -> None:
    """The program runs as under python, and finds every module python finds except the
    suites left out (and what the options exclude)."""
    python = venv_python(py311, SUITES)
    roots = [str(PROGRAM), str(site_packages(python))]
    plain = run_plain(python, ["app.py"], program_dir=PROGRAM, workdir=tmp_path / "plain")
    assert plain.returncode == 0 and "['Äpfel', 'Birnen', 'Möhren']" in plain.out, \
        plain.describe()
    binary = freeze(PROGRAM, py311, *options, python=python, name=f"test_suites_{case}")
    frozen = run_sandboxed(binary, [])
    assert_same_behaviour(frozen, plain, [*roots, plain.cwd])

    probe = ["probe", *PROBED]
    plain = run_plain(python, ["app.py", *probe], program_dir=PROGRAM,
                      workdir=tmp_path / "probe")
    assert plain.returncode == 0 and plain.err == "", plain.describe()
    # The venv is what the test assumes: python finds everything, the RECORDs list the suites.
    assert "absent" not in plain.out and "record colorama colorama/tests/utils.py" in plain.out \
        and "record fzt-suiteship suiteship/tests/data/cases.json" in plain.out, plain.out
    frozen = run_sandboxed(binary, probe)
    context = f"\n=== frozen ===\n{frozen.describe()}\n=== python ===\n{plain.describe()}"
    assert frozen.returncode == 0 and frozen.stderr == b"", context
    assert frozen.stdout.decode() == expected_probe(plain.out, absent), context


# --- patterns: what they match, and what is refused --------------------------------------------

@pytest.mark.parametrize("name, excluded", [
    ("numpy", False), ("numpy.linalg", True), ("numpy.linalg.tests", True),
    ("scipy.tests", True), ("scipy.sparse.linalg.tests.test_x", True), ("scipy.testing", False),
    ("attests", False), ("six", True), ("six.moves", True), ("sixty", False),
    ("pkg.data2", True), ("pkg.data", False),
])
def test_exclude_patterns_match(name: str, excluded: bool) -> None:
    """A pattern excludes what it matches and everything below it; `*` spans dots; a name
    excludes itself and what is below it, as before."""
    graph = ModuleGraph([], [], ["numpy.*", "*.tests", "six", "pkg.data[0-9]", "nomatch.*"])
    assert graph.excluded(name) is excluded


@pytest.mark.parametrize("path, suite", [
    ("numpy/tests/test_x.py", "numpy/tests"),
    ("numpy/_core/tests/data/umath.csv", "numpy/_core/tests"),
    ("pkg/test/__init__.py", "pkg/test"),
    ("pkg/tests/sub/tests/x.py", "pkg/tests"),
    ("tests/__init__.py", None),  # a top-level package, not a subpackage
    ("pkg/testing/__init__.py", None),
    ("pkg/tests.py", None),  # a module
    ("pkg/my-data/tests/x.txt", None),  # not below importable names
])
def test_tests_package_dir(path: str, suite: str | None) -> None:
    assert distributions.tests_package_dir(path) == suite


def test_exclude_patterns_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[tool.freezer] exclude-module takes patterns too, and refuses a malformed one."""
    (tmp_path / "app.py").write_text("print('hi')\n")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.freezer]\nexclude-module = ["*.tests"]\n')
    opts = options_from_argv(["app.py", "--exclude-module", "numpy.*", "-o", "out"])
    assert opts.exclude == ["*.tests", "numpy.*"]
    (tmp_path / "pyproject.toml").write_text('[tool.freezer]\nexclude-module = ["a.[b"]\n')
    with pytest.raises(FreezeError) as caught:
        options_from_argv(["app.py", "-o", "out"])
    assert str(caught.value) == \
        "pyproject.toml: [tool.freezer] exclude-module: 'a.[b' is not a module name or pattern"


@pytest.mark.parametrize("args", [
    ["--exclude-module", "numpy.[core"],
    ["--exclude-module", "*..tests"],
    ["--exclude-module", "numpy."],
    ["--include-module", "numpy.*"],  # patterns are for leaving out only
])
def test_malformed_pattern_is_one_line(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    done = run_freezer(["app.py", *args, "-o", str(tmp_path / "out")], cwd=tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"freeze: error: {args[0]} {args[1]}: not a module name")
    assert not (tmp_path / "out").exists()
