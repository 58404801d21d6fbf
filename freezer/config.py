"""Hints from the program's pyproject.toml: the `[tool.freezer]` table.

A program that needs hints (a module imported by a computed name, a package's data files, a
traced run) needs them on every build, so they belong with the program, not in a shell
history. The table takes the command line's option names, so moving a hint from one to the
other is a copy; both apply, the file's values first.

Validation is strict: a misspelt key or a wrong type would otherwise be a hint silently not
given, which shows up only when the frozen program fails on another machine.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from freezer.errors import FreezeError
from freezer.glibc import Version, parse_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.9 and 3.10 hosts
    import tomli as tomllib

_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
# A glob of dotted module names: each dot-separated part made of name characters and
# fnmatch's `*`, `?` and `[...]`/`[!...]` classes of name characters (`*.tests`, `numpy.*`).
_PATTERN_PART = r"(?:[\w*?]|\[!?[\w-]+\])+"
_PATTERN = re.compile(rf"^{_PATTERN_PART}(\.{_PATTERN_PART})*$")

PYPROJECT = "pyproject.toml"

# Every key [tool.freezer] accepts, and what its value must be (for the error line).
KEYS = {
    "include-module": "a list of module names",
    "exclude-module": "a list of module names or patterns",
    "collect": "a list of module names",
    "path": "a list of directories",
    "add-data": 'a list of "SRC:DEST" strings',
    "trace": "a string of arguments",
    "glibc": 'a glibc version as a string, e.g. glibc = "2.31"',
    "entry": 'a string: a script, "MODULE:FUNCTION", "-m MODULE", or "." for the project\'s '
             'console scripts',
    "output": "a string: the output file (a directory for the project's console scripts)",
    "python": "a string: the CPython to build for",
    "target": 'a string: the platform, "linux-x86_64" or "linux-aarch64"',
    "report": "a string: the HTML page of the build to write (as --report FILE.html)",
}
# The keys that say what to build rather than how: the command line's own words replace
# them (cli.apply_table), and a bare `freeze` in the project's directory builds what they say.
WHAT_KEYS = ("entry", "output", "python", "target", "report")


def is_module_name(name: str) -> bool:
    """A dotted Python module name, as `import` accepts it (no relative dots, no dashes)."""
    return bool(_MODULE.match(name))


def is_module_pattern(text: str) -> bool:
    """A module name, or a glob of module names (for --exclude-module).

    fnmatch itself accepts any string, an unclosed `[` as a plain character, so a typo
    would be a pattern that silently matches nothing: such a value is refused instead.
    """
    return is_module_name(text) or bool(_PATTERN.match(text))


@dataclass
class Hints:
    """What the user says about the program that no scan of its code can find.

    Paths are absolute: relative ones were resolved against the directory they are relative to
    (the current directory for the command line, the pyproject.toml's directory for the file),
    so hints from both places can be merged without remembering where each came from.
    """

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    collect: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    add_data: list[tuple[Path, str]] = field(default_factory=list)
    # Arguments of the traced run, or None for no traced run.
    trace: list[str] | None = None
    # The oldest glibc the executable must run on, or None for no limit; and where it was
    # given, as a refusal names it (`--glibc 2.31`).
    glibc: Version | None = None
    glibc_from: str = ""
    # What to build ([tool.freezer] entry, output, python, target, report), paths resolved
    # against the pyproject.toml's directory; None where not given.
    what: dict[str, str] = field(default_factory=dict)


def parse_add_data(spec: str, base: Path) -> tuple[Path, str]:
    """`SRC:DEST` (or `SRC` alone) → (absolute existing source, destination in the bundle).

    SRC is relative to `base` unless absolute. The split is on the last ':' since a file name
    may contain ':' while a destination rarely needs one. DEST is the path the file or
    directory gets inside the bundle; omitted, it is SRC's own name at the top; ending in '/',
    it names a directory to put SRC in under its own name. DEST is checked here, not at
    bundling time, because an absolute or `..` destination would point outside the bundle.
    Raises ValueError with the reason (the caller knows which option or key to name).
    """
    src_text, sep, dest = spec.rpartition(":")
    if not sep and ";" in spec and not (base / spec).exists():
        # PyInstaller's form on Windows, or of its versions before 6.0 (SRC;DEST).
        raise ValueError("separate SRC and DEST with ':' (SRC:DEST), not ';' as PyInstaller "
                         "does on Windows")
    if not sep:
        src_text, dest = spec, ""
    if not src_text:
        raise ValueError("no source path before ':'")
    src = Path(os.path.normpath(base / src_text))
    if not src.exists():
        raise ValueError(f"{src_text}: no such file or directory")
    if not dest or dest.endswith("/"):
        if not src.name:
            raise ValueError(f"{src_text}: give a destination (SRC:DEST) for this source")
        dest = dest + src.name
    if "\\" in dest or "\0" in dest:
        raise ValueError(f"destination {dest!r}: use '/' between the parts of a path")
    if dest.startswith("/"):
        raise ValueError(f"destination {dest}: must be relative to the bundle, not absolute")
    parts = dest.split("/")
    if dest == ".":
        # PyInstaller's DEST is a directory, "." its top; freezer's names the file itself.
        raise ValueError("destination .: DEST is the path SRC gets in the bundle; give SRC "
                         "alone to put it at the top under its own name (PyInstaller's "
                         "SRC:. is freezer's SRC)")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"destination {dest}: no empty, '.' or '..' parts allowed")
    return src, str(PurePosixPath(*parts))


def parse_trace(text: str) -> list[str]:
    """The traced run's arguments, split as a POSIX shell would (`--trace ""`: none)."""
    try:
        return shlex.split(text)
    except ValueError as e:  # "No closing quotation", "No escaped character"
        raise ValueError(f"{text!r}: {str(e).lower()}") from None


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in `start` or a directory above it, up to the root."""
    for directory in (start, *start.parents):
        candidate = directory / PYPROJECT
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # an unsearchable directory holds no file of the program's
            continue
    return None


def _shown(path: Path) -> str:
    """The file's name in messages: relative when it is under the current directory."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_table(path: Path) -> dict[str, Any] | None:
    """`[tool.freezer]` of a pyproject.toml, or None when it has none."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise FreezeError(f"{_shown(path)}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise FreezeError(f"{_shown(path)}: not valid TOML: not UTF-8 text") from None
    except OSError as e:
        raise FreezeError(f"{_shown(path)}: cannot read it ({e.strerror})") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict) or "freezer" not in tool:
        return None
    table = tool["freezer"]
    if not isinstance(table, dict):
        raise FreezeError(f"{_shown(path)}: [tool.freezer] must be a table")
    return table


def hints_from_table(table: dict[str, Any], path: Path) -> Hints:
    """Check every key and value of a `[tool.freezer]` table; relative paths are the file's."""
    shown = _shown(path)
    base = path.parent

    def fail(key: str, detail: str) -> FreezeError:
        return FreezeError(f"{shown}: [tool.freezer] {key}: {detail}")

    def strings(key: str) -> list[str]:
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, f"expected {KEYS[key]}")
        return value

    def modules(key: str, patterns: bool = False) -> list[str]:
        names = strings(key)
        for name in names:
            if patterns and not is_module_pattern(name):
                raise fail(key, f"{name!r} is not a module name or pattern")
            if not patterns and not is_module_name(name):
                raise fail(key, f"{name!r} is not a module name")
        return names

    for key in table:
        if key not in KEYS:
            spelt = key.replace("_", "-")
            hint = f" (did you mean {spelt!r}?)" if spelt in KEYS else ""
            known = ", ".join(KEYS)
            raise FreezeError(f"{shown}: [tool.freezer]: unknown key {key!r}{hint}; "
                              f"known keys: {known}")
    hints = Hints()
    if "include-module" in table:
        hints.include = modules("include-module")
    if "exclude-module" in table:
        hints.exclude = modules("exclude-module", patterns=True)
    if "collect" in table:
        hints.collect = modules("collect")
    if "path" in table:
        for entry in strings("path"):
            directory = os.path.normpath(base / entry)
            if not os.path.isdir(directory):
                raise fail("path", f"{entry}: not a directory")
            hints.paths.append(directory)
    if "add-data" in table:
        for spec in strings("add-data"):
            try:
                hints.add_data.append(parse_add_data(spec, base))
            except ValueError as e:
                raise fail("add-data", str(e)) from None
    if "trace" in table:
        if not isinstance(table["trace"], str):
            raise fail("trace", f"expected {KEYS['trace']}, e.g. trace = \"--help\"")
        try:
            hints.trace = parse_trace(table["trace"])
        except ValueError as e:
            raise fail("trace", str(e)) from None
    if "glibc" in table:
        # A string, not a float: `glibc = 2.30` would read as 2.3.
        if not isinstance(table["glibc"], str):
            raise fail("glibc", f"expected {KEYS['glibc']}")
        try:
            hints.glibc = parse_version(table["glibc"])
        except ValueError as e:
            raise fail("glibc", str(e)) from None
        hints.glibc_from = f'{shown}: [tool.freezer] glibc = "{table["glibc"]}"'
    for key in WHAT_KEYS:
        if key in table:
            value = table[key]
            if not isinstance(value, str) or not value.strip():
                raise fail(key, f"expected {KEYS[key]}")
            hints.what[key] = value
    return hints


