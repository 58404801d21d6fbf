"""A package entered three ways: `-m mypkg`, `mypkg.cli:main`, and imported by app.py."""

from __future__ import annotations

from .util import shout

__all__ = ["shout", "VERSION"]
VERSION = "2.0 ✓"
