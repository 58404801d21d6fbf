"""A package imported both as `kit` and as `kit.__init__` (statsmodels' `from .__init__ import
test`), unpacked as a tree because it has a data file: both names must import, by
python's own loader."""

import importlib.machinery
import sys
import zipimport

import kit.api

print("words", kit.api.WORDS, kit.api.shout("grüß"))
print("test", kit.api.test())
print("modules", sorted(name for name in sys.modules if name.startswith("kit")))
print("same file", sys.modules["kit"].__file__ == sys.modules["kit.__init__"].__file__)

# Code that keys on the exact type of a module's loader (distlib's resource finders, a dict
# by type(loader)) finds python's own SourceFileLoader for a module of the unpacked tree.
finders = {importlib.machinery.SourceFileLoader: "files", zipimport.zipimporter: "zip"}
print("finder", finders.get(type(kit.api.__loader__)), finders.get(type(kit.__loader__)))
