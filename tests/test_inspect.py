"""`freeze inspect`, `freeze why` and `-v` on the benchmark's requests+rich+click program,
and `freeze inspect` on damaged copies of its binary.

The binary must first behave as the program does under its venv's python (in the glibc-only
sandbox); then what the commands say is checked against what the venv and the program's
source say: every distribution pip installed is in the binary with its version, each chain
ends at a line of richcli.py that really imports the first module of the chain, and each
step's file:line is a line of that file that names the module it brought in.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, Target, freezer_env, run_freezer
from sandbox import assert_same_behaviour, run_plain, run_sandboxed
from venvs import RICHCLI, site_packages, venv_python

PROGRAM = REPO / "benchmarks" / "programs" / "richcli"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(venv python, binary, the build's -v stderr)."""
    from conftest import TARGETS
    found = [t for t in TARGETS if t.version[1] == 11] or TARGETS
    if not found:
        pytest.skip("no target interpreter")
    target: Target = found[-1]
    python = venv_python(target, RICHCLI)
    out = tmp_path_factory.mktemp("richcli") / "richcli"
    done = run_freezer(["richcli.py", "-v", "-o", str(out), "--python", str(python),
                        "--sbom", str(out) + ".cdx.json"], PROGRAM)
    assert done.returncode == 0, done.stderr
    return python, out, done.stderr


def installed(python: Path) -> dict[str, str]:
    done = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze",
                           "--disable-pip-version-check", "--exclude", "pip",
                           "--exclude", "setuptools"], capture_output=True, text=True,
                          check=True)
    return dict(line.split("==") for line in done.stdout.split())


def freeze_cmd(*argv: str, cwd: Path = PROGRAM) -> subprocess.CompletedProcess:
    return run_freezer(list(argv), cwd)


@pytest.mark.usefixtures("sandbox_ready")
def test_binary_behaves(built: tuple[Path, Path, str], tmp_path: Path) -> None:
    python, binary, _ = built
    args = ["--param", "q=frozen"]
    plain = run_plain(python, ["richcli.py", *args], program_dir=PROGRAM,
                      workdir=tmp_path / "plain")
    assert plain.returncode == 0, plain.describe()
    assert_same_behaviour(run_sandboxed(binary, args), plain, [str(PROGRAM), plain.cwd])


def check_step(line: str, site: Path, stdlib: Path) -> None:
    """A chain's step `NAME (...): imported at FILE:LINE` names a real line importing NAME."""
    match = re.fullmatch(r"(\S+) \([^)]*\): imported at (\S+):(\d+)", line)
    if match is None:
        return
    name, where, lineno = match.group(1), match.group(2), int(match.group(3))
    path = next(p for p in (PROGRAM / where, site / where, stdlib / where) if p.is_file())
    text = path.read_text().splitlines()[lineno - 1]
    last = name.rsplit(".", 1)[-1]
    assert "import" in text and (name in text or last in text), (line, text)


def test_why_chains_reach_the_program(built: tuple[Path, Path, str]) -> None:
    python, binary, _ = built
    site = site_packages(python)
    stdlib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                  "get_paths()['stdlib'])"], capture_output=True, text=True,
                                 check=True).stdout.strip())
    for module, top_line in [("rich.table", "from rich."),
                             ("idna", "import requests"), ("pygments.lexers", "from rich"),
                             ("json", None), ("click.core", "import click")]:
        done = freeze_cmd("why", str(binary), module)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith(f"{module} ("), done.stdout
        assert lines[-1] == "__main__ (the program): the script richcli.py", done.stdout
        for line in lines:
            check_step(line, site, stdlib)
        last_import = lines[-2]
        match = re.search(r"imported at richcli\.py:(\d+)$", last_import)
        assert match, done.stdout
        source = (PROGRAM / "richcli.py").read_text().splitlines()[int(match.group(1)) - 1]
        if top_line:
            assert source.startswith(top_line), (done.stdout, source)


def test_why_of_what_is_not_imported(built: tuple[Path, Path, str]) -> None:
    _, binary, _ = built
    done = freeze_cmd("why", str(binary), "tomllib")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("tomllib (standard library): carried as source, compiled on first "
                           "import; no import of it was seen, but python could import it\n")
    done = freeze_cmd("why", str(binary), "nosuchmodule")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [f"freeze: error: {binary} holds no module nosuchmodule "
                                        f"(freeze inspect {binary} lists what it holds)"]


