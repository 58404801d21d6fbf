"""The vendored copy."""

from .mod import which  # noqa: F401
