"""Test data the package's testing helpers read from a file beside this module."""

from pathlib import Path


def words() -> list[str]:
    return Path(__file__).with_name("words.txt").read_text(encoding="utf-8").split()
