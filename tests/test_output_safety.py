"""`freeze` never destroys what it should not (the "safe outputs" issue).

Every test runs the real command (`python -m freezer`, as conftest.run_freezer does) and checks
the one-line message, the exit status, and that the file it must not replace is unchanged:
the same inode, type, permissions and bytes (for a link, the same target; for a device, the
same device). freeze writes by renaming a temporary file over its output, so a refusal that
slipped through would show as a new inode even where the old bytes survive elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import REPO, TARGETS, freezer_env, run_freezer

from freezer.build import temp_path, write_output
from freezer.errors import FreezeError

PYTHON = sys.executable
TIMEOUT = 120
TOOL_DIR = REPO / "freezer"
PRECIOUS = b"precious \x00 bytes\n"


# --- helpers -----------------------------------------------------------------------------------

def state(path: Path) -> tuple:
    """Everything about `path` a refused build must leave as it was (a directory: and all
    that is in it)."""
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode):
        body: object = path.read_bytes()
    elif stat.S_ISLNK(st.st_mode):
        body = os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        body = {name: state(path / name) for name in sorted(os.listdir(path))}
    else:
        body = None  # a device, FIFO or socket: its identity and st_rdev say it all
    return (st.st_dev, st.st_ino, stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
            st.st_rdev, st.st_nlink, st.st_uid, body)


def leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if ".freezer-tmp-" in name)


def freeze(cwd: Path, *args: str, python: str = PYTHON) -> subprocess.CompletedProcess:
    return run_freezer([*args, "--python", python], cwd, timeout=TIMEOUT)


def refused(done: subprocess.CompletedProcess, *fragments: str) -> str:
    """The single `freeze: error:` line of a refusal (status 2), holding every fragment."""
    report = f"status {done.returncode}\n--- stderr ---\n{done.stderr}"
    assert done.returncode == 2, report
    assert done.stdout == "", report
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("freeze: error: "), report
    assert "Traceback" not in done.stderr, report
    for fragment in fragments:
        assert fragment in lines[0], report
    return lines[0]


def start_freeze(cwd: Path, args: Sequence[str], python_flags: Sequence[str] = (),
                 ignored: Sequence[int] = ()) -> subprocess.Popen:
    """`python -m freezer ARGS`, started with the stop signals at their defaults (whatever
    the test worker inherited: Python installs its SIGINT handler only over SIG_DFL, and
    freeze leaves ignored ones ignored), except those `ignored`."""
    def child_signals() -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN if signum in ignored else signal.SIG_DFL)

    return subprocess.Popen([PYTHON, *python_flags, "-m", "freezer", *args, "--python", PYTHON],
                            cwd=cwd, env=freezer_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=child_signals)


def wait_stopped(pid: int) -> None:
    """Until the kernel shows the process stopped (SIGSTOP is delivered asynchronously)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        if fields[0] in ("T", "t"):
            return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} did not stop")


def stopped_while_writing(proc: subprocess.Popen, tmp: Path) -> bool:
    """Stop the build once its temporary output has bytes in it; False if it got done first.

    Stopped (SIGSTOP), the build cannot rename the file away while the test looks: the
    signal under test is then sent, and takes effect on SIGCONT.
    """
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            size = os.stat(tmp).st_size
        except FileNotFoundError:
            size = 0
        if size > 0:
            os.kill(proc.pid, signal.SIGSTOP)
            wait_stopped(proc.pid)
            if tmp.exists():
                return True
            os.kill(proc.pid, signal.SIGCONT)
            return False
        time.sleep(0.002)
    return False


