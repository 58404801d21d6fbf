"""`import os.path` and `from os.path import ...`: os is a module, not a package, and makes
os.path itself (in sys.modules) when it runs. A submodule of a module that makes none is
python's error at run time, not the build's: `import os.nothing` fails as it does under
python, traceback and all."""

import os.path
import sys
from os.path import basename, join

print(join("a", "b"), basename("/x/y.txt"), os.path.sep)
if sys.argv[1:] == ["missing"]:
    import os.nothing  # noqa: F401
