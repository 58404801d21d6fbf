"""Reads its data the old way, from the directory of its own file."""

import os


def read(name: str) -> str:
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as f:
        return f.read().strip()
