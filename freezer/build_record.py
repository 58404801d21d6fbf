"""The build record: what a binary was built from and why each module is in it, carried in
the binary itself as one payload entry, and read back by `freeze inspect` and `freeze why`.

This module is the format's one home: the build writes the record with `make` and the two
commands read it with `read_binary`, so both sides agree on the entry's name, its fields and
their meaning. The runtime never reads it (nothing at run time depends on it), so it lives
on the build side, and a binary found in the wild tells what it holds without its build
machine.

The record is JSON with sorted keys and no timestamps: two builds of the same inputs stay
byte-identical. Fields (format 1):

- `format`, `freezer`: this format's number and the freezer version that wrote it;
- `target`: platform, CPython version, the interpreter built from, its machine;
- `glibc`: the floor (`version`, `by`: the file that sets it), and what the start needs;
- `options`: the build's inputs as given (entry, hints, --pruned, --no-sources, --glibc);
- `modules`: name -> [origin, distribution or "", reason, importer]: the reason is where
  the analysis first reached the module ("app.py:3", "--include-module:0", "rich (whole
  distribution, for rich.console)"), the importer the module whose import that was;
- `importers`: name -> [origin, kind, reason, importer] of the modules no entry holds
  (`__main__`, built-in and frozen ones) that a chain passes through;
- `cold`: the standard-library modules carried as sources that no import was seen of;
- `dists`: name, version, why it is bundled, whether the program imports it, its
  top-level names (which entries of the payload are its own);
- `left_out`, `warnings`, `dropped`: what the build left out and said;
- `unpacked`: bytes a first start writes to the cache, and at most.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import freezer
from freezer.glibc import shown

if TYPE_CHECKING:
    from freezer.analysis import Analysis
    from freezer.build import BuildOptions

ENTRY = "__freezer__/build.json"
FORMAT = 1
BOOT_MAGIC = b"FREEZER2\n"  # the boot table's first line (payload.py writes it)
CHECKSUM_PREFIX = b"sha256 "
_CHECKSUM_TAIL = 64 + 1
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


def make(opts: BuildOptions, analysis: Analysis) -> bytes:
    """The record of this build, as the payload entry's bytes."""
    floor = analysis.floor
    top = floor.top if floor else None
    start = floor.start if floor else None
    entry = opts.entry
    record = {
        "format": FORMAT,
        "freezer": freezer.__version__,
        "target": {"platform": analysis.target.get("platform", ""),
                   "python": analysis.target["version"],
                   "executable": analysis.target.get("executable", ""),
                   "machine": analysis.target.get("machine", ""),
                   "stdlib": analysis.target.get("stdlib", "")},
        "glibc": {"version": shown(top.version) if top else "",
                  "by": top.describe() if top else "",
                  "start": shown(start.version) if start else "",
                  "start_by": start.describe() if start else ""},
        "options": {
            "entry": {"kind": entry.kind, "path": str(entry.path or ""),
                      "module": entry.module, "func": entry.func,
                      "directory": entry.directory},
            "include": opts.include, "exclude": opts.exclude, "collect": opts.collect,
            "paths": opts.paths, "add_data": [dest for _, dest in opts.add_data],
            "trace": opts.trace_args, "pruned": opts.pruned, "sources": opts.sources,
            "glibc": shown(opts.glibc) if opts.glibc else "",
        },
        "modules": {m.name: [m.origin, m.dist or "", m.reason, m.by]
                    for m in analysis.modules},
        "importers": {m.name: [m.origin, m.kind, m.reason, m.by] for m in analysis.importers},
        "cold": sorted(a[:-len("/__init__.py")].replace("/", ".") if a.endswith("/__init__.py")
                       else a[:-3].replace("/", ".")
                       for a in analysis.cold if a.endswith(".py")),
        "dists": [{"name": d.name, "version": d.version, "bundled_for": d.bundled_for,
                   "direct": d.direct, "dist_info": d.dist_info,
                   "tops": sorted({m.name.split(".")[0] for m in analysis.modules
                                   if m.dist == d.name})}
                  for d in analysis.dists],
        "left_out": [{"name": i.name, "why": i.why, "at": i.at} for i in analysis.left_out],
        "dropped": analysis.dropped,
        "warnings": analysis.warnings,
        "unpacked": {"first_start": analysis.boot_unpacked, "at_most": analysis.unpacked},
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


# --- reading ---------------------------------------------------------------------------------

@dataclass
class Contents:
    """What `freeze inspect` found in a file: the record, the payload's entries, and every
    way the file is damaged (empty: intact)."""

    path: Path
    size: int
    record: dict | None = None
    # (name, stored bytes, unpacked bytes) of every payload entry, when the directory reads.
    entries: list[tuple[str, int, int]] = field(default_factory=list)
    payload_start: int = 0  # where the zip begins: the bootloader is what comes before
    damage: list[str] = field(default_factory=list)
    zipapp: bool = False  # a .pyz: no bootloader, no boot table, no checksum
    notes: list[str] = field(default_factory=list)  # what is missing but not damaged


def read_binary(path: Path) -> Contents:
    """Read a freezer binary as far as it can be read, naming each fault found.

    Checked: the ELF header, the zip directory, the boot table, the checksum over the whole
    file (the bootloader refuses to start on a mismatch), every entry's CRC, and the record.
    Where the zip directory cannot be read (a truncated file), the record is looked for by
    its local header, which precedes its data in the file.
    """
    data = path.read_bytes()
    found = Contents(path, len(data))
    found.zipapp = data[:2] in (b"#!", b"PK")
    if data[:4] != b"\x7fELF" and not found.zipapp:
        found.damage.append("no ELF header: not an executable (or its start is damaged)")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        found.damage.append(f"the payload's zip directory cannot be read ({e}): the file is "
                            "truncated or damaged")
        found.record = _record_by_scan(data, found.damage)
        return found
    with archive:
        if not found.zipapp:
            _check_table(archive.comment, data, found.damage)
        infos = archive.infolist()
        found.payload_start = min((i.header_offset for i in infos), default=0)
        for info in infos:
            found.entries.append((info.filename, info.compress_size, info.file_size))
            if info.is_dir():
                continue
            try:
                with archive.open(info) as handle:
                    while handle.read(1 << 20):
                        pass
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
                found.damage.append(f"entry {info.filename} is damaged ({e})")
        try:
            raw = archive.read(ENTRY)
        except KeyError:
            found.notes.append(f"no build record ({ENTRY}): built by a freezer older than "
                               "the record")
            return found
        except (zipfile.BadZipFile, zlib.error, OSError) as e:
            found.damage.append(f"the build record cannot be read ({e})")
            return found
    found.record = _parse(raw, found.damage)
    return found


def _check_table(comment: bytes, data: bytes, damage: list[str]) -> None:
    if not comment.startswith(BOOT_MAGIC):
        damage.append("no boot table in the zip comment: not a freezer binary, or damaged")
        return
    last = comment.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    if not last.startswith(CHECKSUM_PREFIX) or not data.endswith(b"\n"):
        damage.append("the boot table has no checksum line: damaged or truncated")
        return
    recorded = last[len(CHECKSUM_PREFIX):].decode("ascii", "replace")
    actual = hashlib.sha256(data[:len(data) - _CHECKSUM_TAIL]).hexdigest()
    if recorded != actual:
        damage.append("checksum mismatch: the file changed after it was built (the "
                      "bootloader refuses to start it)")


def _parse(raw: bytes, damage: list[str]) -> dict | None:
    try:
        record = json.loads(raw)
    except ValueError:
        damage.append("the build record is not valid JSON: damaged")
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        damage.append(f"the build record's format is {record.get('format')!r} "
                      f"(this freezer reads {FORMAT})" if isinstance(record, dict)
                      else "the build record is damaged")
        return None
    return record


def _record_by_scan(data: bytes, damage: list[str]) -> dict | None:
    """The record from its local header, for a file whose zip directory is gone."""
    name = ENTRY.encode()
    at = data.find(name)
    while at >= 0:
        header = at - _LOCAL_HEADER.size
        if header >= 0 and data[header:header + 4] == b"PK\x03\x04":
            fields = _LOCAL_HEADER.unpack_from(data, header)
            if fields[9] == len(name):
                method, size = fields[3], fields[7]
                body = data[at + len(name) + fields[10]:at + len(name) + fields[10] + size]
                try:
                    raw = zlib.decompress(body, -15) if method == 8 else body
                except zlib.error:
                    damage.append("the build record is damaged too")
                    return None
                return _parse(raw, damage)
        at = data.find(name, at + 1)
    damage.append("no build record found in what is left of the file")
    return None
