"""Imports after the binary it runs from was replaced or deleted (an upgrade while it runs):
it says "ready", waits for a line on stdin, then imports modules it had not imported yet
(bytecode, cold sources, an extension module) and reads package data."""

import sys

print("ready", flush=True)
sys.stdin.readline()
import colorsys  # noqa: E402
import json  # noqa: E402
import pkgutil  # noqa: E402
import unicodedata  # noqa: E402

print("colorsys", colorsys.rgb_to_hsv(0.2, 0.4, 0.4))
print("json", json.dumps({"a": [1, 2]}))
print("unicodedata", unicodedata.name("é"))
print("data", len(pkgutil.get_data("email", "architecture.rst") or b"") > 0)
