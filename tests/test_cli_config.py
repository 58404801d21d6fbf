"""Hints on the command line and in [tool.freezer]: parsing, discovery, merging, errors.

The plumbing is checked at the function level (options_from_argv gives the BuildOptions a
`freeze ARGV` would build with); the promise that bad input is one `freeze: error:` line with
status 2, never a traceback, is checked by running `python -m freezer`.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import run_freezer

from freezer.build import BuildOptions
from freezer.cli import options_from_argv
from freezer.config import find_pyproject, parse_add_data
from freezer.errors import FreezeError


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A program directory, also the current one, with app.py and data files."""
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "config.json").write_text("{}")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.txt").write_text("logo")
    (tmp_path / "plugins").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pyproject(directory: Path, table: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text(textwrap.dedent(table))
    return path


def options(*argv: str) -> BuildOptions:
    return options_from_argv([*argv, "-o", "out"])


def error_of(*argv: str) -> str:
    with pytest.raises(FreezeError) as caught:
        options(*argv)
    return str(caught.value)


# --- the command line ------------------------------------------------------------------------

def test_no_hints(project: Path) -> None:
    opts = options("app.py")
    assert (opts.include, opts.exclude, opts.collect, opts.paths, opts.add_data) == \
        ([], [], [], [], [])
    assert opts.trace_args is None
    assert opts.entry.path == project / "app.py"


def test_command_line_hints(project: Path) -> None:
    opts = options("app.py", "--collect", "pkg_a", "--collect", "pkg_b.sub",
                   "--include-module", "json", "--exclude-module", "tkinter",
                   "--path", "plugins", "--add-data", "data/config.json:conf/config.json",
                   "--add-data", "assets:static/assets")
    assert opts.collect == ["pkg_a", "pkg_b.sub"]
    assert opts.include == ["json"] and opts.exclude == ["tkinter"]
    assert opts.paths == [str(project / "plugins")]
    assert opts.add_data == [(project / "data" / "config.json", "conf/config.json"),
                             (project / "assets", "static/assets")]


@pytest.mark.parametrize(("spec", "expected"), [
    ("data/config.json", ("data/config.json", "config.json")),  # DEST omitted: SRC's name
    ("data/config.json:etc/", ("data/config.json", "etc/config.json")),  # DEST/: inside it
    ("assets/", ("assets", "assets")),
    ("data/config.json:./a//b/", None),
    ("./data/../assets:x", ("assets", "x")),
])
def test_add_data_destinations(project: Path, spec: str,
                               expected: tuple[str, str] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="no empty, '.' or '..' parts"):
            parse_add_data(spec, project)
        return
    assert parse_add_data(spec, project) == (project / expected[0], expected[1])


def test_add_data_splits_on_the_last_colon(project: Path) -> None:
    (project / "a:b.txt").write_text("x")
    assert options("app.py", "--add-data", "a:b.txt:c.txt").add_data == \
        [(project / "a:b.txt", "c.txt")]


def test_add_data_absolute_source(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "f.bin"
    elsewhere.write_bytes(b"\0")
    assert options("app.py", "--add-data", f"{elsewhere}:f.bin").add_data == \
        [(elsewhere, "f.bin")]


@pytest.mark.parametrize(("value", "expected"), [
    ("", []),
    ("--verbose 3", ["--verbose", "3"]),
    ("run 'two words' --n=3", ["run", "two words", "--n=3"]),
])
def test_trace_arguments(project: Path, value: str, expected: list[str]) -> None:
    assert options("app.py", "--trace", value).trace_args == expected
    assert options("app.py", f"--trace={value}").trace_args == expected


def test_trace_of_one_option_needs_the_equals_form(project: Path) -> None:
    """argparse takes a lone `--help` after --trace for an option: README says `--trace=`."""
    assert options("app.py", "--trace=--help").trace_args == ["--help"]
    assert "--trace: expected one argument" in error_of("app.py", "--trace", "--help")


@pytest.mark.parametrize(("argv", "message"), [
    (["--collect", "my-pkg"], "--collect my-pkg: not a module name"),
    (["--collect", ".rel"], "--collect .rel: not a module name"),
    (["--add-data", "missing.txt:x"], "--add-data missing.txt:x: missing.txt: no such file"),
    (["--add-data", "data:/abs"], "destination /abs: must be relative to the bundle"),
    (["--add-data", "data:../up"], "destination ../up: no empty, '.' or '..' parts"),
    (["--add-data", "data:a/../../b"], "no empty, '.' or '..' parts"),
    (["--add-data", ":x"], "--add-data :x: no source path before ':'"),
    (["--trace", "'open"], "--trace \"'open\": no closing quotation"),
    (["--path", "nowhere"], "--path nowhere: not a directory"),
])
def test_command_line_errors(project: Path, argv: list[str], message: str) -> None:
    assert message in error_of("app.py", *argv)


def test_two_sources_for_one_destination(project: Path) -> None:
    assert "two sources for x" in error_of("app.py", "--add-data", "data:x",
                                           "--add-data", "assets:x")


# --- pyproject.toml ----------------------------------------------------------------------------

FULL_TABLE = """\
    [project]
    name = "app"

    [tool.freezer]
    include-module = ["json"]
    exclude-module = ["tkinter"]
    collect = ["pkg_a"]
    path = ["plugins"]
    add-data = ["data/config.json:conf/config.json", "assets"]
    trace = "--selftest 'a b'"
"""


def test_pyproject_hints(project: Path) -> None:
    pyproject(project, FULL_TABLE)
    opts = options("app.py")
    assert opts.include == ["json"] and opts.exclude == ["tkinter"]
    assert opts.collect == ["pkg_a"]
    assert opts.paths == [str(project / "plugins")]
    assert opts.add_data == [(project / "data" / "config.json", "conf/config.json"),
                             (project / "assets", "assets")]
    assert opts.trace_args == ["--selftest", "a b"]


def test_command_line_adds_to_the_file_and_its_trace_wins(project: Path) -> None:
    pyproject(project, FULL_TABLE)
    opts = options("app.py", "--collect", "pkg_b", "--collect", "pkg_a",
                   "--include-module", "csv", "--add-data", "app.py:app.txt", "--trace", "")
    assert opts.collect == ["pkg_a", "pkg_b"]  # the file's first, a repeat once
    assert opts.include == ["json", "csv"]
    assert opts.add_data[-1] == (project / "app.py", "app.txt")
    assert len(opts.add_data) == 3
    assert opts.trace_args == []


def test_no_trace_and_no_config(project: Path) -> None:
    pyproject(project, FULL_TABLE)
    assert options("app.py", "--no-trace").trace_args is None
    assert options("app.py", "--no-trace").collect == ["pkg_a"]
    opts = options("app.py", "--no-config")
    assert (opts.collect, opts.trace_args) == ([], None)


def test_paths_are_relative_to_the_pyproject(project: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative to the file, not to wherever freeze runs: the file must mean one thing."""
    pyproject(project, FULL_TABLE)
    sub = project / "data"
    monkeypatch.chdir(sub)
    opts = options(str(project / "app.py"))
    assert opts.paths == [str(project / "plugins")]
    assert opts.add_data[0][0] == project / "data" / "config.json"


def test_nearest_pyproject_above_the_script(project: Path, tmp_path_factory: pytest.TempPathFactory
                                            ) -> None:
    pyproject(project, FULL_TABLE)
    deep = project / "src" / "tools"
    deep.mkdir(parents=True)
    (deep / "tool.py").write_text("")
    elsewhere = tmp_path_factory.mktemp("cwd")
    os.chdir(elsewhere)  # the script's directory counts, not the current one
    assert options(str(deep / "tool.py")).collect == ["pkg_a"]
    assert find_pyproject(deep) == project / "pyproject.toml"


def test_nearest_pyproject_without_table_stops_the_search(project: Path) -> None:
    """An inner project's pyproject.toml is the program's, even without [tool.freezer]."""
    pyproject(project, FULL_TABLE)
    inner = project / "inner"
    inner.mkdir()
    (inner / "app.py").write_text("")
    pyproject(inner, "[project]\nname = 'inner'\n")
    assert options("inner/app.py").collect == []


def test_symlinked_script_uses_its_real_directory(project: Path,
                                                  tmp_path_factory: pytest.TempPathFactory
                                                  ) -> None:
    pyproject(project, FULL_TABLE)
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "tool").symlink_to(project / "app.py")
    assert options(str(bin_dir / "tool")).collect == ["pkg_a"]


@pytest.mark.parametrize("entry", [["-m", "mypkg"], ["mypkg.cli:main"]])
def test_module_entries_search_from_the_current_directory(project: Path,
                                                          entry: list[str]) -> None:
    pyproject(project, FULL_TABLE)
    os.chdir(project / "plugins")
    assert options(*entry).collect == ["pkg_a"]


@pytest.mark.parametrize(("table", "message"), [
    ("collect = 'pkg'", "[tool.freezer] collect: expected a list of module names"),
    ("collect = ['ok', 3]", "[tool.freezer] collect: expected a list of module names"),
    ("include-module = ['my-pkg']", "[tool.freezer] include-module: 'my-pkg' is not a module"),
    ("exclude-module = ['a..b']", "[tool.freezer] exclude-module: 'a..b' is not a module name"),
    ("path = ['nowhere']", "[tool.freezer] path: nowhere: not a directory"),
    ("path = 'plugins'", "[tool.freezer] path: expected a list of directories"),
    ("add-data = ['missing.txt:x']", "[tool.freezer] add-data: missing.txt: no such file"),
    ("add-data = 'data'", '[tool.freezer] add-data: expected a list of "SRC:DEST" strings'),
    ("add-data = ['data:/etc']", "[tool.freezer] add-data: destination /etc: must be relative"),
    ("trace = ['--help']", "[tool.freezer] trace: expected a string of arguments"),
    ("trace = '\"x'", "[tool.freezer] trace: '\"x': no closing quotation"),
    ("glibc = 2.30", '[tool.freezer] glibc: expected a glibc version as a string, e.g. glibc '
                     '= "2.31"'),
    ("glibc = 'new'", "[tool.freezer] glibc: new: not a glibc version (such as 2.31)"),
    ("colect = ['pkg']", "[tool.freezer]: unknown key 'colect'; known keys: include-module,"),
    ("include_module = ['x']",
     "[tool.freezer]: unknown key 'include_module' (did you mean 'include-module'?)"),
])
def test_pyproject_errors(project: Path, table: str, message: str) -> None:
    pyproject(project, f"[tool.freezer]\n{table}\n")
    assert error_of("app.py").startswith(f"pyproject.toml: {message}")


def test_glibc_limit_from_the_file_and_the_command_line(project: Path) -> None:
    """One limit: the file's, unless the command line gives one; each named as given."""
    assert options("app.py").glibc is None
    pyproject(project, '[tool.freezer]\nglibc = "2.28"\n')
    opts = options("app.py")
    assert (opts.glibc, opts.glibc_from) == ((2, 28), 'pyproject.toml: [tool.freezer] glibc = '
                                                      '"2.28"')
    opts = options("app.py", "--glibc", "2.31")
    assert (opts.glibc, opts.glibc_from) == ((2, 31), "--glibc 2.31")
    assert options("app.py", "--no-config").glibc is None


def test_malformed_toml_names_the_position(project: Path) -> None:
    pyproject(project, "[tool.freezer]\ncollect = ['a' 'b']\ntrace = ''\n")
    message = error_of("app.py")
    assert message.startswith("pyproject.toml: not valid TOML: ")
    assert "(at line 2, column " in message


def test_table_that_is_not_a_table(project: Path) -> None:
    pyproject(project, "[tool]\nfreezer = 1\n")
    assert error_of("app.py") == "pyproject.toml: [tool.freezer] must be a table"


def test_file_outside_the_current_directory_is_named_in_full(
        project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    pyproject(project, "[tool.freezer]\ncollect = 1\n")
    os.chdir(tmp_path_factory.mktemp("cwd"))
    assert error_of(str(project / "app.py")).startswith(f"{project / 'pyproject.toml'}: ")


def test_missing_script_comes_before_the_file(project: Path) -> None:
    pyproject(project, "not toml")
    assert error_of("nothere.py") == f"{project / 'nothere.py'}: no such file"


# --- the command, run: one line, status 2 -------------------------------------------------------

@pytest.mark.parametrize(("argv", "table", "expected"), [
    (["--collect", "bad-name"], None, "freeze: error: --collect bad-name: not a module name"),
    (["--add-data", "nothere:x"], None,
     "freeze: error: --add-data nothere:x: nothere: no such file or directory"),
    (["--add-data", "app.py:../x"], None,
     "freeze: error: --add-data app.py:../x: destination ../x: no empty, '.' or '..' parts "
     "allowed"),
    (["--trace", "'x"], None, "freeze: error: --trace \"'x\": no closing quotation"),
    (["--trace"], None, "freeze: error: argument --trace: expected one argument"),
    (["--glibc", "abc"], None, "freeze: error: --glibc abc: not a glibc version (such as 2.31)"),
    (["--glibc", "2"], None, "freeze: error: --glibc 2: not a glibc version (such as 2.31)"),
    (["--glibc", "2.31.x"], None,
     "freeze: error: --glibc 2.31.x: not a glibc version (such as 2.31)"),
    (["--glibc", ""], None, "freeze: error: --glibc : not a glibc version (such as 2.31)"),
    (["--glibc"], None, "freeze: error: argument --glibc: expected one argument"),
    ([], '[tool.freezer]\nglibc = "2.x"\n',
     "freeze: error: pyproject.toml: [tool.freezer] glibc: 2.x: not a glibc version (such as "
     "2.31)"),
    ([], "[tool.freezer]\ncollect = 'x'\n",
     "freeze: error: pyproject.toml: [tool.freezer] collect: expected a list of module names"),
    ([], "[tool.freezer]\ncollect = [1 2]\n",
     None),  # a TOML error: the message is the parser's, checked for its position below
    ([], "[tool.freezer]\ntrace = 3\n",
     "freeze: error: pyproject.toml: [tool.freezer] trace: expected a string of arguments, "
     "e.g. trace = \"--help\""),
])
def test_bad_input_is_one_line_and_status_2(tmp_path: Path, argv: list[str], table: str | None,
                                            expected: str | None) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    if table is not None:
        (tmp_path / "pyproject.toml").write_text(table)
    done = run_freezer(["app.py", "-o", "out", "--python", sys.executable, *argv], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    if expected is None:
        assert lines[0].startswith("freeze: error: pyproject.toml: not valid TOML: ")
        assert "(at line " in lines[0]
    else:
        assert lines[0] == expected
    assert done.stdout == ""
    assert not (tmp_path / "out").exists()
