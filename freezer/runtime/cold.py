"""The cold standard library: every stdlib module the analysis did not see imported.

The build carries the whole standard library (see freezer/stdlib_inventory.py), so whatever
`python app.py` could import, the frozen program can, whatever the analysis saw. What it saw is
bytecode in the payload (the hot set); the rest is one zip of sources, stored in the payload
as a zstd stream (the cold archive, see freezer/plan.py). On the first import of a cold module
it is unpacked, like a native file, into the content-addressed cache (a memfd where the cache
cannot be written) and imported from with zipimport; runs that import no cold module never
touch it.

This finder sits last on sys.meta_path: it answers only for names the manifest lists, after
the payload's own importers have said no.
"""

import sys

COLD_NAME = "stdlib-cold.zip"


class ColdFinder:
    """Meta-path finder for the cold stdlib modules."""

    def __init__(self, natives, manifest):
        self.natives = natives  # natives.NativeLoader: unpacks payload entries
        self.manifest = manifest
        self.names = None  # parsed on the first miss of the other finders
        self.archive = None

    def find_spec(self, fullname, path=None, target=None):
        if self.names is None:
            self.names = frozenset(self.manifest.cold_names.split(","))
        if fullname not in self.names:
            return None
        if self.archive is None:
            entry, sha256, size = self.manifest.cold
            self.archive = self.natives.path_for(entry, sha256, COLD_NAME, size)
        parent = fullname.rpartition(".")[0]
        where = self.archive + "/" + parent.replace(".", "/") if parent else self.archive
        # importlib.machinery may itself be cold: never import what this finder serves.
        from _frozen_importlib_external import PathFinder

        return PathFinder.find_spec(fullname, [where])


def install(natives, manifest):
    """Append the cold finder after every other meta-path finder."""
    finder = ColdFinder(natives, manifest)
    sys.meta_path.append(finder)
    return finder
