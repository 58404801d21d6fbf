"""Smallest real program: non-ASCII text on stdout and stderr must come out byte for byte."""

from __future__ import annotations

import sys

print("héllo wörld ✓ 日本")
print("stdout encoding:", sys.stdout.encoding)
print("stderr says ünïcode ✓", file=sys.stderr)
# A long tail of output with no explicit flush: it must all be written before the exit.
for i in range(2000):
    print(f"line {i:04d} ✓")
