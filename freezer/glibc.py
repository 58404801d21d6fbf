"""The glibc floor: the oldest C library a frozen binary can be loaded with.

A native file built against glibc X needs the symbol versions X gave it (`GLIBC_2.34` for
pthread_create once libpthread was merged into libc), and the dynamic linker refuses the file
on an older glibc: before `main` for the bootloader and libpython (`version 'GLIBC_2.34' not
found`), at the import of the module that loads it for the rest. Every bundled file was built
on some machine, so the binary needs the newest glibc any of them was built against. That is
known at build time, from each file's version needs (native_deps.ElfInfo.verneed), so the
build says it (the summary line) and can refuse to go past a limit (`--glibc`), instead of a
user finding out on the older machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from freezer.errors import FreezeError
from freezer.native_deps import read_elf

Version = tuple[int, ...]

_GLIBC = re.compile(r"GLIBC_(\d+(?:\.\d+)+)")
_VERSION = re.compile(r"\d+(?:\.\d+){1,2}")
# Version names that are not GLIBC_x.y but still say which glibc introduced them: ld.so
# since 2.36 defines GLIBC_ABI_DT_RELR for files linked with packed relative relocations
# (`-z pack-relative-relocs`), and an older one refuses them by that name.
_MARKERS = {"GLIBC_ABI_DT_RELR": (2, 36)}


def parse_version(text: str) -> Version:
    """`2.31` -> (2, 31); a ValueError saying what a version looks like otherwise.

    Three parts are allowed since glibc's oldest versions have them (`GLIBC_2.2.5`); a
    limit is compared with what the files need as tuples, so `2.31` and `2.31.0` agree.
    """
    if not _VERSION.fullmatch(text):
        raise ValueError(f"{text}: not a glibc version (such as 2.31)")
    return tuple(int(part) for part in text.split("."))


def shown(version: Version) -> str:
    return ".".join(map(str, version))


def version_of(name: str) -> Version | None:
    """The glibc release that defines the symbol version `name`, or None (not glibc's,
    or GLIBC_PRIVATE, which names no release)."""
    match = _GLIBC.fullmatch(name)
    if match:
        return tuple(int(part) for part in match.group(1).split("."))
    return _MARKERS.get(name)


@dataclass(frozen=True)
class Need:
    """What one bundled file needs of glibc: its newest version and that version's name."""

    # The file as the summary names it: "libpython3.11.so.1.0", "libcrypt.so.1 (for module
    # _crypt)", "cmath.cpython-311-x86_64-linux-gnu.so (module cmath)".
    what: str
    path: str  # the file on the build machine the bundled copy was made from
    version: Version
    name: str  # "GLIBC_2.35"
    at_start: bool  # loaded before the program runs (the bootloader, the boot libraries)

    def describe(self) -> str:
        return f"{self.what} needs {self.name}"


def need_of(what: str, path: str, at_start: bool) -> Need | None:
    """The newest glibc version the file at `path` needs, or None if it needs none.

    A version need names the library that defines it; any library counts (libresolv's
    GLIBC_2.9 is glibc's too), since glibc's libraries all come with the same release.
    """
    try:
        verneed = read_elf(path).verneed
    except FreezeError:
        return None  # a vendored file that only looks like ELF: no loader takes it either
    best: tuple[Version, str] | None = None
    for _, name in verneed:
        version = version_of(name)
        if version is not None and (best is None or version > best[0]):
            best = (version, name)
    if best is None:
        return None
    return Need(what, path, best[0], best[1], at_start)


@dataclass(frozen=True)
class Floor:
    """The version needs of every native file of one binary, in the order it loads them."""

    needs: tuple[Need, ...]

    @property
    def top(self) -> Need | None:
        """The file that sets the floor: the newest need, the first loaded among equals (so
        a need of the start, which no --exclude-module can remove, is named first)."""
        best: Need | None = None
        for need in self.needs:
            if best is None or need.version > best.version:
                best = need
        return best

    @property
    def start(self) -> Need | None:
        """What the binary needs just to start, before the program imports anything."""
        return Floor(tuple(n for n in self.needs if n.at_start)).top

    def above(self, limit: Version) -> list[Need]:
        """The files that need a newer glibc than `limit`, the newest need first."""
        over = [n for n in self.needs if n.version > limit]
        return sorted(over, key=lambda n: n.version, reverse=True)

    def summary(self) -> str | None:
        """The summary line's text, or None if no bundled file needs a versioned glibc."""
        top = self.top
        if top is None:
            return None
        text = f"needs glibc {shown(top.version)} or newer: {top.describe()}"
        start = self.start
        if start is not None and start.version < top.version:
            text += f"; to start, glibc {shown(start.version)} ({start.describe()})"
        return text

    def check(self, limit: Version, asked: str) -> str | None:
        """Why the binary cannot run on glibc `limit` (one line, starting with `asked`,
        where the limit was given), or None if it can.

        Names the file that sets the floor, and also what the start needs if that is over
        the limit too, since no --exclude-module takes libpython or the bootloader out.
        """
        over = self.above(limit)
        if not over:
            return None
        parts = [over[0].describe()]
        named = [over[0]]
        start = next((n for n in over if n.at_start), None)
        if start is not None and start is not over[0]:
            parts.append(f"to start, {start.describe()}")
            named.append(start)
        rest = len(over) - len(named)
        if rest:
            parts.append(f"{rest} more bundled file{'s' if rest > 1 else ''} need"
                         f"{'' if rest > 1 else 's'} more than {shown(limit)}")
        remedy = "build against an older CPython and libraries"
        if start is None:
            remedy += ", or --exclude-module the modules that load them"
        return f"{asked}: {'; '.join(parts)} ({remedy}: see README, \"The glibc floor\")"


def floor_of(files: Iterable[tuple[str, str, bool]]) -> Floor:
    """The floor of the (what, path, at start) files a binary carries and loads."""
    needs = (need_of(what, path, at_start) for what, path, at_start in files)
    return Floor(tuple(n for n in needs if n is not None))
