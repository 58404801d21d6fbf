"""The fztns.beta portion, with a data file beside it."""

import importlib.resources

WORD = importlib.resources.files(__name__).joinpath("word.txt").read_text(encoding="utf-8")
