"""trace's documented use: trace the program, not the standard library below sys.prefix."""

import json
import sys
import trace


def encode(items):
    text = json.dumps(items)
    return len(text)


def main():
    total = 0
    for n in range(3):
        total += encode(list(range(n)))
    return total


tracer = trace.Trace(ignoredirs=[sys.prefix, sys.exec_prefix, sys.base_prefix,
                                 sys.base_exec_prefix], trace=1, count=1)
print("result", tracer.runfunc(main))
counts = tracer.results().counts
print("lines counted", sorted(line for (filename, line) in counts if filename == __file__))
print("stdlib counted", any(filename != __file__ for (filename, line) in counts))
print("prefix is a venv", sys.prefix != sys.base_prefix)
