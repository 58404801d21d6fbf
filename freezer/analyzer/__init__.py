"""The analysis as it runs inside the *target* interpreter: stdlib only, 3.9 syntax.

freezer/analysis.py starts `worker.py` of this package under the Python the program is frozen
for, so module lookup, the grammar, site's paths and the bytecode are that interpreter's own.
The flow: `lookup` finds a name as the target's import system would; `graph` walks the imports
from the program's entry, asking `stdlib_rules` which stdlib edges are hot, `thirdparty_rules`
what of a distribution comes along, and `file_rules` what must be served from real files;
`problems` says which missing imports stop the build. `protocol` is the request and the reply,
shared with the build side. Nothing here imports from the rest of freezer but `build_cache` and
`errors`, which both sides use.
"""
