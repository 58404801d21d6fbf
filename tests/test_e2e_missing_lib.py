"""An extension module whose shared library this machine does not have (numba's optional
TBB thread pool without libtbb): python cannot import it either, so the build bundles it
with a warning instead of failing, and the frozen import fails with python's message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import Target, run_freezer
from sandbox import assert_same_behaviour, run_plain, run_sandboxed

pytestmark = pytest.mark.usefixtures("sandbox_ready")

LIB_C = "int fzt_gone_answer(void) { return 42; }\n"
EXT_C = """\
#include <Python.h>
int fzt_gone_answer(void);
static PyObject *answer(PyObject *self, PyObject *args) {
    return PyLong_FromLong(fzt_gone_answer());
}
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "gonelib", NULL, -1, methods};
PyMODINIT_FUNC PyInit_gonelib(void) { return PyModule_Create(&module); }
"""
APP = """\
try:
    import gonelib
except ImportError as e:
    print("import failed:", e)
else:
    print("answer", gonelib.answer())
print("done")
"""
SONAME = "libfztgone.so.1"


def _compile(target: Target, program: Path, libdir: Path) -> None:
    """gonelib, linked against libfztgone.so.1, in `program`; the library in `libdir`."""
    query = ("import sysconfig; print(sysconfig.get_paths()['include']); "
             "print(sysconfig.get_config_var('EXT_SUFFIX'))")
    include, suffix = subprocess.run([str(target.path), "-c", query], capture_output=True,
                                     text=True, check=True).stdout.split()
    (libdir / "lib.c").write_text(LIB_C)
    subprocess.run(["gcc", "-shared", "-fPIC", f"-Wl,-soname,{SONAME}", "-o",
                    str(libdir / SONAME), str(libdir / "lib.c")], check=True)
    (libdir / "ext.c").write_text(EXT_C)
    subprocess.run(["gcc", "-shared", "-fPIC", f"-I{include}", "-o",
                    str(program / f"gonelib{suffix}"), str(libdir / "ext.c"),
                    f"-L{libdir}", f"-l:{SONAME}"], check=True)


def test_extension_without_its_library(newest_target: Target, tmp_path: Path) -> None:
    program, libdir = tmp_path / "program", tmp_path / "lib"
    program.mkdir()
    libdir.mkdir()
    (program / "app.py").write_text(APP)
    _compile(newest_target, program, libdir)
    (libdir / SONAME).unlink()  # installed nowhere now
    plain = run_plain(newest_target.path, ["app.py"], program_dir=program,
                      workdir=tmp_path / "plain")
    assert plain.returncode == 0 and f"import failed: {SONAME}: cannot open" in plain.out, \
        plain.describe()
    binary = tmp_path / "out" / "app"
    binary.parent.mkdir()
    done = run_freezer(["app.py", "--python", str(newest_target.path), "-o", str(binary)],
                       cwd=program)
    assert done.returncode == 0, done.stderr
    assert f"needs shared library {SONAME}, which is not installed" in done.stderr, done.stderr
    frozen = run_sandboxed(binary)
    assert_same_behaviour(frozen, plain, [str(program), plain.cwd])
