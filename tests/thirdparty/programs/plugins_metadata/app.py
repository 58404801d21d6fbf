"""Plugins found through entry points, and importlib.metadata / importlib.resources answering
about bundled distributions.

The program imports only the host (fzt-plughost); the host finds fzt-plugin-alpha and
fzt-plugin-beta through the "fzt.plugins" entry-point group, never by an import the program
or the host spells out. Distribution names differ from module names on purpose.
"""

import sys
from importlib import metadata
from importlib.resources import as_file, files

import plughost

# The distributions this program uses: a venv holds more (pip, ...), which a frozen program
# need not carry, so only these are listed.
OURS = {"fzt-plughost", "fzt-plugin-alpha", "fzt-plugin-beta", "packaging"}


def main() -> None:
    print("entry points", [(ep.name, ep.value) for ep in plughost.discover()])
    loaded, skipped = plughost.load_all()
    print("loaded", [name for name, _ in loaded], "skipped", skipped)
    for line in plughost.run_all("wörld"):
        print(" ", line)

    for name in sorted(OURS):
        print("version", name, metadata.version(name))
    found = {dist.metadata["Name"] for dist in metadata.distributions()}
    print("distributions", sorted(found & OURS))
    print("summary", metadata.metadata("fzt-plugin-beta")["Summary"])
    print("requires", metadata.requires("fzt-plugin-alpha"))
    beta_files = metadata.files("fzt-plugin-beta") or []
    # A frozen program carries x.pyc where pip installed x.py, and its RECORD says so (3.13
    # lists only files that exist): modules are compared by name, caches left out.
    print("files", sorted({str(p.with_suffix("")) + " (module)" if p.suffix in (".py", ".pyc")
                           else str(p) for p in beta_files
                           if p.suffix in (".py", ".pyc", ".txt")
                           and "__pycache__" not in p.parts}))
    entry_points_txt = metadata.distribution("fzt-plugin-beta").read_text("entry_points.txt")
    print("entry_points.txt", entry_points_txt.split())
    if sys.version_info >= (3, 10):
        mapping = metadata.packages_distributions()
        print("packages", {key: mapping.get(key) for key in ("plug_alpha", "plughost")})
    try:
        metadata.version("fzt-not-installed")
    except metadata.PackageNotFoundError as exc:
        print("not found", type(exc).__name__, exc)

    data = files("plug_beta") / "data" / "greeting.txt"
    print("resource", data.is_file(), data.read_text(encoding="utf-8").strip())
    # as_file gives the file itself or a temporary copy (named tmpXXXXgreeting.txt), the
    # loader's choice: only what is in it and its suffix are the same either way.
    with as_file(data) as path:
        with open(path, encoding="utf-8") as handle:
            print("as_file", path.suffix, path.name.endswith("greeting.txt"),
                  handle.read().strip())
    # Code files are left out: a frozen package holds bytecode, not sources (documented).
    print("package data", sorted(entry.name for entry in files("plug_beta").iterdir()
                                 if not entry.name.endswith((".py", ".pyc", "__pycache__"))),
          sorted(entry.name for entry in (files("plug_beta") / "data").iterdir()))


if __name__ == "__main__":
    main()
