"""The one exception type the build side raises for problems a user can fix."""

from __future__ import annotations


class FreezeError(Exception):
    """Bad input or an unmet requirement: shown as one line, exit status 2, no traceback."""
