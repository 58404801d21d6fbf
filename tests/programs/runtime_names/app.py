"""Import names no file on disk carries: made at run time by the program's own code.

os.path is put in sys.modules by os; `shelf.extern.<x>` is served by a finder that
shelf.extern installs, from shelf._bundled; `books` is an alias the script stores into
sys.modules, and `books.ledger` is then a submodule no import statement names. The last
import names a module that nothing provides: python fails there, at run time.
"""

import os.path
import sys
from os.path import basename

print("os.path", os.path is sys.modules["os.path"], basename("/a/b.txt"))

import shelf  # noqa: E402
from shelf.extern import tally  # noqa: E402

print("vendored", tally.__name__, tally.count("a b c"))
__import__("shelf.extern.words")
print("deeper", sys.modules["shelf.extern.words"].WORDS)

sys.modules["books"] = shelf
from books import ledger  # noqa: E402

print("alias", ledger.__name__, ledger.total([1, 2, 3]))

import shelf.extern.nowhere  # noqa: E402,F401
