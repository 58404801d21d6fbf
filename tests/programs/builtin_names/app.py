"""The interpreter's lists of modules, which scripts print or test names against: python's
own, nothing of the bootloader's in them."""

import sys

print("builtin", sys.builtin_module_names)
names = getattr(sys, "stdlib_module_names", None)
print("stdlib", None if names is None else sorted(names)[:8], len(names or ()))
print("is builtin", [name in sys.builtin_module_names
                     for name in ("sys", "posix", "_imp", "_freezer_boot", "json")])
