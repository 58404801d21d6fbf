"""Runtime roots: the target system's files a cross build takes its CPython from.

A root is an unpacked Linux filesystem (a container image, a sysroot, or what
`python -m freezer.target_root` makes from Debian's packages): its `python3.X`, libpython,
standard library and the shared libraries they link against, plus the target's wheels in its
site directory. A build for another machine (or against an older glibc) runs that python
under user-mode qemu, so the analysis asks the target itself what exists, exactly as a native
build asks its own interpreter; only paths change, and qemu's `-L ROOT` makes the root's
dynamic linker and libraries the ones the emulated python uses.

Making a root from Debian's packages needs apt-get (any dpkg-based machine) and no change to
the machine's own package state: the package lists, the downloads and the status file are all
kept in a directory of the root's own.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from freezer.errors import FreezeError
from freezer.platforms import Platform, by_name, emulator, host

_PYTHON = re.compile(r"python3\.(\d+)$")
# What the interpreter needs at run time: its own packages and the libraries they link, and
# the C++ runtime, which manylinux wheels (numpy) take from the system.
_BASE = ("python3.{m}-minimal", "libpython3.{m}-minimal", "libpython3.{m}-stdlib",
         "libpython3.{m}", "libc6", "libgcc-s1", "libstdc++6", "media-types")
# Dependencies followed: shared-library packages and the interpreter's own; anything else
# (perl through mime-support, dpkg, tar) is a tool of a full system, never loaded by python.
_KEEP = re.compile(r"^(lib[\w.+-]+|zlib1g|python3\.\d+[\w.+-]*|media-types)$")
# The packages apt-get must not consider installed: an empty status file.
_STATE_DIR = ".freezer-apt"


def root_python(root: str, python: str | None) -> str:
    """The root's python3.X: `python` (a path inside the root, or one relative to it) when
    given, else the only python3.X in its usr/local/bin or usr/bin."""
    if python:
        inside = python if os.path.realpath(python).startswith(os.path.realpath(root) + os.sep) \
            else os.path.join(root, python.lstrip("/"))
        if not os.path.isfile(inside):
            raise FreezeError(f"--python {python}: not in the target root {root}")
        return inside
    found = sorted({os.path.realpath(p) for d in ("usr/local/bin", "usr/bin")
                    for p in glob.glob(os.path.join(root, d, "python3.*"))
                    if _PYTHON.search(os.path.basename(p))})
    if not found:
        raise FreezeError(f"--target-root {root}: no python3.X in its usr/bin or "
                          "usr/local/bin (make one with python -m freezer.target_root)")
    if len(found) > 1:
        names = ", ".join(os.path.basename(p) for p in found)
        raise FreezeError(f"--target-root {root}: several interpreters ({names}): choose one "
                          "with --python")
    return found[0]


def launcher(platform: Platform, root: str) -> list[str]:
    """The words that run one of the root's programs here, with the root's own dynamic linker
    and libraries: qemu with the root as its prefix for another machine; for this machine's,
    the root's dynamic linker run as a program, its library directories first (an older
    system's python must not meet this machine's newer libc)."""
    if platform != host():
        return [emulator(platform), "-L", root]
    dirs = platform.library_dirs(root)
    for d in dirs:
        loader = os.path.join(d, platform.loader)
        if os.path.isfile(loader):
            return [os.path.realpath(loader), "--library-path", ":".join(dirs)]
    raise FreezeError(f"--target-root {root}: no dynamic linker ({platform.loader}) in it")


def check_root(root: str) -> str:
    """The root's absolute path, or a one-line error."""
    if not os.path.isdir(root):
        raise FreezeError(f"--target-root {root}: no such directory")
    return os.path.abspath(root)


def absolute_links(root: str, top: str) -> list[tuple[str, str]]:
    """(link, target) of the symbolic links under root/top whose target is absolute.

    On the target such a link names the target's own file (Debian's sitecustomize.py points
    into /etc); here it names this machine's, so the build would read the wrong file or none.
    """
    found = []
    real_root = os.path.realpath(root)
    if not (os.path.realpath(top) + "/").startswith(real_root + "/"):
        top = os.path.join(root, top.lstrip("/"))
    for folder, dirs, files in os.walk(top):
        for name in (*dirs, *files):
            path = os.path.join(folder, name)
            if os.path.islink(path) and os.path.isabs(os.readlink(path)):
                found.append((path, os.readlink(path)))
    return found


def relink(root: str) -> int:
    """Make every absolute symbolic link in the root relative to where it sits, so that it
    names the root's file here as it does on the target; the number of links changed."""
    changed = 0
    for path, target in absolute_links(root, "/"):
        inside = os.path.join(root, target.lstrip("/"))
        os.unlink(path)
        os.symlink(os.path.relpath(inside, os.path.dirname(path)), path)
        changed += 1
    return changed


def check_links(root: str, stdlib: str) -> None:
    """Refuse a root whose standard library holds absolute links (see absolute_links)."""
    found = absolute_links(root, stdlib)
    if found:
        link, target = found[0]
        raise FreezeError(
            f"--target-root {root}: {os.path.relpath(link, root)} links to {target}, which "
            f"is this machine's file here: make the root's links relative with python -m "
            f"freezer.target_root --relink {root}")


# --- making a root from Debian's packages -------------------------------------------------------

