"""What python's site adds to builtins, which scripts use without importing anything:
exit() and quit() (with their reprs), copyright and credits (printed), help's repr; the
script ends with exit(3), as scripts do."""

import builtins
import sys

print(repr(exit))
print(repr(quit))
print(type(exit).__name__, type(help).__name__)
copyright()
credits()
print(repr(help))
print("license" in dir(builtins))
if sys.argv[1:] == ["quit"]:
    quit("bye from quit")
exit(3)
