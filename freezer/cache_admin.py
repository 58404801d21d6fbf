"""`freeze cache info|prune|clear`: where the per-user cache is, what fills it, and emptying it.

The cache is where binaries unpack what they cannot use from inside themselves (native/:
libraries, extension modules and module-store streams, by content; tree/: distributions
served from real files; pyc/: bytecode of the cold standard library; verified/: one record
per binary whose checksum was verified), and where `freeze` keeps its own build cache
(build/). Its place is the one rule of freezer.bootloader.cache_root(), which boot.c applies
at run time too.

`prune` needs to know what no binary has used lately without costing a warm start anything:
each start moves the mtime of the cache directories it uses (native/<sha>, tree/<key>,
pyc/<magic>) and of its own record under verified/ to now, once that mtime is a day old
(boot.c's mark_used, runtime/trees.py's). Creating a file in a directory moves its mtime
too, so a directory being written is never old. atime was the other candidate: it is free
where the file system keeps it (relatime updates it once a day), but noatime mounts, common
in containers and on SSDs, never change it, and a prune based on it would remove what is in
use. A warm start pays one fstatat and a clock read per directory and writes nothing
(tests/test_cache_admin.py counts its utimensat calls with strace).

The build cache (build/) holds no mark: what the build reads from it is keyed by content or
by the input file's identity, and is made again when missing. `prune` leaves it alone;
`clear` empties it with the rest.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

from freezer.bootloader import BootloaderError, cache_root
from freezer.errors import FreezeError
from freezer.progress import megabytes

MARK_SECONDS = 86400  # as boot.c's MARK_SECONDS and runtime/trees.py's
DEFAULT_DAYS = 30
# What each part of the cache is, for `info`; the run-time parts carry last-use marks.
RUNTIME_PARTS = {
    "native": "libraries, extension modules and module stores unpacked by binaries",
    "tree": "distributions unpacked by binaries, to be served from real files",
    "pyc": "bytecode of the cold standard library, compiled by binaries",
    "verified": "records of binaries whose checksum was verified",
}
BUILD_PART = ("build", "freeze's own build cache (bootloaders, stripped libraries, bytecode, "
                       "import scans)")


def root() -> Path:
    try:
        return cache_root()
    except BootloaderError as e:
        raise FreezeError(str(e)) from None


def checked_root(path: Path) -> bool:
    """Whether the cache exists; refuse one that is not a private directory of ours (never
    follow a link: removing through one is how a planted link deletes someone's files)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        raise FreezeError(f"cache {path}: not a directory (a symbolic link or a file)")
    if st.st_uid != os.geteuid():
        raise FreezeError(f"cache {path}: not yours (owner uid {st.st_uid})")
    return True


def tree_size(path: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total


def entries(part: Path) -> list[tuple[Path, os.stat_result]]:
    """The marked entries of one run-time part: its directories (or records), with their
    lstat; links and other users' entries are not ours to count or remove."""
    found = []
    try:
        names = sorted(os.listdir(part))
    except OSError:
        return found
    for name in names:
        path = part / name
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if st.st_uid == os.geteuid() and not stat.S_ISLNK(st.st_mode):
            found.append((path, st))
    return found


def info() -> str:
    base = root()
    if not checked_root(base):
        return f"cache: {base} (empty: not made yet)"
    lines = [f"cache: {base}"]
    total = 0
    now = time.time()
    for name, what in RUNTIME_PARTS.items():
        found = entries(base / name)
        size = tree_size(base / name)
        total += size
        if found:
            idle = (now - max(st.st_mtime for _, st in found)) / 86400
            old = sum(1 for _, st in found if now - st.st_mtime >= DEFAULT_DAYS * 86400)
            extra = (f", {len(found)} entries, last used {idle:.0f} days ago, {old} unused "
                     f"for {DEFAULT_DAYS} days or more")
        else:
            extra = ""
        lines.append(f"  {megabytes(size):>9}  {name}/: {what}{extra}")
    size = tree_size(base / BUILD_PART[0])
    total += size
    lines.append(f"  {megabytes(size):>9}  {BUILD_PART[0]}/: {BUILD_PART[1]}")
    others = sorted(p.name for p in base.iterdir()
                    if p.name not in RUNTIME_PARTS and p.name != BUILD_PART[0])
    for name in others:
        size = tree_size(base / name)
        total += size
        lines.append(f"  {megabytes(size):>9}  {name}/")
    lines.append(f"  {megabytes(total):>9}  in all")
    return "\n".join(lines)


def _remove(path: Path) -> int:
    size = tree_size(path) if path.is_dir() and not path.is_symlink() else path.lstat().st_size
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return 0
    except OSError as e:
        raise FreezeError(f"{path}: cannot remove it ({e.strerror})") from None
    return size


def prune(days: float) -> str:
    """Remove the run-time entries no binary has used for `days` days."""
    base = root()
    if not checked_root(base):
        return f"cache: {base} (empty: nothing to prune)"
    limit = time.time() - days * 86400
    removed = freed = 0
    for name in RUNTIME_PARTS:
        for path, st in entries(base / name):
            if st.st_mtime < limit:
                freed += _remove(path)
                removed += 1
    return (f"cache: {base}: removed {removed} entries unused for {days:g} days "
            f"({megabytes(freed)} freed); the build cache (build/) is left as it is")


def clear() -> str:
    """Empty the cache: every part, the build cache too."""
    base = root()
    if not checked_root(base):
        return f"cache: {base} (empty already)"
    freed = 0
    for path in sorted(base.iterdir()):
        freed += _remove(path)
    return f"cache: {base}: emptied ({megabytes(freed)} freed)"


def command(argv: list[str]) -> str:
    """`freeze cache ARGS`'s text; FreezeError for bad arguments."""
    usage = "usage: freeze cache info | prune [--days N] | clear"
    if not argv or argv[0] not in ("info", "prune", "clear"):
        raise FreezeError(usage)
    action, rest = argv[0], argv[1:]
    if action == "prune":
        days = float(DEFAULT_DAYS)
        if rest:
            if len(rest) != 2 or rest[0] != "--days":
                raise FreezeError(usage)
            try:
                days = float(rest[1])
            except ValueError:
                days = -1
            if days < 0 or days != days:
                raise FreezeError(f"--days {rest[1]}: not a number of days (0 or more)")
        return prune(days)
    if rest:
        raise FreezeError(usage)
    return info() if action == "info" else clear()
