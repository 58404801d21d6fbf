"""A small library installed editable; it reads a data file next to its own __file__."""

from __future__ import annotations

import os

from edlib.text import title_case

_HERE = os.path.dirname(os.path.abspath(__file__))


def words() -> list[str]:
    """The words of words.txt, found by a path relative to this file, as much code does."""
    with open(os.path.join(_HERE, "words.txt"), encoding="utf-8") as handle:
        return [title_case(line.strip()) for line in handle if line.strip()]
