"""The DLLs a Windows PE file (a .pyd, a .dll) imports by name: its import directory.

What a Windows build needs to know of an extension module, as native_deps knows an ELF
file's DT_NEEDED: which of the DLLs it names the payload must carry and load first. Only the
plain import directory is read; delay-loaded imports are resolved by the program when called,
by the same names, so a DLL carried for a plain import serves them too.
"""

from __future__ import annotations

import struct
from pathlib import Path

from freezer.errors import FreezeError

_PE32_PLUS = 0x20B
_IMPORT_DIRECTORY = 1


def is_pe(path: str | Path) -> bool:
    """Whether the file starts as a PE image does (MZ, then a PE signature)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:2] != b"MZ":
                return False
            f.seek(struct.unpack_from("<I", head, 0x3C)[0])
            return f.read(4) == b"PE\0\0"
    except OSError:
        return False


def imported_dlls(path: str | Path) -> list[str]:
    """The DLL names of the file's import directory, in its order, as it spells them."""
    data = Path(path).read_bytes()
    try:
        pe = struct.unpack_from("<I", data, 0x3C)[0]
        if data[:2] != b"MZ" or data[pe:pe + 4] != b"PE\0\0":
            raise ValueError("not a PE file")
        sections, opt_size = struct.unpack_from("<2xH12xH", data, pe + 4)
        opt = pe + 24
        magic = struct.unpack_from("<H", data, opt)[0]
        dirs = opt + (112 if magic == _PE32_PLUS else 96)
        rva, size = struct.unpack_from("<II", data, dirs + 8 * _IMPORT_DIRECTORY)
        table = [struct.unpack_from("<8xII4xI", data, opt + opt_size + 40 * i)
                 for i in range(sections)]  # (virtual size, rva, raw offset)

        def offset(at: int) -> int:
            for vsize, start, raw in table:
                if start <= at < start + max(vsize, 1):
                    return raw + at - start
            raise ValueError(f"address {at:#x} in no section")

        names: list[str] = []
        if not rva or not size:
            return names
        at = offset(rva)
        while True:
            desc = struct.unpack_from("<5I", data, at)
            if not any(desc):
                return names
            start = offset(desc[3])
            names.append(data[start:data.index(b"\0", start)].decode("ascii"))
            at += 20
    except (struct.error, ValueError, UnicodeDecodeError) as e:
        raise FreezeError(f"{path}: not a readable PE file ({e})") from None


def closure(path: str | Path, available: dict[str, str]) -> list[tuple[str, str]]:
    """(name, path) of the DLLs `path` needs from `available` (lower-case name -> path: the
    runtime's and the wheels' DLLs), those they need first; a name not there is the
    system's (kernel32.dll, the UCRT's api-ms-win-crt-*), which Windows provides."""
    order: list[tuple[str, str]] = []
    seen: set[str] = set()

    def visit(file: str | Path) -> None:
        for name in imported_dlls(file):
            key = name.lower()
            if key in seen or key not in available:
                continue
            seen.add(key)
            visit(available[key])
            order.append((Path(available[key]).name, available[key]))

    visit(path)
    return order