def _apt(platform: Platform, state: Path) -> list[str]:
    """apt-get options that read and write only `state`, for the target's architecture."""
    (state / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (state / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (state / "status").touch()
    return ["-o", f"APT::Architecture={platform.debian_arch}",
            "-o", f"APT::Architectures::={platform.debian_arch}",
            "-o", f"Dir::State::Lists={state / 'lists'}",
            "-o", f"Dir::Cache={state / 'cache'}",
            "-o", f"Dir::State::status={state / 'status'}",
            "-o", "Debug::NoLocking=1"]


def _run(cmd: Sequence[str], what: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd)
    except OSError as exc:
        raise FreezeError(f"{what}: cannot run {cmd[0]} ({exc.strerror})") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.startswith(("E:", "ERROR"))]
        detail = (lines or done.stderr.strip().splitlines() or ["no output"])[-1]
        raise FreezeError(f"{what} failed: {detail}")
    return done.stdout


def _closure(apt: list[str], names: list[str]) -> list[str]:
    """The packages `names` need, transitively, keeping only libraries and python's own."""
    wanted = set(names)
    todo = list(names)
    while todo:
        out = _run(["apt-cache", *apt, "depends", "--no-recommends", "--no-suggests",
                    "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *todo],
                   "apt-cache depends")
        todo = []
        alternative = False
        for line in out.splitlines():
            words = line.split()
            if len(words) == 2 and words[0].lstrip("|") in ("Depends:", "PreDepends:"):
                first_choice = not alternative
                alternative = words[0].startswith("|")
                name = words[1].split(":")[0]
                if not first_choice or name.startswith("<") or not _KEEP.match(name):
                    continue
                if name not in wanted:
                    wanted.add(name)
                    todo.append(name)
            elif not line.startswith(" "):
                alternative = False
    return sorted(wanted)


def make_debian_root(root: Path, platform: Platform, minor: int,
                     requirements: Sequence[str] = ()) -> None:
    """Unpack CPython 3.`minor` and its libraries from Debian's `platform` packages into root,
    then install `requirements` (pip's syntax) as the target's wheels into its site directory.

    Packages come from the sources this machine's apt is configured with, so the root is of
    this machine's Debian release (its glibc sets the binaries' floor)."""
    root.mkdir(parents=True, exist_ok=True)
    state = root / _STATE_DIR
    apt = _apt(platform, state)
    _run(["apt-get", *apt, "update", "-qq"], "apt-get update")
    base = [n.format(m=minor) for n in _BASE]
    names = _closure(apt, base)
    downloads = state / "debs"
    downloads.mkdir(exist_ok=True)
    _run(["apt-get", *apt, "download", *names], "apt-get download", cwd=downloads)
    for deb in sorted(downloads.glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(root)], f"unpacking {deb.name}")
    relink(str(root))
    if requirements:
        install_wheels(root, platform, minor, requirements)


def site_dir(root: Path, minor: int) -> Path:
    """The root's site directory for locally installed packages (Debian's dist-packages, which
    its python puts on sys.path)."""
    return root / "usr" / "local" / "lib" / f"python3.{minor}" / "dist-packages"


def glibc_version(root: Path, platform: Platform) -> str:
    """The root's glibc, from libc.so.6's file name or the version its package recorded."""
    for libc in glob.glob(str(root / "lib" / platform.multiarch / "libc.so.6")) + \
            glob.glob(str(root / "usr" / "lib" / platform.multiarch / "libc.so.6")):
        data = Path(libc).read_bytes()
        found = re.findall(rb"GNU C Library[^\n]*?version (\d+\.\d+)", data)
        if found:
            return found[0].decode()
    raise FreezeError(f"{root}: no glibc for {platform.name} in it")


def install_wheels(root: Path, platform: Platform, minor: int,
                   requirements: Sequence[str]) -> None:
    """pip-install the target's wheels (never sdists: nothing is compiled for the target
    here) into the root's site directory."""
    major, glibc_minor = glibc_version(root, platform).split(".")
    platforms = [f"manylinux_{major}_{m}_{platform.wheel_arch}"
                 for m in range(int(glibc_minor), 16, -1)]
    platforms.append(f"linux_{platform.wheel_arch}")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-warn-script-location",
           "--only-binary=:all:", "--implementation", "cp", "--python-version", f"3.{minor}",
           "--target", str(site_dir(root, minor))]
    for tag in platforms:
        cmd += ["--platform", tag]
    _run([*cmd, *requirements], "pip install")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m freezer.target_root",
        description="Make a runtime root for freeze --target-root from Debian's packages.")
    p.add_argument("root", help="the directory to make (or to add wheels to)")
    p.add_argument("--relink", action="store_true",
                   help="only make the absolute symbolic links of an existing root (a "
                        "debootstrap or an unpacked container image) relative")
    p.add_argument("--target", default="linux-aarch64", help="the platform (linux-aarch64)")
    p.add_argument("--python", default="3.11", metavar="3.X",
                   help="the CPython minor version of Debian's packages")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE",
                   help="install these requirements as the target's wheels")
    p.add_argument("packages", nargs="*", help="more requirements, as for pip install")
    args = p.parse_intermixed_args(argv)
    if args.relink:
        if not os.path.isdir(args.root):
            print(f"target_root: {args.root}: no such directory", file=sys.stderr)
            return 2
        print(f"target_root: {relink(args.root)} links made relative in {args.root}")
        return 0
    try:
        platform = by_name(args.target)
        match = re.fullmatch(r"3\.(\d+)", args.python)
        if not match:
            raise FreezeError(f"--python {args.python}: give a version such as 3.11")
        reqs = [*(w for f in args.requirement for w in ("-r", f)), *args.packages]
        make_debian_root(Path(args.root).absolute(), platform, int(match.group(1)), reqs)
    except FreezeError as exc:
        print(f"target_root: {exc}", file=sys.stderr)
        return 2
    print(f"target_root: {args.root} holds CPython {args.python} for {platform.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
