"""The modules of the payload: bytecode (the hot set) and sources only (the cold set).

The build carries the whole standard library (see freezer/stdlib_inventory.py). What the
analysis saw imported is bytecode in the payload; the rest of the stdlib is there as sources
only, side by side with it. This finder, ahead of the path finder, serves both, with what
zipimport lacks:
- a cold module is compiled on first import with the file name python would show (the build
  machine's stdlib path, from the manifest), and its bytecode kept in the per-user cache,
  keyed by the entry's name, CRC and size, for every later start and every binary built from
  the same CPython (zipimport compiled `import asyncio` on every start: 1.4 s); without a
  usable cache it compiles every time;
- modules run through importlib's `_call_with_frames_removed`, as python's own loaders do,
  so a warning a module raises at import (`stacklevel=2`) points at the importing line, and
  tracebacks of imports are trimmed of the machinery's frames.
Directories of the payload stay zipimport's (pkgutil.iter_modules, namespace packages), and
so do the modules under a package whose `__path__` is elsewhere (an unpacked tree).
"""

import marshal
import posix
from _frozen_importlib import ModuleSpec, _call_with_frames_removed

_MAGIC = None


def _magic():
    global _MAGIC
    if _MAGIC is None:
        from _frozen_importlib_external import MAGIC_NUMBER

        _MAGIC = MAGIC_NUMBER
    return _MAGIC


class PayloadFinder:
    """Meta-path finder and loader for the payload's modules."""

    def __init__(self, exe, importer, stdlib_dir):
        self.exe = exe
        self.importer = importer  # zipimporter of the binary
        self.stdlib_dir = stdlib_dir  # the build machine's, for co_filename
        get_files = getattr(importer, "_get_files", None)  # 3.13+
        self.files = get_files() if get_files else importer._files
        self.cache = None  # the bytecode directory, once known ("" if unusable)

    def _entry(self, fullname):
        """(archive name, is package) of a module in the payload: its bytecode, or its
        source where it has none (cold); None if it is not there."""
        base = fullname.replace(".", "/")
        files = self.files
        for archive, package in ((base + "/__init__.pyc", True), (base + "/__init__.py", True),
                                 (base + ".pyc", False), (base + ".py", False)):
            if archive in files:
                return archive, package
        return None

    def find_spec(self, fullname, path=None, target=None):
        if path is not None:
            inside = self.exe + "/"
            if not any(isinstance(p, str) and p.startswith(inside) for p in path):
                return None  # a package served from elsewhere (an unpacked tree)
        found = self._entry(fullname)
        if found is None:
            return None
        archive, package = found
        spec = ModuleSpec(fullname, self, origin=self.exe + "/" + archive, is_package=package)
        spec.has_location = True
        if package:
            spec.submodule_search_locations = [self.exe + "/" + archive.rpartition("/")[0]]
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # As importlib's loaders do: the frames up to here are trimmed from tracebacks.
        _call_with_frames_removed(exec, self.get_code(module.__spec__.name), module.__dict__)

    # What zipimport would answer for the same module.
    def is_package(self, fullname):
        found = self._entry(fullname)
        return bool(found and found[1])

    def get_filename(self, fullname):
        return self.exe + "/" + self._entry(fullname)[0]

    def get_source(self, fullname):
        found = self._entry(fullname)
        if found is None:
            return None
        source = found[0][:-1] if found[0].endswith(".pyc") else found[0]
        if source not in self.files:
            return None  # built with --no-sources
        from _frozen_importlib_external import decode_source

        return decode_source(self.importer.get_data(source))

    def get_data(self, path):
        return self.importer.get_data(path)

    def get_resource_reader(self, fullname):
        return self.importer.get_resource_reader(fullname)

    def get_code(self, fullname):
        archive = self._entry(fullname)[0]
        if archive.endswith(".pyc"):
            data = self.importer.get_data(archive)
            if data[:4] != _magic():
                raise ImportError(f"freezer: {self.exe}: damaged executable (bad bytecode "
                                  f"in {archive})", name=fullname)
            return marshal.loads(memoryview(data)[16:])
        info = self.files[archive]  # (path, compress, data size, file size, offset, ...)
        cached = self._cached_path(archive, info)
        if cached:
            try:
                data = _read(cached)
                body = memoryview(data)[16:]
                if data[:8] == _magic() + b"\0\0\0\0" and data[8:16] == _checksum(body):
                    return marshal.loads(body)
            except (OSError, ValueError, EOFError, TypeError):
                pass
        source = self.importer.get_data(archive)
        code = compile(source, self.stdlib_dir + "/" + archive, "exec", dont_inherit=True)
        if cached:
            body = marshal.dumps(code)
            _write(cached, _magic() + b"\0\0\0\0" + _checksum(body) + body)
        return code

    def _cached_path(self, archive, info):
        if self.cache is None:
            try:
                from . import trees

                folder = trees.cache_root() + "/pyc/" + _magic().hex()
                trees.private_dir(folder)
                self.cache = folder
            except (OSError, ImportError):
                self.cache = ""
        if not self.cache:
            return ""
        crc = info[7] if len(info) > 7 else 0
        return f"{self.cache}/{archive.replace('/', '.')}-{crc:08x}-{info[3]}.pyc"


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


def install(exe, importer, stdlib_dir):
    from .natives import insert_finder

    return insert_finder(PayloadFinder(exe, importer, stdlib_dir))
