"""The module store: the payload's modules in three zstd streams, with one pre-built index.

This file is the format's one home: the build writes what it describes (freezer/module_store.py
imports the names below) and the runtime reads it here. docs/design.md ("Module store") has
the numbers that chose it.

Three zip entries, each stored (the zip does not compress them) and each holding zstd frames,
named in the manifest by `store KIND ENTRY SHA256 SIZE` records (SIZE and SHA256: once
decompressed):

- `code`: the index, then the bytecode of each module (marshal of its code object, no pyc
  header). Its decompressed bytes are MAGIC; the length of the names (4 bytes, little-endian,
  as every number here); the number of modules; the names, a marshalled dict of module name
  -> slot; zero bytes up to a multiple of 4; the table, FIELDS 4-byte numbers per slot; the
  bytecode, whose offsets count from the end of the table.
- `stdlib-src`: the sources of the standard library carried (those of the cold modules,
  which have no bytecode, and of the hot ones, for tracebacks). The same bytes for every
  program built against the same CPython: in the cache, one copy serves them all.
- `src`: the sources of the program's own modules and of the third-party ones.

A slot's fields: flags, code offset, code length, sources stream, source offset, source
length, source CRC-32. A code length of 0 is a cold module (compiled from its source on first
import); the sources stream is 0 for none, else an index into SOURCE_KINDS. Names and a flat
table rather than one dict of tuples: loading 625 modules' index cost 0.66 ms as tuples,
0.2 ms so (CPython 3.11), and the table is read in place from the mapping.

Each stream is read through `_freezer_boot.map`: decompressed once into the per-user
cache (verified like a native library, content-addressed, so binaries share it) and mapped on
every later start, or decompressed into memory where there is no usable cache. The code
stream is mapped at start; a sources stream only when a source is first needed (a
traceback, inspect, a cold import).
"""

import marshal

MAGIC = b"FRZSTOR1"
CODE = "code"
STDLIB_SOURCES = "stdlib-src"
PROGRAM_SOURCES = "src"
SOURCE_KINDS = (None, STDLIB_SOURCES, PROGRAM_SOURCES)
KINDS = (CODE, STDLIB_SOURCES, PROGRAM_SOURCES)
PACKAGE = 1  # flags: the module is a package
# Index fields.
FLAGS, CODE_OFFSET, CODE_LENGTH, SOURCE_KIND, SOURCE_OFFSET, SOURCE_LENGTH, SOURCE_CRC = range(7)
FIELDS = 7
HEADER = 16  # MAGIC, the names' length, the number of modules


def table_offset(names_length):
    """Where the table starts: after the header and the names, 4-byte aligned."""
    return (HEADER + names_length + 3) & ~3


def cache_name(kind):
    """The stream's file name in the cache (`<cache>/native/<sha256>/<name>`)."""
    return "store-" + kind


class Store:
    """The store of one binary: its index, and its streams mapped when first needed."""

    def __init__(self, records, locate, mapper):
        self.records = records  # kind -> (zip entry, sha256, size)
        self.locate = locate  # zip entry -> (offset, stored size) in the binary
        self.mapper = mapper  # _freezer_boot.map
        self.views = {}
        code = self.view(CODE)
        if code is None or len(code) < HEADER or bytes(code[:8]) != MAGIC:
            raise ImportError("freezer: damaged executable (no module store)")
        length = int.from_bytes(code[8:12], "little")
        count = int.from_bytes(code[12:16], "little")
        start = table_offset(length)
        self.base = start + 4 * FIELDS * count  # where the bytecode starts
        try:
            self.slots = marshal.loads(code[HEADER:HEADER + length])
            if self.base > len(code) or len(self.slots) != count:
                raise ValueError
        except (EOFError, ValueError, TypeError):
            raise ImportError("freezer: damaged executable (bad module store index)") from None
        self.table = code[start:self.base].cast("I")
        self.code = code

    def lookup(self, name):
        """The module's fields (indexed by FLAGS, CODE_OFFSET, ...), or None."""
        slot = self.slots.get(name)
        if slot is None:
            return None
        return self.table[slot * FIELDS:(slot + 1) * FIELDS]

    def names(self):
        return self.slots.keys()

    def view(self, kind):
        view = self.views.get(kind)
        if view is None:
            record = self.records.get(kind)
            if record is None:
                return None
            entry, sha256, size = record
            offset, stored = self.locate(entry)
            view = self.views[kind] = self.mapper(offset, stored, size, sha256, cache_name(kind))
        return view

    def bytecode(self, info):
        """The module's marshalled code, or None for a cold module."""
        if not info[CODE_LENGTH]:
            return None
        start = self.base + info[CODE_OFFSET]
        return self.code[start:start + info[CODE_LENGTH]]

    def source(self, info):
        """The module's source bytes, or None where the build carried none."""
        kind = SOURCE_KINDS[info[SOURCE_KIND]]
        view = self.view(kind) if kind else None
        if view is None:
            return None
        start = info[SOURCE_OFFSET]
        return bytes(view[start:start + info[SOURCE_LENGTH]])


def archive_name(name, info):
    """The module's path inside the binary, as zipimport named it: `pkg/__init__.pyc` or
    `pkg/mod.pyc` for bytecode, `.py` for a cold module (its `__file__`)."""
    base = name.replace(".", "/")
    if info[FLAGS] & PACKAGE:
        base += "/__init__"
    return base + (".pyc" if info[CODE_LENGTH] else ".py")
