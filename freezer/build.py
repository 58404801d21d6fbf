"""The build, end to end: program → analysis → bundle plan → payload → executable (or .pyz)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from freezer.analysis import Analysis, EntryPoint, analyse
from freezer.bootloader import bootloader_for, cache_root
from freezer.errors import FreezeError
from freezer.payload import write_executable
from freezer.plan import make_plan
from freezer.pyz import write_pyz
from freezer.trace import traced_modules


@dataclass
class BuildOptions:
    entry: EntryPoint
    output: Path
    python: str = sys.executable
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    # Packages bundled with every submodule and data file (--collect).
    collect: list[str] = field(default_factory=list)
    # (source file or directory, destination inside the bundle, posix, relative) (--add-data).
    add_data: list[tuple[Path, str]] = field(default_factory=list)
    # Arguments for one traced run of the program under the target (--trace), or None.
    trace_args: list[str] | None = None
    # --pruned: only the stdlib modules the analysis sees (no cold set, no sources).
    pruned: bool = False
    # Sources shipped beside the bytecode, for tracebacks and inspect (--no-sources: not).
    sources: bool = True


def check_not_input(output: Path, inputs: list[Path]) -> None:
    """Refuse an output that would overwrite one of the program's own files."""
    if not output.exists():
        return
    for src in inputs:
        if src.exists() and os.path.samefile(output, src):
            raise FreezeError(f"-o {output}: is one of the program's own files")


def check_output(output: Path) -> None:
    """Refuse outputs that cannot be written, before any work."""
    if output.is_dir():
        raise FreezeError(f"-o {output}: is a directory")
    parent = output.parent
    if not parent.is_dir():
        raise FreezeError(f"-o {output}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise FreezeError(f"-o {output}: directory {parent} is not writable")


def program_search_path(opts: BuildOptions) -> list[str]:
    base = [str(opts.entry.path.parent)] if opts.entry.kind == "script" else [os.getcwd()]
    return base + [os.path.abspath(p) for p in opts.paths]


def build(opts: BuildOptions) -> Analysis:
    entry = opts.entry
    if entry.kind == "script":
        if not entry.path.is_file():
            raise FreezeError(f"{entry.path}: no such file")
        check_not_input(opts.output, [entry.path])
    check_output(opts.output)
    root = cache_root()
    search = program_search_path(opts)
    traced: list[str] = []
    trace_warnings: list[str] = []
    if opts.trace_args is not None:
        traced = traced_modules(opts.python, entry, opts.trace_args, search,
                                warnings=trace_warnings)
    analysis = analyse(opts.python, entry, opts.output.name, search, opts.include,
                       opts.exclude, root, collect=opts.collect, traced=traced,
                       pruned=opts.pruned, sources=opts.sources)
    analysis.warnings[:0] = trace_warnings
    program_files = [Path(m.source) for m in analysis.modules
                     if m.origin == "program" and m.source]
    # The program's other modules are known only now, after the analysis.
    check_not_input(opts.output, program_files)
    if opts.output.suffix == ".pyz":
        write_pyz(opts.output, analysis, entry, analysis.warnings)
        return analysis
    plan = make_plan(analysis, root, opts.add_data, sources=opts.sources)
    target = analysis.target
    boot = bootloader_for(target["include"], target["version"], root)
    write_executable(opts.output, boot, plan)
    return analysis
