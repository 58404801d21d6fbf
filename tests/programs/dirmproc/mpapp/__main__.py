# `python mpapp`: this file runs as the module __main__ (a spec named __main__), so a
# spawned or forkserver child does not run it again (multiprocessing's
# _fixup_main_from_name skips `__main__`); work is done by the sibling module.
import multiprocessing
import sys

import work


def local_square(n):
    return n * n


if __name__ == "__main__":
    for method in sys.argv[1:] or ["spawn", "forkserver"]:
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(2) as pool:
            print(method, "sibling", pool.map(work.square, range(5)))
            print(method, "child's main", pool.apply(work.main_state))
