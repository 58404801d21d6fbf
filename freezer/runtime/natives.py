"""Extension modules and shared libraries of the payload, loaded with what they need first.

The build stores native files zstd-packed (see plan.py): the bootloader's decompressor
(`_freezer_boot.unpack`) writes each once into the per-user content-addressed cache, where
every later start dlopens it at no cost, and into a memfd where the cache cannot be written
(the program then runs from memory, nothing written to disk). Copying 10 MB of natives into
memfds on every start cost a requests+rich+click program 15-20 ms; packing them also takes
the binary from 26 to 19 MB.

Entries stored as they are (size 0 in the manifest) are copied with `sendfile` into a memfd
and dlopened as /proc/self/fd/N; the memfds stay open for the life of the process, since
glibc matches dlopen paths as strings and a reused fd number would hand back the old library.
Where memfd is not allowed (no memfd_create, `vm.memfd_noexec`, or FREEZER_NO_MEMFD=1) they
are written once to the cache instead.
"""

import _imp
import posix
import sys
from _frozen_importlib import ModuleSpec

import _freezer_boot

_O_RDONLY = 0
_LOCAL_HEADER = 30


class _Payload:
    """Raw access to stored entries of the binary's zip, by name."""

    def __init__(self, exe, importer):
        self.exe = exe
        self.importer = importer
        self.fd = -1

    def locate(self, entry):
        """(offset, size) of a stored entry's bytes within the binary."""
        get_files = getattr(self.importer, "_get_files", None)  # 3.13+
        info = (get_files() if get_files else self.importer._files)[entry]
        # (path, compress, data_size, file_size, header_offset, time, date, crc)
        if info[1] != 0:
            raise ImportError(f"freezer: native entry {entry} is compressed")
        if self.fd < 0:
            self.fd = posix.open(self.exe, _O_RDONLY | posix.O_CLOEXEC)
        header = posix.pread(self.fd, _LOCAL_HEADER, info[4])
        if len(header) != _LOCAL_HEADER or header[:4] != b"PK\x03\x04":
            raise ImportError(f"freezer: damaged executable (bad entry {entry})")
        name_len = int.from_bytes(header[26:28], "little")
        extra_len = int.from_bytes(header[28:30], "little")
        return info[4] + _LOCAL_HEADER + name_len + extra_len, info[3]

    def copy_to(self, fd, entry):
        offset, size = self.locate(entry)
        while size > 0:
            sent = posix.sendfile(fd, self.fd, offset, size)
            if sent <= 0:
                raise OSError("short copy of " + entry)
            offset += sent
            size -= sent


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
        import pwd

        home = pwd.getpwuid(posix.getuid()).pw_dir
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


def _memfd_refused(path, error):
    """Did dlopen fail because the kernel will not map a memfd executable?"""
    text = str(error)
    return path.startswith("/proc/self/fd/") and (
        "map segment" in text or "not permitted" in text or "denied" in text)


class NativeLoader:
    """Turns payload entries into paths dlopen accepts, each native file once per process."""

    def __init__(self, payload, manifest):
        self.payload = payload
        self.manifest = manifest
        self.use_memfd = _env("FREEZER_NO_MEMFD") != "1" and hasattr(posix, "memfd_create")
        self.fds = []
        self.loaded = set()

    def path_for(self, entry, sha256, name, size=0):
        if size:
            # zstd-packed: the bootloader unpacks it into the cache once (a memfd where the
            # cache cannot be written), as it does libpython; warm starts only dlopen it.
            offset, packed = self.payload.locate(entry)
            return _freezer_boot.unpack(offset, packed, size, sha256, name)
        if self.use_memfd:
            try:
                fd = posix.memfd_create(name, posix.MFD_CLOEXEC)
            except OSError:
                self.use_memfd = False
            else:
                self.fds.append(fd)
                self.payload.copy_to(fd, entry)
                return f"/proc/self/fd/{fd}"
        return self.cached(entry, sha256, name)

    def cached(self, entry, sha256, name):
        """The file in the content-addressed cache, written once, atomically."""
        directory = cache_root() + "/native/" + sha256
        path = directory + "/" + name
        size = self.payload.locate(entry)[1]
        try:
            if posix.stat(path).st_size == size:
                return path
        except OSError:
            pass
        private_dir(directory)
        # Random, not the pid: in a pid namespace every racing first run may be pid 2.
        tmp = f"{directory}/.{name}.{posix.urandom(8).hex()}.tmp"
        fd = posix.open(tmp, posix.O_WRONLY | posix.O_CREAT | posix.O_EXCL | posix.O_CLOEXEC,
                        0o700)
        try:
            self.payload.copy_to(fd, entry)
        except BaseException:
            posix.close(fd)
            posix.unlink(tmp)
            raise
        posix.close(fd)
        posix.rename(tmp, path)
        return path

    def load_library(self, soname):
        if soname in self.loaded:
            return
        entry, sha256, size = self.manifest.libraries[soname]
        path = self.path_for(entry, sha256, soname, size)
        try:
            _freezer_boot.dlopen(path)
        except ImportError as e:
            if size or not _memfd_refused(path, e):
                raise  # a packed file is in a memfd only when the cache is not writable
            # A memfd the kernel will not map executable: use the cache from now on.
            self.use_memfd = False
            _freezer_boot.dlopen(self.cached(entry, sha256, soname))
        self.loaded.add(soname)


class ExtensionFinder:
    """Meta-path finder for the extension modules in the payload."""

    def __init__(self, exe, loader):
        self.exe = exe
        self.loader = loader

    def find_spec(self, fullname, path=None, target=None):
        info = self.loader.manifest.extensions.get(fullname)
        if info is None:
            return None
        spec = ModuleSpec(fullname, self, origin=self.exe + "/" + info[0])
        spec.has_location = True
        return spec

    def create_module(self, spec):
        entry, sha256, libs, size = self.loader.manifest.extensions[spec.name]
        for soname in libs:
            self.loader.load_library(soname)
        name = entry.rpartition("/")[2]
        path = self.loader.path_for(entry, sha256, name, size)
        try:
            return _imp.create_dynamic(ModuleSpec(spec.name, self, origin=path))
        except ImportError as e:
            if size or not _memfd_refused(path, e):
                raise
            self.loader.use_memfd = False
            cached = self.loader.cached(entry, sha256, name)
            return _imp.create_dynamic(ModuleSpec(spec.name, self, origin=cached))

    def exec_module(self, module):
        _imp.exec_dynamic(module)


def install(exe, importer, manifest):
    """Put the extension finder ahead of the path-based finders."""
    finder = ExtensionFinder(exe, NativeLoader(_Payload(exe, importer), manifest))
    position = len(sys.meta_path)
    for i, f in enumerate(sys.meta_path):
        if getattr(f, "__name__", "") == "PathFinder":
            position = i
            break
    sys.meta_path.insert(position, finder)
    return finder