def dead_pid() -> int:
    """The PID of a process that has just exited (and is reaped)."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """app.py importing helper.py, data files for --add-data, and a precious `out`."""
    (tmp_path / "app.py").write_text("import helper\nhelper.greet()\n")
    (tmp_path / "helper.py").write_text("def greet():\n    print('hello')\n")
    (tmp_path / "data.txt").write_text("data\n")
    (tmp_path / "notes.txt").write_text("notes, bundled through a link\n")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.txt").write_text("logo\n")
    (tmp_path / "assets" / "notes.txt").symlink_to("../notes.txt")
    (tmp_path / "out").write_bytes(PRECIOUS)
    return tmp_path


# --- 1. an output that is not a regular file -----------------------------------------------------

def private_device(directory: Path) -> Path | None:
    """A character device node of our own, the same device as /dev/null (1, 3); None where
    mknod is not allowed (no CAP_MKNOD)."""
    node = directory / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        return None
    return node


def _victim(tmp_path: Path, kind: str) -> tuple[str, list[Path]]:
    """(the -o argument, the paths that must stay as they are) for one kind of output."""
    (tmp_path / "target.bin").write_bytes(PRECIOUS)
    path = tmp_path / "victim"
    if kind == "character-device":
        node = private_device(tmp_path)
        if node is None:
            pytest.skip("mknod is not allowed here")
        return str(node), [node]
    if kind == "directory":
        path.mkdir()
        (path / "keep").write_bytes(PRECIOUS)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind("victim")  # relative: tmp_path is the cwd, and may be too long to bind
        server.close()  # the socket file stays
    elif kind == "symlink-to-device":
        path.symlink_to("/dev/null")  # were it replaced, only the link would go
        return str(path), [path, Path("/dev/null")]
    elif kind == "symlink-to-file":
        path.symlink_to("target.bin")
    return str(path), [path, tmp_path / "target.bin"]


@pytest.mark.parametrize(("kind", "says"), [
    ("character-device", "is a character device, not a regular file"),
    ("directory", "is a directory"),
    ("fifo", "is a named pipe (FIFO), not a regular file"),
    ("socket", "is a socket, not a regular file"),
    ("symlink-to-device", "is a symbolic link (to /dev/null)"),
    ("symlink-to-file", "is a symbolic link (to target.bin)"),
])
def test_refuses_an_output_that_is_not_a_regular_file(
        project: Path, monkeypatch: pytest.MonkeyPatch, kind: str, says: str) -> None:
    """A device, directory, FIFO or socket is never replaced by a regular file, and a
    symbolic link is refused wherever it points: neither replaced (the file it names would
    silently stay old) nor written through (how a link planted in a shared directory makes a
    build overwrite some other file)."""
    monkeypatch.chdir(project)
    output, victims = _victim(project, kind)
    before = [state(v) for v in victims]
    line = refused(freeze(project, "app.py", "-o", output), says)
    assert line.startswith(f"freeze: error: -o {output}: "), line
    assert [state(v) for v in victims] == before
    assert leftovers(project) == []


def test_refuses_dev_null(project: Path) -> None:
    """`-o /dev/null` (as root, as here: rename could replace it) is refused, and /dev/null
    stays the character device it is.

    The machine's /dev/null is tried only once the same check has refused a device of the
    test's own (or, where mknod is not allowed, a FIFO): with the check broken, the build
    would replace /dev/null by a regular file for every process on the machine. That
    happened once, while this test was being written, with the check disabled by hand.
    """
    stand_in = private_device(project)
    if stand_in is None:
        stand_in = project / "fifo"
        os.mkfifo(stand_in)
    before = state(stand_in)
    refused(freeze(project, "app.py", "-o", str(stand_in)), "not a regular file")
    assert state(stand_in) == before

    before = state(Path("/dev/null"))
    refused(freeze(project, "app.py", "-o", "/dev/null"),
            "-o /dev/null: is a character device, not a regular file")
    assert state(Path("/dev/null")) == before
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert os.stat("/dev/null").st_rdev == os.makedev(1, 3)
    assert leftovers(Path("/dev")) == []


# --- 2. an output that is one of the build's inputs -------------------------------------------

@pytest.mark.parametrize(("args", "output", "link", "says"), [
    (["app.py"], "app-link", "app.py", "is the script being frozen"),
    (["app.py"], "helper.py", None, "is one of the program's modules (helper)"),
    (["app.py"], "dist/helper", "helper.py", "is one of the program's modules (helper)"),
    (["app.py", "--add-data", "data.txt"], "data.txt", None, "is an --add-data source"),
    (["app.py", "--add-data", "assets"], "assets/logo.txt", None,
     "is inside --add-data directory"),
    (["app.py", "--add-data", "assets:static"], "notes.txt", None,
     "is a file the build bundles"),
], ids=["script-hard-link", "module", "module-hard-link", "add-data-file",
        "in-add-data-directory", "linked-from-add-data-directory"])
def test_refuses_an_output_that_is_an_input(project: Path, args: list[str], output: str,
                                            link: str | None, says: str) -> None:
    """Inputs are compared by identity: a hard link of the script is the script, and a file
    reached through a symbolic link inside an --add-data directory is bundled, so it is an
    input. The program's other modules are known only after the analysis, and what the
    links in --add-data directories lead to only once the plan is made: refused then."""
    if link:
        (project / output).parent.mkdir(exist_ok=True)
        os.link(project / link, project / output)
    victim = project / output
    before = state(victim)
    refused(freeze(project, *args, "-o", output), says)
    assert state(victim) == before
    assert leftovers(victim.parent) == []


def test_refuses_the_python_interpreter_seen_through_a_link(project: Path) -> None:
    """`--python bin/python`, a symbolic link, names the file bin/python3: refused as -o."""
    bindir = project / "bin"
    bindir.mkdir()
    shutil.copy2(os.path.realpath(PYTHON), bindir / "python3")
    (bindir / "python").symlink_to("python3")
    before = state(bindir / "python3")
    refused(freeze(project, "app.py", "-o", "bin/python3", python=str(bindir / "python")),
            f"is the --python interpreter ({bindir / 'python'})")
    assert state(bindir / "python3") == before


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment of the running Python (no pip: fast), as a --python target."""
    root = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(root)], check=True,
                   timeout=TIMEOUT)
    return root


