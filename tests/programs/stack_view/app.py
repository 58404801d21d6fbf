"""What a program sees of the stack below its own code: nothing, as under python.

print_stack and logging's stack_info, inspect.stack and the f_back chain all walk down to the
script's module frame and stop; in a multiprocessing child they stop at the `-c` code python
runs for it, and a child's traceback shows the script's source lines. The exit status is
the depth seen from the module's own code: 2.
"""

import inspect
import logging
import multiprocessing
import sys
import traceback


def names() -> list:
    return [(f.function, f.filename.rpartition("/")[2]) for f in inspect.stack()]


def depth() -> int:
    frame, count = sys._getframe(), 0
    while frame is not None:
        frame, count = frame.f_back, count + 1
    return count


def in_child(queue) -> None:
    queue.put((names()[-3:], depth()))


def fails() -> None:
    raise ValueError("from the child ✓")


def deep(n: int) -> None:
    if n:
        deep(n - 1)
        return
    traceback.print_stack()
    print("names", names())
    print("depth", depth())
    logging.basicConfig(format="%(message)s")
    logging.warning("here", stack_info=True)


if __name__ == "__main__":
    deep(2)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=in_child, args=(queue,))
    child.start()
    print("child", queue.get(timeout=60))
    child.join()
    print("child status", child.exitcode)
    child = ctx.Process(target=fails)
    child.start()
    child.join()
    print("failed child status", child.exitcode)
    deep(1)
    raise SystemExit(depth())
