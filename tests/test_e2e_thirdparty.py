"""Third-party packages (issue 3): frozen from a real venv, run in the sandbox, compared with the
venv's own python; and the clear failures for dependencies the tool cannot bundle.

Each case freezes a program from tests/thirdparty/programs with `--python VENV/bin/python`,
where VENV is a test venv built from PyPI by tests/venvs.py (cached between runs): the full
one for CPython 3.11, a small one (pure-Python packages, the local plugin packages and the
editable library) for 3.9 and 3.13, whose importlib.metadata and importlib.resources differ.
The binary runs in the glibc-only sandbox, the program under the venv's python, and the two
must agree exactly (stdout, stderr up to the documented traceback differences, exit status).

The clear-failure tests break a dependency on purpose (not installed, a wheel for another
platform or Python version, a RECORD that no longer matches the files) and require exit status
2, one line `freeze: error: ...` naming the problem, no output file, and the user's files as
they were.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import TARGETS, Target, freeze, in_ci, run_freezer
from sandbox import Arg, assert_same_behaviour, run_plain, run_sandboxed
from venvs import (
    BARE,
    FULL_MINOR,
    LOCAL_PACKAGES,
    THIRDPARTY,
    WIDE,
    site_packages,
    spec_for,
    venv_python,
)

pytestmark = pytest.mark.usefixtures("sandbox_ready")

PROGRAMS = THIRDPARTY / "programs"
FAILING = THIRDPARTY / "failing"

# Which targets run a case: the full venv exists for 3.11 only; the small set runs on the
# oldest and newest supported versions too.
FULL_ONLY = (FULL_MINOR,)
SMALL_SET = (9, FULL_MINOR, 13)


@dataclass(frozen=True)
class Case:
    """One run of one program of tests/thirdparty/programs."""

    id: str
    program: str
    args: tuple[Arg, ...] = ()
    # Plain python's expected status and a piece of its stdout: if the venv's python does not
    # do this, the venv is broken and comparing with it would prove nothing.
    status: int = 0
    expect: str = ""
    env: dict[str, str] = field(default_factory=dict)
    minors: tuple[int, ...] = FULL_ONLY
    # The program's first argument is the base URL of an HTTP server the test runs on the
    # host's 127.0.0.1, and the sandbox shares the host's network to reach it.
    server: bool = False
    timeout: float = 60
    # The venv to freeze from: the full/small one of the target (None) or another spec.
    venv: object = None
    # freeze's own options, e.g. ("--trace", "")
    options: tuple[str, ...] = ()
    # A binary built for this case alone (its options differ from the program's others).
    name: str = ""


CASES = [
    Case("requests", "http_requests", server=True, expect="CA certificates loaded "),
    Case("click-help", "click_group", args=("--help",), minors=SMALL_SET,
         expect="Usage: tool [OPTIONS] COMMAND [ARGS]..."),
    Case("click-greet", "click_group", minors=SMALL_SET,
         args=("--name", "Zoë", "greet", "hi", "--count", "2", "--shout"), expect="HI ZOË\n"),
    Case("click-calc", "click_group", args=("-vv", "calc", "--mode", "max", "3", "41", "7"),
         minors=SMALL_SET, expect="max 41"),
    Case("click-version", "click_group", args=("--version",), minors=SMALL_SET,
         expect="1.0 ✓"),
    Case("click-usage-error", "click_group", args=("calc", "x"), status=2, minors=SMALL_SET),
    Case("click-exception", "click_group", args=("check", "--fail"), status=1,
         minors=SMALL_SET),
    Case("rich", "rich_render", expect="rendered bytes "),
    Case("pydantic", "pydantic_v2", expect="errors 5"),
    Case("numpy", "numpy_linalg", expect="residual ok True"),
    Case("pillow", "pillow_png", expect="png PNG RGB (32, 24)"),
    Case("cryptography", "fernet", expect="decrypted geheime Nachricht ✓"),
    Case("pyyaml", "yaml_cloader", expect="with libyaml True"),
    Case("lxml", "lxml_xpath", expect="xslt Äpfel;Möhren;Birnen ✓;"),
    Case("lxml-html-clean", "lxml_html_clean", status=1,
         expect="links ['http://example.invalid/x']"),
    Case("sqlalchemy", "sqlalchemy_orm", expect="integrity error IntegrityError"),
    Case("jinja2", "jinja_package", expect="templates base.html, page.html, partials/item.html"),
    # PYTHONTZPATH="" leaves python the tzdata package as its only source of zones, as the
    # sandbox (no /usr/share/zoneinfo) does for the frozen program, which ignores PYTHON*.
    Case("zoneinfo-tzdata", "zoneinfo_tzdata", env={"PYTHONTZPATH": ""}, minors=SMALL_SET,
         expect="paris 2024-03-31T03:30:00+02:00 CEST"),
    Case("attrs", "attrs_classes", minors=SMALL_SET, expect="frozen FrozenInstanceError"),
    Case("packaging", "packaging_specs", minors=SMALL_SET, expect="canonical demo-pkg-name"),
    Case("plugins-metadata", "plugins_metadata", minors=SMALL_SET,
         expect="beta: Grüß dich, wörld ✓"),
    Case("selfload-path", "selfload_path", minors=SMALL_SET,
         expect="greet Grüß dich, wörld ✓ from selfload\ninner selfload.py"),
    Case("console-scripts", "console_scripts", minors=SMALL_SET,
         expect="scriptonly says grüß dich ✓\nstatus 0"),
    Case("namespace-split", "namespace_split", minors=SMALL_SET,
         expect="words Äpfel Birnen ✓\nportions ['alpha', 'beta']"),
    Case("six-moves", "six_moves", minors=SMALL_SET, expect="moves ConfigParser Queue 24"),
    Case("distutils-shim", "distutils_shim", minors=SMALL_SET,
         expect="served by setuptools: True"),
    Case("editable", "editable_lib", minors=SMALL_SET, expect="words ['Äpfel', 'Birnen'"),
    Case("editable-src", "editable_src", minors=SMALL_SET, expect="srclib 3.1.4: Grüße"),
    # Real programs on packages nobody here wrote (issue 8): no hints given.
    Case("flask", "flask_client", venv=WIDE, expect="POST 200 {'count': 3, 'sum': 42}"),
    Case("fastapi", "fastapi_client", venv=WIDE, expect="bad 422"),
    Case("bs4-lxml", "bs4_lxml", venv=WIDE, expect="builder LXMLTreeBuilder"),
    Case("markdown-pygments", "markdown_pygments", venv=WIDE, expect="highlighted True"),
    Case("docutils", "docutils_html", venv=WIDE, expect="html5 True"),
    Case("babel-humanize", "babel_humanize", venv=WIDE, expect="de_DE 3 Stunden"),
    Case("faker", "faker_seed", venv=WIDE, expect="providers "),
    Case("black", "black_format", venv=WIDE, expect="x = f(1, 2)"),
    Case("sympy", "sympy_solve", venv=WIDE, expect="solve [2, 3]", timeout=180),
    Case("pandas-scipy-sklearn", "pandas_sklearn", venv=WIDE, expect="coef 3.0 2.0",
         timeout=300),
    Case("pyarrow", "pyarrow_table", venv=WIDE, expect="parquet True 3", timeout=180),
    Case("matplotlib", "matplotlib_agg", venv=WIDE, expect="backend Agg", timeout=180),
    Case("joblib-loky", "joblib_loky", venv=WIDE, expect="loky [0, 1, 4, 9, 16, 25]",
         timeout=120),
    # jedi finds the stdlib's modules by their loader and parso stats their files: inside
    # the binary they are an archive's, as zipimport's are.
    Case("jedi", "jedi_complete", venv=WIDE, expect="infer ['os.path.join']"),
    Case("numpy-traced", "numpy_linalg", options=("--trace", ""), name="numpy_traced",
         expect="residual ok True"),
]


def _params() -> list:
    """(case, target) pairs: each case on each of its targets that this machine has."""
    pairs = [pytest.param(case, target, id=f"{case.id}-{target.id}")
             for case in CASES for target in TARGETS if target.version[1] in case.minors]
    return pairs or [pytest.param(None, None, id="no-target")]


def _require(target: Target | None) -> Target:
    """The target, or skip (fail under CI) when this machine has none."""
    if target is None:
        if in_ci():
            pytest.fail("no CPython 3.9/3.11/3.13 found for the third-party tests")
        pytest.skip("no CPython 3.9/3.11/3.13 found for the third-party tests")
    return target


class _Handler(http.server.BaseHTTPRequestHandler):
    """The HTTP server of the requests case: a few fixed answers, nothing time-dependent
    in what the program prints."""

    def _send(self, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (the name http.server looks up)
        if self.path.startswith("/hello"):
            body = json.dumps({"greeting": "héllo ✓", "path": self.path}).encode()
            self._send(200, body, "application/json")
        elif self.path == "/redirect":
            self._send(302, b"", None, {"Location": "/hello?from=redirect"})
        elif self.path == "/latin":
            self._send(200, "café crème brûlée, déjà vu à la carte".encode("latin-1"),
                       "text/plain")
        else:
            self._send(404, b"not here", "text/plain; charset=utf-8")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        received = json.loads(self.rfile.read(length))
        answer = {"received": received, "x-test": self.headers.get("X-Test"),
                  "content-type": self.headers.get("Content-Type")}
        self._send(200, json.dumps(answer).encode(), "application/json")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the requests would otherwise be logged to the test's stderr."""