def _libpython() -> Path:
    return Path(sysconfig.get_config_var("LIBDIR")) / sysconfig.get_config_var("INSTSONAME")


@pytest.mark.parametrize(("victim", "says"), [
    ("{venv}/pyvenv.cfg", "is a file of the target Python ({venv}/pyvenv.cfg)"),
    ("{site}/extra.py", "is inside the target Python's environment ({site})"),
    ("{venv}/bin/tool", "is inside the target Python's environment ({venv})"),
    ("{tmp}/libpython-link", "is a file of the target Python"),
], ids=["pyvenv.cfg", "site-packages", "prefix", "libpython-hard-link"])
def test_refuses_a_file_of_the_target_environment(project: Path, venv: Path, victim: str,
                                                  says: str) -> None:
    """The target's environment is learnt from the target itself before the analysis: its
    interpreter, libpython and pyvenv.cfg; its stdlib, headers and site-packages; its whole
    prefix, unless that is the system's (/usr/local/bin/tool is where tools get installed)."""
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    names = {"venv": venv, "site": site, "tmp": project}
    path = Path(victim.format(**names))
    if path.name == "libpython-link":
        try:
            os.link(_libpython(), path)  # a second name of the file: its inode is never written
        except OSError as e:
            pytest.skip(f"cannot hard-link {_libpython()} here: {e}")
    elif not path.exists():
        path.write_bytes(PRECIOUS)
    try:
        before = state(path)
        refused(freeze(project, "app.py", "-o", str(path), python=str(venv / "bin" / "python")),
                says.format(**names))
        assert state(path) == before
        assert leftovers(path.parent) == []
    finally:
        if path.name == "libpython-link":
            path.unlink()  # leave libpython its one name


# --- 3. an output in use ----------------------------------------------------------------------

def test_running_program_is_replaced_and_keeps_running(project: Path) -> None:
    """A running executable (here a copy of `sleep`) is replaced, not refused: the rename
    leaves the process its inode, so it runs on, from a file no longer named."""
    busy = project / "busy"
    shutil.copy2(shutil.which("sleep"), busy)
    sleeper = subprocess.Popen([str(busy), "60"])
    try:
        old = os.stat(busy)
        done = freeze(project, "app.py", "-o", "busy")
        assert done.returncode == 0, done.stderr
        assert sleeper.poll() is None
        running = os.stat(f"/proc/{sleeper.pid}/exe")
        assert (running.st_dev, running.st_ino) == (old.st_dev, old.st_ino)
        assert os.readlink(f"/proc/{sleeper.pid}/exe").endswith(" (deleted)")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert subprocess.run([str(busy)], capture_output=True, text=True).stdout == "hello\n"


WAITER = """\
import sys
print("ready", flush=True)
sys.stdin.readline()
import decimal, fractions, json  # late imports (decimal's _decimal is an extension module)
print(json.dumps([str(decimal.Decimal("1.5")), str(fractions.Fraction(1, 3))]))
"""


