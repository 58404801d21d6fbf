"""Waits to be interrupted: SIGINT must raise KeyboardInterrupt, run finally blocks and then
end the process by SIGINT, under python and frozen alike."""

from __future__ import annotations

import time


def wait() -> None:
    try:
        print("ready", flush=True)
        time.sleep(60)
        print("not interrupted")
    finally:
        print("finally ran", flush=True)


wait()
