"""Splitting text into words and counting them, kept apart from the CLI so it is importable."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# Letters (any script), digits and inner apostrophes/hyphens: "don't" and "e-mail" are one word.
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def words(lines: Iterable[str], fold_case: bool) -> Iterable[str]:
    """Yield the words of every line, lower-cased when `fold_case` so "The" and "the" match."""
    for line in lines:
        for word in _WORD.findall(line):
            yield word.casefold() if fold_case else word


def count(lines: Iterable[str], fold_case: bool = True) -> Counter[str]:
    """Return how often each word occurs; a Counter so callers get `most_common` for free."""
    return Counter(words(lines, fold_case))
