"""`python -m mypkg`: __main__ of a package, with relative imports."""

from __future__ import annotations

import sys

from .inner.deep import describe
from .sub import greet

print("main name", __name__, "package", __package__)
print("spec", __spec__.name if __spec__ is not None else None)
print(greet("wörld"))
print(describe())
print("args", sys.argv[1:])
