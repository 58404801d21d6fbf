"""FREEZER_DEBUG=imports,natives,boot: what a frozen program loads, and from where, on
stderr, changing nothing else.

A real program runs in the glibc-only sandbox with and without the variable: stdout and the
exit status are python's either way, and with it stderr is python's plus `freezer: ` lines
only, naming the module the analysis could not see (imported by a computed name, so served
by the cold standard library), the extension module's file in the cache, and libpython.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Target, freeze
from sandbox import assert_same_behaviour, run_plain, run_sandboxed

APP = """\
import importlib, json, sys
m = importlib.import_module("tom" + "llib")
print(json.dumps(m.loads("a = 1")), file=sys.stdout)
print("to stderr", file=sys.stderr)
sys.exit(3)
"""


@pytest.mark.usefixtures("sandbox_ready")
def test_debug_reports_loads_and_changes_nothing(newest_target: Target, tmp_path: Path) -> None:
    if newest_target.version < (3, 11):
        pytest.skip("tomllib is 3.11+")
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text(APP)
    binary = freeze(src / "app.py", newest_target, name="app")
    plain = run_plain(newest_target.path, ["app.py"], program_dir=src)
    assert plain.returncode == 3, plain.describe()
    assert_same_behaviour(run_sandboxed(binary), plain, [str(src), plain.cwd])
    frozen = run_sandboxed(binary, env={"FREEZER_DEBUG": "imports,natives,boot"})
    assert (frozen.returncode, frozen.out) == (plain.returncode, plain.out), frozen.describe()
    lines = frozen.err.splitlines()
    assert [x for x in lines if not x.startswith("freezer: ")] == plain.err.splitlines()
    assert any(x.startswith("freezer: imports: tomllib from ") and x.endswith(
        "; the cold standard library: compiled from its source, as the build saw no import "
        "of it)") for x in lines), frozen.err
    assert any(x.startswith("freezer: imports: json from ") for x in lines), frozen.err
    assert any(x.startswith("freezer: natives: _json.") and "/native/" in x for x in lines), \
        frozen.err
    assert any(x.startswith("freezer: boot: libpython3.") for x in lines), frozen.err
    assert any(x.startswith("freezer: boot: checking the checksum") for x in lines)
    # One word asks for one kind only.
    frozen = run_sandboxed(binary, env={"FREEZER_DEBUG": "boot"})
    kinds = {x.split(":")[1].strip() for x in frozen.err.splitlines()
             if x.startswith("freezer: ")}
    assert kinds == {"boot"}, frozen.err
