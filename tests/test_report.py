"""`--report FILE.html` on the benchmark's requests+rich+click program, opened in headless
Chromium.

The page must render with no console error (its script marks <body data-rendered="ok"> only
when it ran to its end, and Chromium's log of the page's console must hold no line), carry a
treemap node for every distribution of the build record, and show for each module checked
the same chain as `freeze why` prints. `freeze inspect --report` makes the same page from
the binary; a copy whose name holds markup must show that name as text. The screenshot goes
to benchmarks/results/report.png, for the README.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, TARGETS, require, run_freezer
from venvs import RICHCLI, venv_python

PROGRAM = REPO / "benchmarks" / "programs" / "richcli"
SCREENSHOT = REPO / "benchmarks" / "results" / "report.png"
CHROMIUM = "/usr/bin/chromium"
MARKUP = 'richcli<i>&"'  # a binary's name with markup in it, which the page's title shows


def chromium(page: Path, tmp_path: Path, *mode: str) -> subprocess.CompletedProcess:
    """Open `page` in headless Chromium with a fresh profile, logging the console to stderr."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--window-size=1280,900", *mode, page.as_uri()],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def console_lines(stderr: str) -> list[str]:
    """The lines Chromium logs for the page's console (an uncaught exception is one)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(binary, its report)."""
    require(None if Path(CHROMIUM).is_file() else f"no {CHROMIUM} (Debian's chromium)",
            "the HTML report's browser test")
    found = [t for t in TARGETS if t.version[1] == 11] or TARGETS
    if not found:
        pytest.skip("no target interpreter")
    python = venv_python(found[-1], RICHCLI)
    out = tmp_path_factory.mktemp("report") / "richcli"
    page = out.with_name("report.html")
    done = run_freezer(["richcli.py", "-q", "-o", str(out), "--python", str(python),
                        "--report", str(page)], PROGRAM)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return out, page


def test_console_errors_are_seen(tmp_path: Path) -> None:
    """The check below can fail: a page whose script throws is logged as such."""
    require(None if Path(CHROMIUM).is_file() else f"no {CHROMIUM}", "the browser test")
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>null.f();</script>")
    done = chromium(page, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr
    assert console_lines(done.stderr), done.stderr


def test_page_renders_the_record(built: tuple[Path, Path], tmp_path: Path) -> None:
    binary, page = built
    text = page.read_text()
    # Self-contained: nothing it would load.
    assert not re.search(r"<link|\ssrc=|@import|url\(", text, re.I)
    done = chromium(page, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr
    assert console_lines(done.stderr) == [], done.stderr
    dom = done.stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-rendered="ok"' in body and "data-error" not in body, body
    assert "<title>freezer report: richcli</title>" in dom

    with zipfile.ZipFile(binary) as archive:
        record = json.loads(archive.read("__freezer__/build.json"))
    dists = re.findall(r'class="node dist"[^>]*data-name="([^"]*)"', dom)
    assert sorted(dists) == sorted(
        [f"{d['name']} {d['version']}" for d in record["dists"]]
        + ["the program, the standard library and CPython"]), dists
    leaves = re.findall(r'class="node leaf[^"]*"[^>]*data-module="([^"]*)"', dom)
    assert {"idna", "rich.table", "click.core"} <= set(leaves), leaves[:20]
    assert len(re.findall(r'class="node leaf', dom)) > 500
    # The panel under the map shows a chain from the start.
    chosen = dom.split('<div id="chosen">')[1].split('<h2>')[0]
    assert chosen.count("<li>") >= 2, chosen

    for module in ("idna", "rich.table", "json", "click.core"):
        why = run_freezer(["why", str(binary), module], PROGRAM)
        assert why.returncode == 0, why.stderr
        entry = re.search(rf'<details id="why-{re.escape(module)}"><summary>(.*?)</summary>'
                          r"<ol>(.*?)</ol></details>", dom)
        assert entry, module
        steps = [html.unescape(s) for s in re.findall(r"<li>(.*?)</li>", entry.group(2))]
        assert steps == why.stdout.splitlines(), (module, steps, why.stdout)
    assert len(re.findall(r'<details id="why-', dom)) == len(record["modules"])

    warnings = dom.split('<div id="warnings">')[1].split("</div>")[0]
    for warning in record["warnings"]:
        assert html.escape(warning, quote=False) in warnings
    if not record["warnings"]:
        assert "The build gave no warnings." in warnings
    options = dom.split('<div id="options">')[1].split("</table>")[0]
    assert "<code>freeze richcli.py</code>" in options, options


def test_inspect_writes_the_same_page(built: tuple[Path, Path], tmp_path: Path) -> None:
    binary, page = built
    again = tmp_path / "again.html"
    done = run_freezer(["inspect", "--report", str(again), str(binary)], PROGRAM)
    assert done.returncode == 0, done.stderr
    assert again.read_bytes() == page.read_bytes()
    # The markup in a binary's name is text in the page, not an element.
    odd = tmp_path / MARKUP
    shutil.copyfile(binary, odd)
    done = run_freezer(["inspect", "--report", str(again), str(odd)], PROGRAM)
    assert done.returncode == 0, done.stderr
    done = chromium(again, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr
    assert 'data-rendered="ok"' in done.stdout
    assert f"<title>freezer report: {html.escape(MARKUP, quote=False)}</title>" in done.stdout
    assert "<i>" not in done.stdout


def test_screenshot(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, page = built
    shot = tmp_path / "report.png"
    done = chromium(page, tmp_path, f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr
    assert console_lines(done.stderr) == [], done.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000, len(data)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)


def test_report_key_of_the_table(tmp_path: Path) -> None:
    """`report` in [tool.freezer] writes the page as --report would, relative to the file."""
    program = tmp_path / "project"
    shutil.copytree(REPO / "tests" / "programs" / "hello", program)
    (program / "pyproject.toml").write_text(
        '[tool.freezer]\nentry = "app.py"\noutput = "hello"\nreport = "hello.html"\n')
    target = TARGETS[-1] if TARGETS else pytest.skip("no target interpreter")
    done = run_freezer(["-q", "--python", str(target.path)], program)
    assert done.returncode == 0, done.stderr
    page = (program / "hello.html").read_text()
    again = tmp_path / "again.html"
    done = run_freezer(["inspect", "--report", str(again), str(program / "hello")],
                       program)
    assert done.returncode == 0, done.stderr
    assert page == again.read_text() and "<title>freezer report: hello</title>" in page
