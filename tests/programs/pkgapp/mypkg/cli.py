"""Console-script entry point `mypkg.cli:main`: its return value is the exit status."""

from __future__ import annotations

import sys

from .inner.deep import describe


def main() -> int:
    print("cli module", __name__)
    print(describe())
    args = sys.argv[1:]
    print("args", args)
    return int(args[0]) if args else 0