def load_hints(start: Path) -> tuple[Hints, Path | None]:
    """The hints of the nearest pyproject.toml above `start`, and that file (or None).

    A pyproject.toml without [tool.freezer] gives no hints, and the search stops there: it is
    the program's project file, and one further up belongs to some other project.
    """
    path = find_pyproject(start)
    if path is None:
        return Hints(), None
    table = read_table(path)
    if table is None:
        return Hints(), path
    return hints_from_table(table, path), path


def _unique(items: list) -> list:
    """Items in first-seen order, repeats dropped (a hint given twice is one hint)."""
    seen: list = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def merge(from_file: Hints, from_cli: Hints, no_trace: bool = False) -> Hints:
    """Both sources' lists, the file's first; the command line's trace replaces the file's.

    Two different sources for one destination would make the bundle depend on which is
    written last, so that is refused here, while both are still named.
    """
    merged = Hints(
        include=_unique(from_file.include + from_cli.include),
        exclude=_unique(from_file.exclude + from_cli.exclude),
        collect=_unique(from_file.collect + from_cli.collect),
        paths=_unique(from_file.paths + from_cli.paths),
        add_data=_unique(from_file.add_data + from_cli.add_data),
        trace=from_cli.trace if from_cli.trace is not None else from_file.trace,
    )
    # One limit: the command line's replaces the file's, as --trace does.
    chosen = from_cli if from_cli.glibc is not None else from_file
    merged.glibc, merged.glibc_from = chosen.glibc, chosen.glibc_from
    if no_trace:
        merged.trace = None
    sources: dict[str, Path] = {}
    for src, dest in merged.add_data:
        if dest in sources and sources[dest] != src:
            raise FreezeError(f"--add-data: two sources for {dest}: {sources[dest]} and {src}")
        sources[dest] = src
    return merged
