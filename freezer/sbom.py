"""`--sbom FILE`: a CycloneDX 1.6 JSON bill of materials of what a binary carries.

It lists every bundled distribution (version, purl, the license its metadata states, and
the SHA-256 of each of its files as pip installed them), CPython itself, and every system
library bundled beside it, with the Debian package and version it came from where `dpkg -S`
knows the file. The same document is embedded in the binary (`__freezer__/sbom.json`), so
`freeze inspect --sbom OUT` gets it back from a binary found anywhere.

No timestamp, and a serial number derived from the content: two builds of the same inputs
stay byte-identical. Licenses are given as the metadata says them: a PEP 639
`License-Expression` as an SPDX expression, else the `License` field or the license
classifiers as names (CycloneDX accepts any name; only an `id` must be an SPDX identifier).
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import freezer

if TYPE_CHECKING:
    from freezer.analysis import Analysis, BundledDist
    from freezer.plan import BundlePlan

ENTRY = "__freezer__/sbom.json"
_SITE = re.compile(r"/(site|dist)-packages/")


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _metadata(analysis: Analysis, dist: BundledDist) -> email.message.Message | None:
    source = analysis.data.get(f"{dist.dist_info}/METADATA")
    if not source:
        return None
    try:
        # Parsed as text: a bytes parser gives a header with non-ASCII text (a license naming
        # its authors) as an email Header object, not as a string.
        with open(source, encoding="utf-8", errors="replace") as f:
            return email.parser.Parser().parse(f, headersonly=True)
    except OSError:
        return None


def licenses(meta: email.message.Message | None) -> list[dict]:
    """The license the distribution's metadata states, in CycloneDX's forms."""
    if meta is None:
        return []
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return [{"expression": expression}]
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) < 100:
        return [{"license": {"name": text}}]
    named = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []
             if c.startswith("License ::") and "::" in c[len("License ::"):]]
    return [{"license": {"name": name}} for name in named]


def dist_files(analysis: Analysis, dist: BundledDist) -> list[tuple[str, str]]:
    """(site-relative name, file) of what the binary carries of `dist`, as installed."""
    files: dict[str, str] = {}
    for mod in analysis.modules:
        if mod.dist != dist.name or not mod.source or mod.kind == "namespace":
            continue
        name = mod.archive[:-1] if mod.archive.endswith(".pyc") else mod.archive
        files[name] = mod.source
    for archive, source in analysis.data.items():
        if analysis.data_dist.get(archive) == dist.name or \
                archive.startswith(dist.dist_info + "/"):
            files[archive] = source
    return sorted(files.items())


def debian_packages(paths: list[str]) -> dict[str, tuple[str, str]]:
    """path -> (package, version) for the files dpkg knows (with usr-merge's two names)."""
    names = {}
    for path in paths:
        for candidate in {path, os.path.realpath(path)}:
            names[candidate] = path
            if candidate.startswith("/usr/lib/"):
                names["/lib/" + candidate[len("/usr/lib/"):]] = path
    try:
        done = subprocess.run(["dpkg", "-S", *sorted(names)], capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    owners: dict[str, str] = {}
    for line in done.stdout.splitlines():
        package, sep, path = line.partition(": ")
        if sep and path in names and "," not in package:
            owners.setdefault(names[path], package)
    versions: dict[str, str] = {}
    if owners:
        try:
            query = subprocess.run(["dpkg-query", "-W", "-f", "${binary:Package} ${Version}\\n",
                                    *sorted(set(owners.values()))], capture_output=True,
                                   text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            query = None
        for line in (query.stdout.splitlines() if query else []):
            package, _, version = line.partition(" ")
            versions[package] = version
            versions.setdefault(package.split(":")[0], version)
    return {path: (package, versions.get(package, "")) for path, package in owners.items()}


def system_libraries(analysis: Analysis, plan: BundlePlan | None) -> list[tuple[str, str]]:
    """(soname, file) of the bundled shared libraries that are neither CPython's own
    modules nor a wheel's files: the system's, and libpython."""
    if plan is None:
        return []
    found = {}
    for label, path, _ in plan.natives:
        if _SITE.search(os.path.realpath(path)) or ".cpython-" in os.path.basename(path):
            continue
        found[label.split(" ")[0]] = path
    return sorted(found.items())


def make(analysis: Analysis, plan: BundlePlan | None, name: str) -> bytes:
    target = analysis.target
    python = target["version"]
    components: list[dict] = []
    libpython = target.get("instsoname", "")
    for dist in analysis.dists:
        meta = _metadata(analysis, dist)
        component = {
            "type": "library", "bom-ref": f"pypi:{dist.name}@{dist.version}",
            "name": dist.name, "version": dist.version,
            "purl": f"pkg:pypi/{_purl_name(dist.name)}@{dist.version}",
            "components": [{"type": "file", "name": rel,
                            "hashes": [{"alg": "SHA-256", "content": sha256_file(path)}]}
                           for rel, path in dist_files(analysis, dist)],
        }
        found = licenses(meta)
        if found:
            component["licenses"] = found
        summary = (meta.get("Summary") or "").strip() if meta is not None else ""
        if summary:
            component["description"] = summary
        components.append(component)
    cpython = {"type": "library", "bom-ref": f"cpython@{python}", "name": "cpython",
               "version": python, "purl": f"pkg:generic/cpython@{python}",
               "licenses": [{"license": {"id": "PSF-2.0"}}],
               "description": "the CPython interpreter (libpython and its standard library)"}
    system = system_libraries(analysis, plan)
    packages = debian_packages([path for _, path in system])
    for soname, path in system:
        hashes = [{"alg": "SHA-256", "content": sha256_file(path)}]
        if soname == libpython:
            cpython["hashes"] = hashes
            continue
        component = {"type": "library", "bom-ref": f"lib:{soname}", "name": soname,
                     "hashes": hashes}
        package, version = packages.get(path, ("", ""))
        if package:
            bare = package.split(":")[0]
            arch = package.split(":")[1] if ":" in package else ""
            component["version"] = version
            component["purl"] = deb_purl(bare, version, arch)
            component["description"] = f"from the Debian package {package} {version}"
        components.append(component)
    components.insert(0, cpython)
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "freezer",
                                      "version": freezer.__version__}]},
            "component": {"type": "application", "bom-ref": "binary", "name": name},
        },
        "components": components,
        "dependencies": [{"ref": "binary", "dependsOn": [c["bom-ref"] for c in components]}],
    }
    body = json.dumps(document, sort_keys=True, indent=1).encode()
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "freezer-sbom:" + hashlib.sha256(body).hexdigest())
    document["serialNumber"] = serial.urn
    return json.dumps(document, sort_keys=True, indent=1).encode() + b"\n"


def deb_purl(package: str, version: str, arch: str) -> str:
    """A Debian package's purl: the epoch as a qualifier, the version percent-encoded."""
    epoch, _, bare = version.rpartition(":") if ":" in version else ("", "", version)
    qualifiers = [f"arch={arch}"] if arch else []
    if epoch:
        qualifiers.append(f"epoch={epoch}")
    tail = "?" + "&".join(qualifiers) if qualifiers else ""
    return f"pkg:deb/debian/{package}@{quote(bare, safe='.-_~')}{tail}"


def _purl_name(name: str) -> str:
    """A PyPI purl's name: normalised as PEP 503 says (lower case, runs of -_. as -)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def write(path: Path, data: bytes) -> None:
    from freezer.errors import FreezeError

    try:
        path.write_bytes(data)
    except OSError as e:
        raise FreezeError(f"--sbom {path}: cannot write ({e.strerror})") from None
