"""Trace mode: run the program once under the target interpreter and see what it imports.

Reading code finds `import x` and `importlib.import_module("x")`, never
`importlib.import_module(name)` with a name computed at run time: plugin registries, drivers
picked from a config file, backends chosen by an argument. Running the program finds those,
at the price of running it, so it is opt-in (`--trace "ARGS…"`), and the result adds to the
analysis instead of replacing it: a module the traced run did not happen to import is still
bundled if the scan sees it.

The run happens under a small wrapper given to the target as `python -c WRAPPER`. It starts
the program the way `python SCRIPT`, `python -m MODULE` or a console script would, and at
exit writes the names in `sys.modules` to a file this module chose, never to the program's
standard output, which the program owns.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

from freezer.analysis import EntryPoint, clean_env
from freezer.errors import FreezeError

# Run by the target as `python -c _WRAPPER RECORD KIND TARGET N PATH1 … PATHN ARG…`.
#
# It imports nothing that site has not already imported (`atexit` and `builtins` are built
# into the interpreter; `os` is site's): a module the wrapper imported would be in the
# baseline below, and so left out of the record even when the program needs it. For the same
# reason it does not use runpy but does runpy's few steps itself, with the import system's
# own frozen modules.
#
# The record is written at exit by an atexit hook, which runs after the program's non-daemon
# threads have ended and after an uncaught exception or SystemExit; os._exit is wrapped so a
# program that leaves that way is recorded too, and so is a forked child (multiprocessing's
# fork workers leave by os._exit): a child inherits the hook and the baseline, and a function
# run in a pool worker may import what the parent never does. A child writes RECORD-PID, the
# program's first process RECORD. Written to a side file and renamed, a record is either
# complete or absent.
_WRAPPER = r'''
import sys
import atexit
import builtins
import os

_record, _kind, _target, _count = sys.argv[1:5]
_program_path = sys.argv[5:5 + int(_count)]
_args = sys.argv[5 + int(_count):]
_pid = os.getpid()
_real_exit = os._exit
_bootstrap = sys.modules["_frozen_importlib"]
_external = sys.modules["_frozen_importlib_external"]
_before = set(sys.modules)


def _recordable(name, module):
    if not isinstance(name, str) or module is None:  # None: an import blocked on purpose
        return False
    if name in _before or name in ("__main__", "__mp_main__"):
        return False
    if not all(part.isidentifier() for part in name.split(".")):
        return False
    try:  # the module's own dict: a lazy module's __getattribute__ would load it here
        spec = object.__getattribute__(module, "__dict__").get("__spec__", False)
    except Exception:
        return True
    return spec is not None  # None: made by hand, no importer can find it by name


def _save():
    path = _record if os.getpid() == _pid else _record + "-" + str(os.getpid())
    names = sorted(name for name, module in list(sys.modules.items())
                   if _recordable(name, module))
    with open(path + ".part", "w", encoding="utf-8") as f:
        f.write("".join(name + "\n" for name in names))
    os.replace(path + ".part", path)


def _exit(status):
    try:
        _save()
    finally:
        _real_exit(status)


def _find_spec(name):
    parent = name.rpartition(".")[0]
    path = None
    if parent:
        __import__(parent)
        path = sys.modules[parent].__path__
    spec = _bootstrap._find_spec(name, path)
    if spec is None:
        sys.exit(sys.executable + ": No module named " + name)
    if spec.submodule_search_locations is not None:
        if name.endswith(".__main__"):
            sys.exit(sys.executable + ": No module named " + name)
        return _find_spec(name + ".__main__")
    return spec


def _run_main(code, attributes):
    main = type(sys)("__main__")
    main.__dict__.update(attributes, __name__="__main__", __builtins__=builtins)
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


atexit.register(_save)
os._exit = _exit
if sys.path and sys.path[0] == "":
    del sys.path[0]
sys.path[0:0] = _program_path

if _kind == "script":
    sys.argv = [_target] + _args
    with open(_target, "rb") as _f:
        _code = compile(_f.read(), _target, "exec", dont_inherit=True)
    _run_main(_code, {"__file__": _target, "__cached__": None, "__package__": None,
                      "__spec__": None,
                      "__loader__": _external.SourceFileLoader("__main__", _target)})
elif _kind == "module":
    _spec = _find_spec(_target)
    _code = _spec.loader.get_code(_spec.name)
    if _code is None:
        sys.exit(sys.executable + ": No code object available for " + _target)
    sys.argv = [_spec.origin] + _args
    _run_main(_code, {"__file__": _spec.origin, "__cached__": _spec.cached,
                      "__package__": _spec.parent, "__spec__": _spec,
                      "__loader__": _spec.loader})
else:
    _module, _func = _target.split(":")
    sys.argv = [_target] + _args
    __import__(_module)
    _obj = sys.modules[_module]
    _first = _func.split(".")[0]
    if not hasattr(_obj, _first):  # `from MODULE import FIRST` may name a submodule
        __import__(_module + "." + _first)
    for _part in _func.split("."):
        _obj = getattr(_obj, _part)
    sys.exit(_obj())
'''


def _entry_target(entry: EntryPoint) -> tuple[str, str]:
    """(kind, what to run) for the wrapper's command line."""
    if entry.kind == "script":
        return "script", str(entry.path)
    if entry.kind == "module":
        return "module", entry.module
    return "func", f"{entry.module}:{entry.func}"


