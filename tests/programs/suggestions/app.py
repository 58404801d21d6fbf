"""An uncaught NameError raised while handling an AttributeError: python 3.10+ ends each of
the two exception lines with its ". Did you mean: ...?" (3.10-3.11 from the C printer, which
the frozen program does not use, 3.12+ from the traceback module)."""

import json


class Box:
    def __init__(self) -> None:
        self.counter = 1


def lookup() -> int:
    counter = Box().counter
    try:
        return json.lods("{}")  # an AttributeError, on purpose
    except AttributeError:
        try:
            Box().countr  # noqa: B018
        except AttributeError as e:
            print("caught", type(e).__name__, str(e).split()[-1])
        return countr  # noqa: F821 (a NameError, on purpose)
    return counter


print("start")
lookup()
