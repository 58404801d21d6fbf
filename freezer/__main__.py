"""`python -m freezer`, and the `freeze` command's entry point (see pyproject.toml).

Kept to light imports: importing the build side takes ~60 ms, and a Ctrl-C in them printed a
KeyboardInterrupt traceback. So the stop signals are made to raise Interrupted first, and the
build side is imported after. What stays out of freezer's reach is the interpreter's own
start-up, before any of freezer's code runs: a SIGINT before Python installs its handler kills
the process silently (as it should), and one while `site` runs the .pth files (an editable
install's finder takes ~10 ms) or, for `-m`, while runpy loads this file, is Python's own
traceback.
"""

from __future__ import annotations

# A Ctrl-C before main() has put the handlers in place is one line all the same.
try:
    import os
    import signal
    import sys

    from freezer.errors import Interrupted, interruption, raise_on_signals
except KeyboardInterrupt:
    import os
    import sys

    print("freeze: interrupted", file=sys.stderr)
    os._exit(130)


def main(argv: list[str] | None = None) -> int:
    try:
        raise_on_signals()
        from freezer.cli import run

        status = run(argv)
    except BaseException as error:
        stop = interruption(error)
        if stop is None:
            raise
        die_of(stop)
    stop = interruption()
    if stop is not None:
        die_of(stop)
    return status


def die_of(stop: Interrupted) -> None:
    """Say so in one line, then die of the same signal rather than exit 128+N.

    A shell tells the two apart: bash goes on with a script after a child that exited 130,
    and stops it after one killed by SIGINT (Python itself dies of SIGINT since 3.8 for the
    same reason).
    """
    try:
        print(f"freeze: {stop}", file=sys.stderr, flush=True)
    except OSError:
        pass  # stderr is gone with the terminal that hung up
    signal.signal(stop.signum, signal.SIG_DFL)
    os.kill(os.getpid(), stop.signum)
    os._exit(128 + stop.signum)  # only if the signal is blocked somehow


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        # Ctrl-C between the imports and main's own handler (a few bytecodes, but a signal
        # sent as the process starts lands there): the same one line as anywhere else.
        die_of(Interrupted(signal.SIGINT))
