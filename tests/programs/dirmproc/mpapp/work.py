import sys


def square(n):
    return n * n


def main_state():
    """The child's __main__: python's `-c` one, never this program's run again."""
    main = sys.modules["__main__"]
    return main.__name__, hasattr(main, "__file__"), hasattr(main, "local_square")
