"""Helpers for the package's users' own tests: not a test suite, always bundled."""

from suiteship.reached.tests import fixtures


def sample_words() -> list[str]:
    return fixtures.words()
