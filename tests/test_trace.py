"""Trace mode: traced_modules runs real programs under each target interpreter.

What matters is what the frozen program will need: a module imported by a name known only at
run time must be recorded, whichever way the program ends, and nothing of the tracing
machinery itself (its wrapper, site's imports) may be mistaken for the program's.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from conftest import Target

from freezer.analysis import EntryPoint
from freezer.errors import FreezeError
from freezer.trace import traced_modules

# Imports the modules named on its command line, then ends as the first argument says.
DYNAMIC = """\
import importlib
import os
import sys

how, names = sys.argv[1], sys.argv[2:]
print("json")  # stdout is the program's: this must not reach the record
for name in names:
    importlib.import_module(name)
if how == "exit3":
    raise SystemExit(3)
if how == "raise":
    raise RuntimeError("the traced program failed")
if how == "os_exit":
    os._exit(4)
if how == "sleep":
    import time
    time.sleep(60)
if how == "kill":
    import signal
    os.kill(os.getpid(), signal.SIGKILL)
if how == "fork":
    pid = os.fork()
    if pid == 0:
        import csv  # only the child imports it
        os._exit(0)
    os.waitpid(pid, 0)
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def dynamic(tmp_path: Path) -> EntryPoint:
    return EntryPoint("script", path=write(tmp_path / "app" / "dyn.py", DYNAMIC))


def trace(target: Target | str, entry: EntryPoint, args: list[str], program_path: list[str],
          **kwargs: object) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    found = traced_modules(str(getattr(target, "path", target)), entry, args, program_path,
                           warnings=warnings, **kwargs)
    return found, warnings


def test_dynamic_import_is_recorded(target: Target, dynamic: EntryPoint,
                                    capfd: pytest.CaptureFixture[str]) -> None:
    found, warnings = trace(target, dynamic, ["ok", "wave", "xml.dom.minidom"],
                            [str(dynamic.path.parent)])
    assert {"wave", "xml", "xml.dom", "xml.dom.minidom"} <= set(found)
    assert found == sorted(found)
    assert warnings == []
    # Not the program's: the entry itself, and what ran before it (interpreter, site).
    assert "__main__" not in found
    assert "site" not in found and "encodings" not in found and "sys" not in found
    # The program's stdout went to stderr, and the record did not read it.
    out, err = capfd.readouterr()
    assert out == "" and "json\n" in err
    assert "json" not in found


def test_system_exit_still_records(target: Target, dynamic: EntryPoint) -> None:
    found, warnings = trace(target, dynamic, ["exit3", "wave"], [str(dynamic.path.parent)])
    assert "wave" in found
    assert warnings == ["--trace: the program exited with status 3; the modules it imported "
                        "until then are bundled"]


def test_uncaught_exception_still_records(newest_target: Target, dynamic: EntryPoint) -> None:
    found, warnings = trace(newest_target, dynamic, ["raise", "wave"],
                            [str(dynamic.path.parent)])
    assert "wave" in found
    assert warnings and "status 1" in warnings[0]


def test_os_exit_still_records(newest_target: Target, dynamic: EntryPoint) -> None:
    found, warnings = trace(newest_target, dynamic, ["os_exit", "wave"],
                            [str(dynamic.path.parent)])
    assert "wave" in found
    assert warnings and "status 4" in warnings[0]


def test_forked_child_imports_are_recorded(target: Target, dynamic: EntryPoint) -> None:
    found, _ = trace(target, dynamic, ["fork", "wave"], [str(dynamic.path.parent)])
    assert {"wave", "csv"} <= set(found)


def test_only_importable_names_are_recorded(newest_target: Target, tmp_path: Path) -> None:
    """Keys no import statement could name, and modules made by hand, cannot be bundled."""
    script = write(tmp_path / "odd.py", """\
        import sys, types
        sys.modules["not-a-name"] = types.ModuleType("x")
        sys.modules[("not", "a", "str")] = types.ModuleType("y")
        sys.modules["handmade"] = types.ModuleType("handmade")
        sys.modules["blocked"] = None
        import wave
    """)
    found, warnings = trace(newest_target, EntryPoint("script", path=script), [],
                            [str(tmp_path)])
    assert warnings == [] and "wave" in found
    assert not {"not-a-name", "handmade", "blocked"} & set(found)


