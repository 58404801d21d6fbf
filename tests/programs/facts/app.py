"""Prints what a program can learn about how it was started (differs frozen by design)."""

from __future__ import annotations

import os
import sys

print("frozen", getattr(sys, "frozen", False))
print("executable", sys.executable)
print("argv0", sys.argv[0])
print("name", __name__)
print("file", os.path.basename(__file__))
print("environ", os.environ.get("GREETING"))
print("cwd", os.getcwd())
print("root", sorted(os.listdir("/")))
print("libs", sorted(os.listdir("/lib/x86_64-linux-gnu")))
try:
    # a file in the working directory, not in the program
    import shadowmod  # noqa: F401
except ImportError:
    print("shadowmod not importable")
else:
    print("shadowmod imported")
