"""The build machine's time zone database, carried as zoneinfo's last resort.

`zoneinfo.ZoneInfo("Europe/Paris")` reads the system's zone files (the target CPython's
`TZPATH`: /usr/share/zoneinfo, ...), then the `tzdata` package. python on the build machine
finds them; a frozen program on a machine without them (a bare container, a minimal image)
would not, and fail where python did not. So a binary that holds zoneinfo carries the zone
files of the first TZPATH directory of the target that has them (inside the runtime root for
a build from one), about 120 KB once compressed, and the runtime reads them only when neither
the system nor a bundled `tzdata` has the key (runtime/tzdata.py): the system's files stay
first, as they are for python.

The entry's format (runtime/tzdata.py reads it): `FZTZ1\n`, then one line per zone,
`KEY OFFSET SIZE\n`, an empty line, then the zone files' bytes; identical files are stored
once (the tree links its aliases).
"""

from __future__ import annotations

import os

from freezer.native_deps import in_root

ENTRY = "__freezer__/tzdata"
MAGIC = b"FZTZ1\n"
_MAX_LINKS = 16


def _resolve(path: str, root: str) -> str | None:
    """`path` with its symbolic links followed inside the runtime root (an absolute link,
    `localtime -> /etc/localtime`, names the target's filesystem); None if it leads nowhere."""
    for _ in range(_MAX_LINKS):
        if not os.path.islink(path):
            return path if os.path.isfile(path) else None
        link = os.readlink(path)
        path = in_root(link, root) if os.path.isabs(link) else \
            os.path.join(os.path.dirname(path), link)
    return None


def _zone_files(top: str, root: str) -> dict[str, bytes]:
    """Every TZif file under `top` by its key ("Europe/Paris"), except the `right/` and
    `posix/` variants, which zoneinfo's available_timezones() leaves out too."""
    found: dict[str, bytes] = {}
    for folder, dirs, files in os.walk(top):
        if folder == top:
            dirs[:] = [d for d in dirs if d not in ("right", "posix")]
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(folder, name)
            real = _resolve(full, root)
            if real is None:
                continue
            try:
                with open(real, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            if data[:4] == b"TZif":
                found[os.path.relpath(full, top).replace(os.sep, "/")] = data
    return found


def tz_database(tzpath: str, root: str = "") -> bytes | None:
    """The entry's bytes from the first directory of `tzpath` (os.pathsep-separated, the
    target's sysconfig TZPATH) that holds zone files, or None when none does."""
    for directory in filter(None, (tzpath or "").split(os.pathsep)):
        top = in_root(directory, root)
        if not os.path.isdir(top):
            continue
        zones = _zone_files(top, root)
        if zones:
            return _pack(zones)
    return None


def _pack(zones: dict[str, bytes]) -> bytes:
    offsets: dict[bytes, int] = {}
    blob = bytearray()
    index = []
    for key in sorted(zones):
        data = zones[key]
        if data not in offsets:
            offsets[data] = len(blob)
            blob += data
        index.append(f"{key} {offsets[data]} {len(data)}\n")
    return MAGIC + "".join(index).encode() + b"\n" + bytes(blob)
