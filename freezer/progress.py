"""What a build says while it runs, on stderr: its steps, its decisions (-v), its summary.

A big build (pandas and scipy) ran 86 s without a word. Each step now prints one line when
it ends, with its elapsed time; on a terminal a live line shows the running step and its
clock, rewritten in place twice a second, so a long step is never silent. The live line is
for terminals only: a log (CI, a pipe) gets the step lines, never carriage returns.

A build that fails says one thing: its error, in one line. So the lines of a build's first
HOLD seconds are held back, and printed once it succeeds or has run that long (bad input is
refused well within it: names, files, modules, the interpreter); from then on each line is
printed as it comes, and a step still running after HOLD seconds is said off a terminal
too, every HEARTBEAT seconds, so that a CI log of a long build is never silent for long.

Levels: QUIET prints errors only (the caller prints those), NORMAL the steps, warnings and
summary, VERBOSE also the decisions: why each module and distribution is in the binary
and what was left out.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO

QUIET, NORMAL, VERBOSE = 0, 1, 2
_TICK = 0.5  # seconds between rewrites of the live line
HOLD = 30.0  # seconds a build's lines are held back (see above)
HEARTBEAT = 10.0  # seconds between the lines of a running step, off a terminal


class Progress:
    """The build's voice. Every line starts with `freeze: `, as the errors do."""

    def __init__(self, level: int = NORMAL, stream: IO[str] | None = None,
                 live: bool | None = None) -> None:
        self.level = level
        self.stream = stream if stream is not None else sys.stderr
        if live is None:
            live = level >= NORMAL and _is_terminal(self.stream)
        self.live = live
        self.started = time.monotonic()
        # Step name -> seconds it took, for the build record and tests.
        self.times: dict[str, float] = {}
        self._lock = threading.Lock()
        self._shown = 0  # characters of the live line now on the terminal
        self._held: list[str] | None = []  # lines not printed yet; None once released

    def finish(self) -> None:
        """The build succeeded: print what was held back."""
        with self._lock:
            self._release()

    # -- plain lines --------------------------------------------------------------------------

    def say(self, text: str, level: int = NORMAL) -> None:
        """One line at `level` or above."""
        if self.level < level:
            return
        with self._lock:
            line = f"freeze: {text}\n"
            if self._held is not None and time.monotonic() - self.started < HOLD:
                self._held.append(line)
                return
            self._release()
            self._clear()
            self.stream.write(line)
            self.stream.flush()

    def _release(self) -> None:
        """Print the held lines (the lock is held)."""
        if self._held:
            self._clear()
            self.stream.write("".join(self._held))
            self.stream.flush()
        self._held = None

    def decision(self, text: str) -> None:
        """One of -v's lines: a decision of the build and its reason."""
        self.say(text, VERBOSE)

    # -- steps --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[dict]:
        """Time the step `name`; its line is printed when it ends, with what the body put in
        the dict it gets under "detail" ("312 modules"), and its time under "seconds" if the
        body knows better (the analysis, less the worker's compile). A step that fails
        prints nothing: the error is the line the user needs."""
        start = time.monotonic()
        done: dict = {"detail": "", "start": start}
        ticker = _Ticker(self, name, start) if self.level >= NORMAL else None
        try:
            yield done
        finally:
            if ticker is not None:
                ticker.stop()
        elapsed = done.get("seconds", time.monotonic() - start)
        self.times[name] = round(elapsed, 3)
        detail = f": {done['detail']}" if done["detail"] else ""
        self.say(f"{name}{detail} ({seconds(elapsed)})")

    def record(self, name: str, elapsed: float, detail: str = "") -> None:
        """A step timed elsewhere (the worker's compile, inside the analysis's process)."""
        self.times[name] = round(elapsed, 3)
        self.say(f"{name}{': ' + detail if detail else ''} ({seconds(elapsed)})")

    # -- the live line ------------------------------------------------------------------------

    def _show(self, text: str) -> None:
        with self._lock:
            self.stream.write("\r" + text.ljust(self._shown))
            self.stream.flush()
            self._shown = len(text)

    def _clear(self) -> None:
        """Remove the live line (the lock is held) so a plain line starts at column 0."""
        if self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self._shown = 0


class _Ticker:
    """A thread rewriting the live line of a running step until stop()."""

    def __init__(self, progress: Progress, name: str, start: float) -> None:
        self.progress, self.name, self.start = progress, name, start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        progress = self.progress
        said = self.start
        while not self._stop.wait(_TICK):
            now = time.monotonic()
            text = (f"{self.name}... {seconds(now - self.start)} "
                    f"(total {seconds(now - progress.started)})")
            if progress.live:
                progress._show("freeze: " + text)
            elif now - said >= HEARTBEAT and now - progress.started >= HOLD:
                said = now
                progress.say(text)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        with self.progress._lock:
            self.progress._clear()
            self.progress.stream.flush()


def seconds(elapsed: float) -> str:
    return f"{elapsed:.1f} s"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
