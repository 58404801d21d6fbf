"""multiprocessing children of a frozen program, with no `freeze_support()` call needed.

`spawn` re-executes `sys.executable` (the binary) as `BINARY --multiprocessing-fork k=v ...`;
the forkserver and the resource tracker as `BINARY [flags] -c "from multiprocessing... "`.
These invocations are recognised here and served instead of the program. A spawned child
re-creates the parent's `__main__` as `__mp_main__` by running the main script's path with
runpy; that path only exists inside the binary, so the lookup is redirected to the bundled
main code.
"""

import sys

_MP_CODE_PREFIX = "from multiprocessing."


def is_child(argv):
    if argv[1] == "--multiprocessing-fork":
        return True
    return len(argv) >= 3 and argv[-2] == "-c" and argv[-1].startswith(_MP_CODE_PREFIX) and all(
        a.startswith("-") for a in argv[1:-2]
    )


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
    try:
        _install_main_fixup(main_loader)
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
            source = argv[-1]
            sys.argv = ["-c"]
        return compile(source, "<string>", "exec"), sys.modules["__main__"].__dict__
    except BaseException as exc:
        exc.__traceback__ = exc.__traceback__.tb_next
        return exc
