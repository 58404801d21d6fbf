"""Runs inside the target's own Windows python.exe (under wine on a Linux build machine):
the facts a Windows build asks of its interpreter, and the bytecode it compiles.

Started as `python.exe -I -S win_worker.py` with a JSON request on stdin, it answers one JSON
line on stdout. Like freezer/analyzer/worker.py, it asks the target rather than assuming: the
version, the magic number, which modules CPython's own start-up imported from its search path (they
must be frozen into the bootloader's table, as the payload's store is not readable yet), and
it compiles every source with the target's compiler. Standard library only, and nothing
imported before the start-up modules are read off sys.modules.
"""

import sys

# First: what start-up alone imported from a file (the codecs of its stdio, encodings).
BOOT = sorted(n for n, m in sys.modules.items()
              if getattr(getattr(m, "__spec__", None), "has_location", False))

import importlib.util  # noqa: E402
import json  # noqa: E402
import marshal  # noqa: E402

_PYC_FLAGS = (0b11).to_bytes(4, "little")  # hash-based, checked: the header is never read


def main():
    request = json.loads(sys.stdin.read())
    errors = []
    for source, dfile, out, optimize in request.get("compile", []):
        with open(source, "rb") as f:
            text = f.read()
        try:
            code = compile(text, dfile, "exec", dont_inherit=True, optimize=optimize)
        except SyntaxError as e:
            errors.append(f"{dfile}:{e.lineno}: syntax error: {e.msg}")
            continue
        with open(out, "wb") as f:
            f.write(importlib.util.MAGIC_NUMBER + _PYC_FLAGS +
                    importlib.util.source_hash(text) + marshal.dumps(code))
    print(json.dumps({
        "version": ".".join(map(str, sys.version_info[:3])),
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "cache_tag": sys.implementation.cache_tag,
        "platform": sys.platform,
        "boot_modules": BOOT,
        "builtin": sorted(sys.builtin_module_names),
        "errors": errors,
    }))


main()
