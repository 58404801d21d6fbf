"""Bundle plan → payload → executable: the bootloader with the zip appended.

The zip is written in append mode onto a copy of the bootloader, so every offset in it is
absolute within the file: zipimport, `python -m zipfile` and `unzip` read it as it is, and the
boot table can name plain file offsets for the bootloader's `sendfile`.

Every zip entry is stored (zipimport cannot inflate before zlib is loaded, and the runtime
copies native files straight out of the file). The boot libraries are compressed all the same,
as stored entries that hold a zstd frame (`<soname>.zst`): the bootloader, not zip, unpacks
them, and the boot table gives both sizes.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from freezer.errors import FreezeError
from freezer.plan import BundlePlan

# A fixed timestamp and fixed permissions: two builds of the same inputs are byte-identical.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
BOOT_MAGIC = "FREEZER1"
_LOCAL_HEADER_SIZE = 30


def _zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.create_system = 3  # unix, so the permission bits below mean what they say
    info.external_attr = ((0o40755 if name.endswith("/") else 0o100644) << 16) | (
        0x10 if name.endswith("/") else 0)
    info.compress_type = zipfile.ZIP_STORED
    return info


def write_zip(path: Path, plan: BundlePlan, mode: str = "a") -> None:
    """Append the plan's entries to `path`, with the boot table as the archive comment."""
    offsets: dict[str, int] = {}
    with zipfile.ZipFile(path, mode) as zf:
        for name in sorted(plan.entries):
            info = _zipinfo(name)
            zf.writestr(info, plan.entries[name].read())
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
        zf.comment = ("\n".join(lines) + "\n").encode("ascii")


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
