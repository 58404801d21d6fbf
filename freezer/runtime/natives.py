"""Extension modules and shared libraries of the payload, loaded with what they need first.

The build stores native files zstd-packed (see plan.py): the bootloader's decompressor
(`_freezer_boot.unpack`) writes each once into the per-user content-addressed cache, where
every later start dlopens it at no cost, and into a memfd where the cache cannot be written
(the program then runs from memory, nothing written to disk; FREEZER_NO_MEMFD=1 forbids
that). Copying 10 MB of natives into memfds on every start cost a requests+rich+click program
15-20 ms; packing them also takes the binary from 26 to 19 MB.
"""

import _imp
import sys
from _frozen_importlib import ModuleSpec, _call_with_frames_removed

import _freezer_boot

_LOCAL_HEADER = 30


class Payload:
    """Entries of the binary's zip, by name: located through the bootloader (one read of
    the central directory, in C), read with pread; zipimport only for what it must inflate
    (data files, on first use)."""

    def __init__(self, exe):
        self.exe = exe
        self._zips = {}

    def zip(self, prefix=""):
        """zipimport's importer of the binary, or of the directory `prefix` ("pkg/sub/")
        in it: its data files, its deflated entries. Made on first use, not at start (its
        directory of the archive costs ~12 us an entry)."""
        importer = self._zips.get(prefix)
        if importer is None:
            import zipimport

            path = self.exe + "/" + prefix.rstrip("/") if prefix else self.exe
            try:
                importer = zipimport.zipimporter(path)
            except zipimport.ZipImportError:
                importer = self._detached(zipimport, prefix)
            if not prefix:
                sys.path_importer_cache.setdefault(self.exe, importer)
            self._zips[prefix] = importer
        return importer

    def _detached(self, zipimport, prefix):
        """The importer zipimport would make, for a binary deleted since it started:
        zipimport looks for the archive with stat before it reads it (through io.open_code,
        which the bootloader turns into the descriptor of the file checked at start)."""
        cls = zipimport.zipimporter
        importer = cls.__new__(cls)
        importer.archive = self.exe
        importer.prefix = prefix
        files = zipimport._zip_directory_cache.get(self.exe)
        if files is None:
            files = zipimport._zip_directory_cache[self.exe] = zipimport._read_directory(self.exe)
        if not hasattr(cls, "_get_files"):  # before 3.13 the importer keeps its own
            importer._files = files
        return importer

    def locate(self, entry):
        """(offset, size) of a stored entry's bytes within the binary."""
        try:
            offset, size, method = _freezer_boot.locate(entry)
        except NotImplementedError:  # a zip64 archive: zipimport knows those
            return self._locate_by_zipimport(entry)
        except KeyError:
            raise ImportError(f"freezer: {self.exe}: damaged executable (no entry {entry})",
                              name=entry) from None
        except ValueError as e:
            raise ImportError(f"freezer: {self.exe}: damaged executable ({e})") from None
        if method != 0:
            raise ImportError(f"freezer: native entry {entry} is compressed")
        return offset, size

    def read(self, entry):
        """The bytes of a stored entry (the manifest, the main code)."""
        return _freezer_boot.read(*self.locate(entry))

    def _locate_by_zipimport(self, entry):
        importer = self.zip()
        get_files = getattr(importer, "_get_files", None)  # 3.13+
        info = (get_files() if get_files else importer._files)[entry]
        # (path, compress, data_size, file_size, header_offset, time, date, crc)
        if info[1] != 0:
            raise ImportError(f"freezer: native entry {entry} is compressed")
        header = _freezer_boot.read(info[4], _LOCAL_HEADER)
        if header[:4] != b"PK\x03\x04":
            raise ImportError(f"freezer: damaged executable (bad entry {entry})")
        name_len = int.from_bytes(header[26:28], "little")
        extra_len = int.from_bytes(header[28:30], "little")
        return info[4] + _LOCAL_HEADER + name_len + extra_len, info[3]


