"""A second module, so tracebacks cross files of the program."""

from __future__ import annotations


def lookup(table: dict[str, int], key: str) -> int:
    """Raise KeyError for a missing key, from inside another file of the program."""
    return table[key]
