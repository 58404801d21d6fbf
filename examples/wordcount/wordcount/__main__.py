"""`python -m wordcount` (or the frozen binary): count the words read from stdin.

Prints the most frequent words as a table, or as JSON with --json so scripts can use it.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .counting import count


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line (argparse: a real stdlib package for the freezer to pull in)."""
    p = argparse.ArgumentParser(prog="wordcount", description="Count the words read from stdin.")
    p.add_argument("-n", "--top", type=int, default=10, metavar="N",
                   help="how many of the most frequent words to show (default: 10; 0 for all)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p.add_argument("--case-sensitive", action="store_true",
                   help='count "The" and "the" as different words')
    p.add_argument("--version", action="version", version=f"wordcount {__version__}")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Read stdin to the end, count, print; return the exit status."""
    args = parse_args(argv)
    if args.top < 0:
        print("wordcount: --top must be 0 or more", file=sys.stderr)
        return 2
    counts = count(sys.stdin, fold_case=not args.case_sensitive)
    top = counts.most_common(args.top or None)
    if args.json:
        report = {"total": sum(counts.values()), "distinct": len(counts), "top": dict(top)}
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max((len(word) for word, _ in top), default=4)
    for word, n in top:
        print(f"{word:<{width}}  {n}")
    print(f"{'total':<{width}}  {sum(counts.values())} words, {len(counts)} distinct")
    return 0


if __name__ == "__main__":
    sys.exit(main())
