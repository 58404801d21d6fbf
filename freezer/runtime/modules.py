"""The modules of the payload, from its module store (runtime/store.py).

The build carries the whole standard library (see freezer/analyzer/stdlib_inventory.py). What the
analysis saw imported is bytecode in the store; the rest of the stdlib is there as sources
only. This finder, ahead of the path finder, serves both, with what zipimport lacked:
- nothing is parsed at start but the store's index (one marshalled dict), and a module is a
  slice of one mapping: no open, seek or read per import;
- a cold module is compiled on first import with the file name python would show (the build
  machine's stdlib path, from the manifest), and its bytecode kept in the per-user cache,
  keyed by the module's name, source CRC and size, for every later start and every binary
  built from the same CPython; without a usable cache it compiles every time;
- modules run through importlib's `_call_with_frames_removed`, as python's own loaders do,
  so a warning a module raises at import (`stacklevel=2`) points at the importing line, and
  tracebacks of imports are trimmed of the machinery's frames.
`__file__` is what zipimport gave (`BINARY/pkg/mod.pyc`). Data files stay zip entries, read
through zipimport (get_data, importlib.resources); pkgutil.iter_modules is taught the store's
modules in runtime/sources.py. Modules under a package whose `__path__` is elsewhere (an
unpacked tree) are left to the path finder.
"""

import marshal

try:
    import posix
except ImportError:  # Windows: os's functions are nt's there
    import nt as posix
import sys
import zipimport
from _frozen_importlib import ModuleSpec, _call_with_frames_removed

import _freezer_boot

from . import store as fmt

_MAGIC = None


def _magic():
    global _MAGIC
    if _MAGIC is None:
        from _frozen_importlib_external import MAGIC_NUMBER

        _MAGIC = MAGIC_NUMBER
    return _MAGIC


class _ZipView:
    """What importlib.readers.ZipReader asks of a zipimporter: where a package's directory
    is in the archive."""

    def __init__(self, archive, prefix):
        self.archive = archive
        self.prefix = prefix

    def is_package(self, fullname):
        return True  # asked only of packages (get_resource_reader)


class _Relocated:
    """The loader of a store module imported under another name than its own (`vendored`
    from the directory a/_vendored put on sys.path, for the store's a._vendored.vendored):
    the store's loader, asked about the module by the name it is stored under."""

    def __init__(self, finder, stored):
        self.finder = finder
        self.stored = stored

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        _call_with_frames_removed(exec, self.finder.get_code(self.stored), module.__dict__)

    def is_package(self, fullname=None):
        return self.finder.is_package(self.stored)

    def get_filename(self, fullname=None):
        return self.finder.get_filename(self.stored)

    def get_source(self, fullname=None):
        return self.finder.get_source(self.stored)

    def get_code(self, fullname=None):
        return self.finder.get_code(self.stored)

    def get_data(self, path):
        return self.finder.get_data(path)

    def get_resource_reader(self, fullname=None):
        return self.finder.get_resource_reader(self.stored)


