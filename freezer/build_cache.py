"""The build cache's trust rules: the one place that decides what of ``<cache>/build/`` is used.

What the build takes from this cache goes into binaries other people run: a planted
bootloader, libpython or bytecode would be code execution for every user of the output. So
every build-side cache (bootloaders, stripped and compressed libraries, bytecode, import
scans) reads and writes through this module, which trusts the cache exactly as far as the
bootloader trusts its own at run time (boot.c, "The per-user cache"):

- The cache root and every directory under it are created 0700, one level at a time
  (``os.makedirs`` gives the mode to the last level only), and on every use must be real
  directories (``lstat``: never a symbolic link) owned by ``os.geteuid()`` and writable by
  nobody else; a sticky bit does not make that acceptable.
- Every directory above the root (the real path of the root's parent, walked from ``/``)
  must belong to root or to the user, and be writable by others only if sticky (``/tmp``):
  anyone else who can write there could rename the root away and put their own in its place.
- A cached file is used only if it is a regular file (opened with ``O_NOFOLLOW``) owned by
  the user and writable by nobody else, whose content hashes to the SHA-256 recorded for it:
  in its name when the entry is content-addressed, else in a sidecar ``<name>.sha256``
  written after the data. Anything else is a cache miss: the entry is made again and
  replaced, never used.
- Entries are written to a temporary file in their own directory (0600; 0700 for an
  executable) and renamed into place, so concurrent builds share the cache and a
  half-written file is never taken for a whole one.

A directory that fails its check stops the build with one line (FreezeError: exit status
2) naming the directory and what is wrong with it. Not a slower build without the cache, as
the bootloader does at run time: a frozen program must run wherever it lands, but the user
of ``freeze`` can act on the message, and a cache directory someone else owns or can write
is either a shared ``FREEZER_CACHE_DIR`` or an attack in progress, which a silently cold
build (a minute for a big program, every time) would hide. A file that fails its check is
only a miss, since the directories around it are ours: it can be replaced safely.

Checks are made on paths, not on descriptors: once a directory and all those above it have
passed, nobody else can change what is under it, so the path stays what was checked. A
directory that passed is remembered for the life of the process (the worker looks up
thousands of entries). This module also runs inside the worker, under the target
interpreter, so it keeps to Python 3.9.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from freezer.errors import FreezeError

__all__ = ["build_dir", "ensure_dir", "load", "check", "save", "new_temp", "commit"]

SIDECAR = ".sha256"
# Directories that passed their check in this process (their path as given).
_checked: set[str] = set()
_HINT = "set FREEZER_CACHE_DIR to a directory of your own"


def build_dir(root: Path | str, *parts: str) -> Path:
    """``<root>/build/<parts...>``, created 0700 where missing and checked level by level.

    `root` is the cache root (freezer.bootloader.cache_root()); raises FreezeError when any
    directory on the way cannot be trusted or created.
    """
    return ensure_dir(root, "build", *parts)


def ensure_dir(top: Path | str, *parts: str) -> Path:
    """`top` and `parts` below it, created 0700 where missing and checked.

    `top` and every part are held to the rules of the root and below (ours, writable by no
    one else); the directories above `top` to the rules above the root. The worker calls this
    with a directory build_dir() returned in the build process, so the stricter check of the
    levels between the root and it has been made already.
    """
    top = Path(top)
    if not top.is_absolute():
        raise FreezeError(f"cache directory {top} is not an absolute path: {_HINT}")
    path = top
    if str(path) not in _checked:
        _check_above(path)
        _check_ours(path)
    for part in parts:
        if not part or "/" in part or part in (".", ".."):
            raise ValueError(f"not one directory name: {part!r}")
        path = path / part
        if str(path) not in _checked:
            _check_ours(path)
    return path


def _check_above(top: Path) -> None:
    """Make the directories above `top` if missing (0700, as boot.c does), then check them."""
    missing = []
    for parent in top.parents:
        if os.path.lexists(parent):
            break
        missing.append(parent)
    for parent in reversed(missing):
        try:
            os.mkdir(parent, 0o700)
        except FileExistsError:
            pass
        except OSError as e:
            raise FreezeError(f"cannot create the cache directory {top} ({parent}: "
                              f"{e.strerror}): {_HINT}") from None
    # A symbolic link above the root is the system's layout (/home -> /usr/home): resolved
    # once, and every directory of the real path checked.
    real = Path(os.path.realpath(top.parent))
    for directory in (*reversed(real.parents), real):
        try:
            st = os.lstat(directory)
        except OSError as e:
            raise FreezeError(f"directory {directory} above the cache {top}: "
                              f"{e.strerror}") from None
        why = _untrusted(st, ours=False)
        if why:
            raise FreezeError(f"directory {directory} above the cache {top} {why}: {_HINT}")


def _check_ours(path: Path) -> None:
    """Create `path` (0700) if missing, then require it to be ours and private."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError as e:
            raise FreezeError(f"cannot create the cache directory {path} ({e.strerror}): "
                              f"{_HINT}") from None
        st = os.lstat(path)
    why = _untrusted(st, ours=True)
    if why:
        raise FreezeError(f"cache directory {path} {why}: {_HINT}")
    _checked.add(str(path))


