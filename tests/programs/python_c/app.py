"""Runs python code through sys.executable, as a script checking what its interpreter can do:
`-c CODE` is python's code (a call, an assignment, an import of anything), unlike a value of
a `-c` option of the program's own (`-c settings.ini`), which runs the program again."""

import subprocess
import sys

CHILDREN = [
    ["-c", "print('child ✓', 6 * 7)"],
    ["-c", "x = [1, 2]; print(sum(x))"],
    ["-c", "import sys; print(sys.argv)", "a", "b"],
    ["-c", "import no_such_module_here"],
    ["-c", "raise SystemExit(4)"],
    ["-I", "-c", "import sys; print(sys.flags.isolated)"],
]

if sys.argv[1:2] == ["-c"]:  # the program's own option, reached as the program
    print("own option -c", sys.argv[2:])
    sys.exit(0)
for args in CHILDREN:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=60)
    last = done.stderr.strip().splitlines()[-1:] if done.stderr else []
    print(args[-1], "->", done.returncode, done.stdout.strip(), last)
if getattr(sys, "frozen", False):
    done = subprocess.run([sys.executable, "-c", "settings.ini"], capture_output=True,
                          text=True, timeout=60)
    print(done.stdout.strip())
else:
    print("own option -c ['settings.ini']")
