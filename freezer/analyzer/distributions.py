"""Installed distributions of the target environment, read from their `.dist-info` RECORDs.

Runs in the worker, under the target interpreter (3.9-compatible code). A third-party
distribution is bundled whole once any of its modules is imported: what its RECORD lists is
what pip put there, so hidden imports inside it, its data files and its metadata all come
along without guessing. This module finds which distribution owns a file, sorts a
distribution's files into modules, extension modules, vendored libraries, data and metadata,
and refuses distributions that cannot work in the frozen program (another platform's wheel, a
RECORD that does not match the disk), each with one line saying what to do.
"""

from __future__ import annotations

import csv
import email.parser
import importlib.machinery
import json
import os
import re
import sys
import sysconfig
import urllib.parse

EXT_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)
# Suffixes of native files built for other systems or other CPython versions.
_FOREIGN_NATIVE = re.compile(
    r"(\.pyd|\.dll|\.dylib|\.cpython-\d+[a-z]*-[\w-]+\.so|\.cp\d+-win[\w]*\.pyd)$")
# Files that are not needed at run time: build inputs, type stubs, caches.
_BUILD_ONLY = (".pyc", ".pyo", ".pyi", ".pxd", ".pxi", ".pyx", ".h", ".hpp", ".c", ".cc",
               ".cpp", ".a", ".lib", ".exe", ".pc")
_TEST_DIR = re.compile(r"(^|/)(tests?|testing/tests?)(/|$)")


class DistributionError(Exception):
    """A distribution that cannot be bundled; the message is the one line the user sees."""


