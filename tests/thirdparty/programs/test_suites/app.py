"""Distributions that ship test suites: colorama (colorama.tests) and fzt-suiteship.

Without arguments it uses both packages, suiteship's testing helpers reading a data file of a
test suite its own code imports. `probe NAME...` asks the import system whether each module
can be found and lists the RECORD entries of both distributions that lie in a test suite:
what tests/test_tests_exclusion.py compares with what the frozen program should hold. The
names come from the command line, so no import of them is visible to the analysis.
"""

import importlib.util
import re
import sys
from importlib import metadata

import colorama
import suiteship

SUITE = re.compile(r"/tests?/")


def probe(names: list[str]) -> None:
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # a parent package is not there either
            found = False
        print("spec", name, "found" if found else "absent")
    for dist in ("colorama", "fzt-suiteship"):
        for file in sorted(str(f) for f in metadata.files(dist) or ()):
            # The bundle holds bytecode where python has __pycache__: compare the rest.
            if SUITE.search(file) and "__pycache__" not in file:
                print("record", dist, file)


def main() -> None:
    if sys.argv[1:2] == ["probe"]:
        probe(sys.argv[2:])
        return
    print(repr(colorama.Fore.GREEN + "grün" + colorama.Style.RESET_ALL))
    print(suiteship.shout("hallo"), suiteship.sample_words())
    print("colorama", metadata.version("colorama"), "suiteship",
          metadata.version("fzt-suiteship"))


main()
