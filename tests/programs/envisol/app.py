"""Prints what PYTHON* environment variables would change; frozen, none of them may."""

from __future__ import annotations

import sys
import warnings


def documented() -> None:
    """Docstring that -OO would strip."""


print("debug", __debug__)
try:
    assert 1 + 1 == 3, "asserts are checked"
    print("asserts skipped")
except AssertionError as exc:
    print("assert raised:", exc)
print("doc", documented.__doc__)
print("optimize flag", sys.flags.optimize)
print("warnoptions", sys.warnoptions)
print("verbose flag", sys.flags.verbose)
with warnings.catch_warnings(record=True) as caught:
    try:
        warnings.warn("a user warning", UserWarning, stacklevel=1)
        print("warning recorded", len(caught))
    except UserWarning:
        print("warning raised as error")
print("junk on sys.path", [p for p in sys.path if "junk" in p])
try:
    # exists only on the junk PYTHONPATH
    import shadowenv  # noqa: F401
except ImportError:
    print("shadowenv not importable")
else:
    print("shadowenv imported")
print("non-ascii out ✓ 日本", sys.stdout.encoding)
