"""How a frozen binary behaves as a process: signals, what it knows about itself, its
environment, its runtime cache, and what it leaves behind."""

from __future__ import annotations

import hashlib
import re
import signal
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import PROGRAMS, Target, freeze
from sandbox import (
    APP_DIR,
    GLIBC_CORE,
    GLIBC_DIR,
    SANDBOX_HOME,
    assert_same_behaviour,
    bwrap_path,
    clean_env,
    run_plain,
    run_sandboxed,
    start_plain,
    start_sandboxed,
)

pytestmark = pytest.mark.usefixtures("sandbox_ready")


def test_sigint_ends_like_python(target: Target, tmp_path: Path) -> None:
    """SIGINT: KeyboardInterrupt traceback, finally blocks run, then death by SIGINT (-2)."""
    program_dir = PROGRAMS / "sigint"
    started = start_plain(target.path, ["app.py"], program_dir=program_dir,
                          workdir=tmp_path / "plain")
    started.wait_for_line(b"ready")
    started.wait_until_blocked()
    assert started.interrupt(signal.SIGINT) == -signal.SIGINT
    plain = started.finish()
    assert plain.out == "ready\nfinally ran\n", plain.describe()
    assert plain.err.rstrip("\n").endswith("KeyboardInterrupt"), plain.describe()

    sandboxed = start_sandboxed(freeze(program_dir, target))
    sandboxed.wait_for_line(b"ready")
    sandboxed.wait_until_blocked()
    status = sandboxed.interrupt(signal.SIGINT)
    frozen = sandboxed.finish()
    assert status == -signal.SIGINT, f"exact status {status}\n{frozen.describe()}"
    # bwrap reports the same death as 128 + SIGINT.
    assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])


@pytest.mark.parametrize(
    ("argv0", "path", "expected_argv0"),
    [(None, None, f"{APP_DIR}/facts"), ("./facts", None, "./facts"),
     ("facts", f"{APP_DIR}:/usr/bin", "facts")],
    ids=["absolute", "relative", "via-PATH"],
)
def test_frozen_facts(target: Target, tmp_path: Path, argv0: str | None, path: str | None,
                      expected_argv0: str) -> None:
    """sys.frozen is set, sys.executable is the binary however it was invoked, argv[0] is as
    given, __file__ is the script's, the environment reaches the program, and the working
    directory is not on the module path (it is under python)."""
    shadow = {"shadowmod.py": "print('shadowmod ran')\n"}
    plain = run_plain(target.path, ["app.py"], program_dir=PROGRAMS / "facts",
                      cwd_files=shadow, workdir=tmp_path / "plain")
    assert plain.out.startswith("frozen False\n"), plain.describe()
    assert "shadowmod imported" in plain.out, plain.describe()

    binary = freeze(PROGRAMS / "facts", target)
    env = {"GREETING": "hé ✓", **({"PATH": path} if path else {})}
    frozen = run_sandboxed(binary, argv0=argv0, env=env, cwd_files=shadow)
    assert frozen.returncode == 0, frozen.describe()
    assert frozen.err == "", frozen.describe()
    assert frozen.out.splitlines() == [
        "frozen True",
        f"executable {APP_DIR}/facts",
        f"argv0 {expected_argv0}",
        "name __main__",
        "file app.py",
        "environ hé ✓",
        f"cwd {APP_DIR}",
        # The sandbox itself: nothing but the binary and glibc's core (see sandbox.py).
        f"root {['app', 'dev', 'home', 'lib', 'lib64', 'proc', 'tmp']}",
        f"libs {sorted(name for name in GLIBC_CORE if (GLIBC_DIR / name).exists())}",
        "shadowmod not importable",
    ], frozen.describe()


JUNK_ENV = {
    "PYTHONPATH": "{cwd}/junk",
    "PYTHONHOME": "/junk/home",
    "PYTHONWARNINGS": "error",
    "PYTHONOPTIMIZE": "2",
    "PYTHONINSPECT": "1",
    "PYTHONVERBOSE": "1",
    "PYTHONIOENCODING": "latin-1",
    "PYTHONUTF8": "0",
    "PYTHONSTARTUP": "{cwd}/junk/startup.py",
}
JUNK_FILES = {
    "junk/shadowenv.py": "print('shadowenv ran')\n",
    "junk/startup.py": "print('startup ran')\n",
}


def junk_env(cwd: str) -> dict[str, str]:
    return {key: value.format(cwd=cwd) for key, value in JUNK_ENV.items()}


def test_python_environment_is_ignored(target: Target, tmp_path: Path) -> None:
    """PYTHON* variables set to junk change nothing in the frozen program's behaviour."""
    program_dir = PROGRAMS / "envisol"
    plain = run_plain(target.path, ["app.py"], program_dir=program_dir,
                      workdir=tmp_path / "plain", cwd_files=JUNK_FILES)
    # The junk is effective on python itself (PYTHONHOME aside, which would stop it starting):
    # otherwise this test could not fail.
    polluted = run_plain(target.path, ["app.py"], program_dir=program_dir,
                         workdir=tmp_path / "polluted", cwd_files=JUNK_FILES,
                         env={**junk_env(str(tmp_path / "polluted" / "app")),
                              "PYTHONHOME": None})
    assert polluted.stdout != plain.stdout, polluted.describe()

    binary = freeze(program_dir, target)
    clean = run_sandboxed(binary, cwd_files=JUNK_FILES)
    assert_same_behaviour(clean, plain, [str(program_dir), plain.cwd])
    junked = run_sandboxed(binary, cwd_files=JUNK_FILES, env=junk_env(APP_DIR))
    assert_same_behaviour(junked, plain, [str(program_dir), plain.cwd])


