"""Mutation harness for the "payload integrity" goal: damage a frozen binary, see what it does.

A damaged frozen binary must either run correctly or print exactly one line
`freezer: <path>: damaged executable (<reason>)` on stderr and exit with status 126: never die
by a signal, hang, print something else, or end in a "Fatal Python error". This script measures
how often that holds. It freezes a small program (or takes --binary), runs the pristine binary
to learn its expected stdout, stderr and status, then runs thousands of mutants, each the
pristine file with one random change, and classifies every run:

    ok       same stdout, stderr and status as the pristine binary
    damaged  status 126, nothing on stdout, stderr exactly the one `damaged executable` line
    crash    killed by a signal                                        } failures
    hang     still running after --timeout seconds                     }
    fatal    "Fatal Python error" on stderr                            }
    wrong    anything else: other output, other status, a traceback... }
    poison   the mutant left the cache in a state under which the      }
             *pristine* binary no longer behaves as expected, or wrote
             a file under native/<sha256>/ whose SHA-256 is not <sha256>

(checked in that order: a hang or a fatal error is reported as such even though it also ends
in a signal). `poison` is not a property of the mutant's own run, but the cache is shared by
every binary a user runs, so a damaged binary that leaves a wrong library there breaks the
good ones; it is checked only when a run changed the cache.

Only the payload is mutated: from the end of the bootloader ELF (the furthest of its program
segments, sections and section header table; the zip's first local header must not start
before it) to the end of the file. Mutations of the bootloader's own code and ELF headers are
out of scope: nothing can make a program that runs damaged code of its own reliable.

Mutation kinds, one per mutant, picked at random with fixed weights (KIND_WEIGHTS) so that
every structure gets its share and not only the biggest entries (libpython's zstd frame is
most of the file, and most other bytes are entries a hello never reads):

    bitflip, byte, byte-extreme, word4  at a uniformly random payload offset: one bit, one
                                        random byte, a byte set to 0x00/0xFF, four bytes set
                                        to 0x00000000/0xFFFFFFFF (the size of offset fields)
    truncate                            cut at a random payload offset, a structure's region or
                                        a boundary between structures
    append                              garbage, zeros (some past the 64 KiB end-record search),
                                        a second copy of the end record, or a second, valid
                                        central directory and end record
    eocd, central, local                one field (or name byte) of the end record, of a
                                        central directory entry, of a local header
    boot-table                          a digit of the boot table (the zip comment), any one
                                        of its characters, or two of its lines swapped
    entry                               a byte or bit inside the data of an entry that a start
                                        reads: __freezer__/main.pyc, the manifest, the runtime,
                                        libpython's and the other boot libraries' frames,
                                        extension modules, bytecode, sources, or any entry

Each mutant i of a seed is drawn from its own generator, seeded from (seed, i): the same seed
gives the same mutants whatever --count and --jobs, and `--only i` re-runs one of them.

Cache: the bootloader unpacks libpython into FREEZER_CACHE_DIR on the first start and loads it
from there afterwards, so which code a mutant exercises depends on the cache. Even mutants run
with a fresh, empty cache (the first-start path: decompression, SHA-256 check, cache write),
odd ones with a warm cache that the pristine binary filled (the every-day path, which reads
far less of the file: a damaged libpython frame goes unnoticed there, which is fine, since
what runs is the good cached copy). Each worker has its own warm cache, checked after every
run and rebuilt by the pristine binary when a mutant changed it, so no mutant sees another's
leftovers and a result does not depend on scheduling.

Speed: every worker keeps the pristine bytes in memory and writes each mutant into a new file
(then renames it over the previous one), nothing is re-frozen, and scratch files go to
/dev/shm where it is a usable tmpfs. The hello starts in ~15 ms warm, ~40 ms cold; 20,000
mutants took about 5 minutes on two cores.

    .venv/bin/python benchmarks/mutate.py --count 2000
    .venv/bin/python benchmarks/mutate.py --binary ./app --args "x y" --keep-failures /tmp/f
    .venv/bin/python benchmarks/mutate.py --seed 1 --only 17,123    # re-run two mutants

Exit status: 0 when no mutant failed, 1 when some did, 2 when the harness itself could not run
(no interpreter, the freeze failed, the pristine binary misbehaves).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import multiprocessing
import os
import random
import re
import resource
import selectors
import shlex
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TARGET_MINOR = 11
DEFAULT_COUNT = 2000
DEFAULT_TIMEOUT = 10.0
# Generous for a hello (~50 MB), but a mutant that believes a size field of 4 GiB must not take
# the machine down with it; a mutant stopped by this limit is reported as whatever it did.
DEFAULT_MEMORY_LIMIT = 4 << 30
OUTPUT_CAP = 1 << 20  # bytes kept of each stream; a mutant may print without end
KEEP_MAX = 20  # mutant binaries kept per failure class with --keep-failures

CLASSES = ("ok", "damaged", "crash", "hang", "fatal", "wrong", "poison")
FAILURES = CLASSES[2:]
DAMAGED_LINE = re.compile(rb"freezer: .*: damaged executable \(.*\)\n")

KIND_WEIGHTS = {
    "bitflip": 12,
    "byte": 8,
    "byte-extreme": 6,
    "word4": 6,
    "truncate": 8,
    "append": 5,
    "eocd": 8,
    "central": 12,
    "local": 10,
    "boot-table": 10,
    "entry": 15,
}

# The program frozen when no --binary is given. Besides the greeting it loads an extension
# module (unpacked from its zstd entry through _freezer_boot.unpack into the cache) and a
# module the analysis cannot see, named on the command line, so it comes from the cold set:
# compiled from its deflated source and its bytecode kept in the cache. That makes the three
# paths that read the payload and write the cache all part of every start.
HELLO_SOURCE = '''\
"""The mutation harness's program: see benchmarks/mutate.py."""

import importlib
import sys
import unicodedata

