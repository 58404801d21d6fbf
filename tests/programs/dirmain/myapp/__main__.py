# `python myapp` runs this file as the module __main__, with myapp/ first on sys.path:
# the sibling module is imported by its plain name.
import os
import sys

import helper

print("name:", __name__, "spec:", __spec__ and __spec__.name, "package:", repr(__package__))
print("file:", os.path.basename(__file__), "helper:", helper.__name__)
print(helper.greet(sys.argv[1:]))
print("to stderr", file=sys.stderr)
raise SystemExit(helper.status(sys.argv[1:]))
