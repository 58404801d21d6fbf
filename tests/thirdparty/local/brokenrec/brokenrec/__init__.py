"""Imports nothing else of its package, so python still runs it with extra.py deleted."""

GREETING = "brokenrec works"
