"""Import each module named on stdin alone, in a child process of its own (fork), and say
what happened: the same lines under python and frozen, for every module of the stdlib."""

import os
import sys


def try_import(name: str) -> str:
    try:
        __import__(name)
    except BaseException as e:  # noqa: B036 (SystemExit from a module is an outcome too)
        return f"{type(e).__name__}: {e}"
    return "ok"


def main() -> None:
    names = sys.stdin.read().split()
    sys.stdout.flush()
    for name in names:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)  # what a module prints on import is not compared
            os.write(write, try_import(name).encode("utf-8", "replace"))
            os._exit(0)
        os.close(write)
        chunks = []
        while True:
            chunk = os.read(read, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(read)
        _, status = os.waitpid(pid, 0)
        print(f"{name}: {b''.join(chunks).decode()} (wait status {status})")


main()
