"""The stand-alone copy."""

from .mod import which  # noqa: F401
