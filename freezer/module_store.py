"""Bundle plan → the module store: the payload's modules as three zstd streams and an index.

The format's home is freezer/runtime/store.py (the runtime reads it there); this writes it.
Why a store of our own rather than zip entries read by zipimport: see docs/design.md,
"Module store". Streams are compressed solid (one stream, not a frame per module: the
sources of the standard library take 1.8 MB so, 2.7 MB deflated file by file) and cached in
the build cache by their content, so a rebuild compresses only what changed, and the
standard library's sources, the same for every program of one CPython, once per machine.
"""

from __future__ import annotations

import hashlib
import marshal
import zlib
from dataclasses import dataclass
from pathlib import Path

from freezer import build_cache, runtime_formats
from freezer.bootloader import zstd
from freezer.errors import FreezeError

fmt = runtime_formats.load("store")

ENTRY_DIR = "__freezer__/store"
_PYC_HEADER = 16


@dataclass
class StoredModule:
    name: str
    package: bool
    pyc: str | None  # a pyc file (its bytecode goes in the code stream); None: cold
    source: str | None  # the .py to carry beside it (None: no source)
    stdlib: bool  # its source goes in the stream shared by every program of this CPython


def _level(size: int) -> int:
    """zstd level by size: 19 compresses ~1.5 MB/s per core here, 9 ~18 MB/s, for 10 % more
    bytes (measured on 200 MB of bytecode). A fixed function of the size, so the output
    stays reproducible; big programs' bytecode must not cost minutes of a cold build."""
    if size <= 16 << 20:
        return zstd.LEVEL
    if size <= 64 << 20:
        return 12
    return 9


def build_streams(modules: list[StoredModule]) -> dict[str, bytes]:
    """The decompressed bytes of each stream (kind -> bytes); empty streams are left out."""
    code = bytearray()
    sources = {fmt.STDLIB_SOURCES: bytearray(), fmt.PROGRAM_SOURCES: bytearray()}
    index: dict[str, tuple] = {}
    for mod in sorted(modules, key=lambda m: m.name):
        code_offset = code_length = 0
        if mod.pyc:
            with open(mod.pyc, "rb") as f:
                body = f.read()[_PYC_HEADER:]
            code_offset, code_length = len(code), len(body)
            code += body
        kind = offset = length = crc = 0
        if mod.source:
            with open(mod.source, "rb") as f:
                text = f.read()
            name = fmt.STDLIB_SOURCES if mod.stdlib else fmt.PROGRAM_SOURCES
            kind = fmt.SOURCE_KINDS.index(name)
            offset, length, crc = len(sources[name]), len(text), zlib.crc32(text)
            sources[name] += text
        elif not mod.pyc:
            raise FreezeError(f"{mod.name}: neither bytecode nor source to store")
        index[mod.name] = (fmt.PACKAGE if mod.package else 0, code_offset, code_length,
                           kind, offset, length, crc)
    head = _index(index)
    streams = {fmt.CODE: head + bytes(code)}
    streams.update((kind, bytes(data)) for kind, data in sources.items() if data)
    return streams


def _index(index: dict[str, tuple]) -> bytes:
    """The code stream's header, names and table (freezer/runtime/store.py)."""
    names = sorted(index)
    table = marshal.dumps({name: slot for slot, name in enumerate(names)})
    head = bytearray(fmt.MAGIC + len(table).to_bytes(4, "little") +
                     len(names).to_bytes(4, "little") + table)
    head += bytes(fmt.table_offset(len(table)) - len(head))
    for name in names:
        for value in index[name]:
            head += value.to_bytes(4, "little")
    return bytes(head)


def compressed(data: bytes, cache_root: Path) -> bytes:
    """`data` as zstd frames, from the build cache when this content was compressed before."""
    level = _level(len(data))
    digest = hashlib.sha256(data).hexdigest()
    out_dir = build_cache.build_dir(cache_root, "zstd-store", f"{zstd.version()}-{level}")
    out = out_dir / f"{digest}.zst"
    packed = build_cache.load(out)
    if packed is not None:
        return packed
    packed = zstd.compress(data, level)
    try:
        build_cache.save(out, packed)
    except OSError as e:
        raise FreezeError(f"{out_dir}: cannot write to the cache ({e.strerror or e})") from None
    return packed


FROZEN_ENTRY = "__freezer__/frozen"
FROZEN_MAGIC = b"FRZBOOT1"


def frozen_blob(modules: list[tuple[str, bool, str]]) -> bytes:
    """The entry the bootloader hands CPython as frozen modules (format: boot.c,
    install_frozen): (name, is package, pyc file) of the runtime and of what CPython's
    start-up imports, which run before the store can be read."""
    out = bytearray(FROZEN_MAGIC + len(modules).to_bytes(4, "little"))
    for name, package, pyc in sorted(modules):
        with open(pyc, "rb") as f:
            code = f.read()[_PYC_HEADER:]
        encoded = name.encode("ascii") + b"\0"
        out += len(encoded).to_bytes(2, "little") + bytes([1 if package else 0, 0])
        out += len(code).to_bytes(4, "little") + encoded + code
    return bytes(out)


def read_store(binary: Path | str) -> tuple[dict[str, tuple], dict[str, bytes]]:
    """(index, decompressed streams by kind) of a binary's store: for tools and tests that
    look inside a payload (the runtime's own reader is freezer/runtime/store.py)."""
    import zipfile

    manifest_format = runtime_formats.load("manifest")
    with zipfile.ZipFile(binary) as archive:
        manifest = manifest_format.Manifest(archive.read(manifest_format.MANIFEST).decode())
        streams = {kind: zstd.decompress(archive.read(entry), size)
                   for kind, (entry, _, size) in manifest.store.items()}
    code = streams[fmt.CODE]
    if code[:8] != fmt.MAGIC:
        raise FreezeError(f"{binary}: no module store")
    length = int.from_bytes(code[8:12], "little")
    slots = marshal.loads(code[fmt.HEADER:fmt.HEADER + length])
    start = fmt.table_offset(length)
    index = {}
    for name, slot in slots.items():
        at = start + 4 * fmt.FIELDS * slot
        index[name] = tuple(int.from_bytes(code[at + 4 * i:at + 4 * i + 4], "little")
                            for i in range(fmt.FIELDS))
    return index, streams


def listing(binary: Path | str) -> list[str]:
    """Every path the binary holds, as a zip of the same modules would name them: its zip
    entries, and each store module's bytecode (`pkg/mod.pyc`) and source (`pkg/mod.py`)."""
    import zipfile

    with zipfile.ZipFile(binary) as archive:
        names = set(archive.namelist())
    index, _ = read_store(binary)
    for name, info in index.items():
        path = fmt.archive_name(name, info)
        names.add(path)
        if info[fmt.SOURCE_KIND]:
            names.add(path[:-1] if path.endswith(".pyc") else path)
    return sorted(names)