def _status(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def traced_modules(python: str, entry: EntryPoint, args: list[str], program_path: list[str],
                   timeout: float = 300, warnings: list[str] | None = None,
                   launcher: list[str] = ()) -> list[str]:
    """Run the program once as `python` would with `args`; the modules it imported, sorted.

    The result is every name in the program's `sys.modules` at exit that was not there before
    the program started (so not the interpreter's start-up modules, not site's, and not what
    a venv's .pth files import), less `__main__` and modules made by hand rather than imported
    (no `__spec__`), together with what its forked child processes held at their exit
    (children started by spawn or as new processes are not seen). Built-in modules the
    program imported are in it.

    The program runs in the current directory, with the build's environment (`clean_env`),
    freeze's standard input, its standard output sent to standard error (where freeze's own
    messages go, so freeze's stdout stays unused) and its standard error as it is: the user
    sees what it does and can answer it. `program_path` goes first on its `sys.path`, as for
    the analysis; the target's site-packages follow, since it runs with site.

    A run that ends with an uncaught exception or a non-zero exit status still counts: its
    modules up to then are returned and one line for `warnings` says how it ended (printed
    as a freeze warning when no list is given). It is an error (FreezeError) when the
    interpreter cannot be started, the run takes longer than `timeout` seconds (the program
    is killed), or nothing was recorded (killed by a signal, or the record failed).
    """
    kind, target = _entry_target(entry)
    with tempfile.TemporaryDirectory(prefix="freezer-trace-") as scratch:
        record = os.path.join(scratch, "modules")
        argv = [*launcher, python, "-c", _WRAPPER, record, kind, target, str(len(program_path)),
                *program_path, *args]
        try:
            # stdout=2: the program's output goes where freeze's own messages go.
            done = subprocess.run(argv, env=clean_env(), stdout=2, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise FreezeError(f"--trace: the program did not finish within {timeout:g} s "
                              "and was stopped; give it arguments that make it exit") from None
        except OSError as e:
            raise FreezeError(f"--python {python}: cannot run it ({e.strerror})") from None
        if not os.path.exists(record):
            raise FreezeError(f"--trace: the program {_status(done.returncode)} before its "
                              "modules could be recorded")
        names: set[str] = set()
        for name in os.listdir(scratch):  # the program's record and its forked children's
            if name == "modules" or (name.startswith("modules-") and name[8:].isdigit()):
                with open(os.path.join(scratch, name), encoding="utf-8") as f:
                    names.update(f.read().split())
    if done.returncode != 0:
        message = (f"--trace: the program {_status(done.returncode)}; the modules it "
                   "imported until then are bundled")
        if warnings is None:
            print(f"freeze: warning: {message}", file=sys.stderr)
        else:
            warnings.append(message)
    return sorted(names)