def test_timeout_is_an_error(newest_target: Target, dynamic: EntryPoint) -> None:
    with pytest.raises(FreezeError, match=r"^--trace: the program did not finish within 2 s"):
        trace(newest_target, dynamic, ["sleep"], [str(dynamic.path.parent)], timeout=2)


def test_killed_program_is_an_error(newest_target: Target, dynamic: EntryPoint) -> None:
    with pytest.raises(FreezeError, match="killed by SIGKILL before its modules could be"):
        trace(newest_target, dynamic, ["kill"], [str(dynamic.path.parent)])


def test_script_sees_its_directory_and_argv(target: Target, tmp_path: Path) -> None:
    """sys.path[0] is the script's directory, extra program directories follow, argv is
    the script and its arguments, and __file__ the script: as `python SCRIPT ARGS`."""
    app = tmp_path / "app"
    write(app / "helper_mod.py", "")
    write(tmp_path / "lib" / "extra_mod.py", "")
    script = write(app / "main.py", """\
        import sys
        assert sys.argv[1:] == ["a b", ""], sys.argv
        assert sys.argv[0] == __file__
        assert __name__ == "__main__"
        import helper_mod, extra_mod
    """)
    found, warnings = trace(target, EntryPoint("script", path=script), ["a b", ""],
                            [str(app), str(tmp_path / "lib")])
    assert warnings == []
    assert {"helper_mod", "extra_mod"} <= set(found)


def test_module_entry(target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pkg" / "__init__.py", "")
    write(tmp_path / "pkg" / "__main__.py", """\
        import importlib, sys
        assert __name__ == "__main__" and __package__ == "pkg", (__name__, __package__)
        assert sys.argv[0].endswith("__main__.py"), sys.argv
        importlib.import_module(sys.argv[1])
    """)
    monkeypatch.chdir(tmp_path)
    found, warnings = trace(target, EntryPoint("module", module="pkg"), ["wave"],
                            [str(tmp_path)])
    assert warnings == []
    assert {"pkg", "wave"} <= set(found)
    assert "pkg.__main__" not in found  # it ran as __main__


def test_function_entry(target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "tool" / "__init__.py", "")
    write(tmp_path / "tool" / "cli.py", """\
        import importlib, sys

        def main():
            importlib.import_module(sys.argv[1])
            return 0
    """)
    monkeypatch.chdir(tmp_path)
    found, warnings = trace(target, EntryPoint("func", module="tool.cli", func="main"),
                            ["wave"], [str(tmp_path)])
    assert warnings == []
    assert {"tool", "tool.cli", "wave"} <= set(found)


def test_target_site_packages_are_visible(dynamic: EntryPoint) -> None:
    """The run has site: a package installed in the target's environment (here the test
    venv's pluggy, a pytest dependency) imports; the venv's .pth imports are not recorded."""
    found, warnings = trace(sys.executable, dynamic, ["ok", "pluggy"],
                            [str(dynamic.path.parent)])
    assert warnings == []
    assert "pluggy" in found
    assert not [name for name in found if name.startswith("__editable__")]


def test_user_python_variables_do_not_reach_the_run(newest_target: Target, dynamic: EntryPoint,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """PYTHONPATH would make the recorded modules depend on the user's shell."""
    write(tmp_path / "elsewhere" / "wave.py", "raise SystemExit('wrong wave')")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    found, warnings = trace(newest_target, dynamic, ["ok", "wave"],
                            [str(dynamic.path.parent)])
    assert warnings == [] and "wave" in found


def test_interpreter_that_cannot_run(dynamic: EntryPoint, tmp_path: Path) -> None:
    with pytest.raises(FreezeError, match=r"^--python .*: cannot run it"):
        trace(str(tmp_path / "no-python"), dynamic, [], [str(dynamic.path.parent)])