@pytest.fixture
def http_server() -> Iterator[str]:
    """Base URL of an HTTP server on 127.0.0.1, a free port, for the duration of a test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("case, py", _params())
def test_matches_python(case: Case | None, py: Target | None, request: pytest.FixtureRequest,
                        tmp_path: Path) -> None:
    """The frozen program behaves exactly as the venv's python running it does."""
    py = _require(py)
    assert case is not None
    python = venv_python(py, case.venv or spec_for(py))
    args = list(case.args)
    if case.server:
        args.insert(0, request.getfixturevalue("http_server"))
    program_dir = PROGRAMS / case.program
    plain = run_plain(python, ["app.py", *args], program_dir=program_dir, env=case.env,
                      timeout=case.timeout, workdir=tmp_path / "plain")
    assert plain.returncode == case.status and case.expect in plain.out, plain.describe()
    binary = freeze(program_dir, py, *case.options, python=python,
                    name=case.name or case.program)
    frozen = run_sandboxed(binary, args, env=case.env, timeout=case.timeout,
                           share_net=case.server)
    assert_same_behaviour(frozen, plain,
                          [str(program_dir), plain.cwd, str(site_packages(python))])


# --- clear failures (item 7) --------------------------------------------------------------


@pytest.fixture
def py311() -> Target:
    """CPython 3.11, whose full venv and wheels the clear-failure tests use."""
    for target in TARGETS:
        if target.version[1] == FULL_MINOR:
            return target
    if in_ci():
        pytest.fail("no CPython 3.11 for the clear-failure tests")
    pytest.skip("no CPython 3.11 for the clear-failure tests")


