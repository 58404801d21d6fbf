"""Run a frozen binary in a bubblewrap sandbox, and the same program under plain python.

The sandbox holds nothing but the binary and glibc's core libraries, so a frozen program that
works there carries everything else it needs. Plain python runs outside it (it needs its own
installation) with the same clean environment and a working directory holding a copy of the
program, so the two runs' stdout, stderr and exit status can be compared.

Exit status in the sandbox: bwrap reports a sandboxed process killed by signal N as exit status
128 + N (like a shell), losing the difference between "killed by SIGINT" and "exit(130)".
`run_sandboxed` therefore returns bwrap's status as is, and `shell_status` puts a plain run's
Popen-style status (-N for a signal) into the same form for comparison. Where the exact wait
status matters (the SIGINT test), `SandboxedProcess.interrupt` reads it from the kernel itself.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Union

GLIBC_DIR = Path("/lib/x86_64-linux-gnu")
# glibc's core: everything else (libpython, libssl, libffi, ...) must come from the binary.
GLIBC_CORE = (
    "ld-linux-x86-64.so.2",
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    # glibc's other libraries that programs link (krb5 links libresolv): every glibc has them.
    "libresolv.so.2",
    "libanl.so.1",
    "libmvec.so.1",
)
# The ELF interpreter path every x86-64 binary names.
ELF_INTERPRETER = "/lib64/ld-linux-x86-64.so.2"
APP_DIR = "/app"
SANDBOX_HOME = "/home/user"

Arg = Union[str, bytes]
FileContent = Union[str, bytes]


class SandboxError(RuntimeError):
    """bwrap itself failed: the sandbox, not the program, is broken."""


class Completed(subprocess.CompletedProcess):
    """A finished run, remembering the working directory it ran in (for `normalise`)."""

    def __init__(self, args: object, returncode: int, stdout: bytes, stderr: bytes,
                 cwd: str) -> None:
        super().__init__(args, returncode, stdout, stderr)
        self.cwd = cwd

    @property
    def out(self) -> str:
        """stdout decoded strictly: the programs only print UTF-8."""
        return self.stdout.decode("utf-8")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8")

    def describe(self) -> str:
        """Everything about the run, for assertion messages."""
        return (f"command: {self.args!r}\nstatus: {self.returncode}\n"
                f"--- stdout ---\n{self.stdout.decode('utf-8', 'replace')[-4000:]}\n"
                f"--- stderr ---\n{self.stderr.decode('utf-8', 'replace')[-4000:]}")


def clean_env(home: str, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The whole environment of a run: nothing leaks in from the test runner.

    An override of None removes the variable.
    """
    env: dict[str, str] = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"}
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def shell_status(returncode: int) -> int:
    """A Popen returncode in bwrap's form: death by signal N becomes 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _default_sigint() -> None:
    """Child setup: SIGINT at its default, whatever the test runner inherited.

    Python only installs its KeyboardInterrupt handler when SIGINT is at SIG_DFL at startup, so
    an ignored SIGINT inherited from a test worker would silently change the programs' behaviour.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _write_files(root: Path, files: Mapping[str, FileContent] | None) -> None:
    for relative, content in (files or {}).items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)


def bwrap_argv(binary_name: str, app_dir: Path, binary: Path | None = None,
               extra_ro_binds: Iterable[tuple[Path | str, str]] = (),
               home_dir: Path | None = None, tmp_dir: Path | None = None,
               share_net: bool = False, proc: bool = True,
               home_size: int | None = None) -> list[str]:
    """The bwrap command line (without the command to run) of the sandbox.

    --unshare-all: new user, pid, ipc, uts, cgroup and network namespaces; the network
        namespace has only a loopback interface, which bwrap brings up.
    --die-with-parent: nothing outlives the test (a timeout kills bwrap, and with it all).
    --new-session: the program cannot reach the test runner's terminal (TIOCSTI), and a ^C at
        that terminal goes to pytest, not straight into the program. Tests deliver SIGINT with
        kill(2) to the program's own pid (see SandboxedProcess), which sessions do not affect.
    /app is read-only: it is where the binary lives, and nothing may need to write next to it.
    HOME is a writable tmpfs (or home_dir), where the runtime's cache may go; /tmp is a tmpfs
    (or tmp_dir, for a test to see what was left there).
    share_net keeps the host's network namespace (--share-net), for a program that must reach
    a server the test runs on the host's loopback. proc=False leaves /proc out (some
    containers have none); home_size makes HOME a tmpfs of that many bytes (a full disk).
    """
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxError("bwrap is not installed")
    argv = [bwrap, "--unshare-all", "--die-with-parent", "--new-session"]
    if share_net:
        argv.append("--share-net")
    for name in GLIBC_CORE:
        host = GLIBC_DIR / name
        if host.exists():
            argv += ["--ro-bind", os.path.realpath(host), str(GLIBC_DIR / name)]
    argv += ["--symlink", str(GLIBC_DIR / "ld-linux-x86-64.so.2"), ELF_INTERPRETER]
    argv += ["--proc", "/proc", "--dev", "/dev"] if proc else ["--dev", "/dev"]
    argv += ["--tmpfs", "/tmp"] if tmp_dir is None else ["--bind", str(tmp_dir), "/tmp"]
    if home_dir is None:
        argv += (["--tmpfs", SANDBOX_HOME] if home_size is None
                 else ["--size", str(home_size), "--tmpfs", SANDBOX_HOME])
    else:
        argv += ["--bind", str(home_dir), SANDBOX_HOME]
    argv += ["--ro-bind", str(app_dir), APP_DIR]
    if binary is not None:
        argv += ["--ro-bind", str(binary), f"{APP_DIR}/{binary_name}"]
    for source, dest in extra_ro_binds:
        argv += ["--ro-bind", str(source), dest]
    argv += ["--chdir", APP_DIR]
    return argv