def test_inspect_lists_every_distribution(built: tuple[Path, Path, str]) -> None:
    python, binary, _ = built
    done = freeze_cmd("inspect", str(binary))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    version = subprocess.run([str(python), "-c", "import platform; print(platform."
                              "python_version())"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert f"target: linux-x86_64, CPython {version} (built from {python})" in text or \
        f"CPython {version}" in text, text
    assert re.search(r"^glibc: \d+\.\d+ or newer \(", text, re.M), text
    assert "build: richcli.py -v" not in text and re.search(r"^build: richcli\.py$", text, re.M)
    dists = text.split("by distribution:\n")[1].split("largest entries")[0]
    for name, ver in installed(python).items():
        assert re.search(rf"MB  {re.escape(name)} {re.escape(ver)}$", dists, re.M | re.I), \
            (name, dists)
    assert text.rstrip().endswith("intact: checksum and every entry's CRC match"), text
    size = binary.stat().st_size
    assert text.splitlines()[0].startswith(f"{binary}: {size / 1e6:.1f} MB, built by freezer")


def test_verbose_explains_every_distribution(built: tuple[Path, Path, str]) -> None:
    python, _, stderr = built
    for name, ver in installed(python).items():
        line = next((x for x in stderr.splitlines()
                     if x.lower().startswith(f"freeze: distribution {name.lower()} {ver}: ")),
                    None)
        assert line is not None, (name, stderr)
        assert re.search(r": (for \S+ \(imported at \S+:\d+\)|required by \S+), bundled whole",
                         line), line


def test_inspect_names_the_damage(built: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, binary, _ = built
    data = bytearray(binary.read_bytes())
    # One byte of one stored entry changed: the checksum and that entry's CRC say so.
    flipped = tmp_path / "flipped"
    with zipfile.ZipFile(binary) as archive:
        info = archive.getinfo("__freezer__/store/code.zst")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 100
    data[at] ^= 0xFF
    flipped.write_bytes(bytes(data))
    flipped.chmod(0o755)
    done = freeze_cmd("inspect", str(flipped))
    assert done.returncode == 1, done.stderr
    damage = done.stdout.split("damaged:\n")[1].splitlines()
    assert damage[0] == ("  checksum mismatch: the file changed after it was built (the "
                         "bootloader refuses to start it)")
    assert damage[1].startswith("  entry __freezer__/store/code.zst is damaged ("), damage
    assert "target: linux-x86_64" in done.stdout  # the record still read
    # The binary itself refuses to start, as inspect says.
    assert subprocess.run([str(flipped)], capture_output=True).returncode != 0
    # Cut short: no zip directory, the record still found by its local header.
    cut = tmp_path / "cut"
    cut.write_bytes(binary.read_bytes()[:int(binary.stat().st_size * 0.7)])
    done = freeze_cmd("inspect", str(cut))
    assert done.returncode == 1, done.stderr
    assert "the payload's zip directory cannot be read" in done.stdout
    assert re.search(r"^target: linux-x86_64, CPython ", done.stdout, re.M), done.stdout


@pytest.mark.parametrize(("argv", "line"), [
    (["inspect"], "usage: freeze inspect [--sbom | --report FILE.html] OUT (a binary freeze "
                  "built)"),
    (["inspect", "nosuch"], "nosuch: no such file"),
    (["inspect", "app.py"], "app.py: not a freezer binary (no payload and no build record in "
                            "it)"),
    (["why", "app.py"], "usage: freeze why OUT MODULE"),
    (["why", "app.py", "1x"], "1x: not a module name"),
])
def test_command_refusals(tmp_path: Path, argv: list[str], line: str) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    done = run_freezer(argv, tmp_path)
    assert (done.returncode, done.stdout) == (2, ""), done
    assert done.stderr.splitlines() == [f"freeze: error: {line}"]


def test_zipapp_carries_the_record(built: tuple[Path, Path, str], tmp_path: Path) -> None:
    """A .pyz has the record too: inspect and why read it; it runs as the program does."""
    python, _, _ = built
    pyz = tmp_path / "richcli.pyz"
    done = run_freezer(["richcli.py", "-q", "-o", str(pyz), "--python", str(python)], PROGRAM)
    assert done.returncode == 0, done.stderr
    plain = run_plain(python, ["richcli.py"], program_dir=PROGRAM, workdir=tmp_path / "plain")
    zipped = run_plain(python, [str(pyz)], program_dir=tmp_path, workdir=tmp_path / "zipped")
    assert_same_behaviour(zipped, plain, [str(PROGRAM), plain.cwd])
    done = freeze_cmd("inspect", str(pyz))
    assert done.returncode == 0, done.stdout
    assert "a zipapp (.pyz)" in done.stdout and "intact: every entry's CRC matches" in \
        done.stdout
    done = freeze_cmd("why", str(pyz), "certifi")
    assert done.stdout.splitlines()[-2:] == ["requests (requests): imported at richcli.py:12",
                                             "__main__ (the program): the script richcli.py"]


def test_sbom_validates_and_lists_what_the_binary_holds(built: tuple[Path, Path, str]) -> None:
    """The SBOM validates against CycloneDX 1.6's schema (cyclonedx-python-lib's strict
    validator), names every installed distribution with its version, purl and the hashes
    of its files as they are in site-packages, and is the one the binary embeds."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    python, binary, _ = built
    text = Path(str(binary) + ".cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document = json.loads(text)
    components = {c["name"]: c for c in document["components"]}
    site = site_packages(python)
    for name, version in installed(python).items():
        component = next(c for n, c in components.items() if n.lower() == name.lower())
        assert component["version"] == version
        assert component["purl"] == f"pkg:pypi/{name.lower().replace('_', '-')}@{version}"
        files = component["components"]
        assert files, component["name"]
        for item in files:
            if item["name"].endswith((".dist-info/RECORD", ".dist-info/top_level.txt")) \
                    and not (site / item["name"]).exists() or \
                    item["name"].endswith(".dist-info/RECORD"):
                # Made by the build (a RECORD of what the binary holds): as carried.
                with zipfile.ZipFile(binary) as archive:
                    data = archive.read(item["name"])
            else:
                data = (site / item["name"]).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            assert item["hashes"] == [{"alg": "SHA-256", "content": digest}], item
    assert components["cpython"]["version"] == installed_version(python)
    if shutil.which("dpkg"):
        ssl = components.get("libssl.so.3")
        if ssl is not None:
            assert ssl["purl"].startswith("pkg:deb/debian/libssl3@"), ssl
    done = subprocess.run([sys.executable, "-m", "freezer", "inspect", "--sbom", str(binary)],
                          capture_output=True, env=freezer_env(), timeout=60)
    assert done.returncode == 0 and done.stdout.decode() == text


def installed_version(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import platform; print(platform."
                           "python_version())"], capture_output=True, text=True,
                          check=True).stdout.strip()
