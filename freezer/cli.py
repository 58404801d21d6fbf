"""The `freeze` command: parse the command line, run the build, report problems in one line."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import sys
from pathlib import Path

from freezer import __version__, build_env, cache_admin, inspection, report_html, sbom
from freezer.analysis import Analysis, EntryPoint
from freezer.bootloader import BootloaderError, cache_root
from freezer.build import BuildOptions, build, check_output, check_script
from freezer.config import (
    Hints,
    is_module_name,
    is_module_pattern,
    load_hints,
    merge,
    parse_add_data,
    parse_trace,
)
from freezer.errors import FreezeError, interruption, raise_on_signals, restore_signals
from freezer.glibc import parse_version
from freezer.platforms import Platform, by_name, host
from freezer.progress import NORMAL, QUIET, VERBOSE, Progress, megabytes
from freezer.target_root import check_root, launcher, root_python

_FUNC_ENTRY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

USAGE = ("freeze [options] SCRIPT | DIR | -m MODULE | MODULE:FUNCTION -o OUT; "
         "freeze inspect OUT | why OUT MODULE | cache info|prune|clear")
WHAT_TO_DO = ("nothing to freeze: give a script (freeze app.py -o app), -m MODULE or "
              "MODULE:FUNCTION, and the output with -o OUT; freeze --help lists the options")

# PyInstaller's options a user is likely to type from habit, and what freezer does instead.
# argparse would say only "unrecognized arguments", which leaves the user to read --help
# and guess which of freezer's options is the one they meant.
_ONE_FILE = "freezer always makes one file, so it is not needed"
_ONE_DIR = "freezer makes one file only (-o OUT), or a zipapp (-o OUT.pyz)"
_COLLECT = "freezer's is --collect PACKAGE (every submodule and data file of it)"
_PATHS = "freezer's is --path DIR (repeatable)"
_CONFIRM = "not needed, as freezer replaces the output without asking"
_CONSOLE = "not needed, as a Linux executable has no console window"
_ICON = "a Linux executable carries no icon (a .desktop file names one)"
_UPX = "not needed, as freezer compresses native files with zstd"
_ARCH = "freezer's is --target linux-x86_64 or --target linux-aarch64"
PYINSTALLER = {
    "--onefile": _ONE_FILE, "-F": _ONE_FILE,
    "--onedir": _ONE_DIR, "-D": _ONE_DIR,
    "--name": "freezer's is -o NAME, the output file", "-n": "freezer's is -o NAME",
    "--distpath": "freezer's is -o DIR/NAME",
    "--workpath": "not needed, as freezer keeps its build cache in ~/.cache/freezer (or "
                  "FREEZER_CACHE_DIR)",
    "--specpath": "freezer has no spec file; its hints go in [tool.freezer] of pyproject.toml",
    "--hidden-import": "freezer's is --include-module MODULE",
    "--hiddenimport": "freezer's is --include-module MODULE",
    "--collect-all": _COLLECT, "--collect-submodules": _COLLECT, "--collect-data": _COLLECT,
    "--collect-datas": _COLLECT, "--collect-binaries": _COLLECT,
    "--add-binary": "freezer's is --add-data SRC:DEST, which takes native files too",
    "--paths": _PATHS, "-p": _PATHS,
    "--noconfirm": _CONFIRM, "-y": _CONFIRM,
    "--clean": "not needed, as freezer's cache is keyed by content and never goes stale",
    "--windowed": _CONSOLE, "--noconsole": _CONSOLE, "-w": _CONSOLE,
    "--console": _CONSOLE, "--nowindowed": _CONSOLE,
    "--icon": _ICON, "-i": _ICON,
    "--strip": "not needed, as freezer strips the interpreter's and the system's libraries "
               "itself",
    "--noupx": _UPX, "--upx-dir": _UPX,
    "--log-level": "freezer's is -q (errors only)",
    "--target-architecture": _ARCH, "--target-arch": _ARCH,
    "--additional-hooks-dir": "freezer has no hooks; give what one would with "
                              "--include-module, --collect or --add-data",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise FreezeError(message)


def check_option_names(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Refuse an unknown option before argparse sees it, naming what was meant.

    argparse reports a typo badly and differently by version: `--ouput x` left -o missing,
    so the line was "-o/--output required"; `--exlude-module m app.py` took app.py as part
    of the unrecognized arguments; its prefix matching changed between 3.9 and 3.13 (and
    3.14 adds suggestions of its own). So freezer takes only exact option names (the parser
    has allow_abbrev=False: an abbreviation that works today would break when an option is
    added) and looks each one up itself: PyInstaller's names get freezer's equivalent, a
    near miss gets "did you mean", difflib over the parser's own option strings.
    """
    takes_value = {name for action in parser._actions if action.nargs != 0
                   for name in action.option_strings}
    known = {name for action in parser._actions for name in action.option_strings}
    words = iter(argv)
    for word in words:
        if word == "--":
            return
        if not word.startswith("-") or word == "-":
            continue
        if word.startswith("--"):
            name = word.partition("=")[0]
        else:
            name = word[:2]  # a short option, its value possibly attached (-oapp)
        if name in known:
            if name in takes_value and name == word:
                next(words, None)  # its value, which may itself start with "-"
            continue
        raise FreezeError(unknown_option(name, sorted(known)))


