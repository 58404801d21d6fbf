"""Python's reports of exceptions, with the source lines python reads from disk.

CPython's C printers (the uncaught-exception printer on 3.9-3.12, the thread excepthook's
on 3.9-3.12, the unraisable hook's on every version) read a frame's source line only from
the file its code was compiled from, which is not on this machine: a frozen program's
reports would lose every source line (and 3.11's carets). The traceback module prints the
same text with the lines from the modules' loaders, so these stand in for the C printers,
each writing exactly what it writes.

Imported only when there is something to report (traceback and linecache are not cheap).
"""

import sys

from . import sources


def display(value, tb, file):
    """What the C printer writes for an exception (its chain, its traceback), to `file`.

    Only lines the C printer would find, though: it reads a frame's file by its name, where
    the traceback module would also ask the loader of the frame's globals, which for code
    compiled under a made-up name (networkx's generated functions) is the source of another
    file. So linecache gets a frame's globals only where the file name is that of their
    module (sources.names_module): a module whose import failed, whose file is the frame's
    (lxml.html.clean raising ImportError), is no longer in sys.modules, where
    runtime/sources.py finds the others by their file name.

    On 3.10-3.11 the C printer also appends ". Did you mean: ...?" to a NameError or an
    AttributeError, which those versions' traceback module does not: added from the C
    printer's own answer (sources.add_suggestions)."""
    import linecache
    import traceback

    lazycache = linecache.lazycache
    linecache.lazycache = lambda filename, module_globals: lazycache(
        filename, module_globals if sources.names_module(filename, module_globals) else None)
    try:
        if isinstance(value, BaseException) and tb is not None and value.__traceback__ is None:
            value.__traceback__ = tb  # as the C printer does
        report = traceback.TracebackException(type(value), value, tb, compact=True) \
            if sys.version_info >= (3, 10) else traceback.TracebackException(
                type(value), value, tb)
        if (3, 10) <= sys.version_info < (3, 12):
            sources.add_suggestions(report, value)
        _syntax_errors_as_printed(report, value, set())
        for line in report.format(chain=True):
            file.write(line)
    finally:
        linecache.lazycache = lazycache


def _syntax_errors_as_printed(report, exc, seen):
    """Have a TracebackException, and those of its chain and groups, format a SyntaxError
    as the C printer does: its caret line differs from the traceback module's (3.10-3.12
    print one `^` for an IndentationError's `pass`, where the module underlines the word).
    A SyntaxError carries its own text, so the printer needs no file to show it, and is
    asked (see _c_printed)."""
    if report is None or exc is None or id(exc) in seen:
        return
    seen.add(id(exc))
    if isinstance(exc, SyntaxError):
        text = _c_printed(exc)
        if text is not None:
            report._format_syntax_error = lambda stype: iter((text,))
    _syntax_errors_as_printed(report.__cause__, exc.__cause__, seen)
    _syntax_errors_as_printed(report.__context__, exc.__context__, seen)
    for sub_report, sub_exc in zip(getattr(report, "exceptions", None) or (),
                                   getattr(exc, "exceptions", None) or ()):
        _syntax_errors_as_printed(sub_report, sub_exc, seen)


_UNSET = object()


def _c_printed(exc):
    """What the C printer writes for `exc` alone (its location, text, caret and message
    lines), or None: printed into a buffer with its traceback, chain and notes held back,
    which the traceback module prints itself, then given back to the exception."""
    import io

    saved = {name: exc.__dict__.get(name, _UNSET) for name in ("__notes__",)}
    chain = exc.__cause__, exc.__context__, exc.__suppress_context__, exc.__traceback__
    stderr = sys.stderr
    try:
        exc.__dict__.pop("__notes__", None)
        exc.__cause__ = exc.__context__ = exc.__traceback__ = None
        sys.stderr = io.StringIO()
        sys.__excepthook__(type(exc), exc, None)
        return sys.stderr.getvalue()
    except Exception:
        return None
    finally:
        sys.stderr = stderr
        exc.__cause__, exc.__context__, exc.__suppress_context__, exc.__traceback__ = chain
        for name, value in saved.items():
            if value is not _UNSET:
                exc.__dict__[name] = value


