"""Parent-relative import from a subpackage."""

from __future__ import annotations

from .. import VERSION
from ..sub import greet


def describe() -> str:
    return f"{greet('deep')} from {__name__} in {__package__} v{VERSION}"
