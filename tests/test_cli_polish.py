"""The command line's small refusals, each one line with status 2, by the real `freeze`:
a misspelt option, PyInstaller's option names, no arguments at all.

Run as `python -m freezer`, since the promise is about what the user sees on stderr, and
argparse's own behaviour (abbreviations, suggestions) differs between the Pythons the tool
runs on: the lines must be the same on each.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import run_freezer


def refused(tmp_path: Path, argv: list[str]) -> str:
    """The one stderr line of a `freeze ARGV` that must fail with status 2, writing nothing."""
    (tmp_path / "app.py").write_text("print('hi')\n")
    done = run_freezer(argv, tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]
    return lines[0]


@pytest.mark.parametrize(("argv", "expected"), [
    # The issue's own cases: -o missing was reported instead of the typo.
    (["app.py", "--ouput", "x"], "unknown option --ouput (did you mean --output?)"),
    (["--ouput", "x", "app.py"], "unknown option --ouput (did you mean --output?)"),
    (["--exlude-module", "m", "app.py", "-o", "x"],
     "unknown option --exlude-module (did you mean --exclude-module?)"),
    (["app.py", "-o", "x", "--include-modul=m"],
     "unknown option --include-modul (did you mean --include-module?)"),
    # No abbreviations on any version: one that works today breaks when an option is added.
    (["app.py", "--out", "x"], "unknown option --out (did you mean --output?)"),
    (["app.py", "-o", "x", "--exclude", "m"],
     "unknown option --exclude (did you mean --exclude-module?)"),
    (["app.py", "-o", "x", "--hidden-imports=m"],
     "unknown option --hidden-imports (PyInstaller's --hidden-import? freezer's is "
     "--include-module MODULE)"),
    (["app.py", "-o", "x", "--frobnicate"],
     "unknown option --frobnicate (freeze --help lists the options)"),
    (["app.py", "-o", "x", "-Z"], "unknown option -Z (freeze --help lists the options)"),
    # A value that looks like an option is the option's value, not an unknown option.
    (["app.py", "-o", "x", "--exclude-module", "--nope", "--ouput"],
     "unknown option --ouput (did you mean --output?)"),
])
def test_unknown_option_says_what_was_meant(tmp_path: Path, argv: list[str],
                                            expected: str) -> None:
    assert refused(tmp_path, [*argv, "--python", sys.executable]) == f"freeze: error: {expected}"


@pytest.mark.parametrize(("option", "says"), [
    ("--onefile", "freezer always makes one file, so it is not needed"),
    ("-F", "freezer always makes one file, so it is not needed"),
    ("--onedir", "freezer makes one file only (-o OUT), or a zipapp (-o OUT.pyz)"),
    ("--name=tool", "freezer's is -o NAME, the output file"),
    ("--hidden-import=json", "freezer's is --include-module MODULE"),
    ("--collect-all=json", "freezer's is --collect PACKAGE (every submodule and data file of "
                           "it)"),
    ("--paths=src", "freezer's is --path DIR (repeatable)"),
    ("--noconfirm", "not needed, as freezer replaces the output without asking"),
    ("--clean", "not needed, as freezer's cache is keyed by content and never goes stale"),
    ("--windowed", "not needed, as a Linux executable has no console window"),
    ("--icon=app.ico", "a Linux executable carries no icon (a .desktop file names one)"),
    ("--add-binary=lib.so:.", "freezer's is --add-data SRC:DEST, which takes native files too"),
])
def test_pyinstaller_option_names_freezers_equivalent(tmp_path: Path, option: str,
                                                      says: str) -> None:
    name = option.partition("=")[0]
    assert refused(tmp_path, ["app.py", "-o", "x", option, "--python", sys.executable]) == \
        f"freeze: error: {name} is PyInstaller's option: {says}"


@pytest.mark.parametrize(("spec", "says"), [
    ("app.py;data", "separate SRC and DEST with ':' (SRC:DEST), not ';' as PyInstaller does "
                    "on Windows"),
    ("app.py:.", "destination .: DEST is the path SRC gets in the bundle; give SRC alone to "
                 "put it at the top under its own name (PyInstaller's SRC:. is freezer's SRC)"),
])
def test_add_data_in_pyinstallers_form(tmp_path: Path, spec: str, says: str) -> None:
    """The option exists in both tools with different separators and DEST meanings: the
    PyInstaller forms that would otherwise fail obscurely are named."""
    assert refused(tmp_path, ["app.py", "-o", "x", "--add-data", spec, "--python",
                              sys.executable]) == f"freeze: error: --add-data {spec}: {says}"


def test_no_arguments_prints_usage_and_what_to_do(tmp_path: Path) -> None:
    done = run_freezer([], tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "usage: freeze [options] SCRIPT | DIR | -m MODULE | MODULE:FUNCTION -o OUT; freeze "
        "inspect OUT | why OUT MODULE | cache info|prune|clear",
        "freeze: error: nothing to freeze: give a script (freeze app.py -o app), -m MODULE or "
        "MODULE:FUNCTION, and the output with -o OUT; freeze --help lists the options",
    ]


@pytest.mark.parametrize(("argv", "expected"), [
    (["app.py", "--include-module", "fzt_nosuch"],
     "--include-module fzt_nosuch: cannot find module fzt_nosuch"),
    (["app.py", "--include-module", "json.fzt_nosuch"],
     "--include-module json.fzt_nosuch: cannot find module json.fzt_nosuch"),
    # The part that is missing, in the words that asked for the whole.
    (["app.py", "--include-module", "fzt_nosuch.sub"],
     "--include-module fzt_nosuch.sub: cannot find module fzt_nosuch"),
    (["app.py", "--collect", "fzt_nosuch"], "--collect fzt_nosuch: cannot find module fzt_nosuch"),
    (["-m", "fzt_nosuch"], "-m fzt_nosuch: cannot find module fzt_nosuch"),
    (["fzt_nosuch:main"], "fzt_nosuch:main: cannot find module fzt_nosuch"),
])
def test_missing_requested_module_names_the_request(tmp_path: Path, argv: list[str],
                                                    expected: str) -> None:
    """A module asked for on the command line has no file and line to blame: the line names
    the option and its value (it read `--include-module:0: cannot find module`)."""
    assert refused(tmp_path, [*argv, "-o", "x", "--python", sys.executable]) == \
        f"freeze: error: {expected}"


@pytest.mark.parametrize(("module", "missing"), [("fzt_nosuch", "fzt_nosuch"),
                                                 ("os.fzt_nosuch", "os.fzt_nosuch")])
def test_missing_requested_module_is_refused_whatever_the_code_does(
        tmp_path: Path, module: str, missing: str) -> None:
    """A program whose code changes sys.path may make a missing import importable at run
    time, and `import os.x` is os's own code's to answer, so such imports are left to
    python; a module asked for on the command line is a file the build must carry, and
    its absence is still the error."""
    (tmp_path / "app.py").write_text("import sys\nsys.path.append('plugins')\nprint('hi')\n")
    done = run_freezer(["app.py", "--include-module", module, "-o", "x",
                        "--python", sys.executable], tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"freeze: error: --include-module {module}: cannot find module {missing}"]
    assert not (tmp_path / "x").exists()
