"""Distributions that need real files, unpacked once into the content-addressed cache.

Third-party distributions, and packages of the program's with data files, may open files beside
their own `__file__` (the build decides which, see freezer/analyzer/file_rules.py): their
modules, data and vendored libraries are written on first import to <cache>/tree/<key>/, laid
out as in site-packages, and imported from there by the path-based finder. The key is a hash of the
entries, so every later run, and every binary carrying the same distribution, finds the tree
complete and pays one stat. Their metadata stays in the payload, where importlib.metadata
finds all distributions alike.

Where the cache cannot be used (none, read-only, full, not private, or a program started
with elevated privileges), trees go to a private temporary directory removed at exit.
"""

try:
    import posix
except ImportError:  # Windows: os's functions are nt's there
    import nt as posix
import zipimport

import _freezer_boot

from . import natives

_COMPLETE = ".complete"
_MARK = "freezer tree 1"  # the completion mark's first line: its format
_S_IFMT, _S_IFDIR, _S_IFREG = 0o170000, 0o040000, 0o100000


def cache_root():
    """The per-user cache root, as the bootloader found and checked it (the one rule for
    where it is, and whether it can be trusted: boot.c)."""
    try:
        return _freezer_boot.cache_root()
    except OSError as e:
        raise ImportError(f"freezer: no usable cache ({e})") from None


def _private(st, kind):
    """Ours, of the right kind, and writable by no one else (lstat: a link is not a dir)."""
    return (st.st_mode & _S_IFMT == kind and st.st_uid == posix.geteuid()
            and not st.st_mode & 0o022)


def private_dir(path):
    """Create `path` mode 0700 below the checked cache root (see _make_private)."""
    _make_private(cache_root(), path)


def _make_private(base, path):
    """Create `path` mode 0700 below the checked directory `base`, refusing any directory on
    the way that is a symbolic link, or that another user owns or could change."""
    if not path.startswith(base + "/"):
        raise ImportError(f"freezer: {path} is outside {base}")
    d = base
    for part in path[len(base) + 1:].split("/"):
        d += "/" + part
        try:
            posix.mkdir(d, 0o700)
        except FileExistsError:
            pass
        if not _private(posix.lstat(d), _S_IFDIR):
            raise ImportError(f"freezer: cache directory {d} is not private to this user")


def _identity(st):
    """What any change to a file changes (its ctime cannot be set back), as one line's
    fields: a tree's files are checked against these on every start, at one lstat each."""
    return f"{st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}"


def _complete(directory):
    """A tree made by us and unchanged since: a private directory whose completion mark,
    ours, lists every file with the identity it had when written."""
    try:
        if not _private(posix.lstat(directory), _S_IFDIR):
            return False
        with open(directory + "/" + _COMPLETE, "rb", opener=open_private) as f:
            lines = f.read().decode("utf-8", "surrogateescape").splitlines()
        if not lines or lines[0] != _MARK:
            return False  # not written by this version
        for line in lines[1:]:
            fields = line.split(" ", 5)
            st = posix.lstat(directory + "/" + fields[5])
            if not _private(st, _S_IFREG) or _identity(st) != " ".join(fields[:5]):
                return False
        return True
    except (OSError, IndexError):
        return False


def open_private(path, flags):
    """An opener that refuses a link, and a file not ours or that others may write."""
    fd = posix.open(path, flags | posix.O_NOFOLLOW | posix.O_CLOEXEC)
    if not _private(posix.fstat(fd), _S_IFREG):
        posix.close(fd)
        raise OSError(f"{path} is not a private file")
    return fd


_scratch = []


def tree_base():
    """Where trees go: the cache, else a private temporary directory (scratch_base)."""
    try:
        root = cache_root()
        _make_private(root, root + "/tree")
        return root
    except (OSError, ImportError):
        return scratch_base()


