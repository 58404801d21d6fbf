"""freezer: turn a Python program into one standalone executable, or a portable .pyz.

The build side lives in this package (cli → analysis → plan → payload); the code that runs
inside every frozen program lives in freezer/runtime and never imports from here.
"""

__version__ = "0.1.0"