def _pip_target(directory: Path, *args: str) -> None:
    """`pip install --target directory ARGS` with the test runner's pip (no dependencies)."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
               "--no-deps", "--target", str(directory), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"$ {' '.join(command)}\n{done.stderr}\n{done.stdout}"


def _snapshot(*roots: Path) -> dict[str, tuple[str, int, str]]:
    """Every entry under roots: kind, mode and content hash (files) or target (links).

    Compared before and after a failed build, it shows the tool wrote, deleted, touched the
    mode of or left behind nothing there (a new __pycache__ would show as well).
    """
    entries: dict[str, tuple[str, int, str]] = {}
    for root in roots:
        for path in sorted([root, *root.rglob("*")]):
            info = path.lstat()
            if path.is_symlink():
                entries[str(path)] = ("link", info.st_mode, os.readlink(path))
            elif path.is_dir():
                entries[str(path)] = ("dir", info.st_mode, "")
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entries[str(path)] = ("file", info.st_mode, f"{info.st_mtime_ns}:{digest}")
    return entries


def _assert_clear_failure(program_dir: Path, args: list[str], out_dir: Path,
                          watched: list[Path], pattern: str) -> str:
    """Freeze and require: status 2, one stderr line `freeze: error: ...` matching pattern
    (a regular expression, case-insensitive), nothing in out_dir, watched files unchanged."""
    out_dir.mkdir()
    before = _snapshot(program_dir, *watched)
    done = run_freezer([*args, "-o", str(out_dir / "app")], cwd=program_dir)
    context = (f"$ freeze {' '.join(args)}\nstatus {done.returncode}\n"
               f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}")
    assert done.returncode == 2, context
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("freeze: error: "), context
    assert re.search(pattern, lines[0], re.IGNORECASE), f"expected /{pattern}/i\n{context}"
    assert list(out_dir.iterdir()) == [], context
    assert _snapshot(program_dir, *watched) == before, "the failed build changed the user's files"
    return lines[0]


def test_missing_dependency(py311: Target, tmp_path: Path) -> None:
    """A package installed nowhere: the line names the module that cannot be found."""
    python = venv_python(py311, spec_for(py311))
    program_dir = FAILING / "missing_dep"
    plain = run_plain(python, ["app.py"], program_dir=program_dir, workdir=tmp_path / "plain")
    assert plain.returncode == 1 and "ModuleNotFoundError" in plain.err, plain.describe()
    _assert_clear_failure(program_dir, ["app.py", "--python", str(python)], tmp_path / "out",
                          [], r"cannot find module 'fzt_never_installed_pkg'")


@dataclass(frozen=True)
class Scratch:
    """Where a test installs a damaged distribution, and how the program then finds it."""

    python: Path  # the --python to freeze for, and to run the program with
    site: Path  # the directory the distribution is installed into
    freeze_args: tuple[str, ...]  # what the freeze command line needs besides the script
    plain_env: dict[str, str]  # what python needs to find it


# Where the damaged distribution lives: in the site-packages of the --python venv (the usual
# case), or in a directory given with --path (`pip install --target DIR`, then --path DIR).
LOCATIONS = ("site-packages", "path-dir")


def _scratch(location: str, py311: Target, tmp_path: Path) -> Scratch:
    """A fresh place for a damaged distribution: a venv of the test's own, or a directory
    beside the cached empty venv."""
    if location == "site-packages":
        venv = tmp_path / "venv"
        done = subprocess.run([str(py311.path), "-m", "venv", "--without-pip", str(venv)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        python = venv / "bin" / "python"
        return Scratch(python, site_packages(python), ("--python", str(python)), {})
    python = venv_python(py311, BARE)
    site = tmp_path / "site"
    site.mkdir()
    return Scratch(python, site, ("--python", str(python), "--path", str(site)),
                   {"PYTHONPATH": str(site)})


# PyYAML's release in the full venv's pins, installed here from wheels for other targets.
PYYAML_PIN = "PyYAML==6.0.3"
FOREIGN_WHEELS = {
    "windows": ["--platform", "win_amd64", "--python-version", "3.11",
                "--implementation", "cp", "--abi", "cp311"],
    "python3.13": ["--platform", "manylinux_2_17_x86_64", "--python-version", "3.13",
                   "--implementation", "cp", "--abi", "cp313"],
}


@pytest.mark.parametrize("location", LOCATIONS)
@pytest.mark.parametrize("wheel", sorted(FOREIGN_WHEELS))
def test_wheel_for_another_target(wheel: str, location: str, py311: Target,
                                  tmp_path: Path) -> None:
    """A wheel for another platform or Python version: the line names the distribution and
    says what it was built for. Python itself runs the program (PyYAML falls back to pure
    Python when its C extension cannot load), so only the tool can tell the user."""
    scratch = _scratch(location, py311, tmp_path)
    _pip_target(scratch.site, "--only-binary=:all:", *FOREIGN_WHEELS[wheel], PYYAML_PIN)
    assert not list(scratch.site.glob("yaml/_yaml.cpython-311-*.so")), "a wheel for 3.11 Linux"
    program_dir = FAILING / "uses_yaml"
    plain = run_plain(scratch.python, ["app.py"], program_dir=program_dir,
                      env=scratch.plain_env, workdir=tmp_path / "plain")
    assert plain.returncode == 0 and "yaml 6.0.3 {'a': 1}" in plain.out, plain.describe()
    _assert_clear_failure(program_dir, ["app.py", *scratch.freeze_args], tmp_path / "out",
                          [scratch.site], r"pyyaml.*built for|built for.*pyyaml")


@pytest.mark.parametrize("location", LOCATIONS)
@pytest.mark.parametrize("damage", ["listed-file-deleted", "record-garbled"])
def test_broken_record(damage: str, location: str, py311: Target, tmp_path: Path) -> None:
    """A distribution whose RECORD does not match its files (one it lists was deleted) or
    cannot be read: the line names the distribution and its RECORD. The distribution's name
    (fzt-broken-record) is not its module's (brokenrec), so naming the module is not enough."""
    scratch = _scratch(location, py311, tmp_path)
    source = tmp_path / "source"
    shutil.copytree(LOCAL_PACKAGES / "brokenrec", source)  # a copy: pip builds in place
    _pip_target(scratch.site, str(source))
    record = next(scratch.site.glob("fzt_broken_record-*.dist-info")) / "RECORD"
    assert "brokenrec/extra.py," in record.read_text()
    if damage == "listed-file-deleted":
        (scratch.site / "brokenrec" / "extra.py").unlink()
    else:
        record.write_bytes(b"\xff\xfe\x00garbage,\x00\n")  # not even text
    program_dir = FAILING / "uses_brokenrec"
    plain = run_plain(scratch.python, ["app.py"], program_dir=program_dir,
                      env=scratch.plain_env, workdir=tmp_path / "plain")
    assert plain.returncode == 0 and plain.out == "brokenrec works\n", plain.describe()
    _assert_clear_failure(program_dir, ["app.py", *scratch.freeze_args], tmp_path / "out",
                          [scratch.site],
                          r"fzt[-_.]broken[-_.]record.*RECORD|RECORD.*fzt[-_.]broken[-_.]record")