def scratch_base():
    """A private temporary directory of this process, made on first use and removed at exit
    (a killed run's is removed by a later one)."""
    if not _scratch:
        tmp = (posix.environ.get(b"TMPDIR") or b"/tmp").decode("utf-8", "surrogateescape")
        prefix = f"freezer-{posix.geteuid()}-"
        _sweep_scratch(tmp, prefix)
        path = f"{tmp}/{prefix}{posix.getpid()}-{posix.urandom(6).hex()}"
        posix.mkdir(path, 0o700)  # fails if anything is there: never someone else's
        _make_private(path, path + "/tree")
        import atexit

        atexit.register(_remove_tree, path)
        _scratch.append(path)
    return _scratch[0]


def _sweep_scratch(tmp, prefix):
    """Remove the temporary directories of our runs whose process is gone."""
    try:
        entries = list(posix.scandir(tmp))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        try:
            pid = int(entry.name[len(prefix):].split("-")[0])
            if not _private(entry.stat(follow_symlinks=False), _S_IFDIR) or _alive(pid):
                continue
            _remove_tree(entry.path)
        except (ValueError, OSError):
            continue


def _alive(pid):
    try:
        posix.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process (EPERM): alive
    return True


def site_entry(exe):
    """The entry of sys.path that stands where python's site-packages would: the
    distributions' top-level names are found there, after every entry ahead of it.

    A name inside the binary, which is a file, so no directory of that name can exist and
    no path finder finds anything there (zipimport sees an empty directory of the zip)."""
    return exe + "/site-packages"