def unknown_option(name: str, known: list[str]) -> str:
    """The one line for an option freezer does not have."""
    if name in PYINSTALLER:
        return f"{name} is PyInstaller's option: {PYINSTALLER[name]}"
    longs = [k for k in known if k.startswith("--")]
    # An abbreviation of one option (`--exclude`), else a misspelling of one.
    close = [k for k in longs if k.startswith(name)] if name.startswith("--") else []
    if len(close) != 1:
        close = difflib.get_close_matches(name, longs, n=1, cutoff=0.75)
    if close:
        return f"unknown option {name} (did you mean {close[0]}?)"
    theirs = difflib.get_close_matches(name, [k for k in PYINSTALLER if k.startswith("--")],
                                       n=1, cutoff=0.8)
    if theirs:  # PyInstaller's option, misspelt (--hidden-imports)
        return (f"unknown option {name} (PyInstaller's {theirs[0]}? "
                f"{PYINSTALLER[theirs[0]]})")
    return f"unknown option {name} (freeze --help lists the options)"


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="freeze",
        usage=USAGE,
        allow_abbrev=False,
        description="Turn a Python program into one standalone executable (or a .pyz).",
        epilog="Examples: freeze app.py -o app | freeze -m mypkg -o tool | "
               "freeze mypkg.cli:main -o tool | freeze app.py -o app.pyz. "
               "The same hints can go in [tool.freezer] of the program's pyproject.toml.",
    )
    p.add_argument("program", nargs="?",
                   help="the script to freeze (app.py), a directory with __main__.py, or "
                        "MODULE:FUNCTION to call")
    p.add_argument("-m", dest="module", metavar="MODULE",
                   help="freeze a module or package run as `python -m MODULE`")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="the file to write; a name ending in .pyz gives a portable zipapp; "
                        "for a project directory, the directory of its scripts (default: "
                        "PROJECT/dist)")
    p.add_argument("--python", metavar="PATH",
                   help="the CPython 3.9+ to build for (default: the one running freeze)")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE",
                   help="install this requirements file into an isolated build environment "
                        "of the target Python (made with pip, kept for the next build) and "
                        "freeze from it (repeatable)")
    p.add_argument("--sbom", metavar="FILE",
                   help="also write the CycloneDX 1.6 SBOM of what the binary carries to FILE "
                        "(every binary embeds it: freeze inspect --sbom OUT)")
    p.add_argument("--report", metavar="FILE.html",
                   help="also write one self-contained HTML page of the binary: a size "
                        "treemap, every module's import chain, the warnings and the options "
                        "(freeze inspect --report FILE.html OUT makes it from a binary)")
    p.add_argument("--script", action="append", default=[], metavar="NAME",
                   help="with a project directory: build only this console script "
                        "(repeatable; default: all of them)")
    p.add_argument("--target", metavar="PLATFORM",
                   help="the platform to build for: linux-x86_64, linux-aarch64 or "
                        "windows-x86_64 (default: this machine's); another machine's needs "
                        "--target-root, Windows --target-python")
    p.add_argument("--target-python", metavar="ZIP_OR_DIR",
                   help="for --target windows-x86_64: the Windows CPython to ship, "
                        "python.org's embeddable zip or the directory holding its python.exe")
    p.add_argument("--target-root", metavar="DIR",
                   help="a runtime root (the target's filesystem, e.g. made by python -m "
                        "freezer.target_root) whose python3.X the binary is built from")
    p.add_argument("--include-module", action="append", default=[], metavar="MODULE",
                   help="bundle MODULE even though no import of it is visible (repeatable)")
    p.add_argument("--exclude-module", action="append", default=[], metavar="MODULE",
                   help="leave MODULE and its submodules out; a pattern such as '*.tests' leaves "
                        "out every module it matches (repeatable)")
    p.add_argument("--collect", action="append", default=[], metavar="PACKAGE",
                   help="bundle PACKAGE with all its submodules and data files (repeatable)")
    p.add_argument("--add-data", action="append", default=[], metavar="SRC:DEST",
                   help="bundle the file or directory SRC as DEST (default: SRC's name; "
                        "DEST/ puts it in directory DEST) (repeatable)")
    p.add_argument("--path", action="append", default=[], metavar="DIR",
                   help="another directory to find the program's own modules in")
    p.add_argument("--trace", metavar="ARGS",
                   help='run the program once with ARGS (one string, e.g. "--help"; "" for '
                        "none) and bundle every module it imported")
    p.add_argument("--no-trace", action="store_true",
                   help="no traced run, even if pyproject.toml asks for one")
    p.add_argument("--no-config", action="store_true",
                   help="ignore [tool.freezer] in pyproject.toml")
    p.add_argument("--pruned", action="store_true",
                   help="the smallest file: only the stdlib modules the analysis sees "
                        "imported, no sources; lists what it left out")
    p.add_argument("--no-sources", action="store_true",
                   help="ship bytecode without its sources (tracebacks then have no source "
                        "lines, inspect.getsource fails)")
    p.add_argument("--glibc", metavar="X.Y",
                   help="refuse a build that would need a newer glibc than X.Y to run (the "
                        "summary says what the binary needs)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also print the build's decisions: why each module and distribution "
                        "is bundled (the import's file:line, a hint, the stdlib) and what was "
                        "left out")
    p.add_argument("--version", action="version", version=f"freeze {__version__}")
    return p


