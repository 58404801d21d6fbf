"""`freeze inspect OUT` and `freeze why OUT MODULE`: what a binary holds, and why.

Both read only the binary (build_record.py): its payload's directory for the sizes, and the
build record for what it was built from and the reason of each module. Sizes are the bytes
each entry takes in the file (stored, compressed where it is), since that is what the file
costs; by distribution, an entry belongs to the distribution whose top-level name it lies
under (its modules, data files and .dist-info), and the rest is the program's, the standard
library's and CPython's.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import defaultdict
from pathlib import Path

from freezer.build_record import ENTRY, Contents, read_binary
from freezer.decisions import reason_words, short_path
from freezer.errors import FreezeError
from freezer.progress import megabytes

NATIVE_PREFIX = "__freezer__/native/"
STORE_PREFIX = "__freezer__/store/"
LARGEST = 10


def kind_of(name: str) -> str:
    """What a payload entry is, for the sizes by kind."""
    if name.startswith(NATIVE_PREFIX):
        return "shared libraries (CPython's, the system's)"
    if name.startswith(STORE_PREFIX):
        return "module store (bytecode and sources)"
    if name == ENTRY or name.startswith("__freezer__/"):
        return "freezer's records"
    if re.search(r"\.so(\.[\d.]+)?(\.zst)?$", name):
        return "extension modules and their libraries"
    if name.endswith(".pyc"):
        return "bytecode"
    if name.endswith(".py"):
        return "sources"
    if ".dist-info/" in name:
        return "metadata"
    return "data files"


def owner_of(name: str, tops: dict[str, str]) -> str:
    """The distribution an entry belongs to, or "" for the program, stdlib and CPython."""
    first = name.split("/")[0]
    if first == "__pycache__":
        first = name.split("/")[1] if "/" in name else first
    first = first.split(".")[0]
    return tops.get(first, tops.get(name.split("/")[0], ""))


def open_binary(path: str) -> Contents:
    target = Path(path)
    if not target.exists():
        raise FreezeError(f"{path}: no such file")
    if not target.is_file():
        raise FreezeError(f"{path}: not a file")
    try:
        found = read_binary(target)
    except OSError as e:
        raise FreezeError(f"{path}: cannot read it ({e.strerror})") from None
    if found.record is None and not found.entries:
        raise FreezeError(f"{path}: not a freezer binary (no payload and no build record "
                          "in it)")
    return found


def report(path: str) -> tuple[str, int]:
    """`freeze inspect`'s text, and its status: 0 intact, 1 damaged."""
    found = open_binary(path)
    record = found.record or {}
    out: list[str] = [f"{path}: {megabytes(found.size)}"
                      + (f", built by freezer {record['freezer']}" if record else "")]
    if record:
        target = record["target"]
        out.append(f"target: {target['platform']}, CPython {target['python']} (built from "
                   f"{target['executable']})")
        glibc = record["glibc"]
        if glibc["version"]:
            line = f"glibc: {glibc['version']} or newer ({glibc['by']})"
            if glibc["start"] and glibc["start"] != glibc["version"]:
                line += f"; to start, {glibc['start']} ({glibc['start_by']})"
            out.append(line)
        out.append(f"build: {describe_options(record['options'])}")
        modules = record["modules"]
        out.append(f"modules: {len(modules)} bundled ({count(modules, 'program')} the "
                   f"program's, {count(modules, 'stdlib')} the standard library's, "
                   f"{count(modules, 'thirdparty')} of distributions), "
                   f"{len(record['cold'])} more standard-library modules as sources")
        unpacked = record["unpacked"]
        if unpacked["first_start"]:
            out.append(f"cache: a first start writes {megabytes(unpacked['first_start'])}, "
                       f"up to {megabytes(unpacked['at_most'])}")
    if found.entries:
        if found.zipapp:
            out.append("a zipapp (.pyz): run by the target's python, which has the stdlib")
        else:
            out.append(f"bootloader: {megabytes(found.payload_start)}")
        out += sizes_by_kind(found)
        if record:
            out += sizes_by_dist(found, record)
        out.append(f"largest entries (of {len(found.entries)}):")
        for name, stored, size in sorted(found.entries, key=lambda e: -e[1])[:LARGEST]:
            out.append(f"  {megabytes(stored):>9}  {name}"
                       + (f" ({megabytes(size)} unpacked)" if size != stored else ""))
    if record and record["warnings"]:
        out += ["warnings of the build:", *(f"  {w}" for w in record["warnings"])]
    out += [f"note: {n}" for n in found.notes]
    if found.damage:
        out += ["damaged:", *(f"  {d}" for d in found.damage)]
    else:
        out.append("intact: every entry's CRC matches" if found.zipapp
                   else "intact: checksum and every entry's CRC match")
    return "\n".join(out), 1 if found.damage else 0


def count(modules: dict, origin: str) -> int:
    return sum(1 for m in modules.values() if m[0] == origin)


def describe_options(options: dict) -> str:
    """The build's inputs, as the command line that gives them."""
    entry = options["entry"]
    words = {"script": [Path(entry["path"]).name if not entry["directory"]
                        else str(Path(entry["path"]).parent.name)],
             "module": ["-m", entry["module"]],
             "func": [f"{entry['module']}:{entry['func']}"]}[entry["kind"]]
    for key, flag in (("include", "--include-module"), ("exclude", "--exclude-module"),
                      ("collect", "--collect"), ("paths", "--path"), ("add_data", "--add-data")):
        for value in options[key]:
            words += [flag, value]
    if options["trace"] is not None:
        words += ["--trace", repr(" ".join(options["trace"]))]
    words += ["--pruned"] * options["pruned"]
    words += ["--no-sources"] * (not options["sources"] and not options["pruned"])
    if options["glibc"]:
        words += ["--glibc", options["glibc"]]
    return " ".join(words)