class Distribution:
    """One installed distribution: its name, version, and every file its RECORD lists."""

    def __init__(self, site_dir: str, dist_info: str) -> None:
        # Only the directory name here: a venv holds a hundred distributions and a program
        # uses a few, so METADATA and RECORD are read when a distribution is looked at.
        self.site_dir = site_dir
        self.dist_info = dist_info  # directory name, e.g. "numpy-2.4.6.dist-info"
        self.stub_name = dist_info[: -len(".dist-info")].split("-")[0]
        self._meta: tuple[str, str] | None = None
        self._files: list[str] | None = None
        self._editable: tuple[str | None] | None = None
        self.file_bound = False
        self.why_files = ""
        # Filled when it is bundled (see ModuleGraph): data files and auditwheel's vendored
        # libraries, site-relative.
        self.data_files: list[str] = []
        self.vendored: list[str] = []

    def _metadata(self) -> tuple[str, str]:
        if self._meta is None:
            meta_path = os.path.join(self.site_dir, self.dist_info, "METADATA")
            try:
                with open(meta_path, encoding="utf-8", errors="replace") as f:
                    meta = email.parser.Parser().parse(f, headersonly=True)
                self._meta = (meta.get("Name") or self.stub_name, meta.get("Version") or "?")
            except OSError:
                self._meta = (self.stub_name, "?")
        return self._meta

    @property
    def name(self) -> str:
        return self._metadata()[0]

    @property
    def version(self) -> str:
        return self._metadata()[1]

    @property
    def files(self) -> list[str]:
        """Site-relative paths of what the RECORD lists; DistributionError if unreadable."""
        if self._files is None:
            self._files = self._read_record()
        return self._files

    @property
    def editable_root(self) -> str | None:
        if self._editable is None:
            self._editable = (self._editable_root(),)
        return self._editable[0]

    def _editable_root(self) -> str | None:
        """The project directory of an editable install (PEP 610 direct_url.json)."""
        try:
            with open(os.path.join(self.site_dir, self.dist_info, "direct_url.json"),
                      encoding="utf-8") as f:
                info = json.load(f)
        except (OSError, ValueError):
            return None
        url = info.get("url", "") if isinstance(info, dict) else ""
        editable = isinstance(info.get("dir_info"), dict) and info["dir_info"].get("editable")
        if editable and url.startswith("file://"):
            return os.path.realpath(urllib.parse.unquote(url[len("file://"):]))
        return None

    @classmethod
    def loose(cls, name: str, why: str) -> Distribution:
        """A unit of files that no RECORD describes, unpacked as one (a program package)."""
        dist = cls("", "-.dist-info")
        dist.stub_name, dist._meta, dist._files, dist._editable = name, (name, ""), [], (None,)
        dist.dist_info = ""
        dist.file_bound, dist.why_files = True, why
        return dist

    def label(self) -> str:
        return f"distribution '{self.name}' {self.version}"

    def _read_record(self) -> list[str]:
        """Site-relative paths of the files the RECORD lists (outside-site ones dropped)."""
        record = os.path.join(self.site_dir, self.dist_info, "RECORD")
        reinstall = f"reinstall it (pip install --force-reinstall {self.name})"
        try:
            with open(record, encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
        except FileNotFoundError:
            raise DistributionError(
                f"{self.label()} has no RECORD in {self.dist_info}: {reinstall}") from None
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise DistributionError(
                f"{self.label()}: RECORD cannot be read ({e}): {reinstall}") from None
        files = []
        for number, row in enumerate(rows, 1):
            if not row:
                continue
            if len(row) != 3 or not row[0]:
                raise DistributionError(
                    f"{self.label()}: RECORD line {number} is malformed: {reinstall}")
            path = row[0].replace("\\", "/")
            if path.startswith("/") or path.startswith("../") or "/../" in path:
                continue  # console scripts, headers: outside the import tree
            files.append(path)
        return files

    def requires(self, conditional: bool = False) -> list[str]:
        """Names of the distributions this one needs (never those of extras).

        Without `conditional`, only those needed everywhere (no marker at all).
        """
        path = os.path.join(self.site_dir, self.dist_info, "METADATA")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                meta = email.parser.Parser().parse(f, headersonly=True)
        except OSError:
            return []
        names = []
        for req in meta.get_all("Requires-Dist") or []:
            marker = req.partition(";")[2]
            if "extra" in marker or (marker and not conditional):
                continue
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
            if match:
                names.append(match.group(1))
        return names

    def entry_point_groups(self) -> set[str]:
        path = os.path.join(self.site_dir, self.dist_info, "entry_points.txt")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return {line.strip()[1:-1].strip() for line in f
                        if line.strip().startswith("[") and line.strip().endswith("]")}
        except OSError:
            return set()

    def check_files(self) -> None:
        """Every file the RECORD lists must exist, or the installation is broken."""
        for path in self.files:
            if "__pycache__/" in path or path.endswith((".pyc", ".pyo")):
                continue  # caches are rewritten by python itself; their absence is harmless
            if not os.path.lexists(os.path.join(self.site_dir, path)):
                raise DistributionError(
                    f"{self.label()}: its RECORD lists {path}, which is missing: reinstall it "
                    f"(pip install --force-reinstall {self.name})")

    def check_platform(self, machine: str) -> None:
        """Refuse a wheel built for another platform or another CPython."""
        where = f"CPython {sys.version_info[0]}.{sys.version_info[1]} on linux {machine}"
        fix = f"reinstall it with the target's pip ({sys.executable} -m pip install " \
              f"--force-reinstall {self.name})"
        tags = self._wheel_tags()
        if tags and not any(_tag_fits(t, machine) for t in tags):
            raise DistributionError(
                f"{self.label()} is built for {tags[0]}, not for {where}: {fix}")
        for path in self.files:
            if _FOREIGN_NATIVE.search(path) and not path.endswith(EXT_SUFFIXES):
                raise DistributionError(
                    f"{self.label()} is built for another platform or Python ({path}), "
                    f"not for {where}: {fix}")

    def _wheel_tags(self) -> list[str]:
        try:
            with open(os.path.join(self.site_dir, self.dist_info, "WHEEL"),
                      encoding="utf-8") as f:
                return [line.split(":", 1)[1].strip() for line in f
                        if line.lower().startswith("tag:")]
        except OSError:
            return []


def _tag_fits(tag: str, machine: str) -> bool:
    try:
        interp, abi, plat = tag.split("-")
    except ValueError:
        return True  # not a tag we understand: let the file checks decide
    minor = sys.version_info[1]
    plats = plat.split(".")
    plat_ok = any(p == "any" or (p.endswith("_" + machine) and
                                 p.startswith(("linux", "manylinux"))) for p in plats)
    interp_ok = False
    for one in interp.split("."):
        if one.startswith("py"):
            interp_ok = interp_ok or one in ("py3", "py30") or one.startswith("py3")
        elif one.startswith("cp3"):
            try:
                version = int(one[3:])
            except ValueError:
                continue
            if abi == "abi3":
                interp_ok = interp_ok or version <= minor
            else:
                interp_ok = interp_ok or version == minor
    return plat_ok and interp_ok


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def stdlib_dirs() -> list[str]:
    """The target's own library directories (not its site-packages)."""
    paths = sysconfig.get_paths()
    dirs = {os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib") if k in paths}
    dirs |= {os.path.join(d, "lib-dynload") for d in list(dirs)}
    return sorted(dirs)


def is_stdlib_entry(entry: str, stdlib: list[str]) -> bool:
    """A sys.path entry of the stdlib: inside a stdlib directory but not a site directory."""
    real = os.path.realpath(entry)
    if re.search(r"/(site|dist)-packages(/|$)", real):
        return False
    if real.endswith(".zip"):
        return True
    return any(real == d or real.startswith(d + "/") for d in stdlib)


class DistIndex:
    """Which installed distribution owns which file, for the directories searched."""

    def __init__(self, site_dirs: list[str]) -> None:
        self.by_file: dict[str, Distribution] = {}
        self.by_dir: dict[str, list[Distribution]] = {}
        # site directory -> its distributions whose RECORD cannot be read
        self.broken: dict[str, list[DistributionError]] = {}
        self.dists: list[Distribution] = []
        self.sites: list[str] = []
        self._indexed: set[str] = set()
        self._editable: list[Distribution] | None = None
        for site in site_dirs:
            try:
                names = sorted(os.listdir(site))
            except OSError:
                continue
            self.sites.append(site)
            self.dists += [Distribution(site, n) for n in names if n.endswith(".dist-info")]

    def _index(self, site: str) -> None:
        """Map the files of one directory's distributions to them (once, when first asked)."""
        if site in self._indexed:
            return
        self._indexed.add(site)
        for dist in self.dists:
            if dist.site_dir != site:
                continue
            try:
                files = dist.files
            except DistributionError as e:
                self.broken.setdefault(site, []).append(e)
                continue
            for path in files:
                full = os.path.join(site, path)
                self.by_file.setdefault(full, dist)
                parent = os.path.dirname(full)
                while parent.startswith(site + "/") and parent != site:
                    owners = self.by_dir.setdefault(parent, [])
                    if dist not in owners:
                        owners.append(dist)
                    parent = os.path.dirname(parent)

    def _editables(self) -> list[Distribution]:
        if self._editable is None:
            self._editable = [d for d in self.dists if d.editable_root]
        return self._editable

    def named(self, name: str) -> Distribution | None:
        """The installed distribution called `name` (PEP 503 normalised), if any."""
        wanted = canonical_name(name)
        for dist in self.dists:
            if canonical_name(dist.stub_name) == wanted:
                return dist
        return None

    def owner(self, path: str) -> Distribution | None:
        """The distribution that installed `path` (a file, or a package directory)."""
        inside = [site for site in self.sites if path.startswith(site + "/")]
        for site in inside:
            self._index(site)
        dist = self.by_file.get(path)
        if dist is not None:
            return dist
        owners = self.by_dir.get(path.rstrip("/"))
        if owners:
            return owners[0]
        # An editable install's code lives in its project, which may itself be on the path
        # (a src/ layout's __editable__ .pth puts src/ there): owned by the project.
        real = os.path.realpath(path)
        for dist in self._editables():
            root = dist.editable_root
            if real == root or real.startswith(root + "/"):
                return dist
        # Owned by no readable RECORD, beside a distribution whose RECORD is unreadable:
        # most likely that one's, and bundling it without its RECORD would be a guess.
        for site, errors in self.broken.items():
            if path.startswith(site + "/"):
                raise errors[0]
        return None


def module_name(path: str) -> tuple[str, str] | None:
    """(module name, kind) of a site-relative file, or None if it is not an importable module.

    kind is "source", "package" or "extension".
    """
    if path.endswith(".py"):
        stem, kind = path[:-3], "source"
    else:
        for suffix in EXT_SUFFIXES:
            if path.endswith(suffix):
                stem, kind = path[: -len(suffix)], "extension"
                break
        else:
            return None
    parts = stem.split("/")
    if parts[-1] == "__init__":
        if kind != "source":
            return None
        parts, kind = parts[:-1], "package"
    if kind == "extension" and len(parts) == 1 and re.fullmatch(r"\w+", parts[0]):
        # mypyc's shared library of a whole distribution, `<hash>__mypyc`, is a top-level
        # module whose name starts with a digit: imported from C by that name.
        return parts[0], kind
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts), kind


def is_build_only(path: str) -> bool:
    return path.endswith(_BUILD_ONLY) or "__pycache__/" in path


_DOCUMENTATION = re.compile(
    r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS|README|CHANGES|CHANGELOG)[^/]*$"
    r"|\.(md|rst)$|(^|/)(include|lib)/", re.IGNORECASE)


