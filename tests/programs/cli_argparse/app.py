"""argparse: subcommands, generated --help, --version and usage errors (exit status 2)."""

from __future__ import annotations

import argparse


def build_parser() -> argparse.ArgumentParser:
    # prog is fixed: by default argparse names the program after argv[0], which is the
    # script under python and the binary when frozen.
    parser = argparse.ArgumentParser(prog="tool", description="Does small things wëll.")
    parser.add_argument("--version", action="version", version="tool 1.0 ✓")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="say more")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add integers")
    add.add_argument("numbers", type=int, nargs="+", help="integers to add")
    greet = commands.add_parser("greet", help="greet someone")
    greet.add_argument("name")
    greet.add_argument("--shout", action="store_true", help="upper-case the greeting")
    greet.add_argument("--times", type=int, default=1, choices=[1, 2, 3])
    return parser


def main() -> None:
    args = build_parser().parse_args()
    if args.command == "add":
        print("sum", sum(args.numbers), "verbosity", args.verbose)
    else:
        text = f"hello {args.name}"
        for _ in range(args.times):
            print(text.upper() if args.shout else text)


main()