class _AppDir:
    """A host directory shown as /app: cwd_files, plus a placeholder the binary is bound over."""

    def __init__(self, binary: Path, cwd_files: Mapping[str, FileContent] | None) -> None:
        if not binary.is_file():
            raise FileNotFoundError(binary)
        self.path = Path(tempfile.mkdtemp(prefix="sandbox-app-"))
        _write_files(self.path, cwd_files)
        (self.path / binary.name).touch()

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _command(binary: Path, args: Sequence[Arg], argv0: str | None, app: _AppDir,
             extra_ro_binds: Iterable[tuple[Path | str, str]],
             home_dir: Path | None, tmp_dir: Path | None,
             share_net: bool = False, proc: bool = True,
             home_size: int | None = None) -> list[Arg]:
    """bwrap command line running the binary; argv0 (e.g. "./name") replaces /app/name."""
    program = argv0 if argv0 is not None else f"{APP_DIR}/{binary.name}"
    return [*bwrap_argv(binary.name, app.path, binary, extra_ro_binds, home_dir, tmp_dir,
                        share_net, proc, home_size), program, *args]


def _check_bwrap(stderr: bytes, args: object) -> None:
    if stderr.startswith(b"bwrap: "):
        raise SandboxError(f"sandbox setup failed for {args!r}: {stderr.decode(errors='replace')}")


def run_sandboxed(binary: Path, args: Sequence[Arg] = (), *, stdin: bytes | None = None,
                  env: Mapping[str, str | None] | None = None, timeout: float = 60,
                  extra_ro_binds: Iterable[tuple[Path | str, str]] = (),
                  cwd_files: Mapping[str, FileContent] | None = None,
                  argv0: str | None = None, home_dir: Path | None = None,
                  tmp_dir: Path | None = None, share_net: bool = False, proc: bool = True,
                  home_size: int | None = None,
                  preexec: Callable[[], None] | None = None) -> Completed:
    """Run `binary args` at /app/<name> in the sandbox; return its output and bwrap's status.

    env holds overrides of the clean environment (PATH, HOME, LANG). cwd_files are written
    into /app (the working directory) beside the binary. argv0 replaces "/app/<name>" as the
    command (bwrap looks it up in PATH when it has no slash). home_dir and tmp_dir are host
    directories to use as HOME and /tmp instead of empty tmpfs ones. share_net, proc and
    home_size: see bwrap_argv. preexec runs in the child before bwrap (e.g. a resource
    limit, which the program inherits).
    """
    binary = Path(binary)
    app = _AppDir(binary, cwd_files)

    def before() -> None:
        _default_sigint()
        if preexec is not None:
            preexec()

    try:
        command = _command(binary, args, argv0, app, extra_ro_binds, home_dir, tmp_dir,
                           share_net, proc, home_size)
        done = subprocess.run(command, input=stdin if stdin is not None else b"",
                              capture_output=True, env=clean_env(SANDBOX_HOME, env),
                              timeout=timeout, preexec_fn=before)
    finally:
        app.cleanup()
    _check_bwrap(done.stderr, command)
    return Completed(command, done.returncode, done.stdout, done.stderr, APP_DIR)


