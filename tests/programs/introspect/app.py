"""Source-level introspection: inspect.getsource, a warning's source line, a formatted
traceback of a caught exception (with 3.11's carets), linecache by file name, and the
__main__ loader's code and source."""

import inspect
import json.decoder
import linecache
import sys
import traceback
import warnings


def scaled(values, factor=2):
    """Multiply every value."""
    return [v * factor for v in values]


class Box:
    def describe(self):
        return "a box"


print(inspect.getsource(scaled), end="")
print(inspect.getsource(Box.describe), end="")
print("doc", inspect.getdoc(scaled))
print("stdlib source", inspect.getsource(json.decoder.JSONDecoder.decode).splitlines()[0])
warnings.simplefilter("always")
warnings.warn("careful ✓", UserWarning)  # noqa: B028 (this line is the one shown)
try:
    json.loads('{"a": 1,}')
except ValueError:
    print(traceback.format_exc().replace(__file__, "APP"))
try:
    {"k": 1}["missing"] + scaled([1])[0]
except KeyError:
    print(traceback.format_exc().replace(__file__, "APP"))
print("line", linecache.getline(__file__, scaled.__code__.co_firstlineno).strip())
loader = sys.modules["__main__"].__loader__
print("code", type(loader.get_code("__main__")).__name__, "package", loader.is_package("__main__"))
print("source lines", len(loader.get_source("__main__").splitlines()))
raise SystemExit(inspect.getsourcelines(scaled)[1])
