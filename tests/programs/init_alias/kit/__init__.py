"""A package with a data file (so it is unpacked into the cache as a tree) whose own module
imports it again as `kit.__init__`, as statsmodels.api does: python then runs the file twice,
as two modules, `kit` and `kit.__init__`."""

import os

RUNS = globals().setdefault("RUNS", [])
RUNS.append(__name__)
with open(os.path.join(os.path.dirname(__file__), "words.txt"), encoding="utf-8") as f:
    WORDS = f.read().split()


def test() -> str:
    return "test of " + __name__
