# A package beside the script, with relative imports at two levels.
import sys

from mypkg import greet
from mypkg.sub.deep import answer

print(greet("wörld"), answer(), sys.modules["mypkg.sub"].__name__)
