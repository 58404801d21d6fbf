"""A small command-line tool of the usual shape: argparse options, pathlib, JSON out.

Summarises the files under a directory (count and bytes per suffix) as JSON. The benchmark runs
it in a scratch directory that holds a few files, so its output is the same every run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def summarise(root: Path, pattern: str) -> dict[str, dict[str, int]]:
    """Count files and bytes per suffix, in sorted order so the output is stable."""
    by_suffix: dict[str, dict[str, int]] = {}
    for path in sorted(root.rglob(pattern)):
        if path.is_file():
            entry = by_suffix.setdefault(path.suffix or "(none)", {"files": 0, "bytes": 0})
            entry["files"] += 1
            entry["bytes"] += path.stat().st_size
    return by_suffix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Summarise the files under a directory.")
    parser.add_argument("root", nargs="?", default=".", type=Path, help="directory to scan")
    parser.add_argument("--glob", default="*", help="only files matching this pattern")
    parser.add_argument("--indent", type=int, default=2, help="JSON indentation")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"{args.root}: not a directory")
    print(json.dumps(summarise(args.root, args.glob), indent=args.indent, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
