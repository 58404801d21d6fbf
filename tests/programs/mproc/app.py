"""multiprocessing with the start method named on the command line.

spawn and forkserver re-execute sys.executable (the binary, when frozen), which must then act
as a multiprocessing child rather than run the program again. No freeze_support() call: on
Linux python does not need one, so a frozen program must not either.
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor


def square(n: int) -> int:
    return n * n


def report(results: multiprocessing.Queue, label: str, n: int) -> None:
    results.put((label, n, sum(range(n)), __name__))


def main() -> None:
    method = sys.argv[1]
    ctx = multiprocessing.get_context(method)
    print("method", ctx.get_start_method())
    with ctx.Pool(2) as pool:
        print("pool.map", pool.map(square, range(12)))
        print("apply_async", pool.apply_async(square, (12,)).get(timeout=60))
    results = ctx.Queue()
    child = ctx.Process(target=report, args=(results, "wörld ✓", 100))
    child.start()
    print("queue", results.get(timeout=60))
    child.join()
    print("child exitcode", child.exitcode)
    failing = ctx.Process(target=sys.exit, args=(7,))
    failing.start()
    failing.join()
    print("sys.exit(7) child exitcode", failing.exitcode)
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as executor:
        print("executor", sum(executor.map(square, range(100))))
    with ctx.Manager() as manager:
        shared = manager.dict()
        writer = ctx.Process(target=shared.__setitem__, args=("key", "välue"))
        writer.start()
        writer.join()
        print("manager", dict(shared))
    print("done", method)


if __name__ == "__main__":
    main()
