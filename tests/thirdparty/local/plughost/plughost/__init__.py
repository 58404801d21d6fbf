"""Plugin host: discovers plugins through the "fzt.plugins" entry-point group.

Nothing imports the plugin modules by name; only the installed distributions' entry_points.txt
says where they are, as with pytest plugins or console scripts. The API check uses `packaging`,
a dependency the host imports itself.
"""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint, entry_points

from packaging.specifiers import SpecifierSet
from packaging.version import Version

GROUP = "fzt.plugins"
API_VERSION = Version("2.1")


def discover() -> list[EntryPoint]:
    """The group's entry points, sorted by name.

    entry_points(group=...) only exists from 3.10 on; 3.9 returns a dict of groups.
    """
    if sys.version_info >= (3, 10):
        found = entry_points(group=GROUP)
    else:
        found = entry_points().get(GROUP, ())
    return sorted(found, key=lambda ep: ep.name)


def load_all() -> tuple[list[tuple[str, object]], list[str]]:
    """(name, plugin instance) of each plugin that accepts this host's API, and the skipped."""
    loaded: list[tuple[str, object]] = []
    skipped: list[str] = []
    for ep in discover():
        plugin_class = ep.load()
        wanted = SpecifierSet(plugin_class.REQUIRES_API)
        if API_VERSION in wanted:
            loaded.append((ep.name, plugin_class()))
        else:
            skipped.append(f"{ep.name} (needs API {wanted}, host has {API_VERSION})")
    return loaded, skipped


def run_all(text: str) -> list[str]:
    """Each loaded plugin's result for text, as "name: result" lines."""
    loaded, _ = load_all()
    return [f"{name}: {plugin.run(text)}" for name, plugin in loaded]
