"""Data files in namespace packages of the program (directories without __init__.py).

A module reads a file beside its own __file__; the data-only namespace package `texts` is
listed through its __path__ and through importlib.resources (3.10+, where it supports
namespace packages), before and after importlib.invalidate_caches(), which makes
importlib compute namespace paths again.
"""

import importlib
import os
import sys

import nsdata.reader
import nsdata.texts


def show(label: str) -> None:
    folder = list(nsdata.texts.__path__)[0]
    print(label, "listed", sorted(os.listdir(folder)))
    if sys.version_info >= (3, 10):
        from importlib.resources import files

        texts = files("nsdata.texts")
        print(label, "resources", sorted(p.name for p in texts.iterdir()),
              (texts / "b.txt").read_text(encoding="utf-8").strip())


print("reader", nsdata.reader.read("greeting.txt"))
show("first")
importlib.invalidate_caches()
show("again")
