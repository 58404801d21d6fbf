from .. import helpers
from ..sub import LEVEL


def answer():
    return LEVEL * 21, helpers.__name__
