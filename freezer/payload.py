"""Bundle plan → payload → executable: the bootloader with the zip appended.

The zip is written in append mode onto a copy of the bootloader, so every offset in it is
absolute within the file: zipimport, `python -m zipfile` and `unzip` read it as it is, and the
boot table can name plain file offsets for the bootloader's `sendfile`.

Bytecode is stored: zipimport reads it as it is on every import, and inflating it would cost
start-up time. Data files and metadata are deflated (read rarely, after the runtime has made
the zlib extension loadable). Native files are stored entries that hold zstd streams
(`<soname>.zst` for the boot libraries): the bootloader's decompressor, not zip, unpacks
them, straight from the file.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

from freezer import module_store
from freezer.errors import FreezeError
from freezer.plan import BundlePlan

# A fixed timestamp and fixed permissions: two builds of the same inputs are byte-identical.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
BOOT_MAGIC = "FREEZER2"
# The boot table's last line, "sha256 <64 hex digits>\n": the SHA-256 of every byte of the
# file before those digits, which the bootloader checks before it trusts any of the file.
CHECKSUM_PREFIX = "sha256 "
_CHECKSUM_TAIL = 64 + 1  # the digits and the newline, the last bytes of the file
_LOCAL_HEADER_SIZE = 30


def _zipinfo(name: str, deflate: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.create_system = 3  # unix, so the permission bits below mean what they say
    info.external_attr = ((0o40755 if name.endswith("/") else 0o100644) << 16) | (
        0x10 if name.endswith("/") else 0)
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    return info


def write_zip(path: Path, plan: BundlePlan, mode: str = "a") -> None:
    """Append the plan's entries to `path`, with the boot table as the archive comment."""
    offsets: dict[str, int] = {}
    with zipfile.ZipFile(path, mode) as zf:
        for name in sorted(plan.entries):
            entry = plan.entries[name]
            info = _zipinfo(name, entry.deflate)
            zf.writestr(info, entry.read(), compresslevel=entry.level if entry.deflate else None)
            encoded = info.filename.encode("utf-8")
            offsets[name] = info.header_offset + _LOCAL_HEADER_SIZE + len(encoded) + len(
                info.extra)
        lines = [BOOT_MAGIC]
        for lib in plan.boot:
            stored = zf.getinfo(lib.entry).file_size
            if lib.size:  # a zstd frame that unpacks to lib.size bytes
                lines.append(f"zstd {offsets[lib.entry]} {stored} {lib.size} {lib.sha256} "
                             f"{lib.soname}")
            else:
                lines.append(f"boot {offsets[lib.entry]} {stored} {lib.sha256} {lib.soname}")
        if module_store.FROZEN_ENTRY in plan.entries:
            # The modules CPython's start-up and the runtime import (boot.c, install_frozen).
            entry = module_store.FROZEN_ENTRY
            lines.append(f"frozen {offsets[entry]} {zf.getinfo(entry).file_size}")
        lines.append(CHECKSUM_PREFIX + "0" * 64)  # filled in by seal() once the file is whole
        zf.comment = ("\n".join(lines) + "\n").encode("ascii")
    seal(path)


def seal(path: Path) -> None:
    """Write the checksum line's digits: the SHA-256 of the whole file before them."""
    with open(path, "r+b") as f:
        covered = f.seek(0, os.SEEK_END) - _CHECKSUM_TAIL
        f.seek(0)
        digest = hashlib.sha256(f.read(covered)).hexdigest()
        f.seek(covered)
        f.write(digest.encode("ascii"))


def write_atomically(out: Path, build) -> None:
    """Run `build(tmp_path)` and move the result over `out` only when it fully succeeded.

    An existing `out` is never touched by a failed build.
    """
    tmp = out.with_name(f".{out.name}.freezer-tmp-{os.getpid()}")
    try:
        build(tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    except OSError as e:
        raise FreezeError(f"{out}: cannot write ({e.strerror or e})") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def write_executable(out: Path, bootloader: Path, plan: BundlePlan) -> None:
    def build(tmp: Path) -> None:
        with open(bootloader, "rb") as src, open(tmp, "wb") as dst:
            dst.write(src.read())
        write_zip(tmp, plan)

    write_atomically(out, build)
