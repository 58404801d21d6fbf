"""Distributions that need real files, unpacked once into the content-addressed cache.

Most packages import from the payload as it is. A few open files beside their own `__file__`
(the build decides which, see freezer/module_graph.py); for those, the distribution's modules,
data and vendored libraries are written on first import to <cache>/tree/<key>/, laid out as in
site-packages, and imported from there by the path-based finder. The key is a hash of the
entries, so every later run, and every binary carrying the same distribution, finds the tree
complete and pays one stat. Their metadata stays in the payload, where importlib.metadata
finds all distributions alike.
"""

import posix
import zipimport

from . import natives

_COMPLETE = ".complete"


def _env(name):
    value = posix.environ.get(name.encode())
    return value.decode("utf-8", "surrogateescape") if value else ""


def cache_root():
    """FREEZER_CACHE_DIR, else $XDG_CACHE_HOME/freezer, else ~/.cache/freezer."""
    root = _env("FREEZER_CACHE_DIR")
    if root:
        return root
    xdg = _env("XDG_CACHE_HOME")
    if xdg.startswith("/"):  # the XDG spec: a relative value is ignored
        return xdg + "/freezer"
    home = _env("HOME")
    if not home:
        try:
            import pwd

            home = pwd.getpwuid(posix.getuid()).pw_dir
        except (ImportError, KeyError):
            # No HOME and no passwd entry (a bare container): no cache directory to use.
            raise ImportError("freezer: no cache directory (HOME is not set and this user "
                              "has no home; set FREEZER_CACHE_DIR)") from None
    return home + "/.cache/freezer"


def private_dir(path):
    """Create `path` (and parents) mode 0700; refuse a directory another user could change."""
    parts = path.split("/")
    for i in range(2, len(parts) + 1):
        d = "/".join(parts[:i])
        try:
            posix.mkdir(d, 0o700)
        except FileExistsError:
            pass
    st = posix.stat(path)
    if st.st_uid != posix.geteuid() or st.st_mode & 0o022:
        raise ImportError(f"freezer: cache directory {path} is not private to this user")


class TreeFinder:
    """Meta-path finder for the top-level names of unpacked distributions."""

    def __init__(self, importer, manifest, natives=None):
        self.importer = importer
        self.trees = manifest.trees  # key -> [entry names]
        self.owner = manifest.tree_names  # top-level name -> key
        self.libs = manifest.tree_libs  # key -> [sonames] its extensions need from outside
        self.natives = natives  # natives.NativeLoader
        self.ready = {}  # key -> directory

    def find_spec(self, fullname, path=None, target=None):
        if "." in fullname:
            return None  # submodules: found by the path finder under the parent's __path__
        key = self.owner.get(fullname)
        if key is None:
            return None
        try:
            directory = self.ready.get(key) or self.unpack(key)
        except (OSError, ImportError):
            # No usable cache (read-only, full, not private, no home): the payload's own
            # copy then serves its pure-Python modules (zipimport compiles their sources).
            self.owner = {k: v for k, v in self.owner.items() if v != key}
            return None
        from _frozen_importlib_external import PathFinder

        _hook_trees(cache_root() + "/tree/")
        return PathFinder.find_spec(fullname, [directory])

    def unpack(self, key):
        directory = cache_root() + "/tree/" + key
        try:
            posix.stat(directory + "/" + _COMPLETE)
        except OSError:
            self._write(key, directory)
        if self.natives is not None:
            # Libraries from outside the distribution: not where its run paths point, so
            # loaded (from the payload) before any of its extension modules.
            for soname in self.libs.get(key, ()):
                self.natives.load_library(soname)
        self.ready[key] = directory
        return directory

    def _write(self, key, directory):
        parent = directory.rpartition("/")[0]
        private_dir(parent)
        # Random, not the pid: in a pid namespace every racing first run may be pid 2.
        tmp = f"{parent}/.{key}.{posix.urandom(8).hex()}.tmp"
        posix.mkdir(tmp, 0o700)
        try:
            self._fill(key, tmp)
        except BaseException:
            _remove_tree(tmp)  # a full disk or a signal leaves no half-written tree behind
            raise
        try:
            posix.rename(tmp, directory)
        except OSError:
            # Another process finished first (the directory exists and is not empty).
            _remove_tree(tmp)
            posix.stat(directory + "/" + _COMPLETE)

    def _fill(self, key, tmp):
        """Every entry of the tree `key`, written into the directory `tmp`."""
        made = {tmp}
        for entry in self.trees[key]:
            path = tmp + "/" + entry
            folder = path.rpartition("/")[0]
            if folder not in made:
                _makedirs(folder, made)
            fd = posix.open(path, posix.O_WRONLY | posix.O_CREAT | posix.O_EXCL
                            | posix.O_CLOEXEC, 0o700)
            try:
                data = self.importer.get_data(entry)
                view = memoryview(data)
                while view:
                    view = view[posix.write(fd, view):]
            finally:
                posix.close(fd)
        posix.close(posix.open(tmp + "/" + _COMPLETE, posix.O_WRONLY | posix.O_CREAT, 0o600))


