"""The analysis' rules one by one, in this interpreter: no pyenv CPython, no sandbox.

Each rule module of freezer/analyzer returns a decision; these tests give it a situation and
check the decision, where an end-to-end test would need a whole build to reach the same line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from freezer.analyzer import file_rules, protocol, stdlib_rules, thirdparty_rules
from freezer.analyzer.distributions import Distribution
from freezer.analyzer.graph import ModuleGraph
from freezer.analyzer.lookup import Excludes, Module
from freezer.analyzer.problems import Problem, build_warnings, fatal_problems


def present(*names: str):
    return lambda name: name in names


@pytest.mark.parametrize(("importer", "imported", "lazy", "optional", "fallback", "found",
                          "decision"), [
    # os.popen's lazy `import subprocess`: a core module's rarely used feature.
    ("os", "subprocess", True, False, (), present(), stdlib_rules.SKIP_CORE_LAZY),
    # The same edge from a module that is not core is followed.
    ("argparse", "shutil", True, False, (), present(), stdlib_rules.FOLLOW_COLD_TOOLING),
    # A lazy import inside the core module's own package is followed.
    ("importlib", "importlib.util", True, False, (), present(),
     stdlib_rules.FOLLOW_COLD_TOOLING),
    # decimal: `try: from _decimal import * except ImportError: from _pydecimal import *`.
    # _decimal and what it imports from C are there: the fallback never runs.
    ("decimal", "_pydecimal", False, True, ("_decimal",),
     present("_decimal", "collections", "collections.abc", "numbers", "contextvars"),
     stdlib_rules.SKIP_FALLBACK),
    # _decimal is there but collections.abc, which it imports at init, is not: it would
    # raise ImportError, so python runs the fallback and the build must carry it.
    ("decimal", "_pydecimal", False, True, ("_decimal",), present("_decimal"),
     stdlib_rules.FOLLOW_COLD_TOOLING),
    ("json", "json.decoder", False, False, (), present(), stdlib_rules.FOLLOW),
])
def test_stdlib_edge(importer, imported, lazy, optional, fallback, found, decision):
    assert stdlib_rules.stdlib_edge(importer, imported, lazy, optional, fallback,
                                    found) == decision


def test_tooling_is_on_request_below_its_package():
    assert stdlib_rules.on_request_only("unittest.mock")
    assert stdlib_rules.on_request_only("pydoc")
    assert not stdlib_rules.on_request_only("unittestx")
    assert not stdlib_rules.on_request_only("json")


def test_excludes_names_and_patterns():
    excluded = Excludes(["numpy.*", "*.tests", "six"])
    assert excluded("six") and excluded("six.moves")
    assert not excluded("sixty")
    assert excluded("numpy.linalg") and not excluded("numpy")
    assert excluded("pkg.tests") and excluded("a.b.tests.test_x")
    assert not excluded("pkg.testsuite")


def _dist(tmp_path: Path, files: dict[str, str]) -> Distribution:
    """An installed distribution `demo` 1.0 in tmp_path, with these files."""
    info = tmp_path / "demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    record = [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        record.append(f"{rel},,")
    (info / "RECORD").write_text("\n".join(record) + "\n")
    return Distribution(str(tmp_path), info.name)


def test_distribution_files_hold_back_unreached_tests(tmp_path):
    dist = _dist(tmp_path, {"demo/__init__.py": "", "demo/tests/__init__.py": "",
                            "demo/tests/test_a.py": "", "demo/data.json": "{}",
                            "demo.libs/libx.so": ""})
    files = thirdparty_rules.sort_files(dist, {})
    assert files.metadata == ["demo-1.0.dist-info/METADATA", "demo-1.0.dist-info/RECORD"]
    assert files.vendored == ["demo.libs/libx.so"]
    assert sorted(files.code_and_data) == ["demo/__init__.py", "demo/data.json"]
    assert sorted(files.unreached_tests["demo.tests"]) == ["demo/tests/__init__.py",
                                                            "demo/tests/test_a.py"]
    # Once bundled code has imported the suite, it comes with the distribution.
    bundled = {"demo.tests": Module("demo.tests", "package", None, "thirdparty")}
    assert "demo/tests/test_a.py" in thirdparty_rules.sort_files(dist, bundled).code_and_data


def test_compiled_module_replaces_its_source_twin(tmp_path):
    """mypyc ships x.py beside x.so; python imports the .so, whichever RECORD lists first."""
    suffix = __import__("importlib.machinery").machinery.EXTENSION_SUFFIXES[0]
    for order in ([f"demo/fast{suffix}", "demo/fast.py"], ["demo/fast.py", f"demo/fast{suffix}"]):
        (tmp_path / order[0]).parent.mkdir(parents=True, exist_ok=True)
        for rel in order:
            (tmp_path / rel).write_text("")
        dist = Distribution(str(tmp_path), "demo-1.0.dist-info")
        taken = thirdparty_rules.take_files(dist, order, "test", Excludes([]), {})
        assert [(m.name, m.kind) for m in taken.modules] == [("demo.fast", "extension")]


def test_missing_requirement_is_a_problem_that_stops_the_build(tmp_path):
    dist = _dist(tmp_path, {"demo/__init__.py": ""})
    meta = tmp_path / dist.dist_info / "METADATA"
    meta.write_text(meta.read_text() + "Requires-Dist: not-installed-anywhere>=1\n")
    graph = ModuleGraph([], [], [], [str(tmp_path)])
    problems = thirdparty_rules.missing_requirements(dist, graph.index)
    assert [p.module for p in problems] == ["not-installed-anywhere"]
    assert "pip install not-installed-anywhere" in problems[0].message()
    assert fatal_problems(problems, {}, {}) == problems


def test_optional_missing_import_warns_and_a_registrar_defers_a_needed_one():
    optional = Problem("yaml", "app.py", 3, fatal=False, program=True)
    needed = Problem("plugins.x", "app.py", 5, fatal=True, program=True)
    assert fatal_problems([optional, needed], {}, {}) == [needed]
    assert build_warnings([optional], {}, {}, lambda m: m.name) == [
        "app.py:3: cannot find module 'yaml' (optional import, left out)"]
    # A module of the program that stores into sys.modules may make it at run time.
    main = Module("app", "source", "/p/app.py", "program")
    registrars = {"app": {"sys"}}
    assert fatal_problems([needed], {"app": main}, registrars) == []
    assert "left to run time: app changes" in build_warnings(
        [needed], {"app": main}, registrars, lambda m: m.name)[0]


def test_protocol_round_trip_keeps_nested_records():
    reply = protocol.Reply(
        {"version": "3.11.7"}, warnings=["w"],
        modules=[protocol.BundledModule("a", "source", "program", "a.pyc", "/c/a.pyc",
                                        reason="app.py:1")],
        dists=[protocol.BundledDist("demo", "1.0", "demo-1.0.dist-info", True)],
        data=[protocol.File("demo/x.json", "/s/demo/x.json", "demo")],
        main=protocol.Main("script", "app.py", "/c/main.pyc", "/p/app.py"))
    back = protocol.loads(protocol.Reply, protocol.dumps(reply))
    assert back == reply
    request = protocol.Request(protocol.Entry("module", module="pkg"), ["/p"], [], [],
                               "/r", "/c", "/s")
    assert protocol.loads(protocol.Request, protocol.dumps(request)) == request


def test_protocol_rejects_what_is_not_a_reply():
    with pytest.raises(ValueError):
        protocol.loads(protocol.Reply, json.dumps(["not", "a", "reply"]))
    with pytest.raises(ValueError):
        protocol.loads(protocol.Reply, "{")
    # The worker's answer from an interpreter that is too old has no facts, only the error.
    old = protocol.loads(protocol.Reply, '{"fatal": "not CPython 3.9 or newer"}')
    assert old.fatal and not old.target


def test_files_beside_the_script_that_its_code_names(tmp_path, monkeypatch):
    (tmp_path / "app.py").write_text("")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "unnamed.txt").write_text("")
    (tmp_path / ".env").write_text("SECRET=1")
    (tmp_path / "tool").write_bytes(b"\x7fELF rest of an executable")
    (tmp_path / "data" / "deep").mkdir(parents=True)
    (tmp_path / "data" / "deep" / "w.txt").write_text("w")
    (tmp_path / "data" / "helper.py").write_text("")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    (tmp_path / "big").mkdir()
    for i in range(3):
        (tmp_path / "big" / f"{i}.bin").write_text("x")
    monkeypatch.setattr(file_rules, "BESIDE_SCRIPT_MAX_FILES", 2)
    strings = {"config.json", "/data", ".env", "tool", "venv", "big", "app.py", "..", "utf-8",
               "../elsewhere", "r"}
    files, refused = file_rules.named_beside_script(str(tmp_path), strings)
    real = os.path.realpath(tmp_path)
    assert files == [("config.json", f"{real}/config.json"),
                     ("data/deep/w.txt", f"{real}/data/deep/w.txt")]
    assert len(refused) == 1 and "big: the program names this directory" in refused[0]