def entry_from_args(args: argparse.Namespace) -> EntryPoint:
    if args.module and args.program:
        raise FreezeError("give either a script or -m MODULE, not both")
    if args.module:
        if not is_module_name(args.module):
            raise FreezeError(f"-m {args.module}: not a module name")
        return EntryPoint("module", module=args.module)
    if not args.program:
        raise FreezeError("nothing to freeze: give a script, -m MODULE or MODULE:FUNCTION")
    if _FUNC_ENTRY.match(args.program) and not os.path.exists(args.program):
        module, func = args.program.split(":")
        return EntryPoint("func", module=module, func=func)
    if os.path.isdir(args.program):
        return directory_entry(args.program)
    return EntryPoint("script", path=Path(args.program).absolute())


def directory_entry(directory: str) -> EntryPoint:
    """`freeze DIR`: what `python DIR` runs, DIR's `__main__.py`, with DIR as sys.path[0].

    That is the script entry of DIR/__main__.py as it stands: a script's directory is
    where the analysis looks for the program's own modules first (build.py's search path)
    and where the pyproject.toml search starts, as DIR is for python. Without one, the line
    is python's own refusal, and the two entries that do take a directory's code.
    """
    main = Path(directory) / "__main__.py"
    if not main.is_file():
        raise FreezeError(f"can't find '__main__' module in '{directory}' (as python "
                          f"{directory} would say): give a script in it, or a package "
                          "with -m PACKAGE")
    return EntryPoint("script", path=main.absolute(), directory=True)


