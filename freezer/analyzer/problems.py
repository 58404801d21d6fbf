"""Missing modules: which stop the build, which are only worth a warning.

An import the walk cannot satisfy becomes a Problem where it is met. Whether it stops the
build is decided at the end, when everything is bundled: a bundled module that changes the
import system (stores into sys.modules, installs a finder, adds to sys.path) may make the name
importable at run time, and then python is the judge, not the build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from freezer.analyzer.lookup import Module


@dataclass
class Problem:
    """A missing module: an error when the program's own code needs it unconditionally."""

    module: str
    importer: str
    lineno: int
    fatal: bool
    program: bool = False  # imported by the program's own code (worth a warning if optional)

    text: str = ""  # a message of its own (a distribution that cannot be bundled)
    # The command-line words that asked for it (`--include-module a.b`, `-m app`), where no
    # file and line did: `--include-module:0:` read as a file name.
    request: str = ""
    # The distribution of the module's parent package, bundled whole without it: a module
    # that only the distribution's code can make at run time (six.moves), if at all.
    runtime_of: str = ""

    def message(self) -> str:
        if self.text:
            return self.text
        if self.request:
            return f"{self.request}: cannot find module {self.module}"
        return f"{self.importer}:{self.lineno}: cannot find module '{self.module}'"

    def warning(self) -> str:
        """What the build says of an import it left out and went on without."""
        if self.runtime_of:
            return (f"{self.message()}: no file of distribution '{self.runtime_of}', which "
                    "is bundled whole (a module its code makes at run time, if any)")
        return self.message() + " (optional import, left out)"


def null_byte_error(error: BaseException, display: str, source: bytes) -> SyntaxError | None:
    """A NUL byte's parse error, naming the file and line; None for any other error.

    ast.parse reports a NUL byte without either (3.11+: a SyntaxError with no file name,
    3.9-3.10: a ValueError), which the worker's message showed as `None:None`.
    """
    nul = source.find(b"\0")
    if nul < 0 or not isinstance(error, (SyntaxError, ValueError)):
        return None
    if getattr(error, "filename", None):
        return None
    line = source.count(b"\n", 0, nul) + 1
    return SyntaxError("source code cannot contain null bytes", (display, line, None, None))


def registrar_for(name: str, registrars: Mapping[str, object],
                  bundled: Mapping[str, Module]) -> str | None:
    """A bundled module that may make `name` importable at run time, with no file to
    find: one of the program's own modules, or a package above `name`, whose code
    stores into sys.modules, installs a finder or adds to sys.path (an alias, a
    vendoring importer, a directory of plugins).
    The analysis cannot tell which names that code makes, so python is the judge."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:i]) in registrars:
            return ".".join(parts[:i])
    return next((m for m in sorted(registrars) if m in bundled
                 and bundled[m].origin == "program"), None)


def fatal_problems(problems: list[Problem], bundled: Mapping[str, Module],
                   registrars: Mapping[str, object]) -> list[Problem]:
    """Missing modules that stop the build. An import that a registering module may
    satisfy at run time is left to python (see build_warnings); a command-line request is
    not: it asks for a file to carry, and no code of the program's can make one."""
    return [p for p in problems
            if p.fatal and (p.text or (p.module not in bundled
                                       and (p.request
                                            or registrar_for(p.module, registrars, bundled)
                                            is None)))]


def build_warnings(problems: list[Problem], bundled: Mapping[str, Module],
                   registrars: Mapping[str, object],
                   display: Callable[[Module], str]) -> list[str]:
    """Imports of the program's own code that are not there, but may be at run time
    (optional ones, ones only their distribution's code can make, or ones a registering
    module may make): worth knowing."""
    found = set()
    for p in problems:
        if not p.program or p.text or p.module in bundled:
            continue
        if not p.fatal:
            found.add(p.warning())
        elif not p.request and (registrar := registrar_for(p.module, registrars,
                                                             bundled)) is not None:
            found.add(p.message() + f" (left to run time: {display(bundled[registrar])}"
                      " changes sys.path, sys.modules or the import finders)")
    return sorted(found)
