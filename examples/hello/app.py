"""The smallest useful program to freeze: a greeting with non-ASCII text, then its arguments.

The non-ASCII text is there on purpose: a frozen program writes UTF-8 whatever the locale,
so this is the quickest way to see that the binary's stdio works on a bare `LANG=C` machine.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Print the greeting and the arguments; return the exit status."""
    print("Hello, world! Grüße — こんにちは — Привет 👋")
    print(f"argv: {argv!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