class TreeFinder:
    """Meta-path finder for the top-level names of unpacked distributions.

    It stands for site-packages, which python searches after the entries ahead of it on
    sys.path: a module of that name in a directory the program put there first is the one
    python imports (cv2's loader puts its own directory on sys.path and imports its
    extension module `cv2` from there, in place of the `cv2` package)."""

    def __init__(self, importer, manifest, natives=None):
        self.site = site_entry(importer.archive)
        self.importer = importer
        self.trees = manifest.trees  # key -> [entry names]
        self.owner = manifest.tree_names  # top-level name -> key
        self.shared = manifest.tree_shared  # top-level name -> keys, for several trees
        self.libs = manifest.tree_libs  # key -> [sonames] its extensions need from outside
        self.natives = natives  # natives.NativeLoader
        self.ready = {}  # key -> directory

    def find_spec(self, fullname, path=None, target=None):
        if "." in fullname:
            return None  # submodules: found by the path finder under the parent's __path__
        key = self.owner.get(fullname)
        if key is None:
            return None
        ahead = self._ahead_of_site()
        if ahead:
            from _frozen_importlib_external import PathFinder

            spec = PathFinder.find_spec(fullname, ahead)
            if spec is not None:
                return spec
        # A name several distributions install into (a namespace package: sphinxcontrib,
        # google) is searched for in each of their trees, as python finds each one's
        # portion in the one site-packages directory.
        keys = self.shared.get(fullname) or [key]
        try:
            directories = [self.ready.get(k) or self.unpack(k) for k in keys]
        except (OSError, ImportError):
            # No usable cache (read-only, full, not private, no home): the payload's own
            # copy then serves its pure-Python modules (zipimport compiles their sources).
            self.owner = {k: v for k, v in self.owner.items() if v not in keys}
            self.shared = {k: v for k, v in self.shared.items() if k != fullname}
            return None
        from _frozen_importlib_external import PathFinder

        _hook_trees(directories[0].rpartition("/")[0] + "/")
        spec = PathFinder.find_spec(fullname, directories)
        locations = getattr(spec, "submodule_search_locations", None)
        if hasattr(locations, "_path_finder"):
            # A namespace package: its path is computed again from sys.path (the binary)
            # when sys.path changes or importlib.invalidate_caches() runs, and would then
            # name the payload's directory, not its trees'. Under python it is found again
            # where it lives, so here it is looked for in the trees.
            locations._path_finder = lambda name, parent: PathFinder._get_spec(name,
                                                                                directories)
        return spec

    def _ahead_of_site(self):
        """The entries that the program put on sys.path ahead of site_entry (none if it is
        not there: the program made its own sys.path). The binary itself is not searched
        again: its modules were the analysis's, which left these names to the trees."""
        import sys

        path = sys.path
        if len(path) < 2 or path[1] == self.site:
            return []  # as at start: nothing ahead but the binary
        try:
            end = path.index(self.site)
        except ValueError:
            return []
        return [p for p in path[:end] if p != self.importer.archive and isinstance(p, str)]

    def unpack(self, key):
        directory = self._unpacked(key, tree_base())
        if self.natives is not None:
            # Libraries from outside the distribution: not where its run paths point, so
            # loaded (from the payload) before any of its extension modules.
            for soname in self.libs.get(key, ()):
                self.natives.load_library(soname)
        self.ready[key] = directory
        return directory

    def _unpacked(self, key, base):
        """The tree's directory under `base`, written if need be; in the scratch directory
        when the cache's copy is not ours (swapped, another user's) or cannot be written."""
        directory = base + "/tree/" + key
        if _complete(directory):
            mark_used(directory)
            return directory
        try:
            _discard_ours(directory)  # changed since it was written: written again
            self._write(key, directory)
        except (OSError, ImportError):
            if base in _scratch:
                raise
            return self._unpacked(key, scratch_base())
        return directory

    def _write(self, key, directory):
        parent = directory.rpartition("/")[0]
        _sweep_stale(parent)
        # Random, not the pid: in a pid namespace every racing first run may be pid 2.
        tmp = f"{parent}/{_TMP}{key}.{posix.urandom(8).hex()}"
        posix.mkdir(tmp, 0o700)
        try:
            self._fill(key, tmp)
        except BaseException:
            _remove_tree(tmp)  # a full disk or a signal leaves no half-written tree behind
            raise
        try:
            posix.rename(tmp, directory)
        except OSError:
            # Another process finished first (the directory exists and is not empty), or
            # what is there is not ours: then this tree cannot be used.
            _remove_tree(tmp)
            if not _complete(directory):
                raise ImportError(f"freezer: cache directory {directory} is not usable") from None

    def _fill(self, key, tmp):
        """Every entry of the tree `key`, written into the directory `tmp`."""
        made = {tmp}
        written = []
        for entry in self.trees[key]:
            if "\n" in entry:
                continue  # cannot be listed in the completion mark: read from the payload
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
                written.append(f"{_identity(posix.fstat(fd))} {entry}\n")
            finally:
                posix.close(fd)
        _write_mark(tmp, "".join(written))


def _write_mark(directory, text):
    fd = posix.open(directory + "/" + _COMPLETE,
                    posix.O_WRONLY | posix.O_CREAT | posix.O_EXCL | posix.O_CLOEXEC, 0o600)
    try:
        view = memoryview(f"{_MARK}\n{text}".encode("utf-8", "surrogateescape"))
        while view:
            view = view[posix.write(fd, view):]
    finally:
        posix.close(fd)


def _discard_ours(directory):
    """Move a directory of ours out of the way (then remove it); leave anything else alone."""
    try:
        if not _private(posix.lstat(directory), _S_IFDIR):
            return
    except OSError:
        return
    parent = directory.rpartition("/")[0]
    aside = f"{parent}/{_TMP}{posix.urandom(8).hex()}"
    posix.rename(directory, aside)
    _remove_tree(aside)


_TMP = ".freezer-tmp-"
_STALE_SECONDS = 600


# The last-use mark that `freeze cache prune` reads: a cache directory's mtime, moved to now
# once it is a day old (as boot.c does for native/ and verified/). A directory's mtime is no
# part of any identity the cache checks, and a warm start pays one stat for it.
MARK_SECONDS = 86400


def mark_used(directory):
    import time

    try:
        if time.time() - posix.stat(directory, follow_symlinks=False).st_mtime >= MARK_SECONDS:
            posix.utime(directory, follow_symlinks=False)
    except OSError:
        pass  # a mark is best effort: a read-only cache still serves


