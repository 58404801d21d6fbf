"""Sibling-relative import."""

from __future__ import annotations

from .util import shout


def greet(name: str) -> str:
    return shout(f"hello {name}")
