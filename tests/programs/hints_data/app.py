"""Hints the scan cannot see, given in pyproject.toml and on the command line.

- assets/ is added beside the script (--add-data) and read relative to __file__;
- plugins/ is a package whose modules are imported only by names made at run time; the
  pyproject collects it (--collect), so every plugin is there;
- `extra` names a stdlib module imported by a computed name: only --trace sees it.
"""

import importlib
import os
import sys

here = os.path.dirname(__file__)
with open(os.path.join(here, "assets", "greeting.txt"), encoding="utf-8") as f:
    print("asset", f.read().strip())
print("asset files", sorted(os.listdir(os.path.join(here, "assets"))))
for name in ("alpha", "beta"):
    plugin = importlib.import_module("plugins." + name)
    print("plugin", name, plugin.run())
if len(sys.argv) > 1:
    extra = importlib.import_module("".join(reversed(sys.argv[1])))
    print("extra", extra.__name__)
