"""Echo argv and end in each way a program can end; the binary must match python exactly."""

from __future__ import annotations

import sys

from helper import lookup


def fail() -> None:
    """Raise a chained exception whose traceback spans two files."""
    try:
        lookup({"present": 1}, "missing")
    except KeyError as exc:
        raise RuntimeError("wrapped ✗ failure") from exc


def main() -> None:
    args = sys.argv[1:]
    print("argc", len(args))
    for index, arg in enumerate(args):
        print(index, ascii(arg))
    mode = args[0] if args else "ok"
    # Buffered, unterminated output: it must still be flushed whatever way the program ends.
    print("unterminated tail ✓", end="")
    if mode == "exit3":
        sys.exit(3)
    if mode == "exitmsg":
        sys.exit("fatal: ünïcode message")
    if mode == "exitnone":
        sys.exit()
    if mode == "raise":
        fail()


main()