def _untrusted(st: os.stat_result, ours: bool) -> str | None:
    """Why a directory cannot be trusted, or None: boot.c's untrusted(), word for word.

    `ours`: the root and below, where only the user may own or write; above it root may
    own, and others may write only a sticky directory (they cannot rename what is ours).
    """
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if st.st_uid != os.geteuid() and (ours or st.st_uid != 0):
        return f"is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o022 and (ours or not st.st_mode & stat.S_ISVTX):
        return f"is writable by other users (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def _read_ours(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of `path` if it is a regular file of ours that nobody else can write.

    O_NOFOLLOW refuses a symbolic link, O_NONBLOCK keeps a FIFO from hanging the open; the
    checks are made on the open descriptor, so what is read is what was checked.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid()
                or st.st_mode & 0o022 or (limit is not None and st.st_size > limit)):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def _recorded(path: Path) -> str | None:
    """The SHA-256 the sidecar of `path` records, or None."""
    data = _read_ours(path.with_name(path.name + SIDECAR), limit=128)
    if data is None:
        return None
    digest = data.decode("ascii", "replace").strip()
    if len(digest) != 64 or digest.strip("0123456789abcdef"):
        return None
    return digest


def _verified(path: Path, sha256: str | None) -> tuple[bytes, str] | None:
    data = _read_ours(path)
    if data is None:
        return None
    expected = sha256 if sha256 is not None else _recorded(path)
    digest = hashlib.sha256(data).hexdigest()
    if expected is None or digest != expected:
        return None
    return data, digest


def load(path: Path | str, sha256: str | None = None) -> bytes | None:
    """The content of the cache entry `path`, or None (a miss) unless it passes every check.

    `sha256`: the content's hash, for a content-addressed entry (no sidecar); else the
    sidecar's record is what the content must hash to.
    """
    found = _verified(Path(path), sha256)
    return found[0] if found else None


def check(path: Path | str, sha256: str | None = None) -> str | None:
    """The SHA-256 of the cache entry `path` if it passes every check (see load()), else None.

    For entries handed on by path (the payload reads them later): between this check and
    that read, only the user can change them, and only with the same content.
    """
    found = _verified(Path(path), sha256)
    return found[1] if found else None


def new_temp(directory: Path | str, name: str) -> str:
    """A new empty file (0600) in `directory`, for an entry another program writes (strip,
    the C compiler) before commit() moves it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    os.close(fd)
    return tmp


def commit(tmp: str, path: Path | str, mode: int = 0o600) -> str:
    """Move the finished temporary file `tmp` (from new_temp()) over `path` and record its
    SHA-256 in the sidecar; return it. `tmp` is gone afterwards, also on failure.

    The hash is of the bytes renamed into place: read through the same checks as any entry,
    so a file the tool left as something else (a link) is refused here too.
    """
    path = Path(path)
    try:
        fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        data = _read_ours(Path(tmp))
        if data is None:
            raise OSError(f"{tmp}: not a private regular file")
        digest = hashlib.sha256(data).hexdigest()
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    _put(path.with_name(path.name + SIDECAR), digest.encode("ascii"), 0o600)
    return digest


def save(path: Path | str, data: bytes, mode: int = 0o600, sidecar: bool = True) -> str:
    """Write `data` as the cache entry `path`, atomically; return its SHA-256.

    The sidecar is written after the data, so a reader that comes between sees a mismatch
    (a miss), never an unrecorded entry taken for a verified one. `sidecar=False` for a
    content-addressed entry, whose name is the record. Raises OSError.
    """
    path = Path(path)
    digest = hashlib.sha256(data).hexdigest()
    _put(path, data, mode)
    if sidecar:
        _put(path.with_name(path.name + SIDECAR), digest.encode("ascii"), 0o600)
    return digest


def _put(path: Path, data: bytes, mode: int) -> None:
    """`data` into a temporary file beside `path` (created 0600), then renamed over it.

    os.replace() replaces whatever is at `path` (a planted link, a file of another owner)
    and never writes through it.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
