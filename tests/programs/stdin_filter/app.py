"""Reads stdin: a prompt through input(), then every remaining line, transformed."""

from __future__ import annotations

import sys

name = input("name? ")
print(f"hello {name!r}")
count = 0
words = 0
for line in sys.stdin:
    count += 1
    words += len(line.split())
    if count <= 5 or count % 1000 == 0:
        print(count, line.rstrip("\n").upper()[::-1])
print("lines", count, "words", words)