def check_names(args: argparse.Namespace) -> None:
    for option in ("include_module", "collect"):
        for name in getattr(args, option):
            if not is_module_name(name):
                raise FreezeError(f"--{option.replace('_', '-')} {name}: not a module name")
    for name in args.exclude_module:
        if not is_module_pattern(name):
            raise FreezeError(f"--exclude-module {name}: not a module name or pattern "
                              "(such as pkg.mod, '*.tests' or 'pkg.*')")
    for directory in args.path:
        if not os.path.isdir(directory):
            raise FreezeError(f"--path {directory}: not a directory")
    if args.target_root is None and (not os.path.isfile(args.python)
                                     or not os.access(args.python, os.X_OK)):
        raise FreezeError(f"--python {args.python}: no such executable")


def target_from_args(args: argparse.Namespace) -> tuple[Platform, str, str, list[str]]:
    """(platform, runtime root or "", python, the words that run it) for the build.

    Without a root the target is this machine, whose python runs as it is; with one, the
    root's python runs under qemu (see target_root.py), for this machine's architecture too
    (a root of an older system, for a lower glibc floor)."""
    native = host()
    platform = by_name(args.target) if args.target else native
    if args.target_root is None:
        if platform != native:
            raise FreezeError(f"--target {platform.name}: give the target's runtime with "
                              "--target-root DIR (python -m freezer.target_root DIR makes one)")
        return platform, "", args.python, []
    root = check_root(args.target_root)
    python = root_python(root, args.python if args.python != sys.executable else None)
    return platform, root, python, launcher(platform, root)


def hints_from_args(args: argparse.Namespace) -> Hints:
    """The command line's hints, relative paths made absolute against the current directory."""
    cwd = Path.cwd()
    hints = Hints(include=list(args.include_module), exclude=list(args.exclude_module),
                  collect=list(args.collect),
                  paths=[os.path.normpath(cwd / p) for p in args.path])
    for spec in args.add_data:
        try:
            hints.add_data.append(parse_add_data(spec, cwd))
        except ValueError as e:
            raise FreezeError(f"--add-data {spec}: {e}") from None
    if args.trace is not None:
        try:
            hints.trace = parse_trace(args.trace)
        except ValueError as e:
            raise FreezeError(f"--trace {e}") from None
    if args.glibc is not None:
        try:
            hints.glibc = parse_version(args.glibc)
        except ValueError as e:
            raise FreezeError(f"--glibc {e}") from None
        hints.glibc_from = f"--glibc {args.glibc}"
    return hints


def config_start(entry: EntryPoint) -> Path:
    """Where the search for pyproject.toml starts: the script's own directory (its real one,
    as for Python's sys.path[0], so a symlinked script finds its project), else the cwd."""
    if entry.kind == "script":
        return entry.path.resolve().parent
    return Path.cwd()


def options_from_args(args: argparse.Namespace, config_dir: Path | None = None) -> BuildOptions:
    """BuildOptions from parsed arguments and the program's pyproject.toml, checked.

    Checks run in the order a user reads the command: options, the entry, then the file.
    `config_dir`: where the pyproject.toml search starts, if not from the entry (a project's
    console script is a function whose project is not the current directory).
    """
    if args.python is None:
        args.python = sys.executable
    if args.output is None:
        raise FreezeError("give the output with -o OUT (or output in [tool.freezer])")
    check_names(args)
    entry = entry_from_args(args)
    if entry.kind == "script":
        # Before the pyproject.toml search, which would otherwise start from a wrong place.
        check_script(entry.path)
    from_cli = hints_from_args(args)
    from_file = Hints() if args.no_config else \
        load_hints(config_dir or config_start(entry))[0]
    hints = merge(from_file, from_cli, no_trace=args.no_trace)
    platform, root, python, words = target_from_args(args)
    return BuildOptions(
        entry=entry,
        output=Path(args.output).absolute(),
        python=python,
        platform=platform,
        root=root,
        launcher=words,
        include=hints.include,
        exclude=hints.exclude,
        paths=hints.paths,
        collect=hints.collect,
        add_data=hints.add_data,
        trace_args=hints.trace,
        pruned=args.pruned,
        sources=not (args.no_sources or args.pruned),
        glibc=hints.glibc,
        glibc_from=hints.glibc_from,
    )