print("hello wörld", sys.argv[1:])
print(unicodedata.name("ö"))
cold = importlib.import_module(sys.argv[1])
print(cold.__name__, [round(x, 6) for x in cold.rgb_to_hsv(0.2, 0.4, 0.4)])
'''
HELLO_ARGS = ("colorsys", "twö")


class HarnessError(Exception):
    """The harness cannot measure anything: no interpreter, no binary, a flaky pristine run."""


# --- the file's layout -----------------------------------------------------------------------

EOCD = struct.Struct("<4sHHHHIIH")
EOCD_FIELDS = (("signature", 0, 4), ("disk", 4, 2), ("cd_disk", 6, 2), ("disk_entries", 8, 2),
               ("entries", 10, 2), ("cd_size", 12, 4), ("cd_offset", 16, 4),
               ("comment_length", 20, 2))
CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
CENTRAL_FIELDS = (("signature", 0, 4), ("version_made_by", 4, 2), ("version_needed", 6, 2),
                  ("flags", 8, 2), ("method", 10, 2), ("mtime", 12, 2), ("mdate", 14, 2),
                  ("crc", 16, 4), ("compressed_size", 20, 4), ("size", 24, 4),
                  ("name_length", 28, 2), ("extra_length", 30, 2), ("comment_length", 32, 2),
                  ("disk", 34, 2), ("internal_attr", 36, 2), ("external_attr", 38, 4),
                  ("header_offset", 42, 4))
LOCAL = struct.Struct("<4sHHHHHIIIHH")
LOCAL_FIELDS = (("signature", 0, 4), ("version_needed", 4, 2), ("flags", 6, 2),
                ("method", 8, 2), ("mtime", 10, 2), ("mdate", 12, 2), ("crc", 14, 4),
                ("compressed_size", 18, 4), ("size", 22, 4), ("name_length", 26, 2),
                ("extra_length", 28, 2))


@dataclass(frozen=True)
class Entry:
    """One zip entry, with the absolute offsets of its three parts in the file."""

    name: str
    header: int  # its local header
    data: int  # its data, right after the local header's name and extra field
    size: int  # of its data as stored
    central: int  # its central directory record
    central_size: int
    group: str  # what it is, for the tables: "libpython", "runtime", "pyc", ...


@dataclass(frozen=True)
class Region:
    """A byte range of the file that one structure occupies, half open."""

    start: int
    end: int
    name: str  # precise: "local header: encodings/utf_8.pyc"
    group: str  # for the tables: "local header"


@dataclass
class Layout:
    """Where everything is in the pristine binary, from its own bytes and from zipfile's view.

    The offsets come from parsing the file the way the bootloader does (the end record whose
    comment runs to the end of the file, the central directory it points at), cross-checked
    against zipfile's reading, so that a structure mutation hits exactly the field it names.
    """

    size: int
    elf_end: int
    payload: int  # the first byte in scope
    eocd: int
    cd_start: int
    comment: int  # first byte of the boot table
    entries: list[Entry]
    regions: list[Region] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)

    def region_at(self, offset: int) -> Region:
        """The structure holding byte `offset` (which must be inside the payload)."""
        return self.regions[bisect.bisect_right(self._starts, offset) - 1]

    def by_group(self, group: str) -> list[Entry]:
        """Entries of one group, with data to damage."""
        return [e for e in self.entries if e.group == group and e.size > 0]


def elf_end(data: bytes) -> int:
    """First byte after the bootloader: its segments, sections and section header table.

    The section header table is normally last, but segments and sections are counted too so
    that a differently linked bootloader is never taken for payload.
    """
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise HarnessError("not a little-endian 64-bit ELF file: not a freezer binary")
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
    end = max(phoff + phnum * phentsize, shoff + shnum * shentsize)
    for i in range(phnum):
        offset, filesz = struct.unpack_from("<QQQQQ", data, phoff + i * phentsize + 8)[0::3]
        end = max(end, offset + filesz)
    for i in range(shnum):
        kind, _, _, offset, size = struct.unpack_from("<IQQQQ", data, shoff + i * shentsize + 4)
        if kind != 8:  # SHT_NOBITS (.bss) occupies no bytes of the file
            end = max(end, offset + size)
    return end


def entry_group(name: str, boot_offsets: dict[int, str], data: int, libpython: int) -> str:
    """The kind of entry, by name: what a start reads first and what it rarely reads."""
    if data == libpython:
        return "libpython"
    if data in boot_offsets:
        return "boot library"
    if name == "__freezer__/main.pyc":
        return "main.pyc"
    if name == "__freezer__/manifest":
        return "manifest"
    if name == "__freezer__/frozen":  # the runtime and CPython's start-up modules
        return "runtime"
    if name.startswith("__freezer__/store/"):
        return "store"
    if name.endswith((".zst", ".so")):
        return "native"
    if name.endswith(".pyc"):
        return "pyc"
    if name.endswith(".py"):
        return "source"
    return "other"


def read_layout(binary: Path) -> Layout:
    """Parse the pristine binary; refuse what is not a freezer binary we can mutate."""
    data = binary.read_bytes()
    end = elf_end(data)
    tail_start = max(0, len(data) - (65535 + EOCD.size))
    eocd = -1
    for at in range(len(data) - EOCD.size, tail_start - 1, -1):
        if data[at:at + 4] == b"PK\x05\x06":
            comment_length = struct.unpack_from("<H", data, at + 20)[0]
            if at + EOCD.size + comment_length == len(data):
                eocd = at
                break
    if eocd < 0:
        raise HarnessError(f"{binary}: no zip end record whose comment ends the file")
    _, _, _, _, count, cd_size, cd_offset, _ = EOCD.unpack_from(data, eocd)
    if count == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        raise HarnessError(f"{binary}: a zip64 archive; only plain zip end records are mutated")
    comment = data[eocd + EOCD.size:].decode("ascii")
    boot_lines = comment.splitlines()
    if not boot_lines or not re.fullmatch(r"FREEZER\d+", boot_lines[0]):
        raise HarnessError(f"{binary}: the zip comment is not a FREEZER<n> boot table")
    # Only the library lines matter here (a format version may add others, e.g. a checksum);
    # the last of them is libpython.
    libraries = [line.split() for line in boot_lines[1:] if line.startswith(("zstd ", "boot "))]
    if not libraries:
        raise HarnessError(f"{binary}: the boot table names no library")
    boot_offsets = {int(words[1]): words[-1] for words in libraries}
    libpython = int(libraries[-1][1])

    infos = zipfile.ZipFile(binary).infolist()
    entries = []
    at = cd_offset
    for info in infos:
        record = CENTRAL.unpack_from(data, at)
        name_length, extra_length, comment_length = record[10:13]
        if record[0] != b"PK\x01\x02" or record[16] != info.header_offset:
            raise HarnessError(f"{binary}: central directory disagrees with zipfile at {at}")
        record_size = CENTRAL.size + name_length + extra_length + comment_length
        local = LOCAL.unpack_from(data, info.header_offset)
        if local[0] != b"PK\x03\x04":
            raise HarnessError(f"{binary}: no local header at {info.header_offset}")
        start = info.header_offset + LOCAL.size + local[9] + local[10]
        entries.append(Entry(info.filename, info.header_offset, start, info.compress_size, at,
                             record_size,
                             entry_group(info.filename, boot_offsets, start, libpython)))
        at += record_size
    if at != eocd or cd_offset + cd_size != eocd:
        raise HarnessError(f"{binary}: the central directory does not end at the end record")
    first = min(e.header for e in entries) if entries else cd_offset
    if first < end:
        raise HarnessError(f"{binary}: the zip starts at {first}, inside the bootloader ELF "
                           f"(which ends at {end})")
    layout = Layout(len(data), end, end, eocd, cd_offset, eocd + EOCD.size, entries)
    layout.regions = _regions(layout)
    layout._starts = [r.start for r in layout.regions]
    return layout


def _regions(layout: Layout) -> list[Region]:
    """Every byte of the payload in exactly one region; unclaimed bytes form "gap" regions."""
    claimed = []
    for e in layout.entries:
        claimed.append(Region(e.header, e.data, f"local header: {e.name}", "local header"))
        if e.size:
            claimed.append(Region(e.data, e.data + e.size, f"data: {e.name}",
                                  f"data: {e.group}"))
        claimed.append(Region(e.central, e.central + e.central_size,
                              f"central directory: {e.name}", "central directory"))
    claimed.append(Region(layout.eocd, layout.comment, "end record", "end record"))
    if layout.comment < layout.size:
        claimed.append(Region(layout.comment, layout.size, "boot table", "boot table"))
    regions = []
    at = layout.payload
    for region in sorted(claimed, key=lambda r: r.start):
        if region.start > at:
            regions.append(Region(at, region.start, "gap", "gap"))
        regions.append(region)
        at = max(at, region.end)
    if at < layout.size:
        regions.append(Region(at, layout.size, "gap", "gap"))
    return regions


# --- mutations -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mutation:
    """One change to the pristine file: some overwritten bytes, a truncation, or an append."""

    index: int
    kind: str
    cache: str  # "cold" or "warm"
    offset: int  # the first byte it changes (for truncate: the new length; append: the old end)
    what: str  # human-readable: which field or byte, from what to what
    region: str
    group: str
    writes: tuple[tuple[int, bytes], ...] = ()
    truncate: int | None = None
    append: bytes = b""

    def apply(self, pristine: bytes) -> bytes:
        """The mutant's bytes (for --keep-failures; the workers write them without a copy)."""
        data = bytearray(pristine if self.truncate is None else pristine[:self.truncate])
        for offset, chunk in self.writes:
            data[offset:offset + len(chunk)] = chunk
        return bytes(data + self.append)


class Mutator:
    """Draws mutation i of a seed; every draw from its own generator (see the module doc)."""

    def __init__(self, layout: Layout, pristine: bytes, seed: int) -> None:
        self.layout = layout
        self.pristine = pristine
        self.seed = seed
        self.kinds = list(KIND_WEIGHTS)
        self.weights = list(KIND_WEIGHTS.values())
        self.targets = {group: layout.by_group(group) for group in
                        ("main.pyc", "manifest", "runtime", "store", "libpython",
                         "boot library", "native", "pyc", "source")}
        self.targets["any"] = [e for e in layout.entries if e.size > 0]
        self.targets = {group: entries for group, entries in self.targets.items() if entries}

    def draw(self, index: int) -> Mutation:
        """Mutation `index`: its kind, then its details, all from one seeded generator."""
        rng = random.Random(f"freezer-mutate/{self.seed}/{index}")
        kind = rng.choices(self.kinds, self.weights)[0]
        cache = "cold" if index % 2 == 0 else "warm"
        make = getattr(self, "_" + kind.replace("-", "_"))
        return make(rng, Mutation(index, kind, cache, 0, "", "", ""))

    # Helpers -------------------------------------------------------------------------------

    def _at(self, m: Mutation, offset: int, new: bytes, what: str) -> Mutation:
        region = self.layout.region_at(offset)
        return replace(m, offset=offset, what=what, writes=((offset, new),),
                       region=f"{region.name} +{offset - region.start}", group=region.group)

    def _offset(self, rng: random.Random, width: int = 1) -> int:
        return rng.randrange(self.layout.payload, self.layout.size - width + 1)

    def _byte_op(self, rng: random.Random, m: Mutation, offset: int, op: str,
                 limit: int) -> Mutation:
        """One of the four plain damages at `offset`; word4 only where 4 bytes fit (< limit)."""
        old = self.pristine[offset]
        if op == "word4" and offset + 4 <= limit:
            word = rng.choice((b"\xff" * 4, b"\0" * 4))
            if self.pristine[offset:offset + 4] == word:
                word = b"\0" * 4 if word[0] else b"\xff" * 4
            return self._at(m, offset, word, f"4 bytes {self.pristine[offset:offset + 4].hex()}"
                                             f" -> {word.hex()}")
        if op == "bitflip":
            bit = rng.randrange(8)
            return self._at(m, offset, bytes([old ^ 1 << bit]), f"bit {bit} of {old:#04x}")
        if op == "byte-extreme":
            new = rng.choice((0, 0xFF))
            new = (0xFF if new == 0 else 0) if new == old else new
        else:
            new = rng.choice([v for v in range(256) if v != old])
        return self._at(m, offset, bytes([new]), f"byte {old:#04x} -> {new:#04x}")

    def _field(self, rng: random.Random, m: Mutation, base: int, fields: Sequence[tuple],
               label: str, name_at: int | None = None, name_length: int = 0) -> Mutation:
        """Change one field of the structure at `base` (or a byte of its file name)."""
        if name_at is not None and name_length and rng.random() < 0.15:
            offset = base + name_at + rng.randrange(name_length)
            old = self.pristine[offset]
            new = rng.choice([v for v in b"/._-aZ09\0\xff" if v != old])
            return self._at(m, offset, bytes([new]), f"{label} name byte {old:#04x} -> "
                                                     f"{new:#04x}")
        name, at, width = rng.choice(fields)
        offset = base + at
        old = int.from_bytes(self.pristine[offset:offset + width], "little")
        new, how = field_value(rng, old, width)
        return self._at(m, offset, new.to_bytes(width, "little"),
                        f"{label} {name} {old:#x} -> {new:#x} ({how})")

    def _entry_for_structure(self, rng: random.Random) -> Entry:
        """Half the time an entry every start reads, else any entry, directories included."""
        if rng.random() < 0.5:
            wanted = [g for g in ("main.pyc", "manifest", "runtime", "store", "libpython",
                                  "boot library", "native") if g in self.targets]
            if wanted:
                return rng.choice(self.targets[rng.choice(wanted)])
        return rng.choice(self.layout.entries)

    # Kinds ---------------------------------------------------------------------------------

    def _bitflip(self, rng: random.Random, m: Mutation) -> Mutation:
        return self._byte_op(rng, m, self._offset(rng), "bitflip", self.layout.size)

    def _byte(self, rng: random.Random, m: Mutation) -> Mutation:
        return self._byte_op(rng, m, self._offset(rng), "byte", self.layout.size)

    def _byte_extreme(self, rng: random.Random, m: Mutation) -> Mutation:
        return self._byte_op(rng, m, self._offset(rng), "byte-extreme", self.layout.size)

    def _word4(self, rng: random.Random, m: Mutation) -> Mutation:
        return self._byte_op(rng, m, self._offset(rng, 4), "word4", self.layout.size)

    def _truncate(self, rng: random.Random, m: Mutation) -> Mutation:
        layout = self.layout
        how = rng.random()
        if how < 0.5:
            cut, where = self._offset(rng), "anywhere"
        elif how < 0.75:
            cut, where = rng.randrange(layout.cd_start, layout.size), "in the directory"
        else:
            entry = rng.choice(layout.entries)
            cut = rng.choice((layout.cd_start, layout.eocd, layout.comment, layout.size - 1,
                              entry.header, entry.data, entry.data + entry.size))
            cut, where = min(max(cut, layout.payload), layout.size - 1), "at a boundary"
        region = layout.region_at(cut)
        return replace(m, offset=cut, truncate=cut, group=region.group,
                       region=f"{region.name} +{cut - region.start}",
                       what=f"truncated to {cut} bytes ({where}), {layout.size - cut} lost")

    def _append(self, rng: random.Random, m: Mutation) -> Mutation:
        layout = self.layout
        how = rng.choice(("garbage", "zeros", "end record copy", "valid directory copy"))
        if how == "garbage":
            extra = rng.randbytes(rng.randint(1, 4096))
        elif how == "zeros":
            extra = bytes(rng.choice((rng.randint(1, 64), rng.randint(65536, 70000))))
        elif how == "end record copy":
            extra = self.pristine[layout.eocd:]
        else:
            # The directory and end record again, the new end record pointing at the new
            # directory: a valid archive (the entries' offsets are absolute) that runs as is.
            directory = self.pristine[layout.cd_start:layout.eocd]
            record = bytearray(self.pristine[layout.eocd:])
            struct.pack_into("<I", record, 16, layout.size)
            extra = directory + bytes(record)
        return replace(m, offset=layout.size, append=extra, region="appended", group="appended",
                       what=f"{len(extra)} bytes appended ({how})")

    def _eocd(self, rng: random.Random, m: Mutation) -> Mutation:
        return self._field(rng, m, self.layout.eocd, EOCD_FIELDS, "end record")

    def _central(self, rng: random.Random, m: Mutation) -> Mutation:
        entry = self._entry_for_structure(rng)
        name_length = len(entry.name.encode())
        return self._field(rng, m, entry.central, CENTRAL_FIELDS,
                           f"central directory of {entry.name}:", CENTRAL.size, name_length)

    def _local(self, rng: random.Random, m: Mutation) -> Mutation:
        entry = self._entry_for_structure(rng)
        name_length = len(entry.name.encode())
        return self._field(rng, m, entry.header, LOCAL_FIELDS, f"local header of {entry.name}:",
                           LOCAL.size, name_length)

    def _boot_table(self, rng: random.Random, m: Mutation) -> Mutation:
        start, text = self.layout.comment, self.pristine[self.layout.comment:]
        magic, *lines, last = text.split(b"\n")  # last: after the final newline, empty
        how = rng.random()
        if how < 0.15 and len(lines) >= 2:
            i, j = sorted(rng.sample(range(len(lines)), 2))
            swapped = lines[:]
            swapped[i], swapped[j] = lines[j], lines[i]
            new = b"\n".join([magic, *swapped, last])
            return self._at(m, start, new, f"boot table lines {i + 2} and {j + 2} swapped")
        if how < 0.65:
            digits = [i for i, c in enumerate(text) if 0x30 <= c <= 0x39]
            i = rng.choice(digits)
            new = rng.choice([c for c in b"0123456789" if c != text[i]])
            return self._at(m, start + i, bytes([new]),
                            f"boot table digit {chr(text[i])} -> {chr(new)}")
        i = rng.randrange(len(text))
        new = rng.choice([c for c in b"\n \0\x7f\x80\xffaF/0-9x" if c != text[i]])
        return self._at(m, start + i, bytes([new]),
                        f"boot table char {text[i]:#04x} -> {new:#04x}")

    def _entry(self, rng: random.Random, m: Mutation) -> Mutation:
        group = rng.choice(list(self.targets))
        entry = rng.choice(self.targets[group])
        if rng.random() < 0.3:  # headers: the pyc header, the zstd frame header, ...
            offset = entry.data + rng.randrange(min(entry.size, 16))
        else:
            offset = entry.data + rng.randrange(entry.size)
        op = rng.choice(("bitflip", "byte", "byte-extreme", "word4"))
        mutation = self._byte_op(rng, m, offset, op, entry.data + entry.size)
        return replace(mutation, what=f"{mutation.what} in {entry.name} ({group})")


def field_value(rng: random.Random, old: int, width: int) -> tuple[int, str]:
    """A new value for a `width`-byte field, different from `old`, and how it was chosen.

    Zero and all-ones are the classic values for size and offset fields, one off and small
    shifts make a plausible but wrong offset, a flipped bit or random value the rest.
    """
    top = (1 << 8 * width) - 1
    while True:
        how = rng.choice(("zero", "max", "+1", "-1", "bitflip", "near", "random"))
        if how == "zero":
            new = 0
        elif how == "max":
            new = top
        elif how == "+1":
            new = (old + 1) & top
        elif how == "-1":
            new = (old - 1) & top
        elif how == "bitflip":
            new = old ^ 1 << rng.randrange(8 * width)
        elif how == "near":
            new = (old + rng.choice((-1, 1)) * rng.randint(2, 4096)) & top
        else:
            new = rng.randint(0, top)
        if new != old:
            return new, how


# --- running binaries ------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """How one run ended; status is the exit status, -N for death by signal N."""

    status: int
    stdout: bytes
    stderr: bytes
    seconds: float
    timed_out: bool = False
    overflow: bool = False  # more output than OUTPUT_CAP: what is kept is its beginning

    def same(self, other: Outcome) -> bool:
        """Same observable behaviour (the time taken aside)."""
        return ((self.status, self.stdout, self.stderr, self.timed_out, self.overflow)
                == (other.status, other.stdout, other.stderr, other.timed_out, other.overflow))


def run_binary(binary: Path, args: Sequence[str], env: dict[str, str], cwd: Path,
               timeout: float) -> Outcome:
    """Run it with stdin at /dev/null; kill its whole process group after `timeout`.

    Output is read as it comes with a cap, so a mutant that prints endlessly neither fills the
    harness's memory nor blocks on a full pipe; the process group goes at the end in any case,
    so nothing a mutant started outlives its run.
    """
    start = time.monotonic()
    deadline = start + timeout
    proc = subprocess.Popen([str(binary), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = bytearray(), bytearray()
    buffers = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    timed_out = overflow = False
    with selectors.DefaultSelector() as selector:
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and not timed_out:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                buffer = buffers[key.fd]
                room = OUTPUT_CAP - len(buffer)
                overflow = overflow or len(chunk) > room
                buffer += chunk[:max(room, 0)]
    if not timed_out:
        try:
            # The pipes are closed: it is exiting. The floor keeps a process that closed them
            # just at the deadline from counting as a hang.
            proc.wait(max(deadline - time.monotonic(), 0.5))
        except subprocess.TimeoutExpired:
            timed_out = True
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    return Outcome(proc.returncode, bytes(out), bytes(err), time.monotonic() - start,
                   timed_out, overflow)


def classify(outcome: Outcome, expected: Outcome) -> str:
    """Which of CLASSES (but poison, which needs a second run) a mutant's run falls in."""
    if outcome.timed_out:
        return "hang"
    if b"Fatal Python error" in outcome.stderr:
        return "fatal"
    if outcome.status < 0:
        return "crash"
    if outcome.same(expected):
        return "ok"
    if (outcome.status == 126 and not outcome.stdout and not outcome.overflow
            and DAMAGED_LINE.fullmatch(outcome.stderr)):
        return "damaged"
    return "wrong"


def snapshot(root: Path) -> dict[str, str]:
    """Everything under a cache directory: relative path -> "dir", "link:<target>", "special"
    or the SHA-256 of the file (content, not times: a warm start must leave it unchanged)."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            key = os.path.relpath(path, root)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                found[key] = "link:" + os.readlink(path)
            elif stat.S_ISDIR(mode):
                found[key] = "dir"
            elif not stat.S_ISREG(mode):
                found[key] = "special"  # never opened: a FIFO would block
            else:
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
                found[key] = digest.hexdigest()
    return found


def misnamed_natives(state: dict[str, str]) -> list[str]:
    """Files under native/<sha256>/ whose content has another SHA-256: a poisoned cache."""
    bad = []
    for path, digest in state.items():
        parts = path.split("/")
        if (len(parts) == 3 and parts[0] == "native" and re.fullmatch(r"[0-9a-f]{64}", parts[1])
                and re.fullmatch(r"[0-9a-f]{64}", digest) and digest != parts[1]
                and not re.search(r"\.[A-Za-z0-9]{6}$", parts[2])):  # a temp file, not loaded
            bad.append(path)
    return bad


@dataclass(frozen=True)
class Result:
    """One mutant's run, classified."""

    mutation: Mutation
    cls: str
    status: int
    seconds: float
    stdout: bytes
    stderr: bytes
    detail: str = ""  # for poison: what was wrong with the cache
    cache_suspect: bool = False  # left something in the cache the pristine binary would not


def _clear(directory: Path) -> None:
    """Empty a directory a run may have written to, keeping the directory."""
    for child in os.scandir(directory):
        if child.is_dir(follow_symlinks=False):
            shutil.rmtree(child.path, ignore_errors=True)
        else:
            os.unlink(child.path)


class Lab:
    """A private directory in which one process runs mutants, one at a time.

    It holds the binary's path (the same for every run, so the pristine and the mutants see
    the same argv[0] and sys.executable), a working directory, HOME and TMPDIR, the fresh cache
    of cold runs and the warm cache, and the expected outcomes, measured here, at this path.
    """

    def __init__(self, root: Path, name: str, pristine: bytes, args: Sequence[str],
                 timeout: float) -> None:
        self.root = root
        self.pristine = pristine
        self.args = list(args)
        self.timeout = timeout
        self.binary = root / "bin" / name
        self.cold_cache = root / "cold-cache"
        self.warm_cache = root / "warm-cache"
        self.dirs = [root / "cwd", root / "home", root / "tmp"]
        for directory in (self.binary.parent, *self.dirs):
            directory.mkdir(parents=True, exist_ok=True)
        self.expected: dict[str, Outcome] = {}  # by cache mode
        self.reference: dict[str, dict[str, str]] = {}  # the cache after pristine starts
        self.start_times = (0.0, 0.0)  # the pristine's first and warm start, seconds
        self.unsteady = False  # pristine warm starts change the cache

    def env(self, cache: Path) -> dict[str, str]:
        """A clean environment: nothing from the harness's, the cache where we say."""
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.dirs[1]), "TMPDIR": str(self.dirs[2]),
                "LANG": "C", "FREEZER_CACHE_DIR": str(cache)}

    def install(self, mutation: Mutation | None) -> None:
        """Write the pristine binary, or a mutant of it, at self.binary.

        A new file renamed over the old one: never a write into a file that might still be
        mapped by a previous run (ETXTBSY), and no copy of the pristine file on disk to read.
        """
        tmp = self.binary.with_name(self.binary.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o755)
        try:
            view = memoryview(self.pristine)
            if mutation is not None and mutation.truncate is not None:
                view = view[:mutation.truncate]
            while view:
                view = view[os.write(fd, view):]
            if mutation is not None:
                for offset, chunk in mutation.writes:
                    os.pwrite(fd, chunk, offset)
                if mutation.append:
                    os.write(fd, mutation.append)
            os.fchmod(fd, 0o755)
        finally:
            os.close(fd)
        os.replace(tmp, self.binary)

    def run(self, cache: Path) -> Outcome:
        """One run of whatever is installed, then the scratch directories emptied."""
        outcome = run_binary(self.binary, self.args, self.env(cache), self.dirs[0], self.timeout)
        for directory in self.dirs:
            if any(os.scandir(directory)):
                _clear(directory)
        return outcome

    def fill_warm_cache(self) -> None:
        """The warm cache as the pristine binary leaves it on its first start."""
        shutil.rmtree(self.warm_cache, ignore_errors=True)
        self.install(None)
        self.run(self.warm_cache)

    def setup(self) -> None:
        """Measure the expected outcomes here; refuse a pristine binary that is not steady."""
        self.install(None)
        shutil.rmtree(self.cold_cache, ignore_errors=True)
        cold = self.run(self.cold_cache)
        self.reference["cold"] = snapshot(self.cold_cache)
        shutil.rmtree(self.cold_cache, ignore_errors=True)
        self.fill_warm_cache()
        warm = self.run(self.warm_cache)
        self.reference["warm"] = snapshot(self.warm_cache)
        again = self.run(self.warm_cache)
        # Warm starts that write to the cache (a record of a check, say) are no error, only
        # slower here: every warm mutant then counts as having changed the cache.
        self.unsteady = snapshot(self.warm_cache) != self.reference["warm"]
        for outcome, label in ((cold, "first start"), (warm, "warm start"),
                               (again, "second warm start")):
            if outcome.timed_out or outcome.status < 0 or outcome.overflow:
                raise HarnessError(f"the pristine binary's {label} failed: {describe(outcome)}")
        if not (cold.same(warm) and warm.same(again)):
            raise HarnessError("the pristine binary does not behave the same on every start "
                               f"(first, warm, warm):\n{describe(cold)}\n{describe(warm)}\n"
                               f"{describe(again)}")
        if DAMAGED_LINE.fullmatch(cold.stderr):
            raise HarnessError(f"the pristine binary says it is damaged: {describe(cold)}")
        self.expected = {"cold": cold, "warm": warm}
        self.start_times = (cold.seconds, warm.seconds)

    def check_cache(self, cache: Path, mode: str) -> tuple[bool, bool, str]:
        """(changed, suspect, poison detail) for the cache a mutant ran with.

        Changed: not as the pristine binary leaves it. Suspect: holding something the pristine
        binary would not have put there (a damaged binary that stops early leaves less, which
        is fine). A suspect cache gets the pristine binary run against it, which must still
        behave as it does with a good one.
        """
        state = snapshot(cache) if cache.exists() else {}
        reference = self.reference[mode]
        suspect = set(state.items()) - set(reference.items())
        changed = state != reference
        if not suspect:
            return changed, False, ""
        bad = misnamed_natives(state)
        if bad:
            return changed, True, f"wrote a file whose SHA-256 is not its name: {bad[0]}"
        self.install(None)
        outcome = self.run(cache)
        if not outcome.same(self.expected["warm"]):
            names = ", ".join(sorted(path for path, _ in suspect)[:3])
            return changed, True, (f"the pristine binary then fails ({describe(outcome)}); "
                                   f"files changed: {names}")
        return changed, True, ""

    def mutant(self, mutation: Mutation) -> Result:
        """Install, run and classify one mutant; leave the caches ready for the next."""
        cache = self.cold_cache if mutation.cache == "cold" else self.warm_cache
        if mutation.cache == "cold":
            shutil.rmtree(self.cold_cache, ignore_errors=True)
        self.install(mutation)
        outcome = self.run(cache)
        cls = classify(outcome, self.expected[mutation.cache])
        changed, suspect, poison = self.check_cache(cache, mutation.cache)
        if poison and cls in ("ok", "damaged"):
            cls = "poison"
        if mutation.cache == "cold":
            shutil.rmtree(self.cold_cache, ignore_errors=True)
        elif changed:
            self.fill_warm_cache()
        return Result(mutation, cls, outcome.status, outcome.seconds,
                      outcome.stdout[:4096], outcome.stderr[:4096], poison, suspect)


def describe(outcome: Outcome) -> str:
    """One line about a run: how it ended, and the start of what it printed."""
    if outcome.timed_out:
        how = "timed out"
    elif outcome.status < 0:
        how = f"killed by {signal_name(-outcome.status)}"
    else:
        how = f"status {outcome.status}"
    return (f"{how}, stdout {outcome.stdout[:120]!r}, stderr {outcome.stderr[:300]!r}"
            f"{' (output cut)' if outcome.overflow else ''}")


def signal_name(number: int) -> str:
    """SIGSEGV rather than 11."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# --- the worker pool -------------------------------------------------------------------------

_LAB: Lab | None = None


def _init_worker(root: str, name: str, pristine: bytes, args: Sequence[str], timeout: float,
                 memory_limit: int) -> None:
    """Per worker: its own Lab (directory, caches, expected outcomes), limits inherited by the
    mutants: no core dumps (slow, and litter), bounded address space."""
    global _LAB
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    _LAB = Lab(Path(tempfile.mkdtemp(prefix="worker-", dir=root)), name, pristine, args,
               timeout)
    _LAB.setup()


def _run_mutant(mutation: Mutation) -> Result:
    assert _LAB is not None
    return _LAB.mutant(mutation)


# --- the whole run ---------------------------------------------------------------------------

@dataclass
class Options:
    """What main() parses; run() takes it, so a test can call the harness directly."""

    count: int = DEFAULT_COUNT
    seed: int = 0
    jobs: int = 0  # 0: os.cpu_count()
    python: Path | None = None
    binary: Path | None = None
    freezer_source: Path = REPO  # the checkout whose freezer builds the hello
    args: Sequence[str] | None = None  # None: HELLO_ARGS for the built hello, none for --binary
    keep_failures: Path | None = None
    keep_max: int = KEEP_MAX
    timeout: float = DEFAULT_TIMEOUT
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    workdir: Path | None = None
    only: Sequence[int] = ()
    examples: int = 3
    progress: bool = True


@dataclass
class Report:
    """Every result, and what is needed to print the summary."""

    options: Options
    binary: Path
    layout: Layout
    results: list[Result]
    seconds: float
    jobs: int
    pristine: Outcome
    start_times: tuple[float, float]

    @property
    def failures(self) -> int:
        """How many mutants ended in a failure class."""
        return sum(r.cls in FAILURES for r in self.results)

    def summary(self) -> str:
        """The tables and examples, as printed at the end of a run."""
        return "\n".join(_summary_lines(self))


def default_python(minor: int = DEFAULT_TARGET_MINOR) -> Path:
    """The newest pyenv 3.<minor> (what the test suite's targets are), else python3.<minor>."""
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True)
        root = done.stdout.strip() if done.returncode == 0 else None
    versions = Path(root or Path.home() / ".pyenv") / "versions"
    found = []
    for python in versions.glob(f"3.{minor}.*/bin/python3.{minor}"):
        match = re.fullmatch(rf"3\.{minor}\.(\d+)", python.parent.parent.name)
        if match:
            found.append((int(match.group(1)), python))
    if found:
        return max(found)[1]
    on_path = shutil.which(f"python3.{minor}")
    if on_path:
        return Path(on_path)
    raise HarnessError(f"no CPython 3.{minor} under {versions} nor on PATH (give --python)")


def write_hello(directory: Path) -> Path:
    """The harness's program, as app.py in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "app.py"
    script.write_text(HELLO_SOURCE, encoding="utf-8")
    return script


def freeze_hello(directory: Path, python: Path, source: Path = REPO) -> Path:
    """Freeze the hello with the freezer in `source` (a checkout: by default this one, or
    e.g. `git archive HEAD` unpacked, to compare a bootloader change with the last commit)."""
    directory = directory.resolve()  # the tool runs in the program's directory
    script = write_hello(directory / "program")
    output = directory / "hello"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "freezer", script.name, "-o", str(output),
                           "--python", str(python), "-q"], cwd=script.parent, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise HarnessError(f"freezing the hello failed (status {done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")
    return output


def scratch_base(requested: Path | None) -> Path:
    """Where mutants are written: /dev/shm when it is a tmpfs that allows exec (tens of GB of
    writes never reach a disk there), else the usual temporary directory."""
    if requested is not None:
        return requested
    shm = Path("/dev/shm")
    try:
        st = os.statvfs(shm)
    except OSError:
        return Path(tempfile.gettempdir())
    if st.f_flag & os.ST_NOEXEC or st.f_bavail * st.f_frsize < 2 << 30:
        return Path(tempfile.gettempdir())
    return shm


def run(options: Options) -> Report:
    """Build or take the binary, measure the pristine binary, run every mutant."""
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="freezer-mutate-", dir=scratch_base(options.workdir)))
    try:
        if options.binary is not None:
            binary = Path(options.binary).resolve()
            args = list(options.args or ())
        else:
            python = options.python or default_python()
            _log(options, f"freezing the hello for {python}")
            binary = freeze_hello(base / "build", python, options.freezer_source)
            args = list(HELLO_ARGS if options.args is None else options.args)
        pristine = binary.read_bytes()
        layout = read_layout(binary)
        mutator = Mutator(layout, pristine, options.seed)
        indices = list(options.only) or list(range(options.count))
        mutations = [mutator.draw(i) for i in indices]

        check = Lab(base / "pristine", binary.name, pristine, args, options.timeout)
        check.setup()
        expected = check.expected["cold"]
        if options.binary is None and (expected.status != 0
                                       or not expected.stdout.startswith("hello wörld".encode())):
            raise HarnessError(f"the pristine hello does not work: {describe(expected)}")
        if check.unsteady:
            _log(options, "note: warm starts of the pristine binary change its cache")
        jobs = options.jobs or os.cpu_count() or 1
        jobs = max(1, min(jobs, len(mutations)))
        _log(options, f"{len(mutations)} mutants of {binary} ({layout.size} bytes, payload "
                      f"from {layout.payload}), {jobs} jobs; "
                      f"pristine: {describe(check.expected['cold'])}")
        results = []
        context = multiprocessing.get_context("fork")  # the pristine bytes are shared, not sent
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(str(base), binary.name, pristine, args,
                                           options.timeout, options.memory_limit)) as pool:
            step = max(len(mutations) // 20, 1)
            for result in pool.map(_run_mutant, mutations, chunksize=4):
                results.append(result)
                if len(results) % step == 0:
                    failed = sum(r.cls in FAILURES for r in results)
                    _log(options, f"  {len(results)}/{len(mutations)} run, {failed} failures, "
                                  f"{time.monotonic() - started:.0f} s")
        report = Report(options, binary, layout, results, time.monotonic() - started, jobs,
                        check.expected["cold"], check.start_times)
        if options.keep_failures is not None:
            keep_failures(report, pristine, options.keep_failures)
        return report
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _log(options: Options, text: str) -> None:
    if options.progress:
        print(text, file=sys.stderr, flush=True)


def keep_failures(report: Report, pristine: bytes, directory: Path) -> None:
    """Every failure described in failures.txt; the mutant itself for the first few of each
    class (they are as big as the binary), and the pristine binary to compare with."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(report.binary, directory / "pristine")
    kept: Counter[str] = Counter()
    with open(directory / "failures.txt", "w", encoding="utf-8") as out:
        out.write(f"binary {report.binary}, seed {report.options.seed}\n"
                  "cold: run with FREEZER_CACHE_DIR set to a new, empty directory; warm: with a "
                  "cache the pristine binary has filled\n\n")
        for result in report.results:
            if result.cls not in FAILURES:
                continue
            m = result.mutation
            name = ""
            if kept[result.cls] < report.options.keep_max:
                kept[result.cls] += 1
                name = f"{result.cls}-{m.index}-{m.kind}"
                target = directory / name
                target.write_bytes(m.apply(pristine))
                target.chmod(0o755)
            out.write(f"#{m.index} {result.cls} [{m.cache}] {m.kind}: {m.what}\n"
                      f"  region: {m.region} (offset {m.offset})\n"
                      f"  file: {name or '(not kept)'}\n  ended: {_status(result)}\n"
                      f"  stdout: {result.stdout[:300]!r}\n")
            if result.detail:
                out.write(f"  cache: {result.detail}\n")
            stderr = result.stderr.decode("utf-8", "replace").splitlines()
            out.write("".join(f"  | {line}\n" for line in stderr) or "  (no stderr)\n")
            out.write("\n")


def _status(result: Result) -> str:
    """How the run ended, in words."""
    if result.cls == "hang":
        return f"timed out after {result.seconds:.0f} s"
    if result.status < 0:
        return f"killed by {signal_name(-result.status)}"
    return f"status {result.status}"


def reason(result: Result) -> str:
    """A short, number-free reason, so that alike results count together."""
    text = result.stderr.decode("utf-8", "replace")
    if result.cls == "damaged":
        found = re.search(r"damaged executable \((.*)\)", text)
        why = found.group(1) if found else text
    elif result.cls == "crash":
        why = signal_name(-result.status)
    elif result.cls == "hang":
        why = "timed out"
    elif result.cls == "poison":
        why = result.detail.split(";")[0]
    else:
        lines = [line for line in text.splitlines() if line.strip()]
        if result.cls == "fatal":
            lines = [line for line in lines if "Fatal Python error" in line] or lines
            why = lines[0] if lines else ""
        else:
            why = lines[-1] if lines else f"status {result.status}, other stdout"
    why = re.sub(r"/\S*", "<path>", why)
    return re.sub(r"\d+", "N", why)[:110]


def _table(title: str, rows: dict[str, Counter[str]]) -> list[str]:
    width = max([len(title), *(len(r) for r in rows)])
    lines = [f"{title:<{width}}  " + " ".join(f"{c:>7}" for c in (*CLASSES, "total"))]
    for row, counts in rows.items():
        lines.append(f"{row:<{width}}  " + " ".join(f"{counts[c]:>7}" for c in CLASSES)
                     + f" {sum(counts.values()):>7}")
    return lines


def _summary_lines(report: Report) -> Iterator[str]:
    results, layout = report.results, report.layout
    by_class = Counter(r.cls for r in results)
    runs = sorted(r.seconds for r in results)
    median = runs[len(runs) // 2] * 1000 if runs else 0.0
    yield (f"{len(results)} mutants of {report.binary} ({layout.size} bytes; bootloader ELF "
           f"0..{layout.elf_end} out of scope; payload {layout.payload}..{layout.size}, "
           f"{len(layout.entries)} entries), seed {report.options.seed}")
    yield (f"pristine: {describe(report.pristine)}; first start "
           f"{report.start_times[0] * 1000:.0f} ms, warm {report.start_times[1] * 1000:.0f} ms")
    rate = len(results) / report.seconds
    yield (f"took {report.seconds:.1f} s with {report.jobs} jobs ({rate:.0f} mutants/s, "
           f"median run {median:.0f} ms); "
           f"{sum(r.cache_suspect for r in results)} mutants left something new in the cache")
    yield ""
    yield "  ".join(f"{c} {by_class[c]}" for c in CLASSES) + f"  | failures {report.failures}"
    yield ""
    rows: dict[str, Counter[str]] = {}
    for kind in KIND_WEIGHTS:
        rows[kind] = Counter(r.cls for r in results if r.mutation.kind == kind)
    yield from _table("kind", rows)
    yield ""
    groups = sorted({r.mutation.group for r in results})
    yield from _table("region", {g: Counter(r.cls for r in results if r.mutation.group == g)
                                 for g in groups})
    yield ""
    yield from _table("cache", {mode: Counter(r.cls for r in results if r.mutation.cache == mode)
                                for mode in ("cold", "warm")})
    for cls in ("damaged", *FAILURES):
        chosen = [r for r in results if r.cls == cls]
        if not chosen:
            continue
        yield ""
        yield f"{cls}: most common reasons"
        for why, n in Counter(reason(r) for r in chosen).most_common(8):
            yield f"  {n:>6}  {why}"
        if cls == "damaged":
            continue
        for r in chosen[:report.options.examples]:
            m = r.mutation
            yield (f"  e.g. #{m.index} [{m.cache}] {m.kind}: {m.what}; at {m.offset} in "
                   f"{m.region}; {_status(r)}")
            if r.detail:
                yield f"       cache: {r.detail[:300]}"
            lines = r.stderr.decode("utf-8", "replace").splitlines()
            head = lines if len(lines) <= 5 else [*lines[:2], "...", *lines[-2:]]
            fatal = [line for line in lines if "Fatal Python error" in line]
            if fatal and fatal[0] not in head:  # it comes after python's path configuration
                head.insert(0, fatal[0])
            for line in head:
                yield f"       | {line[:160]}"
            if not lines:
                yield f"       | (no stderr; stdout {r.stdout[:100]!r})"
    if report.failures:
        failed = [r.mutation.index for r in results if r.cls in FAILURES][:5]
        options = report.options
        if options.binary:
            where = f"--binary {report.binary}"
        else:
            where = f"--python {options.python or default_python()}"
            if options.freezer_source != REPO:
                where += f" --freezer-source {options.freezer_source}"
        if options.args is not None:
            where += f" --args {shlex.quote(shlex.join(options.args))}"
        yield ""
        yield (f"re-run some: benchmarks/mutate.py --seed {options.seed} {where} "
               f"--only {','.join(map(str, failed))}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT,
                        help=f"mutants to run (default {DEFAULT_COUNT})")
    parser.add_argument("--seed", type=int, default=0, help="which mutants (default 0)")
    parser.add_argument("--jobs", type=int, default=0,
                        help="parallel workers (default: the number of CPUs)")
    parser.add_argument("--python", type=Path,
                        help=f"the CPython to freeze the hello for (default: pyenv's newest "
                             f"3.{DEFAULT_TARGET_MINOR})")
    parser.add_argument("--binary", type=Path, help="mutate this frozen binary instead")
    parser.add_argument("--freezer-source", type=Path, default=REPO, metavar="DIR",
                        help="freeze the hello with the freezer package in DIR (default: this "
                             "checkout), e.g. `git archive HEAD | tar -x -C DIR`")
    parser.add_argument("--args", help="its arguments, one shell-quoted string (default: "
                                       f"{shlex.join(HELLO_ARGS)!r} for the hello, none else)")
    parser.add_argument("--keep-failures", type=Path, metavar="DIR",
                        help=f"describe every failure in DIR/failures.txt and keep the first "
                             f"{KEEP_MAX} mutants of each failure class there")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds before a run is a hang (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--workdir", type=Path,
                        help="where to write mutants (default /dev/shm when usable)")
    parser.add_argument("--only", help="run only these mutants of the seed: I,J,...")
    parser.add_argument("--examples", type=int, default=3,
                        help="examples shown per failure class (default 3)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    ns = parser.parse_args(argv)
    options = Options(count=ns.count, seed=ns.seed, jobs=ns.jobs, python=ns.python,
                      binary=ns.binary, freezer_source=ns.freezer_source.resolve(),
                      timeout=ns.timeout, workdir=ns.workdir,
                      keep_failures=ns.keep_failures, examples=ns.examples,
                      args=None if ns.args is None else shlex.split(ns.args),
                      only=[int(i) for i in ns.only.split(",")] if ns.only else (),
                      progress=not ns.quiet)
    try:
        report = run(options)
    except HarnessError as exc:
        print(f"mutate: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