def test_running_frozen_program_survives_being_rebuilt(project: Path) -> None:
    """Rebuilt while it runs, a frozen program goes on: its later imports, pure Python and
    native, are read through the descriptor its bootloader opened, not by path from the new
    file (at the old offsets, that gave "bad local file header"). The next start is the new
    build."""
    (project / "waiter.py").write_text(WAITER)
    done = freeze(project, "waiter.py", "-o", "waiter")
    assert done.returncode == 0, done.stderr
    waiter = subprocess.Popen([str(project / "waiter")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert waiter.stdout.readline() == "ready\n"
        done = freeze(project, "app.py", "-o", "waiter")
        assert done.returncode == 0, done.stderr
        out, err = waiter.communicate("go\n", timeout=60)
    finally:
        waiter.kill()
        waiter.wait()
    assert (waiter.returncode, out, err) == (0, '["1.5", "1/3"]\n', "")
    again = subprocess.run([str(project / "waiter")], capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
    assert (again.returncode, again.stdout) == (0, "hello\n"), again.stderr
    assert leftovers(project) == []


# --- 4. stop signals and SIGKILL -------------------------------------------------------------

def interrupted_build(project: Path, signum: int, ignored: Sequence[int] = ()
                      ) -> tuple[subprocess.Popen, tuple]:
    """A build of app.py with a big --add-data file, sent `signum` while it writes `out`;
    returns it, and the state `out` had before.

    The file is sparse (no disk, no time to make) and big enough that writing it takes a
    while; should the build finish before the test can catch it, it is tried again with one
    twice the size.
    """
    tmp = None
    for size in (64, 128, 256, 512):
        with open(project / "big.bin", "wb") as big:
            big.truncate(size << 20)
        (project / "out").write_bytes(PRECIOUS)
        before = state(project / "out")
        proc = start_freeze(project, ["app.py", "--add-data", "big.bin", "-o", "out"],
                            ignored=ignored)
        tmp = project / f".out.freezer-tmp-{proc.pid}"
        if stopped_while_writing(proc, tmp):
            os.kill(proc.pid, signum)
            os.kill(proc.pid, signal.SIGCONT)
            return proc, before
        proc.communicate(timeout=TIMEOUT)
    raise AssertionError(f"never caught the build writing {tmp}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_stop_signal_removes_the_temporary_output(project: Path, signum: int) -> None:
    """Stopped while it writes, the build removes `.out.freezer-tmp-PID`, says so in one
    line and dies of the same signal (so a shell script running it stops too); the old
    output is untouched."""
    proc, before = interrupted_build(project, signum)
    out, err = proc.communicate(timeout=TIMEOUT)
    name = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    assert (proc.returncode, out, err.decode()) == (-signum, b"", f"freeze: interrupted{name}\n")
    assert leftovers(project) == []
    assert state(project / "out") == before


def test_ignored_sighup_stays_ignored(project: Path) -> None:
    """Started with SIGHUP ignored (`nohup freeze ...`), the build goes on through one."""
    proc, _ = interrupted_build(project, signal.SIGHUP, ignored=[signal.SIGHUP])
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert "\nfreeze: wrote out (" in "\n" + err.decode(), err.decode()
    assert (project / "out").read_bytes()[:4] == b"\x7fELF"
    assert leftovers(project) == []


def test_next_build_removes_what_sigkill_left(project: Path) -> None:
    """SIGKILL cannot be handled: its temporary file stays, and the next build to the same
    output removes it. Only that: a name of exactly that form, a regular file of this user,
    whose PID no process has. Nothing that merely looks like one is touched."""
    proc, _ = interrupted_build(project, signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL
    stale = project / f".out.freezer-tmp-{proc.pid}"
    assert stale.is_file()

    gone = dead_pid()
    impossible = 4194304 + 1  # above any pid_max Linux allows: no such process, ever
    decoys = {
        f".out.freezer-tmp-{os.getpid()}": "file",  # alive: this test
        f".out.freezer-tmp-{gone}x": "file",
        f".out.freezer-tmp-0{gone}": "file",
        f".other.freezer-tmp-{gone}": "file",
        f"out.freezer-tmp-{gone}": "file",
        f".out.freezer-tmp-{impossible}": "link",
        f".out.freezer-tmp-{impossible + 1}": "directory",
    }
    if os.geteuid() == 0:
        decoys[f".out.freezer-tmp-{impossible + 2}"] = "someone else's"
    for name, kind in decoys.items():
        path = project / name
        if kind == "link":
            path.symlink_to("notes.txt")
        elif kind == "directory":
            path.mkdir()
        else:
            path.write_bytes(PRECIOUS)
            if kind == "someone else's":
                os.chown(path, 65534, 65534)
    before = {name: state(project / name) for name in [*decoys, "notes.txt"]}

    done = freeze(project, "app.py", "-o", "out")
    assert done.returncode == 0, done.stderr
    assert not os.path.lexists(stale)
    assert {name: state(project / name) for name in before} == before
    assert (project / "out").read_bytes()[:4] == b"\x7fELF"


def test_temporary_name_in_the_way_is_refused(tmp_path: Path) -> None:
    """Something at this process's temporary name that is not a file freeze left (here a
    link, as one planted in a shared directory) is neither written through nor removed."""
    out = tmp_path / "out"
    (tmp_path / "target").write_bytes(PRECIOUS)
    temp_path(out).symlink_to("target")
    before = (state(temp_path(out)), state(tmp_path / "target"))
    with pytest.raises(FreezeError, match="is in the way"):
        write_output(out, lambda: pytest.fail("the writer ran"))
    assert (state(temp_path(out)), state(tmp_path / "target")) == before
    assert not out.exists()


# --- 5. a Ctrl-C while freeze starts ---------------------------------------------------------

def start_with_importtime(project: Path) -> subprocess.Popen:
    """A freeze whose stderr logs each import as it completes (-X importtime)."""
    return start_freeze(project, ["app.py", "-o", "x"], python_flags=["-X", "importtime"])


def read_until(proc: subprocess.Popen, module: str) -> bytes:
    """proc's stderr up to and including the -X importtime line of `module`."""
    seen = b""
    while not re.search(rb"\| +" + re.escape(module.encode()) + rb"\n", seen):
        chunk = os.read(proc.stderr.fileno(), 65536)
        assert chunk, f"{module} never came:\n{seen.decode(errors='replace')}"
        seen += chunk
    return seen


def finish(proc: subprocess.Popen, seen: bytes = b"") -> tuple[int, str, str]:
    """Wait for an interrupted freeze: (status, stderr without the import log, the log)."""
    _, rest = proc.communicate(timeout=TIMEOUT)
    lines = (seen + rest).decode(errors="replace").splitlines(keepends=True)
    log = "".join(x for x in lines if x.startswith("import time:"))
    return proc.returncode, "".join(x for x in lines if not x.startswith("import time:")), log


@pytest.mark.parametrize("delay_ms", [0, 10, 30, 70, 150])
def test_sigint_once_freezer_runs_is_one_line(project: Path, delay_ms: int) -> None:
    """Once freezer's entry module runs (it has imported freezer.errors, as -X importtime
    shows), a SIGINT gives `freeze: interrupted` and the process dies of SIGINT, however far
    the imports of the build side (~60 ms) or the build have got; never a traceback."""
    proc = start_with_importtime(project)
    seen = read_until(proc, "freezer.errors")
    time.sleep(delay_ms / 1000)
    proc.send_signal(signal.SIGINT)
    status, err, _ = finish(proc, seen)
    assert err == "freeze: interrupted\n", err
    assert status in (-signal.SIGINT, 130)
    assert not (project / "x").exists()


def test_sigint_during_the_build_side_imports(project: Path) -> None:
    """Sent as soon as freezer.cli's first import (argparse) is done, the SIGINT lands in
    the imports of the build side: freezer.config, the last of them, never comes."""
    proc = start_with_importtime(project)
    seen = read_until(proc, "argparse")
    proc.send_signal(signal.SIGINT)
    status, err, log = finish(proc, seen)
    assert not re.search(r"\| +freezer\.config\n", log), "the imports were over before the SIGINT"
    assert err == "freeze: interrupted\n", err
    assert status in (-signal.SIGINT, 130)


@pytest.mark.parametrize("delay_ms", [0, 10, 30, 70, 150])
def test_sigint_from_the_start_never_shows_freezer_traceback(project: Path,
                                                             delay_ms: int) -> None:
    """Timed from the exec instead, a SIGINT may come before Python has a handler (the
    process dies of it, silently) or while the interpreter itself starts: a KeyboardInterrupt
    in `site` (.pth files: an editable install takes ~10 ms) or runpy is Python's own
    "init_import_site" error, before any of freezer's code runs, and out of its reach. What
    is never seen is a traceback through freezer's code."""
    proc = start_freeze(project, ["app.py", "-o", "x"])
    time.sleep(delay_ms / 1000)
    proc.send_signal(signal.SIGINT)
    status, err, _ = finish(proc)
    if "Traceback" in err:
        assert f'File "{TOOL_DIR}/' not in err, err
        assert err.rstrip().endswith("KeyboardInterrupt"), err
        return
    assert status in (-signal.SIGINT, 130), err
    assert err in ("", "freeze: interrupted\n"), err


# --- 6. scripts Python would not run ---------------------------------------------------------

def _drop_dac() -> list[str]:
    """A command prefix under which root is refused unreadable files like anyone else."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("root reads any file, and setpriv (util-linux) is not here to stop it")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def _bad_script(project: Path, kind: str) -> list[str]:
    """Make app.py (or what stands for it) of one kind; the command prefix to run with."""
    script = project / "app.py"
    if kind == "nul":
        script.write_bytes(b"print(1)\nx = '\0'\n")
    elif kind == "bad-utf8":
        script.write_bytes(b"print('\xff')\n")
    elif kind == "directory":
        script.unlink()
        script.mkdir()
    elif kind == "missing":
        script.unlink()
    elif kind == "fifo":
        script.unlink()
        os.mkfifo(script)  # reading it would wait for a writer forever
    elif kind == "unreadable":
        script.chmod(0)
        return _drop_dac()
    return []


@pytest.mark.parametrize(("kind", "says"), [
    ("nul", "freeze: error: app.py:2: syntax error: source code cannot contain null bytes"),
    ("bad-utf8", "freeze: error: app.py:1: syntax error: (unicode error) 'utf-8' codec"),
    ("directory", "freeze: error: can't find '__main__' module in 'app.py' (as python app.py "
                  "would say): give a script in it, or a package with -m PACKAGE"),
    ("missing", "freeze: error: {script}: no such file"),
    ("fifo", "freeze: error: {script}: not a regular file"),
    ("unreadable", "freeze: error: {script}: cannot read it (Permission denied)"),
])
def test_script_python_would_not_run_is_one_line(project: Path, kind: str, says: str) -> None:
    prefix = _bad_script(project, kind)
    before = state(project / "out")
    done = subprocess.run([*prefix, PYTHON, "-m", "freezer", "app.py", "-o", "out",
                           "--python", PYTHON], cwd=project, env=freezer_env(),
                          capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)
    line = refused(done)
    assert line.startswith(says.format(script=project / "app.py")), line
    assert state(project / "out") == before


def _nul_targets() -> list[str]:
    """The running Python, and 3.9 and the newest target if there: 3.9-3.10 raise ValueError
    for a NUL byte, 3.11+ a SyntaxError with no file name."""
    chosen = [PYTHON]
    for target in TARGETS:
        if target.version[1] in (9, 13):
            chosen.append(str(target.path))
    return chosen


@pytest.mark.parametrize("python", _nul_targets())
def test_nul_byte_in_a_module_names_it(project: Path, python: str) -> None:
    """Found by the analysis (under the target), a NUL byte in one of the program's modules
    is a syntax error at its file and line, not `None:None`."""
    (project / "helper.py").write_bytes(b"def greet():\n    print('hello')\n\0\n")
    before = state(project / "out")
    refused(freeze(project, "app.py", "-o", "out", python=python),
            f"{project / 'helper.py'}:3: syntax error: source code cannot contain null bytes")
    assert state(project / "out") == before


# --- the entry point -------------------------------------------------------------------------

def test_console_script_is_the_light_entry_point() -> None:
    """`freeze` starts in freezer/__main__.py, which sets up the stop signals before it
    imports the build side; freezer.cli:main would import all of it first."""
    text = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^freeze = "freezer\.__main__:main"$', text, re.M), text
