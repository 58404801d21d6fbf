"""Children a frozen program starts as python, with no `freeze_support()` call needed.

`spawn` re-executes `sys.executable` (the binary) as `BINARY --multiprocessing-fork k=v ...`;
the forkserver and the resource tracker as `BINARY [flags] -c "from multiprocessing... "`,
joblib's loky its resource tracker as `BINARY -B -S -I -c "from joblib.externals.loky...
import main; main(8, False)"` and its workers as `BINARY -m joblib.externals.loky.backend.
popen_loky_posix --pipe N ...`. Run as the program, each such child would start the
program's work again, which starts more children. So an invocation that python would read
as its own options, `-c CODE` or `-m MODULE`, is served as python serves it, when it can be
nothing else: only python's flags before it, CODE that is python's code (it compiles, and is
more than one expression without a call: `print(1)` is code, `config.ini` a value of the
program's own `-c` option), MODULE one the binary holds with a `__name__ == "__main__"` block (or a
package with a `__main__`), and this binary the parent process's (so a person's
`app -m json.tool`, for a tool that takes -m itself, still runs the program).

A spawned child re-creates the parent's `__main__` as `__mp_main__` by running the main
script's path with runpy; that path only exists inside the binary, so the lookup is
redirected to the bundled main code.
"""

import sys

_MP_CODE_PREFIX = "from multiprocessing."
# python's options that take no value, and those that take one (`-X dev`, `-W error`).
_FLAGS = frozenset(["-b", "-bb", "-B", "-d", "-E", "-i", "-I", "-O", "-OO", "-P", "-q", "-R",
                    "-s", "-S", "-u", "-v", "-x"])
_VALUED = ("-X", "-W")


def python_invocation(argv):
    """("-c", CODE, rest) or ("-m", MODULE, rest) where argv is what python would read as
    its own `[flags] -c CODE rest` or `[flags] -m MODULE rest` and it can be nothing else
    (see the module's docstring); otherwise None."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in _FLAGS or (arg[:2] in _VALUED and len(arg) > 2):
            i += 1
        elif arg in _VALUED:
            i += 2
        else:
            break
    if i + 1 >= len(argv) or argv[i] not in ("-c", "-m"):
        return None
    option, value, rest = argv[i], argv[i + 1], argv[i + 2:]
    if option == "-c" and value.startswith(_MP_CODE_PREFIX):
        return option, value, rest
    if not _started_by_this_binary():
        return None  # a person's command line: a tool of its own may take -m or -c
    if option == "-c":
        return (option, value, rest) if _is_code(value) else None
    return (option, value, rest) if _runnable(value) else None


def _started_by_this_binary():
    """Whether the parent process runs this same binary (a library of the program starting
    its children as python), or that cannot be told (no /proc)."""
    import posix

    try:
        parent = posix.readlink(f"/proc/{posix.getppid()}/exe")
        own = posix.readlink("/proc/self/exe")
    except OSError:
        return True
    return parent == own


def _is_code(code):
    """Whether `code`, given after `-c` by this binary to itself, is python's code to run
    rather than a value of the program's own `-c` option: it compiles, and it is more than
    one expression without a call (`config.ini`, `5`, `a-b` are values; `print(1)`,
    `import json`, `x = 1; print(x)` are code)."""
    try:
        tree = compile(code, "<string>", "exec", 0x400)  # ast.PyCF_ONLY_AST, without ast
    except (SyntaxError, ValueError):
        return False
    body = tree.body
    if not body:
        return False
    if len(body) == 1 and type(body[0]).__name__ == "Expr":
        return _has_call(body[0].value)
    return True


_CALLS = frozenset(["Call", "Await", "Yield", "YieldFrom", "NamedExpr"])


def _has_call(node):
    """Whether the expression `node` calls anything (or assigns, awaits, yields)."""
    todo = [node]
    while todo:
        item = todo.pop()
        if type(item).__name__ in _CALLS:
            return True
        for field in getattr(item, "_fields", ()):
            value = getattr(item, field, None)
            if isinstance(value, list):
                todo.extend(value)
            elif hasattr(value, "_fields"):
                todo.append(value)
    return False


def _find(name):
    from importlib.util import find_spec

    try:
        return find_spec(name)
    except (ImportError, ValueError):
        return None
    except Exception:  # a parent package that fails to import: not a module to run
        return None


def _runnable(name):
    """Whether `name` is a module the binary holds that python's -m would run as a
    program: a `__name__ == "__main__"` block, or a package with a `__main__`."""
    if not name or not all(part.isidentifier() for part in name.split(".")):
        return False
    spec = _find(name)
    if spec is None:
        return False
    if spec.submodule_search_locations is not None:
        return _find(name + ".__main__") is not None
    try:
        code = spec.loader.get_code(name)
    except Exception:
        return False
    return code is not None and "__main__" in code.co_consts


def is_child(argv):
    return argv[1] == "--multiprocessing-fork" or python_invocation(argv) is not None


def _install_main_fixup(main_loader):
    from multiprocessing import spawn

    original = spawn._fixup_main_from_path

    def fixup_main_from_path(main_path):
        if main_loader is None or main_path != main_loader.filename:
            return original(main_path)
        current = sys.modules["__main__"]
        if getattr(current, "__file__", None) == main_path:
            return None
        spawn.old_main_modules.append(current)
        module = type(sys)("__mp_main__")
        module.__file__ = main_path
        module.__cached__ = None
        module.__builtins__ = __builtins__
        sys.modules["__main__"] = sys.modules["__mp_main__"] = module
        # The code the parent ran, under the script's path (tracebacks name it, and
        # linecache finds its source by that name, see sources.set_main_loader).
        exec(main_loader.get_code(), module.__dict__)
        return None

    spawn._fixup_main_from_path = fixup_main_from_path


def run_child(main_loader):
    """Serve a multiprocessing child invocation; returns like runtime.run().

    The code to run is what python's child runs with `-c`, compiled as "<string>": the
    frozen form of the command line (`--multiprocessing-fork tracker_fd=5 ...`) is turned
    back into multiprocessing's own `spawn_main(...)` call, so the child's stack and its
    tracebacks begin where python's do."""
    if sys.version_info < (3, 13) and sys.excepthook is sys.__excepthook__:
        from . import _print_exception

        sys.excepthook = _print_exception  # its source lines, as for the program
    try:
        try:
            _install_main_fixup(main_loader)
        except ImportError:
            pass  # no multiprocessing in the binary: no child of its needs the fixup
        argv = sys.argv
        if argv[1] == "--multiprocessing-fork":
            kwds = []
            for arg in argv[2:]:
                name, _, value = arg.partition("=")
                if not name.isidentifier():
                    raise TypeError(f"spawn_main() got an unexpected argument {arg!r}")
                kwds.append(f"{name}={None if value == 'None' else int(value)!r}")
            source = ("from multiprocessing.spawn import spawn_main; "
                      f"spawn_main({', '.join(kwds)})")
        else:
            option, value, rest = python_invocation(argv)
            if option == "-m":
                import runpy

                sys.argv = [value, *rest]  # runpy puts the module's file first, as python
                runpy._run_module_as_main(value)
                return None
            source = value
            sys.argv = ["-c", *rest]
        return compile(source, "<string>", "exec"), sys.modules["__main__"].__dict__
    except BaseException as exc:
        exc.__traceback__ = exc.__traceback__.tb_next
        return exc
