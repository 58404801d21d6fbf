# Non-ASCII arguments in, non-ASCII text out (in the console's or the ANSI code page's
# encoding, as python.exe writes it), and where python puts the program and its interpreter.
import sys

print("héllo wörld", sys.argv[1:])
print(__file__.rsplit("\\", 1)[-1], sys.executable.rsplit("\\", 1)[-1].rsplit(".", 1)[-1])
print(sys.stdout.encoding, sys.getfilesystemencoding(), sys.flags.utf8_mode, sys.platform)
