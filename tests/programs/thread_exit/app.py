"""A daemon thread still running when the interpreter finalizes: CPython 3.9-3.13 end it
with pthread_exit when it next asks for the GIL, and glibc's pthread_exit dlopens
libgcc_s.so.1 to unwind it (aborting, "libgcc_s.so.1 must be installed for pthread_exit to
work", where there is none). It prints where the libgcc_s it has loaded so far comes
from (python loads it only when a thread exits; a frozen program at start)."""

from __future__ import annotations

import sys
import threading
import time


def spin() -> None:
    while True:  # always wanting the GIL, so it asks for it again during finalization
        sum(range(100))


class Slow:
    """Cleared with the module's globals during finalization: holds it long enough for the
    daemon thread to be ended while the process is still there."""

    def __del__(self) -> None:
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            sum(range(100))


sys.setswitchinterval(0.001)  # the GIL changes hands often: each thread gets its turn
slow = Slow()
for _ in range(4):
    threading.Thread(target=spin, daemon=True).start()
time.sleep(0.05)
with open("/proc/self/maps") as maps:
    found = sorted({line.split(None, 5)[-1].strip() for line in maps if "libgcc_s" in line})
print("libgcc_s", found)
print("main done")
