"""Frozen binary in the sandbox versus the same program under plain python, for each target.

Each case freezes a program from tests/programs once per target interpreter (cached), runs the
binary in the sandbox (only the binary and glibc's core inside) and the program under the same
interpreter, and requires the same stdout, the same stderr up to the documented traceback
differences (see sandbox.normalise), and the same exit status.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import PROGRAMS, Target, freeze
from sandbox import Arg, assert_same_behaviour, run_plain, run_sandboxed

pytestmark = pytest.mark.usefixtures("sandbox_ready")


@dataclass(frozen=True)
class Case:
    """One run of one program: how to freeze it, how to run it, what plain python must do."""

    id: str
    program: str
    args: tuple[Arg, ...] = ()
    # What follows `freeze`: a script, ("-m", "pkg") or ("pkg.mod:func",).
    entry: tuple[str, ...] = ("app.py",)
    stdin: bytes | None = None
    # Plain python's expected status and a piece of its stdout: if python itself does not do
    # this, the environment is broken and comparing with it would prove nothing.
    status: int = 0
    expect: str = ""
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 60

    def python_args(self) -> list[Arg]:
        """python's command line for the same entry point and arguments."""
        if self.entry[0] == "-m":
            return [*self.entry, *self.args]
        if ":" in self.entry[0]:
            module, func = self.entry[0].split(":")
            # What a console-script wrapper does: the function's return value is the status.
            code = f"import sys; from {module} import {func}; sys.exit({func}())"
            return ["-c", code, *self.args]
        return [*self.entry, *self.args]

    def binary_name(self) -> str:
        """Output name: one binary per program and entry point, shared by their cases."""
        if self.entry == ("app.py",):
            return self.program
        return "-".join([self.program, *self.entry]).replace(":", "-").replace("--", "-")


STDIN_LINES = ("Wörld ✓\n" + "".join(f"line {i} ünï ✓ a b\n" for i in range(5000))).encode()

