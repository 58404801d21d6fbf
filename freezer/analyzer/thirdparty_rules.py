"""Third-party rules: what of an installed distribution comes along, once code reaches it.

A distribution is bundled whole: every file its RECORD lists, because any of its modules may
be imported by a name made at run time and any of its files read beside `__file__`. The
exceptions are its test suites (`tests`/`test` subpackages), which come back only when
bundled code imports them, build inputs, and auditwheel's vendored libraries (native files,
see plan.py). It also brings what it declares it needs, and plugins are the distributions
registering entry points in a group bundled code names. No stdlib pruning rule applies here.

The functions sort and decide; the walk (graph.py) bundles what they return.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from freezer.analyzer.distributions import (
    DistIndex,
    Distribution,
    canonical_name,
    is_build_only,
    is_documentation,
    is_test_path,
    module_name,
    tests_package_dir,
)
from freezer.analyzer.lookup import Excludes, Module
from freezer.analyzer.problems import Problem


@dataclass
class DistributionFiles:
    """A distribution's RECORD, sorted (site-relative paths)."""

    metadata: list[str] = field(default_factory=list)  # its .dist-info
    vendored: list[str] = field(default_factory=list)  # auditwheel's `<dist>.libs/`
    code_and_data: list[str] = field(default_factory=list)  # bundled now
    # Test suites no bundled module has reached: dotted name -> their files.
    unreached_tests: dict[str, list[str]] = field(default_factory=dict)


def sort_files(dist: Distribution, bundled: Mapping[str, Module]) -> DistributionFiles:
    """Sort `dist`'s files: a test suite already imported by bundled code comes whole."""
    out = DistributionFiles()
    for rel in dist.files:
        if rel.startswith(dist.dist_info + "/"):
            out.metadata.append(rel)
        elif rel.split("/")[0].endswith(".libs"):
            # From memory they come in as the extensions' needed libraries; unpacked,
            # beside the package as in site.
            out.vendored.append(rel)
        else:
            tests = tests_package_dir(rel)
            if tests is None or tests.replace("/", ".") in bundled:
                out.code_and_data.append(rel)
            else:
                out.unreached_tests.setdefault(tests.replace("/", "."), []).append(rel)
    return out


@dataclass
class TakenFiles:
    """What bundling some files of a distribution adds to the walk."""

    modules: list[Module] = field(default_factory=list)  # new members, to bundle
    scanned: list[Module] = field(default_factory=list)  # of them, those whose imports count
    adopted: list[str] = field(default_factory=list)  # bundled already: now of this dist
    data: dict[str, str] = field(default_factory=dict)  # site-relative -> file
    cython_sources: list[str] = field(default_factory=list)  # .pyx/.pxi outside tests


def take_files(dist: Distribution, rels: list[str], reason: str, excluded: Excludes,
               bundled: Mapping[str, Module]) -> TakenFiles:
    """The modules and data files among `rels` (site-relative files of `dist`).

    Every member outside the distribution's test suites has its imports followed. A module
    already bundled is adopted by the distribution, except where a mypyc-compiled package
    ships x.py beside x.so: python imports the .so, so it replaces the .py found earlier in
    the same files.
    """
    out = TakenFiles()
    members: dict[str, Module] = {}
    for rel in rels:
        full = os.path.join(dist.site_dir, rel)
        if is_build_only(rel):
            if rel.endswith((".pyx", ".pxi")) and not is_test_path(rel):
                out.cython_sources.append(full)
            continue
        found = module_name(rel)
        if found is None:
            if not os.path.isdir(full) and rel.rsplit("/", 1)[-1] != "py.typed":
                out.data[rel] = full
                if not is_test_path(rel) and not is_documentation(rel):
                    dist.data_files.append(rel)
            continue
        name, kind = found
        if excluded(name):
            continue
        known = members.get(name) or bundled.get(name)
        if known is not None and not (kind == "extension" and known.kind == "source"
                                      and name in members):
            if name not in members:
                out.adopted.append(name)
            continue
        locs = [os.path.dirname(full)] if kind == "package" else None
        members[name] = Module(name, kind, full, "thirdparty", dist.site_dir, locs, reason,
                               dist.name)
    out.modules = list(members.values())
    out.scanned = [m for m in out.modules
                   if not is_test_path(os.path.relpath(m.path, dist.site_dir))]
    return out


def required(dist: Distribution, index: DistIndex) -> list[Distribution]:
    """What `dist` declares it needs, even if no import shows it (cryptography's Rust code
    imports cffi's _cffi_backend); conditional ones only if installed."""
    found = []
    for req in dist.requires(conditional=True):
        needed = index.named(req)
        if needed is not None:
            found.append(needed)
    return found


def missing_requirements(dist: Distribution, index: DistIndex) -> list[Problem]:
    """A distribution's unconditional requirements must be installed too."""
    installed = {canonical_name(d.stub_name) for d in index.dists}
    return [Problem(req, "", 0, True, text=(
        f"{dist.label()} requires '{req}', which is not installed for this "
        f"Python: install it (python -m pip install {req})"))
        for req in dist.requires() if canonical_name(req) not in installed]


def plugin_group(dist: Distribution, strings: set[str], program_strings: set[str]) -> str:
    """The entry-point group of `dist`'s that bundled code names ("" if none): `dist` is then
    a plugin the program may load through metadata, never by an import a scan can see.

    Libraries that install or inspect packages (pip, setuptools, importlib_metadata) name
    `console_scripts` and `gui_scripts`, which nearly every distribution registers: those two
    count only where the program's own code names them (a program listing the installed
    commands, or loading them through stevedore).
    """
    scripts = {"console_scripts", "gui_scripts"} - program_strings
    named = (dist.entry_point_groups() - scripts) & strings
    return sorted(named)[0] if named else ""