def _c_printer_only():
    """True where the traceback module cannot be imported (--pruned without it): there is no
    source to show either, so the C printers' output is python's."""
    try:
        import linecache  # noqa: F401
        import traceback  # noqa: F401
    except ImportError:
        return True
    return False


def print_exception(exc_type, value, tb):
    """sys.excepthook for an uncaught exception on 3.9-3.12 (3.13's printer is the traceback
    module already)."""
    if _c_printer_only() or not isinstance(value, BaseException):
        sys.__excepthook__(exc_type, value, tb)
        return
    display(value, tb, sys.stderr)


def thread_excepthook(args):
    """threading.excepthook on 3.9-3.12: what _thread._excepthook writes, the traceback
    with its source lines. SystemExit is silent; sys.stderr, or the thread's own `_stderr`
    when a dying thread finds sys.stderr gone; "Exception in thread NAME:" first."""
    if args.exc_type is SystemExit:
        return
    file = sys.stderr
    if file is None:
        if args.thread is None:
            return
        file = getattr(args.thread, "_stderr", None)
        if file is None:
            return
    if _c_printer_only() or not isinstance(args.exc_value, BaseException):
        from _thread import _excepthook

        _excepthook(args)
        return
    if args.thread is not None and hasattr(args.thread, "name"):
        name = str(args.thread.name)
    else:
        from _thread import get_ident

        name = str(get_ident())
    file.write("Exception in thread " + name + ":\n")
    display(args.exc_value, args.exc_traceback, file)
    file.flush()


def unraisablehook(unraisable):
    """sys.unraisablehook: what CPython's default hook writes ("Exception ignored in: OBJ",
    the traceback, the exception's line), the traceback with its source lines."""
    file = sys.stderr
    if file is None:
        return
    if _c_printer_only() or unraisable.exc_type is None:
        sys.__unraisablehook__(unraisable)
        return
    import traceback

    obj, err_msg = unraisable.object, unraisable.err_msg
    if obj is not None:
        file.write((str(err_msg) + ": ") if err_msg is not None else "Exception ignored in: ")
        try:
            file.write(repr(obj))
        except Exception:
            file.write("<object repr() failed>")
        file.write("\n")
    elif err_msg is not None:
        file.write(str(err_msg) + ":\n")
    tb = unraisable.exc_traceback
    if tb is not None:
        import linecache

        lazycache = linecache.lazycache
        linecache.lazycache = lambda filename, module_globals: lazycache(
            filename,
            module_globals if sources.names_module(filename, module_globals) else None)
        try:
            file.write("Traceback (most recent call last):\n")
            frames = traceback.extract_tb(tb)
            if sys.version_info >= (3, 13):
                for frame in frames:
                    frame.colno = None  # 3.13's C printer shows no carets
            for line in frames.format():
                file.write(line)
        finally:
            linecache.lazycache = lazycache
    exc_type = unraisable.exc_type
    module = getattr(exc_type, "__module__", None)
    if not isinstance(module, str):
        file.write("<unknown>")
    elif module != "builtins" and (module != "__main__" or sys.version_info < (3, 11)):
        file.write(module + ".")  # 3.9-3.10 name __main__'s classes with their module
    file.write(getattr(exc_type, "__qualname__", None) or "<unknown>")
    if unraisable.exc_value is not None:
        file.write(": ")
        try:
            file.write(str(unraisable.exc_value))
        except Exception:
            file.write("<exception str() failed>")
    file.write("\n")
    file.flush()


def patch_threading(threading):
    """Give threading the thread excepthook above where it has CPython's C one."""
    c_hook = getattr(sys.modules.get("_thread"), "_excepthook", None)
    if c_hook is not None and threading.excepthook is c_hook:
        threading.excepthook = thread_excepthook
        if getattr(threading, "__excepthook__", None) is c_hook:
            threading.__excepthook__ = thread_excepthook
