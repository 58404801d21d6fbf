from .__init__ import WORDS, test
from .helper import shout

__all__ = ["WORDS", "test", "shout"]