def _proc_stat(pid: int) -> list[str]:
    """Fields of /proc/PID/stat from field 3 (state) on; comm may contain anything."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
        text = handle.read()
    return text[text.rindex(")") + 2:].split()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_proc_stat(int(entry))[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return sorted(found)


class _Started:
    """A started program whose stdout can be read line by line before it is finished."""

    def __init__(self, popen: subprocess.Popen, cwd: str) -> None:
        self.popen = popen
        self.cwd = cwd
        self._head = b""

    def wait_for_line(self, line: bytes, timeout: float = 60) -> None:
        """Read stdout until a line equal to `line` arrives (the program's "ready")."""
        assert self.popen.stdout is not None
        fd = self.popen.stdout.fileno()
        deadline = time.monotonic() + timeout
        while line not in self._head.split(b"\n")[:-1]:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                self.kill()
                raise TimeoutError(f"no {line!r} line within {timeout}s; got {self._head!r}")
            chunk = os.read(fd, 65536)
            if not chunk:
                self.popen.wait()
                raise EOFError(f"stdout closed before {line!r} (status "
                               f"{self.popen.returncode}); got {self._head!r}")
            self._head += chunk

    def pid(self) -> int:
        return self.popen.pid

    def wait_until_blocked(self, timeout: float = 30) -> None:
        """Wait until the program's main thread sleeps (state S), several checks in a row.

        A program that prints "ready" and then sleeps may still be finishing the print when the
        line arrives; a signal then would interrupt it on a different line than the sleep, and
        tracebacks would differ by timing alone.
        """
        pid = self.pid()
        deadline = time.monotonic() + timeout
        asleep = 0
        while asleep < 5:
            if time.monotonic() > deadline:
                raise TimeoutError(f"process {pid} never blocked")
            asleep = asleep + 1 if _proc_stat(pid)[0] == "S" else 0
            time.sleep(0.02)

    def finish(self, timeout: float = 60) -> Completed:
        """Wait for the end; the result's stdout includes what wait_for_line consumed."""
        try:
            out, err = self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        return Completed(self.popen.args, self.popen.returncode, self._head + out, err,
                         self.cwd)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.communicate()


class PlainProcess(_Started):
    """A program started under plain python (see start_plain)."""

    def interrupt(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        """Send `sig` to the program; return its Popen-style status (-N: killed by signal N)."""
        self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


class SandboxedProcess(_Started):
    """A binary started in the sandbox (see start_sandboxed).

    Process tree: pytest -> bwrap (outer, host pid namespace) -> bwrap (pid 1 of the sandbox's
    pid namespace, the reaper) -> the program (pid 2). Signalling the outer bwrap would kill
    bwrap, not the program, so signals go to the program's host pid, found through /proc.
    """

    def __init__(self, popen: subprocess.Popen, cwd: str, app: _AppDir) -> None:
        super().__init__(popen, cwd)
        self._app = app

    def _reaper_and_program(self, timeout: float = 10) -> tuple[int, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for reaper in _children(self.popen.pid):
                programs = _children(reaper)
                if programs:
                    return reaper, programs[0]
            time.sleep(0.01)
        raise TimeoutError("could not find the sandboxed program's pid")

    def pid(self) -> int:
        """The program's host pid."""
        return self._reaper_and_program()[1]

    def interrupt(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        """Send `sig` to the program; return its exact Popen-style status (-N: killed by N).

        bwrap would only report 128 + N, so the sandbox's reaper is stopped first (SIGSTOP from
        the parent pid namespace always works on a namespace's init), which leaves the program
        a zombie once it ends; its wait status is then read from /proc/PID/stat (field 52,
        exit_code) before the reaper is continued and collects it.
        """
        reaper, program = self._reaper_and_program()
        os.kill(reaper, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + timeout
            while _proc_stat(reaper)[0] not in ("T", "t"):
                if time.monotonic() > deadline:
                    raise TimeoutError("the sandbox's reaper did not stop")
                time.sleep(0.005)
            os.kill(program, sig)
            while True:
                fields = _proc_stat(program)
                if fields[0] == "Z":
                    status = int(fields[49])
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"program did not end within {timeout}s of signal {sig}")
                time.sleep(0.01)
        except BaseException:
            os.kill(reaper, signal.SIGCONT)
            self.kill()
            raise
        os.kill(reaper, signal.SIGCONT)
        return os.waitstatus_to_exitcode(status)

    def finish(self, timeout: float = 60) -> Completed:
        try:
            done = super().finish(timeout)
        finally:
            self._app.cleanup()
        _check_bwrap(done.stderr, done.args)
        return done


def start_sandboxed(binary: Path, args: Sequence[Arg] = (), *,
                    env: Mapping[str, str | None] | None = None,
                    cwd_files: Mapping[str, FileContent] | None = None,
                    home_dir: Path | None = None) -> SandboxedProcess:
    """Start the binary in the sandbox with stdin closed; see SandboxedProcess."""
    binary = Path(binary)
    app = _AppDir(binary, cwd_files)
    command = _command(binary, args, None, app, (), home_dir, None)
    popen = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=clean_env(SANDBOX_HOME, env),
                             preexec_fn=_default_sigint)
    return SandboxedProcess(popen, APP_DIR, app)


class PlainWorkdir:
    """A fresh directory holding a copy of the program (the cwd) and an empty HOME."""

    def __init__(self, program_dir: Path, cwd_files: Mapping[str, FileContent] | None,
                 workdir: Path | None) -> None:
        self.owned = workdir is None
        self.root = Path(tempfile.mkdtemp(prefix="plain-")) if workdir is None else workdir
        self.cwd = self.root / "app"
        self.home = self.root / "home"
        shutil.copytree(program_dir, self.cwd,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        self.home.mkdir()
        _write_files(self.cwd, cwd_files)

    def cleanup(self) -> None:
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)


def run_plain(python: Path, args: Sequence[Arg], *, program_dir: Path,
              stdin: bytes | None = None, env: Mapping[str, str | None] | None = None,
              timeout: float = 60, cwd_files: Mapping[str, FileContent] | None = None,
              workdir: Path | None = None) -> Completed:
    """Run `python args` in a copy of program_dir with the clean environment.

    args are python's own, e.g. ["app.py", "x"] or ["-m", "mypkg"]. The copy lives in
    workdir/app (workdir is kept for inspection) or in a temporary directory removed afterwards.
    """
    where = PlainWorkdir(Path(program_dir), cwd_files, workdir)
    try:
        command = [str(python), *args]
        done = subprocess.run(command, input=stdin if stdin is not None else b"",
                              capture_output=True, cwd=where.cwd,
                              env=clean_env(str(where.home), env), timeout=timeout,
                              preexec_fn=_default_sigint)
    finally:
        where.cleanup()
    return Completed(command, done.returncode, done.stdout, done.stderr, str(where.cwd))


def start_plain(python: Path, args: Sequence[Arg], *, program_dir: Path,
                env: Mapping[str, str | None] | None = None,
                workdir: Path) -> PlainProcess:
    """Start `python args` like run_plain, with stdin closed; see PlainProcess."""
    where = PlainWorkdir(Path(program_dir), None, workdir)
    command = [str(python), *args]
    popen = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=where.cwd,
                             env=clean_env(str(where.home), env), preexec_fn=_default_sigint)
    return PlainProcess(popen, str(where.cwd))


_FRAME = re.compile(r'^(?P<indent> *)File "(?P<path>[^"]*)", line \d+')


def normalise(text: str, roots: Iterable[str] = ()) -> str:
    """Remove the one documented difference between a frozen and a plain traceback.

    A program file named by its absolute path under one of `roots` (the directory the program
    was frozen from or copied to) becomes relative: `File "/tmp/x/app.py"` and
    `File "/app/app.py"` both become `File "app.py"`, and so does a warning's
    `/tmp/x/app.py:29: UserWarning: ...`. Everything else, source lines and
    3.11's `^^^^` markers included, must be the same.
    """
    prefixes = sorted({str(root).rstrip("/") + "/" for root in roots}, key=len, reverse=True)
    kept: list[str] = []
    for line in text.split("\n"):
        match = _FRAME.match(line)
        if match:
            path = match.group("path")
            for prefix in prefixes:
                if path.startswith(prefix):
                    start, end = match.span("path")
                    line = line[:start] + path[len(prefix):] + line[end:]
                    break
        else:  # a warning: "/tmp/x/app.py:29: UserWarning: ..."
            for prefix in prefixes:
                if line.startswith(prefix):
                    line = line[len(prefix):]
                    break
        kept.append(line)
    return "\n".join(kept)


def assert_same_behaviour(frozen: Completed, plain: Completed, roots: Iterable[str]) -> None:
    """Same stdout, same stderr up to `normalise`, same exit status (in bwrap's form)."""
    roots = [*roots, APP_DIR]  # where the frozen script's __file__ is, in the sandbox
    context = f"\n=== frozen ===\n{frozen.describe()}\n=== python ===\n{plain.describe()}"
    assert frozen.stdout.decode("utf-8", "replace") == plain.out, context
    assert normalise(frozen.stderr.decode("utf-8", "replace"), roots) == \
        normalise(plain.err, roots), context
    assert shell_status(frozen.returncode) == shell_status(plain.returncode), context
