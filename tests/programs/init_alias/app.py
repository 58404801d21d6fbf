"""A package imported both as `kit` and as `kit.__init__` (statsmodels' `from .__init__ import
test`), unpacked as a tree because it has a data file: both names must import."""

import sys

import kit.api

print("words", kit.api.WORDS, kit.api.shout("grüß"))
print("test", kit.api.test())
print("modules", sorted(name for name in sys.modules if name.startswith("kit")))
print("same file", sys.modules["kit"].__file__ == sys.modules["kit.__init__"].__file__)