def sizes_by_kind(found: Contents) -> list[str]:
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, stored, _ in found.entries:
        if not name.endswith("/"):
            kinds[kind_of(name)][0] += stored
            kinds[kind_of(name)][1] += 1
    lines = ["by kind:"]
    for kind, (stored, entries) in sorted(kinds.items(), key=lambda k: -k[1][0]):
        lines.append(f"  {megabytes(stored):>9}  {kind} ({entries})")
    return lines


def sizes_by_dist(found: Contents, record: dict) -> list[str]:
    tops: dict[str, str] = {}
    for dist in record["dists"]:
        for top in dist["tops"]:
            tops[top] = dist["name"]
        tops[dist["dist_info"]] = dist["name"]
    owned: dict[str, int] = defaultdict(int)
    for name, stored, _ in found.entries:
        owned[owner_of(name, tops)] += stored
    versions = {d["name"]: d["version"] for d in record["dists"]}
    lines = ["by distribution:"]
    for name, stored in sorted(owned.items(), key=lambda o: -o[1]):
        label = f"{name} {versions[name]}" if name else \
            "the program, the standard library and CPython"
        lines.append(f"  {megabytes(stored):>9}  {label}")
    return lines


# --- why -------------------------------------------------------------------------------------

def why(path: str, module: str) -> str:
    """`freeze why`'s text: the chain of imports that brought `module` in, back to the
    program, each step with the file and line of its import; or the hint, the start-up or
    the standard library that did."""
    found = open_binary(path)
    record = found.record
    if record is None:
        why = (found.notes or found.damage or ["none found"])[-1]
        raise FreezeError(f"{path}: no readable build record ({why})")
    if module not in record["modules"]:
        return not_bundled(path, module, record)
    return "\n".join(chain(record, module))


def chain(record: dict, module: str) -> list[str]:
    """The lines of `freeze why` for a module the binary holds, from its build record alone
    (the HTML report, report_html.py, shows the same chain for each of its modules)."""
    modules = record["modules"]
    dists = {d["name"]: d for d in record["dists"]}
    lines: list[str] = []
    seen: set[str] = set()
    name = module
    importers = record["importers"]
    stdlib = record["target"]["stdlib"]
    while name and name not in seen:
        seen.add(name)
        if name not in modules:
            if name not in importers:
                lines.append(f"{name}: not recorded")
                break
            origin, kind, reason, by = importers[name]
            if name == "__main__":
                lines.append(f"__main__ (the program): the script {reason}"
                             if record["options"]["entry"]["kind"] == "script"
                             else "__main__ (the program)")
                break
            lines.append(f"{name} ({kind}, in the interpreter): {reason_words(reason, stdlib)}")
            name = by
            continue
        origin, dist, reason, by = modules[name]
        owner = dist or {"program": "the program", "stdlib": "standard library",
                         "runtime": "freezer's runtime"}.get(origin, origin)
        head = f"{name} ({owner})"
        whole = re.match(r"(.+) \((?:whole distribution|test suite), (.+)\)$", reason)
        if whole:
            lines.append(f"{head}: bundled with its distribution {whole.group(1)}, which is "
                         f"bundled whole, {whole.group(2)}")
            if not by and whole.group(2).startswith("required by "):
                lines += dist_chain(whole.group(2)[len("required by "):], dists, modules,
                                    stdlib)
                break
        else:
            lines.append(f"{head}: {reason_words(reason, stdlib)}")
        name = by
    return lines


def dist_chain(name: str, dists: dict, modules: dict, stdlib: str) -> list[str]:
    """A distribution bundled because another requires it: the requirements back to one
    the program's imports brought in."""
    lines = []
    seen = set()
    while name in dists and name not in seen:
        seen.add(name)
        reason = dists[name]["bundled_for"]
        lines.append(f"distribution {name}: {reason}")
        if reason.startswith("required by "):
            name = reason[len("required by "):]
        elif reason.startswith("for ") and reason[4:] in modules:
            why_reason = modules[reason[4:]][2]
            lines.append(f"{reason[4:]}: {reason_words(why_reason, stdlib)}")
            break
        else:
            break
    return lines




def not_bundled(path: str, module: str, record: dict) -> str:
    if module in record["cold"]:
        return (f"{module} (standard library): carried as source, compiled on first import; "
                "no import of it was seen, but python could import it")
    for item in record["left_out"]:
        if module == item["name"] or module.startswith(item["name"] + "."):
            shown = short_path(item["at"], record["target"]["stdlib"]) if item.get("at") else ""
            at = f" (imported at {shown})" if shown else ""
            return f"{module}: not in {path}: left out, {item['why']}{at}"
    if module in record["dropped"]:
        return f"{module}: not in {path}: left out by --pruned, as no import of it was seen"
    raise FreezeError(f"{path} holds no module {module} (freeze inspect {path} lists what "
                      "it holds)")


def embedded(path: str, entry: str) -> bytes:
    """One entry of a binary's payload as it is (`freeze inspect --sbom OUT`)."""
    open_binary(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(entry)
    except KeyError:
        raise FreezeError(f"{path}: carries no {entry} (built by an older freezer)") from None
    except (zipfile.BadZipFile, zlib.error, OSError) as e:
        raise FreezeError(f"{path}: {entry} cannot be read ({e})") from None