class NativeLoader:
    """Turns payload entries into paths dlopen accepts, each library once per process."""

    def __init__(self, payload, manifest):
        self.payload = payload
        self.manifest = manifest
        self.loaded = set()

    def path_for(self, entry, sha256, name, size):
        """The unpacked file: in the cache, written once (a memfd where it cannot be)."""
        offset, packed = self.payload.locate(entry)
        return _freezer_boot.unpack(offset, packed, size, sha256, name)

    def load_library(self, soname):
        if soname in self.loaded:
            return
        entry, sha256, size = self.manifest.libraries[soname]
        _freezer_boot.dlopen(self.path_for(entry, sha256, soname, size))
        self.loaded.add(soname)

    def load_fallbacks(self):
        """The system's copy of each `fallback` library, found by name as ld.so finds it;
        the bundled copy where the system has none (plan.gcc_s_is_fallback says why).

        Loaded at start, before any thread can need it: glibc dlopens libgcc_s by its name
        when a thread exits, and finds the one loaded here by its soname. A bundled copy that
        cannot be loaded either (it needs a newer glibc than the system's) is no error:
        without one, only a thread's exit fails, and glibc then says why in its own words.
        """
        for soname in self.manifest.fallbacks:
            try:
                _freezer_boot.dlopen(soname)
            except ImportError:
                try:
                    self.load_library(soname)
                except ImportError:
                    continue
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
        if "warnings" not in sys.modules:
            from .sources import import_warnings

            import_warnings()
        entry, sha256, libs, size = self.loader.manifest.extensions[spec.name]
        for soname in libs:
            self.loader.load_library(soname)
        path = self.loader.path_for(entry, sha256, entry.rpartition("/")[2], size)
        # As ExtensionFileLoader does: a warning from the module's init (audioop's
        # deprecation) then points at the importing line, and tracebacks skip these frames.
        return _call_with_frames_removed(_imp.create_dynamic,
                                         ModuleSpec(spec.name, self, origin=path))

    def exec_module(self, module):
        _call_with_frames_removed(_imp.exec_dynamic, module)

    # What python's ExtensionFileLoader answers (pkgutil, inspect and runpy ask).
    def is_package(self, fullname):
        return self.loader.manifest.extensions[fullname][0].rpartition("/")[2].startswith(
            "__init__.")

    def get_code(self, fullname):
        return None

    def get_source(self, fullname):
        return None

    def get_filename(self, fullname):
        return self.exe + "/" + self.loader.manifest.extensions[fullname][0]


def ctypes_patches(loader):
    """What to do once ctypes (and ctypes.util) is imported, for the libraries the program
    names to ctypes (`dll` records): load them, so that `CDLL("libz.so.1")` finds the loaded
    copy by its soname as python finds the machine's file, and have find_library("z") give
    the soname of the carried copy where python's would name the machine's, and that of
    glibc's own library where the machine has no tool to ask (_glibc_library).
    {module name: function(module)}, for sources.install's watcher."""
    manifest = loader.manifest

    def load_all(ctypes_module):
        for soname, first in manifest.dlls.values():
            for name in [*first, soname]:
                if name in manifest.libraries:  # else a boot library, loaded already
                    try:
                        loader.load_library(name)
                    except (ImportError, OSError):
                        # The bootloader's dlopen raises ImportError (a library needing a
                        # newer glibc than this system's), unpacking OSError: neither may
                        # fail `import ctypes`, which succeeds under python; CDLL(...) then
                        # fails as it would where the file cannot be loaded.
                        pass

    def patch_util(util):
        original = util.find_library

        def find_library(name):
            found = manifest.dlls.get(name)
            if found is not None and "/" not in name and ".so" not in name:
                return found[0]
            result = original(name)
            if result is None:
                result = _glibc_library(name)
            return result

        for attr in ("__doc__", "__name__", "__qualname__", "__module__"):
            setattr(find_library, attr, getattr(original, attr))
        util.find_library = find_library

    patches = {"ctypes.util": patch_util}
    if manifest.dlls:
        patches["ctypes"] = load_all
    return patches


# glibc's own libraries by find_library's short name: every glibc system has them, and
# they are loaded in (or loadable by) every process. python's find_library asks ldconfig,
# gcc or ld, which a bare machine (a container, the sandbox) lacks: it would answer None
# for "c" where python on any developer's machine answers "libc.so.6".
_GLIBC_SONAMES = {"c": "libc.so.6", "m": "libm.so.6", "pthread": "libpthread.so.0",
                  "dl": "libdl.so.2", "rt": "librt.so.1", "util": "libutil.so.1",
                  "resolv": "libresolv.so.2", "anl": "libanl.so.1", "mvec": "libmvec.so.1"}


def _glibc_library(name):
    """The soname of glibc's library `name` ("c": "libc.so.6") if it can be loaded here,
    else None: find_library's answer where the machine has no tool to ask."""
    soname = _GLIBC_SONAMES.get(name)
    if soname is None:
        return None
    import ctypes

    try:
        ctypes.CDLL(soname)
    except OSError:
        return None
    return soname


def install(exe, payload, manifest):
    """Put the extension finder ahead of the path-based finders."""
    loader = NativeLoader(payload, manifest)
    loader.load_fallbacks()
    return insert_finder(ExtensionFinder(exe, loader))


def insert_finder(finder):
    """Put a meta-path finder just ahead of the path-based finder (and so of zipimport)."""
    position = len(sys.meta_path)
    for i, f in enumerate(sys.meta_path):
        if getattr(f, "__name__", "") == "PathFinder":
            position = i
            break
    sys.meta_path.insert(position, finder)
    return finder