class PayloadFinder(zipimport.zipimporter):
    """Meta-path finder and loader for the modules of the store.

    A zipimporter by type (none of whose own methods it uses): its modules' `__file__` is
    inside the binary, as zipimport's are, and code that reads a module's source or stats
    its file tells a module imported from an archive by that type (jedi and parso take the
    archive's mtime, not `os.stat` of `BINARY/json/__init__.pyc`, which fails with ENOTDIR).
    """

    def __init__(self, exe, payload, store, stdlib_dir):
        # zipimporter's own __init__ would read the archive's directory again: not called.
        self.exe = exe
        self.archive = exe  # as zipimport's: 3.9's importlib.resources reads the zip by it
        self.prefix = ""  # the archive's root, as zipimport names it
        self._files = {}
        self.payload = payload  # the binary's zip entries: its data files
        self.store = store
        self.stdlib_dir = stdlib_dir  # the build machine's, for co_filename
        self.cache = None  # the bytecode directory, once known ("" if unusable)

    def find_spec(self, fullname, path=None, target=None):
        """The store's module for `fullname`, found as the path finder finds a module: in
        the entries of `path` (a package's __path__) or of sys.path, in their order.

        The store is laid out as the binary's directory tree: the entry BINARY stands for
        its top-level modules, BINARY/a/b for the modules of a.b. So a directory of the
        binary put on sys.path (a package's vendored copies, `sys.path.insert(0,
        os.path.join(os.path.dirname(__file__), "_vendored"))`) serves its modules under
        their top-level names, ahead of the binary's own when put ahead of it, as python
        finds them; and a package's __path__ may name another directory of the binary."""
        last = fullname.rpartition(".")[2]
        if path is None:
            if "." in fullname:
                # A submodule asked for without its package's path (a meta-path finder
                # called by hand): the store's module of that name, as before.
                return self._spec(fullname, fullname.rpartition(".")[0].replace(".", "/"),
                                  last)
            return self._find_top_level(fullname, last)
        inside = self.exe + "/"
        for entry in path:
            if isinstance(entry, str) and entry.startswith(inside):
                spec = self._spec(fullname, entry[len(inside):], last)
                if spec is not None:
                    return spec
        return None  # a package served from elsewhere (an unpacked tree)

    def _find_top_level(self, fullname, last):
        entries = sys.path
        if not entries:
            return self._spec(fullname, "", last)
        if entries[0] == self.exe:  # the usual sys.path, [binary]: one lookup
            spec = self._spec(fullname, "", last)
            if spec is not None or len(entries) == 1:
                return spec
        inside = self.exe + "/"
        passed = False
        for entry in list(entries):
            if not isinstance(entry, str):
                continue
            if entry == self.exe:
                passed = True
                spec = self._spec(fullname, "", last)
            elif entry.startswith(inside):
                spec = self._spec(fullname, entry[len(inside):], last)
            elif not passed:
                # A directory ahead of the binary: python would find the module there first.
                from _frozen_importlib_external import PathFinder

                spec = PathFinder._get_spec(fullname, [entry])
                if spec is not None and spec.loader is None:
                    # A portion of a namespace package: a module or package found later
                    # still wins; else the path finder, next, gathers every portion.
                    continue
            else:
                continue  # after the binary: the path finder, which comes next, looks there
            if spec is not None:
                return spec
        return None if passed else self._spec(fullname, "", last)

    def _spec(self, fullname, directory, last):
        """The spec of the module `last` in the binary's `directory` ("" or "a/b"), named
        `fullname`; None if the store has no such module."""
        directory = directory.strip("/")
        stored = directory.replace("/", ".") + "." + last if directory else last
        info = self.store.lookup(stored)
        if info is None:
            return None
        loader = self if stored == fullname else _Relocated(self, stored)
        package = bool(info[fmt.FLAGS] & fmt.PACKAGE)
        spec = ModuleSpec(fullname, loader, origin=self.exe + "/" + fmt.archive_name(stored, info),
                          is_package=package)
        spec.has_location = True
        if package:
            spec.submodule_search_locations = [self.exe + "/" + stored.replace(".", "/")]
        return spec

    def invalidate_caches(self):
        """Nothing to forget: the store never changes (zipimport's would read the binary's
        directory again, on every importlib.invalidate_caches())."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # As importlib's loaders do: the frames up to here are trimmed from tracebacks.
        _call_with_frames_removed(exec, self.get_code(module.__spec__.name), module.__dict__)

    # What zipimport would answer for the same module.
    def is_package(self, fullname):
        info = self._info(fullname)
        return bool(info[fmt.FLAGS] & fmt.PACKAGE)

    def get_filename(self, fullname):
        return self.exe + "/" + fmt.archive_name(fullname, self._info(fullname))

    def get_source(self, fullname):
        data = self.store.source(self._info(fullname))
        if data is None:
            return None  # built with --no-sources
        from _frozen_importlib_external import decode_source

        return decode_source(data)

    def get_data(self, path):
        """A store module's source by its path (as python reads a .py beside its module), or
        any other file of the payload."""
        inside = self.exe + "/"
        if isinstance(path, str) and path.startswith(inside) and path.endswith(".py"):
            relative = path[len(inside):-3]
            package = relative.endswith("/__init__")
            name = relative[:-9] if package else relative
            info = self.store.lookup(name.replace("/", "."))
            if info is not None and bool(info[fmt.FLAGS] & fmt.PACKAGE) == package:
                data = self.store.source(info)
                if data is not None:
                    return data
        return self.payload.zip().get_data(path)

    def get_resource_reader(self, fullname):
        """The stdlib's reader of the package's directory in the zip (its data files)."""
        if not self.is_package(fullname):
            return None
        parent = fullname.rpartition(".")[0]
        view = _ZipView(self.exe, parent.replace(".", "/") + "/" if parent else "")
        if sys.version_info >= (3, 10):
            from importlib.readers import ZipReader

            return ZipReader(view, fullname)
        import zipimport

        # 3.9's reader reads through a zipimporter of the package's parent directory.
        return zipimport._ZipImportResourceReader(self.payload.zip(view.prefix), fullname)

    def _info(self, fullname):
        info = self.store.lookup(fullname)
        if info is None:
            raise ImportError(f"cannot find module {fullname!r}", name=fullname)
        return info

    def get_code(self, fullname):
        info = self._info(fullname)
        body = self.store.bytecode(info)
        if body is not None:
            try:
                return marshal.loads(body)
            except (EOFError, ValueError, TypeError):
                raise ImportError(f"freezer: {self.exe}: damaged executable (bad bytecode "
                                  f"of {fullname})", name=fullname) from None
        archive = fmt.archive_name(fullname, info)
        cached = self._cached_path(fullname, info)
        if cached:
            try:
                data = _read(cached)
                body = memoryview(data)[16:]
                if data[:8] == _magic() + b"\0\0\0\0" and data[8:16] == _checksum(body):
                    return marshal.loads(body)
            except (OSError, ValueError, EOFError, TypeError):
                pass
        source = self.store.source(info)
        code = compile(source, self.stdlib_dir + "/" + archive, "exec", dont_inherit=True)
        if cached:
            body = marshal.dumps(code)
            _write(cached, _magic() + b"\0\0\0\0" + _checksum(body) + body)
        return code

    def _cached_path(self, fullname, info):
        if self.cache is None:
            try:
                from . import trees

                folder = trees.cache_root() + "/pyc/" + _magic().hex()
                trees.private_dir(folder)
                trees.mark_used(folder)
                self.cache = folder
            except (OSError, ImportError):
                self.cache = ""
        if not self.cache:
            return ""
        # The name zipimport's archive entry gave it before the store: the same cache files.
        archive = fmt.archive_name(fullname, info)
        return (f"{self.cache}/{archive.replace('/', '.')}-{info[fmt.SOURCE_CRC]:08x}-"
                f"{info[fmt.SOURCE_LENGTH]}.pyc")


def _checksum(body):
    """8 bytes that any change to the cached bytecode changes (importlib's keyed hash of
    hash-based pycs, built in): a damaged cache file is compiled again, never run."""
    import _imp

    return _imp.source_hash(0x46525a31, body)


def _read(path):
    """A cached file's bytes, only if it is a regular file of ours no one else can write
    (never through a symbolic link): the cache's one rule for files, in trees.py."""
    from .trees import open_private

    fd = open_private(path, posix.O_RDONLY)
    try:
        chunks = []
        while True:
            chunk = posix.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        posix.close(fd)


def _write(path, data):
    """Atomically, and silently not at all where the cache cannot be written."""
    tmp = f"{path}.{posix.urandom(6).hex()}.tmp"
    try:
        fd = posix.open(tmp, posix.O_WRONLY | posix.O_CREAT | posix.O_EXCL | posix.O_CLOEXEC,
                        0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[posix.write(fd, view):]
        finally:
            posix.close(fd)
        posix.rename(tmp, path)
    except OSError:
        try:
            posix.unlink(tmp)
        except OSError:
            pass


def install(exe, payload, manifest):
    from .natives import insert_finder

    store = fmt.Store(manifest.store, payload.locate, _freezer_boot.map)
    return insert_finder(PayloadFinder(exe, payload, store, manifest.stdlib_dir))
