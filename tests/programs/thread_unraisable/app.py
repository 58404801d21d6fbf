"""Exceptions that python reports without ending the program: in threads (threading's
excepthook; SystemExit is silent) and in weakref callbacks (sys.unraisablehook). CPython
prints both with C printers that read source lines from disk only: each report must show
its source lines (and carets where that version's printer draws them), type names qualified
as that version qualifies them."""

import gc
import json
import sys
import threading
import weakref


def work(n: int) -> int:
    return {"a": 1}["k" + str(n)] + json.loads("{bad")


class Callback:
    def __repr__(self) -> str:
        return "<Callback>"

    def __call__(self, ref: object) -> None:
        x = 0
        return {"a": 1}["b" + str(x)]


class Quiet(Exception):
    def __str__(self) -> str:
        return ""


class QuietCallback(Callback):
    def __call__(self, ref: object) -> None:
        raise Quiet()


class Target:
    pass


def main() -> None:
    for name, target, args in (("w1", work, (3,)), ("w2", json.loads, ("{bad",)),
                               ("w3", sys.exit, (3,))):
        thread = threading.Thread(target=target, args=args, name=name)
        thread.start()
        thread.join()
    print("threads done")
    for callback in (Callback(), QuietCallback()):
        target = Target()
        ref = weakref.ref(target, callback)
        del target
        gc.collect()
        print("ref dead", ref() is None)


main()