CASES = [
    Case("hello", "hello", expect="héllo wörld ✓ 日本\n"),
    Case("argv-weird", "argv_exit",
         args=("ok", "", " spaced ", "ünï ✓", "-c", "print(1)", "--", "-m", "json", "-",
               b"\xffraw"),
         expect="5 'print(1)'"),
    Case("exit3", "argv_exit", args=("exit3",), status=3, expect="unterminated tail"),
    Case("exit-msg", "argv_exit", args=("exitmsg",), status=1, expect="unterminated tail"),
    Case("exit-none", "argv_exit", args=("exitnone",), expect="unterminated tail"),
    Case("uncaught", "argv_exit", args=("raise",), status=1, expect="unterminated tail"),
    Case("codecs", "codecs", expect="json C scanner: True"),
    Case("sqlite", "sqlite", expect="count after rollback (5,)"),
    Case("crypto", "crypto", expect="openssl prefix ok True"),
    Case("ctypes", "ctypes_libc", expect="qsort via callback [-3, 0, 1, 2, 5, 7, 9]"),
    Case("asyncio-loopback", "asyncio_echo", expect="client got echo:WöRLD ✓"),
    Case("threads", "threads", expect="locked counter 40000"),
    *[Case(f"multiprocessing-{method}", "mproc", args=(method,), timeout=180,
           expect=f"done {method}") for method in ("spawn", "fork", "forkserver")],
    Case("argparse-help", "cli_argparse", args=("--help",), expect="usage: tool"),
    Case("argparse-sub-help", "cli_argparse", args=("greet", "--help"),
         expect="usage: tool greet"),
    Case("argparse-version", "cli_argparse", args=("--version",), expect="tool 1.0 ✓"),
    Case("argparse-add", "cli_argparse", args=("-vv", "add", "1", "2", "39"),
         expect="sum 42 verbosity 2"),
    Case("argparse-greet", "cli_argparse", args=("greet", "wörld", "--shout", "--times", "2"),
         expect="HELLO WÖRLD\nHELLO WÖRLD\n"),
    Case("argparse-bad-int", "cli_argparse", args=("add", "x"), status=2),
    Case("argparse-no-command", "cli_argparse", status=2),
    Case("logging", "logging_stderr", expect="result 25"),
    Case("stdin-lines", "stdin_filter", stdin=STDIN_LINES, expect="lines 5000 words 30000"),
    Case("stdin-eof", "stdin_filter", stdin=b"", status=1, expect="name? "),
    Case("reexec", "reexec", expect="child status 5"),
    Case("envisol-clean", "envisol", expect="assert raised: asserts are checked"),
    Case("package-m", "pkgapp", entry=("-m", "mypkg"), args=("a", "b"),
         expect="main name __main__ package mypkg"),
    Case("package-func", "pkgapp", entry=("mypkg.cli:main",), expect="cli module mypkg.cli"),
    Case("package-func-status", "pkgapp", entry=("mypkg.cli:main",), args=("5",), status=5,
         expect="args ['5']"),
    Case("package-script", "pkgapp", args=("x",), expect="HELLO SCRIPT! 2.0 ✓"),
    Case("generated-code-raise", "generated_code", status=1, expect="half 0.5"),
    Case("suggestions", "suggestions", status=1, expect="caught AttributeError 'countr'"),
    Case("thread-unraisable", "thread_unraisable", expect="threads done\nref dead True"),
    Case("introspect", "introspect", status=13, expect="stdlib source     def decode"),
    # A submodule of a module (os.path): made by the module itself, or python's own error.
    Case("submodule-of-module", "submodule_of_module", expect="a/b y.txt /"),
    Case("submodule-of-module-missing", "submodule_of_module", args=("missing",), status=1),
    # site's builtins, which scripts use without an import: exit(), quit(), copyright, ...
    Case("site-builtins-exit", "site_builtins", status=3,
         expect="Use exit() or Ctrl-D (i.e. EOF) to exit"),
    Case("site-builtins-quit", "site_builtins", args=("quit",), status=1),
    Case("spaced-name", "spaced", entry=("my app.py",), expect="file my app.py"),
    Case("spaced-raise", "spaced", entry=("my app.py",), args=("x",), status=1,
         expect="argv0 ok"),
    # Names made importable at run time (os.path, an alias in sys.modules, a vendoring
    # finder): the build goes on, and python decides, as for the last, missing one.
    Case("runtime-names", "runtime_names", status=1, expect="alias shelf.ledger 6"),
    # No frame of the runtime below the program's (print_stack, inspect.stack, f_back),
    # in a multiprocessing child neither.
    # inspect.getmodule of frames and code objects of bundled modules (program's, stdlib's).
    Case("frame-modules", "frame_modules",
         expect="'__main__', 'json.decoder', 'json.decoder', 'json', '__main__']"),
    Case("vendored-path", "vendored_path",
         expect="prepended: vendored inner.mod from _vendored/inner/__init__"),
    Case("fallback-imports", "fallback_imports", expect="speedups None &lt;b&gt;"),
    Case("ctypes-named", "ctypes_named", expect="version plausible True libzstd.so.1"),
    Case("namespace-data", "namespace_data", expect="reader héllo from a namespace package"),
    Case("beside-data", "beside_data", status=1, expect="héllo from beside the script"),
    Case("stack-view", "stack_view", status=2, timeout=120,
         expect="child ([('_main', 'spawn.py'), ('spawn_main', 'spawn.py'), ('<module>', "),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_matches_python(case: Case, target: Target, tmp_path) -> None:
    """The frozen program behaves exactly as `python` running it does."""
    program_dir = PROGRAMS / case.program
    plain = run_plain(target.path, case.python_args(), program_dir=program_dir,
                      stdin=case.stdin, env=case.env, timeout=case.timeout,
                      workdir=tmp_path / "plain")
    assert plain.returncode == case.status and case.expect in plain.out, plain.describe()
    binary = freeze(program_dir, target, entry=case.entry, name=case.binary_name())
    frozen = run_sandboxed(binary, case.args, stdin=case.stdin, env=case.env,
                           timeout=case.timeout)
    assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])