def native_cache_entries(cache: Path) -> list[Path]:
    """The unpacked native files (not the `.ok` records of their verification)."""
    return sorted(path for path in (cache / "native").glob("*/*")
                  if path.is_file() and path.suffix != ".ok")


def cache_records(cache: Path) -> list[Path]:
    """What the bootloader remembers it verified: one record beside each native file (its
    identity and SHA-256), and one per binary under verified/."""
    return sorted([*(cache / "native").glob("*/*.ok"), *(cache / "verified").glob("*")])


def frozen_crypto_with_home(target: Target, tmp_path: Path):
    """The crypto program (it loads native libraries) run under python, its binary, and an
    empty home directory for the sandbox, so the runtime cache starts empty."""
    program_dir = PROGRAMS / "crypto"
    plain = run_plain(target.path, ["app.py"], program_dir=program_dir,
                      workdir=tmp_path / "plain")
    home = tmp_path / "home"
    home.mkdir()
    return plain, freeze(program_dir, target), home


def test_runtime_cache_without_memfd(target: Target, tmp_path: Path) -> None:
    """FREEZER_NO_MEMFD=1: native files go through ~/.cache/freezer (mode 0700,
    content-addressed) and the program works there, cold and warm."""
    program_dir = PROGRAMS / "crypto"
    plain, binary, home = frozen_crypto_with_home(target, tmp_path)
    for _attempt in ("cold", "warm"):
        frozen = run_sandboxed(binary, env={"FREEZER_NO_MEMFD": "1"}, home_dir=home)
        assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])
    cache = home / ".cache" / "freezer"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    entries = native_cache_entries(cache)
    assert any(path.name.startswith("libpython3.") for path in entries), entries
    for path in entries:
        assert re.fullmatch(r"[0-9a-f]{64}", path.parent.name), path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.parent.name, path
    records = cache_records(cache)
    assert [p for p in records if p.parent.parent.name == "native"] == sorted(
        p.with_name(p.name + ".ok") for p in entries)
    for record in records:
        assert stat.S_IMODE(record.stat().st_mode) == 0o600, record
    leftovers = [p for p in cache.rglob("*") if p.is_file() and p not in entries + records]
    assert leftovers == [], "temporary files left in the cache"


@pytest.mark.parametrize(
    ("env", "where"),
    [({"XDG_CACHE_HOME": f"{SANDBOX_HOME}/xdg"}, "xdg/freezer"),
     ({"FREEZER_CACHE_DIR": f"{SANDBOX_HOME}/chosen", "XDG_CACHE_HOME": f"{SANDBOX_HOME}/xdg"},
      "chosen")],
    ids=["XDG_CACHE_HOME", "FREEZER_CACHE_DIR"],
)
def test_runtime_cache_location(newest_target: Target, tmp_path: Path,
                                env: dict[str, str], where: str) -> None:
    """The cache goes to $FREEZER_CACHE_DIR, else $XDG_CACHE_HOME/freezer."""
    binary = freeze(PROGRAMS / "hello", newest_target)
    home = tmp_path / "home"
    home.mkdir()
    frozen = run_sandboxed(binary, env={"FREEZER_NO_MEMFD": "1", **env}, home_dir=home)
    assert frozen.returncode == 0, frozen.describe()
    assert native_cache_entries(home / where), sorted(home.rglob("*"))
    assert not (home / ".cache").exists()


def test_racing_first_runs_share_the_cache(target: Target, tmp_path: Path) -> None:
    """Several first runs at once, all filling the same empty cache, all succeed."""
    program_dir = PROGRAMS / "crypto"
    plain, binary, home = frozen_crypto_with_home(target, tmp_path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(
            lambda _: run_sandboxed(binary, env={"FREEZER_NO_MEMFD": "1"}, home_dir=home),
            range(4)))
    for frozen in runs:
        assert_same_behaviour(frozen, plain, [str(program_dir), plain.cwd])


@pytest.mark.parametrize(("program", "args"),
                         [("hello", []), ("ctypes_libc", []), ("mproc", ["forkserver"])],
                         ids=["hello", "ctypes", "multiprocessing"])
def test_run_leaves_nothing_in_tmp(target: Target, tmp_path: Path, program: str,
                                   args: list[str]) -> None:
    """A run leaves nothing behind in /tmp: on the host, and in the sandbox."""
    binary = freeze(PROGRAMS / program, target)
    # On the host, with the host's whole filesystem, except that /tmp is an empty directory of
    # this test's (in a mount namespace of its own): other processes on a shared machine create
    # and remove entries in the real /tmp at any time, so comparing listings of it before and
    # after would blame the binary for their files. The run's cwd and HOME are in it too.
    host_tmp = tmp_path / "host-tmp"
    (host_tmp / "cwd").mkdir(parents=True)
    (host_tmp / "home").mkdir()
    host_run = [bwrap_path(), "--dev-bind", "/", "/", "--bind", str(host_tmp), "/tmp",
                "--die-with-parent", "--chdir", "/tmp/cwd", str(binary), *args]
    direct = subprocess.run(host_run, env=clean_env("/tmp/home"), capture_output=True,
                            timeout=120, stdin=subprocess.DEVNULL)
    assert direct.returncode == 0, direct.stderr.decode(errors="replace")
    assert sorted(p.name for p in host_tmp.iterdir()) == ["cwd", "home"]
    assert list((host_tmp / "cwd").iterdir()) == []

    sandbox_tmp = tmp_path / "sandbox-tmp"
    sandbox_tmp.mkdir()
    frozen = run_sandboxed(binary, args, tmp_dir=sandbox_tmp, timeout=120)
    assert frozen.returncode == 0, frozen.describe()
    assert sorted(sandbox_tmp.rglob("*")) == []
