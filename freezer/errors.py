"""The exceptions the build side raises, and the signal handlers that turn a stop into one.

This module imports nothing heavy: the `freeze` entry point (freezer/__main__.py) installs the
handlers from here before it imports the build side, so that a Ctrl-C during those ~60 ms of
imports is one `freeze: interrupted` line, not a KeyboardInterrupt traceback.
"""

from __future__ import annotations

import signal

# What stops a build: Ctrl-C, `kill`, a closed terminal. SIGKILL cannot be caught; the temporary
# output it leaves is removed by the next build to the same output (build.remove_stale_temps).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class FreezeError(Exception):
    """Bad input or an unmet requirement: shown as one line, exit status 2, no traceback."""


class Interrupted(BaseException):
    """A stop signal arrived (see raise_on_signals).

    Raised from the signal handler, so that every `finally` on the way out runs: the temporary
    output is removed, and subprocess.run kills the analysis worker it waits for. A
    BaseException, as KeyboardInterrupt is, so no `except Exception` swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def __str__(self) -> str:
        if self.signum == signal.SIGINT:
            return "interrupted"
        return f"interrupted by {signal.Signals(self.signum).name}"


# The signal being handled, once one arrived: a second one (a repeated Ctrl-C, a SIGHUP after
# the SIGTERM) is ignored, so it cannot cut short the cleanup the first one started.
_stopping: list[int] = []


def _raise_interrupted(signum: int, frame: object) -> None:
    if _stopping:
        return
    _stopping.append(signum)
    raise Interrupted(signum)


def interruption(error: BaseException | None = None) -> Interrupted | None:
    """The stop that `error` stands for, if a stop signal arrived; else None.

    That is `error` itself if it is the Interrupted (or Python's own KeyboardInterrupt, from
    before the handlers were in place), but any exception coming out once a stop signal is
    being handled stands for it too: an exception raised into arbitrary code can be replaced
    by another on the way out (zipfile's close() raises ValueError over the Interrupted that
    cut a write short), or turned into a FreezeError. With no error (the build finished all
    the same), the signal still says the user asked to stop.
    """
    if isinstance(error, Interrupted):
        return error
    if isinstance(error, KeyboardInterrupt):  # Python's own handler, before ours was in place
        return Interrupted(signal.SIGINT)
    return Interrupted(_stopping[0]) if _stopping else None


def raise_on_signals() -> dict[int, object]:
    """Make each stop signal raise Interrupted; return the handlers it replaced.

    A signal ignored at start is left ignored: `nohup freeze ...` ignores SIGHUP on purpose,
    and a shell starts background jobs with SIGINT ignored. Calling it again (cli.main after
    the entry point) changes nothing.
    """
    previous: dict[int, object] = {}  # signal.getsignal's answers
    for signum in STOP_SIGNALS:
        current = signal.getsignal(signum)
        if current in (signal.SIG_IGN, _raise_interrupted):
            continue
        try:
            signal.signal(signum, _raise_interrupted)
        except ValueError:  # not the main thread: only it runs Python's signal handlers
            break
        previous[signum] = current
    if previous:
        _stopping.clear()
    return previous


def restore_signals(previous: dict[int, object]) -> None:
    """Put back the handlers raise_on_signals replaced (for callers of cli.main in-process)."""
    for signum, handler in previous.items():
        signal.signal(signum, signal.SIG_DFL if handler is None else handler)