_hooked = []


def _hook_trees(prefix):
    """Have the path finder use `TreeSourceLoader` for every directory under `prefix`."""
    if _hooked:
        return
    import _imp

    # The importer's own classes, not importlib.machinery's names for them: the runtime
    # imports nothing that could itself need this finder.
    from _frozen_importlib_external import (
        ExtensionFileLoader,
        FileFinder,
        SourceFileLoader,
        SourcelessFileLoader,
        cache_from_source,
    )

    class TreeSourceLoader(SourceFileLoader):
        """Loads a tree module's bytecode as SourceFileLoader does, but keeps the file name
        it was compiled with (the build machine's, as python's own tracebacks show it);
        linecache then reads the source through this loader, from the tree."""

        def get_code(self, fullname):
            try:
                data = self.get_data(cache_from_source(self.path))
            except OSError:
                return super().get_code(fullname)
            import marshal

            return marshal.loads(memoryview(data)[16:])

    details = ((ExtensionFileLoader, _imp.extension_suffixes()), (TreeSourceLoader, [".py"]),
               (SourcelessFileLoader, [".pyc"]))

    def hook(path):
        if not path.startswith(prefix):
            raise ImportError("not an unpacked tree")
        return FileFinder(path, *details)

    import sys

    sys.path_hooks.insert(0, hook)
    _hooked.append(hook)


def _makedirs(folder, made):
    parts = folder.split("/")
    for i in range(2, len(parts) + 1):
        d = "/".join(parts[:i])
        if d in made:
            continue
        try:
            posix.mkdir(d, 0o700)
        except FileExistsError:
            pass
        made.add(d)


def _remove_tree(path):
    for entry in posix.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            _remove_tree(entry.path)
        else:
            posix.unlink(entry.path)
    posix.rmdir(path)


def main_tree(exe, manifest):
    """The directory of the files added beside the main script, unpacked if need be."""
    finder = _installed or install(zipimport.zipimporter(exe), manifest)
    return finder.unpack(manifest.tree_names["."])


_installed = None


def install(importer, manifest, native_loader=None):
    """Put the tree finder ahead of the path-based finders (and of zipimport)."""
    finder = natives.insert_finder(TreeFinder(importer, manifest, native_loader))
    global _installed
    _installed = finder
    return finder


def bundle_root(exe, manifest):
    """One directory laid out like PyInstaller's `sys._MEIPASS`: every unpacked
    distribution's top-level packages and modules, and the files added beside the script,
    side by side (symbolic links into their trees, all unpacked first).

    Code written for PyInstaller looks for its files there (`os.path.join(sys._MEIPASS,
    ...)`), or lists its plugins with `pkgutil.iter_modules` on `sys._MEIPASS/<package>`
    (Faker); it is made on first use of `sys._MEIPASS`, and shared by every run after.
    """
    finder = _installed or install(zipimport.zipimporter(exe), manifest)
    keys = sorted(manifest.trees)
    directory = cache_root() + "/root/" + _hash_text(",".join(keys))
    try:
        posix.stat(directory + "/" + _COMPLETE)
        return directory
    except OSError:
        pass
    links = {}
    for key in keys:
        tree = finder.unpack(key)
        for entry in posix.listdir(tree):
            if entry not in (_COMPLETE, "__pycache__"):
                links.setdefault(entry, tree + "/" + entry)
    parent = directory.rpartition("/")[0]
    private_dir(parent)
    tmp = f"{parent}/.{posix.urandom(8).hex()}.tmp"
    posix.mkdir(tmp, 0o700)
    for name, target in sorted(links.items()):
        posix.symlink(target, tmp + "/" + name)
    posix.close(posix.open(tmp + "/" + _COMPLETE, posix.O_WRONLY | posix.O_CREAT, 0o600))
    try:
        posix.rename(tmp, directory)
    except OSError:
        _remove_tree(tmp)  # another process made it first
    return directory


def _hash_text(text):
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:32]
