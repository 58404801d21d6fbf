from .helpers import greet

__all__ = ["greet"]
