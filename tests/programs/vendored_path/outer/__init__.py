"""Puts its directory of vendored copies on sys.path, ahead of everything or last."""

import os
import sys

VENDORED = os.path.join(os.path.dirname(__file__), "_vendored")


def use_vendored(first: bool) -> None:
    if first:
        sys.path.insert(0, VENDORED)
    else:
        sys.path.append(VENDORED)
