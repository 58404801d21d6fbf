"""A script that imports a local package which uses relative imports inside it."""

from __future__ import annotations

import sys

import mypkg
from mypkg.inner.deep import describe
from mypkg.sub import greet

print("script name", __name__)
print(greet("script"), mypkg.VERSION)
print(describe())
print("package module", mypkg.__name__, mypkg.shout("ok"))
print("args", sys.argv[1:])