# --- the portable form ------------------------------------------------------------------------


@pytest.mark.parametrize("program", ["plugins_metadata", "rich_render"])
def test_pyz_carries_pure_python_distributions(program: str, py311: Target,
                                               tmp_path: Path) -> None:
    """A .pyz holds the program's distributions as sources with their metadata: the bare
    interpreter (-I -S: no site-packages at all) runs it as the venv runs the script."""
    python = venv_python(py311, spec_for(py311))
    program_dir = PROGRAMS / program
    pyz = freeze(program_dir, py311, python=python, name=f"{program}.pyz")
    plain = run_plain(python, ["app.py"], program_dir=program_dir, workdir=tmp_path / "plain")
    assert plain.returncode == 0, plain.describe()
    portable = run_plain(py311.path, ["-I", "-S", str(pyz)], program_dir=program_dir,
                         workdir=tmp_path / "pyz")
    assert portable.out == plain.out, portable.describe()
    assert portable.returncode == 0


def test_pyz_refuses_native_distributions(py311: Target, tmp_path: Path) -> None:
    """numpy, which the program imports, cannot live in a .pyz: one line naming it, status 2,
    no output. (Native distributions that only numpy's code reaches would be left out.)"""
    python = venv_python(py311, spec_for(py311))
    out = tmp_path / "np.pyz"
    done = run_freezer(["app.py", "--python", str(python), "-o", str(out)],
                       cwd=PROGRAMS / "numpy_linalg")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "distribution 'numpy'" in lines[0] and ".pyz" in lines[0]
    assert not out.exists()
