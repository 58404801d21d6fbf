"""Built-in knowledge: imports that no scan can see, per importing module.

A data table, read by the module graph in the worker (so: plain literals, 3.9-compatible).
Each key is a module; when it is bundled, the modules in "imports" are bundled too if the
target has them (never an error if not). Every entry names why, and tests/test_hints.py
freezes a program that needs each entry and runs it.

Imports made from C by the stdlib itself are in stdlib_rules.IMPLICIT_IMPORTS; distributions
bundle whole, so a package's dynamic imports of its own modules need no entry here. What is
left is one package reaching another by a name made at run time.
"""

HINTS: "dict[str, dict]" = {
    "zoneinfo": {
        # With no system zone files (containers, the sandbox), zoneinfo reads the IANA data
        # of the tzdata package through importlib.resources.files("tzdata.zoneinfo...").
        "imports": ("tzdata",),
        "why": "zoneinfo falls back to the tzdata package by name",
    },
}


def hinted_imports(module: str) -> tuple[str, ...]:
    entry = HINTS.get(module)
    return tuple(entry["imports"]) if entry else ()