def parse(argv: list[str]) -> argparse.Namespace:
    """The parsed command line, every option name checked first (check_option_names)."""
    parser = make_parser()
    check_option_names(parser, argv)
    return parser.parse_args(argv)


def options_from_argv(argv: list[str]) -> BuildOptions:
    """What a `freeze ARGV` would build, without building it (for tests and tools)."""
    return options_from_args(parse(argv))


def main(argv: list[str] | None = None) -> int:
    """The `freeze` command as a function: its exit status, a stop signal N giving 128+N.

    The command itself goes through freezer/__main__.py, which dies of the signal instead;
    this is for callers in-process (and console scripts installed before that entry point).
    """
    previous = raise_on_signals()
    try:
        status = run(argv)
    except BaseException as error:
        stop = interruption(error)
        if stop is None:
            raise
    else:
        stop = interruption()
        if stop is None:
            return status
    finally:
        restore_signals(previous)
    print(f"freeze: {stop}", file=sys.stderr)
    return 128 + stop.signum


def run(argv: list[str] | None = None) -> int:
    """Parse, build, report. A stop signal's Interrupted (or a KeyboardInterrupt) goes up to
    the caller, and so does any error raised while one is being handled (see
    errors.interruption)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        try:
            return SUBCOMMANDS[argv[0]](argv[1:])
        except FreezeError as e:
            print(f"freeze: error: {e}", file=sys.stderr)
            return 2
        except BrokenPipeError:  # `freeze inspect OUT | head`: the reader has all it wants
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    try:
        args = parse(argv)
        if args.quiet and args.verbose:
            raise FreezeError("give -q (errors only) or -v (decisions too), not both")
        apply_table(args)
        if not args.program and not args.module and not argv:
            # What a first try at the command needs: its shape and the one next step, as
            # python's own tools print (argparse's full usage would list every option).
            print(f"usage: {USAGE}\nfreeze: error: {WHAT_TO_DO}", file=sys.stderr)
            return 2
        if args.target == "windows-x86_64" or args.target_python:
            return run_windows(args)
        progress = Progress(QUIET if args.quiet else VERBOSE if args.verbose else NORMAL)
        builds = planned_builds(args, progress)
        if args.sbom and len(builds) > 1:
            raise FreezeError(f"--sbom {args.sbom}: one binary at a time (give --script NAME)")
        if args.report and len(builds) > 1:
            raise FreezeError(f"--report {args.report}: one binary at a time (give --script "
                              "NAME)")
        if args.report:
            report_html.check(Path(args.report))
        for opts, shown in builds:
            analysis = build(opts, progress)
            if args.sbom:
                sbom.write(Path(args.sbom), analysis.sbom)
            if args.report:
                report_html.write(Path(args.report), str(opts.output))
            progress.finish()
            if not args.quiet:
                report(shown, opts, analysis)
    except (FreezeError, BootloaderError) as e:
        if interruption() is not None:
            raise
        print(f"freeze: error: {e}", file=sys.stderr)
        return 2
    return 0


def apply_table(args: argparse.Namespace) -> None:
    """[tool.freezer]'s entry, output, python, target and report where the command line gives
    none.

    The pyproject.toml is the one the program's hints come from: beside a script, in a
    directory given, else above the current directory (a bare `freeze` in a project).
    Relative paths in it are relative to its own directory.
    """
    if args.no_config:
        return
    given = Path(args.program) if args.program and not _FUNC_ENTRY.match(args.program) \
        else None
    start = (given.resolve() if given.is_dir() else given.resolve().parent) \
        if given is not None and given.exists() else Path.cwd()
    hints, path = load_hints(start)
    if path is None or not hints.what:
        return
    what, base = hints.what, path.parent
    if not args.program and not args.module and "entry" in what:
        entry = what["entry"].strip()
        if entry.startswith("-m "):
            args.module = entry[3:].strip()
        elif _FUNC_ENTRY.match(entry) and not (base / entry).exists():
            args.program = entry
        else:
            args.program = os.path.normpath(base / entry)
    if args.output is None and "output" in what:
        args.output = os.path.normpath(base / what["output"])
    if args.python is None and "python" in what:
        python = what["python"]
        args.python = os.path.normpath(base / python) if "/" in python else \
            (shutil.which(python) or python)
    if args.target is None and "target" in what:
        args.target = what["target"]
    if args.report is None and "report" in what:
        args.report = os.path.normpath(base / what["report"])


def project_of(args: argparse.Namespace) -> tuple[Path, str] | None:
    """(directory, name) when the program is a project directory: a pyproject.toml with a
    [project] name, and no __main__.py (which makes it `python DIR`'s directory instead)."""
    if args.module or not args.program or not os.path.isdir(args.program):
        return None
    directory = Path(args.program).absolute()
    if (directory / "__main__.py").is_file():
        return None
    name = build_env.project_name(directory)
    return (directory, name) if name else None


def planned_builds(args: argparse.Namespace,
                   progress: Progress) -> list[tuple[BuildOptions, str]]:
    """The builds the command asks for, each with the output name its summary shows: one,
    or one per console script of a project; with -r or a project, from a build environment
    made (or reused) first."""
    project = project_of(args)
    if args.script and project is None:
        raise FreezeError("--script NAME: only for a project directory (freeze PROJECT_DIR)")
    requirements = []
    for name in args.requirement:
        path = Path(name).absolute()
        if not path.is_file():
            raise FreezeError(f"-r {name}: no such file")
        requirements.append(path)
    if requirements or project:
        if args.target_root is not None:
            raise FreezeError("-r and project directories install with the target's pip: "
                              "not with --target-root (install into the root instead)")
        python = args.python or sys.executable
        if not os.path.isfile(python) or not os.access(python, os.X_OK):
            raise FreezeError(f"--python {python}: no such executable")
        with progress.step("install") as step:
            args.python, ran = build_env.environment(
                cache_root(), python, requirements, project[0] if project else None)
            step["detail"] = ("with pip" if ran else "reused") + \
                f" ({Path(args.python).parent.parent})"
    if project is None:
        return [(options_from_args(args), args.output)]
    directory, name = project
    scripts = {k: v.split("[")[0].strip()
               for k, v in build_env.console_scripts(args.python, name).items()}
    if not scripts:
        raise FreezeError(f"{args.program}: project {name} has no console scripts "
                          "([project.scripts]): give a script, -m MODULE or MODULE:FUNCTION")
    for script in args.script:
        if script not in scripts:
            raise FreezeError(f"--script {script}: project {name} has no console script "
                              f"{script} (it has {', '.join(sorted(scripts))})")
    out_dir = Path(args.output) if args.output else directory / "dist"
    if out_dir.exists() and not out_dir.is_dir():
        raise FreezeError(f"-o {args.output}: not a directory (a project's scripts go into one)")
    out_dir.mkdir(parents=True, exist_ok=True)
    builds = []
    for script in args.script or sorted(scripts):
        one = argparse.Namespace(**vars(args))
        one.program, one.output = scripts[script], str(out_dir / script)
        builds.append((options_from_args(one, config_dir=directory), str(out_dir / script)))
    return builds


def run_windows(args: argparse.Namespace) -> int:
    """`--target windows-x86_64`: the Windows build (freezer/windows.py), from a script."""
    from freezer.windows import build_windows

    if args.target != "windows-x86_64":
        raise FreezeError("--target-python gives the runtime of --target windows-x86_64")
    if args.target_root:
        raise FreezeError("--target windows-x86_64 takes its runtime from --target-python, "
                          "not --target-root")
    if args.report:
        raise FreezeError("--report: not for --target windows-x86_64, whose .exe carries no "
                          "build record yet")
    entry = entry_from_args(args)
    if entry.kind != "script" or entry.directory:
        raise FreezeError("--target windows-x86_64 freezes a script (app.py) only, so far")
    check_script(entry.path)
    output = Path(args.output).absolute()
    check_output(output)
    for directory in args.path:
        if not os.path.isdir(directory):
            raise FreezeError(f"--path {directory}: not a directory")
    search = [entry.path.parent, *(Path(d).absolute() for d in args.path)]
    version, held = build_windows(entry.path, output, args.target_python, search,
                                  cache_root(), sources=not args.no_sources)
    if not args.quiet:
        size = output.stat().st_size / 1e6
        print(f"freeze: wrote {args.output} ({size:.1f} MB, {held} modules, CPython "
              f"{version}, windows-x86_64)", file=sys.stderr)
    return 0


def report(shown: str, opts: BuildOptions, analysis: Analysis) -> None:
    """The warnings, what --pruned left out, and the summary, on stderr: size, modules,
    distributions, the glibc floor, and what a first start writes to the cache."""
    for warning in analysis.warnings:
        print(f"freeze: warning: {warning}", file=sys.stderr)
    if analysis.dropped:
        print(f"freeze: --pruned left out {len(analysis.dropped)} standard-library "
              f"modules the analysis did not see imported: {', '.join(analysis.dropped)}",
              file=sys.stderr)
    size = opts.output.stat().st_size / 1e6
    held = len(analysis.modules) if analysis.held is None else analysis.held
    dists = len(analysis.dists)
    print(f"freeze: wrote {shown} ({size:.1f} MB, {held} module{'s' * (held != 1)}, "
          f"{dists} distribution{'s' * (dists != 1)}, CPython {analysis.target['version']})",
          file=sys.stderr)
    floor = analysis.floor.summary() if analysis.floor else None
    if floor:
        print(f"freeze: {shown} {floor}", file=sys.stderr)
    if analysis.unpacked:
        print(f"freeze: a first start writes {megabytes(analysis.boot_unpacked)} to the "
              f"cache, up to {megabytes(analysis.unpacked)} as its imports unpack more "
              "(each once, shared by every binary that carries it)", file=sys.stderr)


# --- the commands that read a binary or the cache ------------------------------------------------

def inspect_command(argv: list[str]) -> int:
    """`freeze inspect OUT`: what the binary holds (inspection.py); status 1 if damaged.
    `--report FILE.html` writes the HTML page of it too (report_html.py)."""
    if len(argv) == 2 and argv[0] == "--sbom":
        sys.stdout.buffer.write(inspection.embedded(argv[1], sbom.ENTRY))
        return 0
    if len(argv) == 3 and argv[0] == "--report" and not argv[2].startswith("-"):
        report_html.write(Path(argv[1]), argv[2])
        argv = argv[2:]
    if len(argv) != 1 or argv[0].startswith("-"):
        raise FreezeError("usage: freeze inspect [--sbom | --report FILE.html] OUT (a binary "
                          "freeze built)")
    text, status = inspection.report(argv[0])
    print(text)
    return status


def why_command(argv: list[str]) -> int:
    """`freeze why OUT MODULE`: the import chain that brought MODULE into OUT."""
    if len(argv) != 2 or any(a.startswith("-") for a in argv):
        raise FreezeError("usage: freeze why OUT MODULE")
    if not is_module_name(argv[1]):
        raise FreezeError(f"{argv[1]}: not a module name")
    print(inspection.why(argv[0], argv[1]))
    return 0


def cache_command(argv: list[str]) -> int:
    """`freeze cache info | prune [--days N] | clear` (cache_admin.py)."""
    print(cache_admin.command(argv))
    return 0


# The first word that names one of these is the command, never a program to freeze: a
# directory named so is frozen as ./inspect.
SUBCOMMANDS = {"inspect": inspect_command, "why": why_command, "cache": cache_command}
