"""The manifest, `__freezer__/manifest`: what the build tells the runtime about the payload.

This file is the format's one home: the runtime parses it here (Manifest), and the build
writes every record with the functions below (plan.py loads this file by its path, see
freezer/runtime_formats.py). Plain text, one record per line, fields separated by one space;
a field that may hold spaces (a file name) is always the last of its line, and no field holds
a newline. Records, in the order the build writes them:

    main KIND ARG              the entry point: `script app.py`, `module pkg.mod`, or
                               `directory __main__.py` (freeze DIR, run as python DIR)
    ext NAME ENTRY SHA LIBS SIZE   an extension module: its zip entry (zstd), the SHA-256
                               and size of the file once unpacked, the libraries to load
                               first (LIB,LIB or -)
    lib SONAME ENTRY SHA SIZE  a shared library an extension needs (not a boot library)
    fallback SONAME            a library of the system's loaded at start, by name, and its
                               `lib` record's copy only where the system has none (libgcc_s)
    dll NAME SONAME LIBS       a library the program names to ctypes (NAME, as its code
                               spells it), carried as the `lib` SONAME; LIBS (or -) load first
    tree KEY NAME,NAME         a distribution unpacked into the cache on first import of one
                               of its top-level names (`.`: the files beside the script)
    treelibs KEY LIB,LIB       libraries from outside the tree to load before its code
    file KEY ENTRY             one entry of the tree
    store KIND ENTRY SHA SIZE  a stream of the module store (runtime/store.py)
    frozen NAME,NAME           stdlib modules of the bootloader's frozen table
    stdlib DIR                 the build machine's stdlib directory (cold modules' file names)
"""

MANIFEST = "__freezer__/manifest"
MAIN_PYC = "__freezer__/main.pyc"
MAIN_PY = "__freezer__/main.py"


def _line(kind, fields, last=None):
    """One record; the fields must not hold spaces (only `last` may), none a newline."""
    for field in fields:
        if not field or " " in field or "\n" in field:
            raise ValueError(f"manifest: bad field {field!r} of a {kind} record")
    if last is not None:
        if "\n" in last or not last:
            raise ValueError(f"manifest: bad field {last!r} of a {kind} record")
        fields = (*fields, last)
    return " ".join((kind, *fields))


def _names(names):
    return ",".join(names) or "-"


def _split(field):
    return [] if field == "-" else field.split(",")


# The build's side: one function per record.

def main_record(kind, arg):
    return _line("main", (kind,), arg)


def ext_record(name, entry, sha256, libs, size):
    return _line("ext", (name, entry, sha256, _names(libs), str(size)))


def lib_record(soname, entry, sha256, size):
    return _line("lib", (soname, entry, sha256, str(size)))


def fallback_record(soname):
    return _line("fallback", (soname,))


def dll_record(name, soname, libs):
    return _line("dll", (name, soname, _names(libs)))


def tree_records(key, tops, preload, entries):
    lines = [_line("tree", (key, _names(sorted(tops))))]
    if preload:
        lines.append(_line("treelibs", (key, _names(preload))))
    lines.extend(_line("file", (key,), entry) for entry in entries)
    return lines


def store_record(kind, entry, sha256, size):
    return _line("store", (kind, entry, sha256, str(size)))


def frozen_record(names):
    return _line("frozen", (_names(sorted(names)),))


def stdlib_record(directory):
    return _line("stdlib", (), directory)


def write(lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


class Manifest:
    """The runtime's side: the records, parsed."""

    def __init__(self, text):
        self.main_kind = "script"
        self.main_arg = ""
        self.extensions = {}  # module name -> (entry, sha256, [sonames], unpacked size)
        self.libraries = {}  # soname -> (entry, sha256, unpacked size)
        self.fallbacks = []  # sonames loaded at start, the system's copy first
        self.trees = {}  # key -> [entries] of a distribution unpacked into the cache
        self.tree_names = {}  # top-level module name -> tree key
        # Top-level names more than one tree holds (a namespace package that several
        # distributions install into, such as sphinxcontrib or google) -> their keys.
        self.tree_shared = {}
        self.tree_libs = {}  # tree key -> [sonames] to load before its code
        self.dlls = {}  # name given to ctypes -> (soname, [sonames to load first])
        self.stdlib_dir = ""  # the build machine's stdlib directory (cold modules compile to it)
        self.store = {}  # module store stream kind -> (entry, sha256, size): runtime/store.py
        self.frozen = []  # stdlib modules the bootloader froze (what start-up imports)
        for line in text.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "main":
                self.main_kind, _, self.main_arg = rest.partition(" ")
            elif kind == "stdlib":
                self.stdlib_dir = rest
            elif kind == "file":
                key, _, entry = rest.partition(" ")
                self.trees[key].append(entry)
            else:
                fields = rest.split(" ")
                if kind == "ext":
                    self.extensions[fields[0]] = (fields[1], fields[2], _split(fields[3]),
                                                  int(fields[4]))
                elif kind == "lib":
                    self.libraries[fields[0]] = (fields[1], fields[2], int(fields[3]))
                elif kind == "store":
                    self.store[fields[0]] = (fields[1], fields[2], int(fields[3]))
                elif kind == "frozen":
                    self.frozen = _split(fields[0])
                elif kind == "tree":
                    self.trees[fields[0]] = []
                    for name in _split(fields[1]):
                        if name in self.tree_names:
                            keys = self.tree_shared.setdefault(name, [self.tree_names[name]])
                            keys.append(fields[0])
                        else:
                            self.tree_names[name] = fields[0]
                elif kind == "dll":
                    self.dlls[fields[0]] = (fields[1], _split(fields[2]))
                elif kind == "treelibs":
                    self.tree_libs[fields[0]] = _split(fields[1])
                elif kind == "fallback":
                    self.fallbacks.append(fields[0])
