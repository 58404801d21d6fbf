"""Loads its plugins by names made at run time, from a package of its own: python imports
every module of the package, so the frozen program must hold them all."""

import importlib
import pkgutil

import plugins

# Its test suite and a module that does not compile are left out of the binary (README,
# "What gets bundled"): the build goes on without them, and they are not listed.
LEFT_OUT = ("tests", "broken")
found = sorted(info.name for info in pkgutil.iter_modules(plugins.__path__)
               if info.name not in LEFT_OUT)
print("listed", found)
for name in found:
    if name == "extra":
        continue
    module = importlib.import_module(f"{plugins.__name__}.{name}")
    print(name, "->", module.run())
print(importlib.import_module(".deep", "plugins.extra").run())
try:
    importlib.import_module("plugins." + "broken")
except (SyntaxError, ModuleNotFoundError):
    # python: SyntaxError; frozen: left out, as a module that does not compile (README)
    print("broken: not importable")
try:
    importlib.import_module("plugins.tests." + "test_alpha")
except ModuleNotFoundError:
    print("tests: not importable")