# Lists the public modules of the interpreter running it: top-level names and the public
# submodules of its packages, found on disk (3.9 has no sys.stdlib_module_names).
_LIST_STDLIB = r"""
import os, sys, sysconfig
std = sysconfig.get_paths()["stdlib"]
dyn = os.path.join(std, "lib-dynload")
names = set()
for entry in (std, dyn):
    for item in os.listdir(entry):
        stem = item.split(".")[0]
        full = os.path.join(entry, item)
        if os.path.isdir(full) and not os.path.exists(os.path.join(full, "__init__.py")):
            continue
        if stem.isidentifier() and (item.endswith(".py") or os.path.isdir(full)
                                    or item.endswith(".so")):
            names.add(stem)
        if os.path.isdir(full):
            for folder, dirs, files in os.walk(full):
                dirs[:] = [d for d in dirs if d not in ("test", "tests", "idle_test")
                           and os.path.exists(os.path.join(folder, d, "__init__.py"))]
                rel = os.path.relpath(folder, entry).replace(os.sep, ".")
                for f in files:
                    if f.endswith(".py") and f != "__init__.py":
                        names.add(rel + "." + f[:-3])
print("\n".join(sorted(names)))
"""
# Not carried, as documented (README, "What gets bundled": the test suite and CPython's
# test-only extension modules among them), or not importable quietly: antigravity opens a
# web browser. distutils: under python, setuptools' distutils-precedence.pth (site) swaps in
# its own copy, which a frozen program, which runs no site, does not. encodings.mbcs/oem
# (Windows only) fail naming codecs' __file__, which on 3.9-3.10 is in the binary (README,
# "Differences from python app.py").
NOT_CARRIED = ("test", "idlelib", "turtledemo", "ensurepip", "tkinter", "turtle", "distutils",
               "antigravity", "site", "lib2to3.pgen2.conv", "xxlimited", "xxlimited_35",
               "xxsubtype", "encodings.mbcs", "encodings.oem")


def _public_stdlib(target: Target) -> list[str]:
    done = subprocess.run([str(target.path), "-I", "-S", "-c", _LIST_STDLIB],
                          capture_output=True, text=True, check=True)
    return [name for name in done.stdout.split()
            if not any(part.startswith("_") for part in name.split("."))
            and name.split(".")[0] not in NOT_CARRIED and name not in NOT_CARRIED]


def test_every_stdlib_module_imports_alone(target: Target, tmp_path) -> None:
    """For every public stdlib module X, `import X` alone (a forked child each) ends the
    same way frozen as under python, and nothing was said to the program about any of them:
    the whole standard library rides along."""
    names = _public_stdlib(target)
    assert len(names) > 300, names
    stdin = "\n".join(names).encode()
    program_dir = PROGRAMS / "stdlib_each"
    plain = run_plain(target.path, ["app.py"], program_dir=program_dir, stdin=stdin,
                      timeout=600, workdir=tmp_path / "plain")
    assert plain.returncode == 0 and "decimal: ok" in plain.out, plain.describe()
    binary = freeze(program_dir, target)
    frozen = run_sandboxed(binary, stdin=stdin, timeout=600)
    assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])


# Where the sandbox finds the C.UTF-8 locale, when the host keeps it as a file (Debian's
# glibc does; the glibc core files alone have only "C").
C_UTF8 = Path("/usr/lib/locale/C.utf8")


@pytest.mark.parametrize("env", [{"LANG": "C"}, {"LANG": None}, {"LC_ALL": "C"},
                                 {"LANG": "C.UTF-8"}],
                         ids=["LANG=C", "none", "LC_ALL=C", "C.UTF-8"])
def test_locale_coercion_as_python(target: Target, env: dict, tmp_path) -> None:
    """The C locale is coerced to C.UTF-8 as `python` coerces it, LC_CTYPE set in the
    environment included, and left alone where LC_ALL forbids it."""
    if not C_UTF8.is_dir():
        pytest.skip(f"no {C_UTF8} to give the sandbox")
    program_dir = PROGRAMS / "locale_env"
    plain = run_plain(target.path, ["app.py"], program_dir=program_dir, env=env,
                      workdir=tmp_path / "plain")
    assert plain.returncode == 0 and "LC_CTYPE C" in plain.out, plain.describe()
    binary = freeze(program_dir, target)
    frozen = run_sandboxed(binary, env=env, extra_ro_binds=[(C_UTF8, str(C_UTF8))])
    assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])
