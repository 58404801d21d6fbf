"""Count words on stdin; an example package frozen with `freeze -m wordcount`.

It exists to exercise what a package entry point needs: a `__main__` module, a relative
import inside the package, and a handful of stdlib modules (argparse, json, collections)
that the freezer must find by following imports.
"""

from __future__ import annotations

__version__ = "1.0"