def is_documentation(path: str) -> bool:
    """Licences, read-mes and build inputs: shipped, but never what code opens at run time."""
    return bool(_DOCUMENTATION.search(path))


# Last components of the subpackages that hold a distribution's own test suite.
_TESTS_PACKAGES = frozenset({"tests", "test"})


def tests_package_dir(path: str) -> str | None:
    """The outermost `tests`/`test` subpackage directory a site-relative file lies in, or None.

    Only a subpackage counts (`numpy/tests/`, `scipy/linalg/tests/`, never a top-level
    `tests/`, nor `pkg/testing/` or a module `pkg/tests.py`), and only where every directory
    down to it could be a package name, so the directory names the dotted module `pkg.tests`
    that an import of it would use. Such a package is the distribution's test suite, which
    the distribution's own code does not import: the module graph leaves it out unless
    bundled code does import it.
    """
    parts = path.split("/")[:-1]  # the directories, not the file's own name
    for i in range(1, len(parts)):
        if not parts[i - 1].isidentifier():
            return None
        if parts[i] in _TESTS_PACKAGES:
            return "/".join(parts[: i + 1])
    return None


def is_test_path(path: str) -> bool:
    """Test suites and pytest plugins shipped inside packages: bundled, imports not followed."""
    return bool(_TEST_DIR.search(path)) or path.rsplit("/", 1)[-1] == "conftest.py"
