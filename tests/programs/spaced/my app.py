"""A script whose file name holds a space: __file__ and tracebacks name it whole."""

import os
import sys

print("file", os.path.basename(__file__))
print("argv0 ok", bool(sys.argv[0]))
if len(sys.argv) > 1:
    raise RuntimeError("from a spaced script")
