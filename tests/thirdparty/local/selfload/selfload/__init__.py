"""Loads `selfload` again from its own directory, as cv2's loader does: the package steps
out of sys.modules, its directory goes on sys.path ahead of site-packages, and python's
import then finds selfload/selfload.py there, not this package."""

import importlib
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_package = sys.modules.pop("selfload")
sys.path.insert(1, _here)
try:
    _inner = importlib.import_module("selfload")
finally:
    sys.path.remove(_here)
    sys.modules["selfload"] = _package

greet = _inner.greet
INNER_FILE = os.path.relpath(_inner.__file__, _here)
