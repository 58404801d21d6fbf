"""A package with test suites inside; only `suiteship.reached.tests` is imported by its code."""

from suiteship.testing import sample_words

__all__ = ["shout", "sample_words"]


def shout(text: str) -> str:
    return text.upper() + "!"
