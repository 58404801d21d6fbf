"""The `freeze` command: parse the command line, run the build, report problems in one line."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from freezer import __version__
from freezer.analysis import EntryPoint
from freezer.bootloader import BootloaderError
from freezer.build import BuildOptions, build
from freezer.errors import FreezeError

_FUNC_ENTRY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise FreezeError(message)


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="freeze",
        description="Turn a Python program into one standalone executable (or a .pyz).",
        epilog="Examples: freeze app.py -o app | freeze -m mypkg -o tool | "
               "freeze mypkg.cli:main -o tool | freeze app.py -o app.pyz",
    )
    p.add_argument("program", nargs="?",
                   help="the script to freeze (app.py), or MODULE:FUNCTION to call")
    p.add_argument("-m", dest="module", metavar="MODULE",
                   help="freeze a module or package run as `python -m MODULE`")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="the file to write; a name ending in .pyz gives a portable zipapp")
    p.add_argument("--python", metavar="PATH", default=sys.executable,
                   help="the CPython 3.9+ to build for (default: the one running freeze)")
    p.add_argument("--include-module", action="append", default=[], metavar="MODULE",
                   help="bundle MODULE even though no import of it is visible (repeatable)")
    p.add_argument("--exclude-module", action="append", default=[], metavar="MODULE",
                   help="leave MODULE and its submodules out (repeatable)")
    p.add_argument("--path", action="append", default=[], metavar="DIR",
                   help="another directory to find the program's own modules in")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("--version", action="version", version=f"freeze {__version__}")
    return p


def entry_from_args(args: argparse.Namespace) -> EntryPoint:
    if args.module and args.program:
        raise FreezeError("give either a script or -m MODULE, not both")
    if args.module:
        if not _MODULE.match(args.module):
            raise FreezeError(f"-m {args.module}: not a module name")
        return EntryPoint("module", module=args.module)
    if not args.program:
        raise FreezeError("nothing to freeze: give a script, -m MODULE or MODULE:FUNCTION")
    if _FUNC_ENTRY.match(args.program) and not os.path.exists(args.program):
        module, func = args.program.split(":")
        return EntryPoint("func", module=module, func=func)
    return EntryPoint("script", path=Path(args.program).absolute())


def check_names(args: argparse.Namespace) -> None:
    for option in ("include_module", "exclude_module"):
        for name in getattr(args, option):
            if not _MODULE.match(name):
                raise FreezeError(f"--{option.replace('_', '-')} {name}: not a module name")
    if not os.path.isfile(args.python) or not os.access(args.python, os.X_OK):
        raise FreezeError(f"--python {args.python}: no such executable")


def main(argv: list[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
        check_names(args)
        opts = BuildOptions(
            entry=entry_from_args(args),
            output=Path(args.output).absolute(),
            python=args.python,
            include=args.include_module,
            exclude=args.exclude_module,
            paths=args.path,
        )
        analysis = build(opts)
    except (FreezeError, BootloaderError) as e:
        print(f"freeze: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("freeze: interrupted", file=sys.stderr)
        return 130
    if not args.quiet:
        for warning in analysis.warnings:
            print(f"freeze: warning: {warning}", file=sys.stderr)
        size = opts.output.stat().st_size / 1e6
        print(f"freeze: wrote {args.output} ({size:.1f} MB, {len(analysis.modules)} modules, "
              f"CPython {analysis.target['version']})", file=sys.stderr)
    return 0
