"""Runs itself again through sys.executable, as programs that spawn helpers do (the text in
cp1252, which pipes use on Windows)."""

from __future__ import annotations

import subprocess
import sys


def child() -> None:
    print("child args", sys.argv[2:])
    print("child stdin", ascii(sys.stdin.read()))
    sys.exit(5)


def parent() -> None:
    # Under python sys.executable is the interpreter and needs the script; frozen, it is the
    # program itself.
    script = [] if getattr(sys, "frozen", False) else [__file__]
    command = [sys.executable, *script, "child", "x y", "ü é"]
    done = subprocess.run(command, input="fed é in", capture_output=True, text=True,
                          timeout=60)
    print("child status", done.returncode)
    print("child stdout", ascii(done.stdout))
    print("child stderr", ascii(done.stderr))


if sys.argv[1:2] == ["child"]:
    child()
else:
    parent()