def _sweep_stale(parent):
    """Remove the temp trees of runs killed half-way, once no live run can be writing them."""
    import time

    now = time.time()
    for entry in posix.scandir(parent):
        if entry.name.startswith(_TMP):
            st = entry.stat(follow_symlinks=False)
            if _private(st, _S_IFDIR) and now - st.st_mtime > _STALE_SECONDS:
                try:
                    _remove_tree(entry.path)
                except OSError:
                    pass


_hooked = []


def _hook_trees(prefix):
    """Have the path finder load every directory under `prefix` with the trees' loaders."""
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

    # Python's own SourceFileLoader, not a subclass: code keys on the exact type of a
    # module's loader (distlib's resource finders are a dict by type(loader); importlib_
    # resources keeps a path-based reader for the standard library's loaders). Its get_code
    # loads a tree module's bytecode as it would, but keeps the file name the module was
    # compiled with (the build machine's, as python's own tracebacks show it); linecache
    # then reads the source through the loader, from the tree. Subclasses (an import hook's
    # loader that compiles sources its own way) and every other directory keep python's.
    original = SourceFileLoader.get_code

    def get_code(self, fullname):
        path = self.path
        if type(self) is SourceFileLoader and isinstance(path, str) \
                and path.startswith(prefix):
            try:
                data = self.get_data(cache_from_source(path))
            except OSError:
                pass
            else:
                import marshal

                return marshal.loads(memoryview(data)[16:])
        return original(self, fullname)

    get_code.__doc__ = original.__doc__
    SourceFileLoader.get_code = get_code
    details = ((ExtensionFileLoader, _imp.extension_suffixes()), (SourceFileLoader, [".py"]),
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
    import sys

    sys.path.append(finder.site)
    global _installed
    _installed = finder
    return finder


def run_pth_files(finder):
    """The `import` lines of the bundled distributions' .pth files, run at start as site
    runs them for python (in the order of their names): setuptools' distutils-precedence.pth
    installs the finder that serves `distutils`. Old-style namespace packages' `-nspkg.pth`
    are left out: the trees serve those packages (see TreeFinder). A line that raises is
    reported as site reports it, and the others still run."""
    found = sorted((entry, key) for key, entries in finder.trees.items() for entry in entries
                   if "/" not in entry and entry.endswith(".pth")
                   and not entry.endswith("-nspkg.pth"))
    for entry, _ in found:
        try:
            text = finder.importer.get_data(entry).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if line.startswith(("import ", "import\t")):
                try:
                    exec(line, {"__builtins__": __builtins__})
                except Exception:
                    import sys
                    import traceback

                    print(f"Error processing line {number} of {finder.site}/{entry}:\n",
                          file=sys.stderr)
                    for record in traceback.format_exception(*sys.exc_info()):
                        for piece in record.splitlines():
                            print("  " + piece, file=sys.stderr)
                    print("\nRemainder of file ignored", file=sys.stderr)
                    break


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
    base = tree_base()
    directory = base + "/root/" + _hash_text(",".join(keys))
    if _complete(directory):
        return directory
    links = {}
    for key in keys:
        tree = finder.unpack(key)
        for entry in posix.listdir(tree):
            if entry not in (_COMPLETE, "__pycache__"):
                links.setdefault(entry, tree + "/" + entry)
    parent = directory.rpartition("/")[0]
    _make_private(base, parent)
    tmp = f"{parent}/{_TMP}{posix.urandom(8).hex()}"
    posix.mkdir(tmp, 0o700)
    for name, target in sorted(links.items()):
        posix.symlink(target, tmp + "/" + name)
    _write_mark(tmp, "")  # links only: only their owner, this user, can change them
    try:
        posix.rename(tmp, directory)
    except OSError:
        _remove_tree(tmp)  # another process made it first
    return directory


def _hash_text(text):
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:32]
