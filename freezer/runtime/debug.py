"""FREEZER_DEBUG=imports,natives,boot: what a frozen program loads, and from where, on stderr.

A frozen program ignores PYTHON* variables on purpose, so `python -v` has no equivalent;
this is it, for the runtime's part (the bootloader reports "boot" itself): "imports" names
each module as it is found, with where it comes from and which loader serves it (a module
served by the cold standard library's loader is one the analysis did not see imported,
which points to an import it missed); "natives" names each native file as it is unpacked
or found in the cache. It changes nothing else: the reporter finds nothing of its own and
hands every spec on as the finders gave it.
"""

import sys

try:
    import posix
except ImportError:  # Windows: os's functions are nt's there
    import nt as posix

_VARIABLE = "FREEZER_DEBUG"


def wanted():
    """The words of FREEZER_DEBUG (empty when unset). POSIX's environ has bytes, nt's str."""
    value = posix.environ.get(_VARIABLE.encode(), b"").decode("utf-8", "replace") \
        if posix.__name__ == "posix" else posix.environ.get(_VARIABLE, "")
    return {word.strip() for word in value.split(",") if word.strip()}


def say(kind, text):
    """One line, written at once (not through sys.stderr's buffer, which the program owns)."""
    data = f"freezer: {kind}: {text}\n".encode("utf-8", "backslashreplace")
    try:
        posix.write(2, data)
    except OSError:
        pass


class ImportReporter:
    """First on sys.meta_path: asks the finders after it, reports what they found."""

    def __init__(self):
        self.busy = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.busy:
            return None
        self.busy.add(fullname)
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    loader = type(spec.loader).__name__ if spec.loader is not None else "-"
                    where = spec.origin or "namespace package"
                    cold = loader in ("PayloadFinder", "_Relocated") and \
                        where.endswith(".py")
                    note = ("; the cold standard library: compiled from its source, as the "
                            "build saw no import of it") if cold else ""
                    say("imports", f"{fullname} from {where} ({loader}{note})")
                    return spec
            say("imports", f"{fullname}: not found")
            return None
        finally:
            self.busy.discard(fullname)


def install(native_loader):
    """Hook what FREEZER_DEBUG asks for (run once, at the runtime's start)."""
    words = wanted()
    if not words:
        return
    if "natives" in words and native_loader is not None:
        path_for = native_loader.path_for

        def reported(entry, sha256, name, size):
            path = path_for(entry, sha256, name, size)
            say("natives", f"{name} from {path}")
            return path

        native_loader.path_for = reported
    if "imports" in words:
        sys.meta_path.insert(0, ImportReporter())
