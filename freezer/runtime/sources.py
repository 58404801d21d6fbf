"""Source lines for code that has no file on this machine, the way python finds them on disk.

Bundled bytecode keeps the file name it was compiled from (the build machine's path, which
python's own tracebacks show). Where that file does not exist, linecache asks the module's
loader, but only when it is handed the module's globals (tracebacks, inspect). The warnings
module and other callers of `linecache.getline(filename, lineno)` hand it a file name alone;
python reads the file there, and so must the frozen program. So `linecache.cache` becomes a
dict that, asked about a file name it does not hold, finds the imported module compiled from
it and registers that module's loader as its lazy source, as `linecache.lazycache` does.

Installed when linecache is first imported (most programs never import it), by a finder
that only watches for that name (and for inspect, whose getmodule looks a frame's module up
by that file name, see patch_inspect, and for pkg_resources, see patch_pkg_resources). It
watches for pkgutil too: pkgutil lists a zip's modules
from zipimport's directory of the archive, which no longer names the modules of the store
(runtime/store.py), so its lister for the binary is given them as well.
"""

import sys

_MAX_DEPTH = 8  # package nesting tried when matching a file name to a module name
# The main script's loader (runtime.MainLoader), set at start: a multiprocessing child runs
# the script again as __mp_main__, with no __loader__ (runpy.run_path gives it none), and
# python's linecache then reads the file by its name; this finds the bundled source.
_main_loader = None


def set_main_loader(loader):
    global _main_loader
    _main_loader = loader


def _candidates(filename):
    """(name, module) of the imported modules that may have been compiled from `filename`:
    those whose dotted name is a tail of its path, the longest first."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__file__", None) == filename:
        return [("__main__", main)]
    candidates = []
    for name in _module_names(filename):
        module = sys.modules.get(name)
        if module is not None:
            candidates.append((name, module))
    return candidates


def module_compiled_from(filename):
    """The imported module whose code was compiled from `filename`, or None.

    A bundled module's code keeps the file name it was compiled from (a frame's, a code
    object's co_filename), while its `__file__` is in the binary; under python the two are
    one file, which is how inspect.getmodule finds a frame's module. Its loader's code
    tells: only a module whose code has that very file name is the one."""
    if not filename.endswith(".py") or filename.startswith("<"):
        return None
    for name, module in _candidates(filename):
        get_code = getattr(getattr(module, "__loader__", None), "get_code", None)
        try:
            code = get_code(name) if get_code is not None else None
        except Exception:  # a loader that cannot give it: not ours to judge
            continue
        if code is not None and code.co_filename == filename:
            return module
    return None


def patch_inspect(inspect):
    """inspect.getmodule of a frame, code object or traceback of a bundled module: the
    module, found by the compiled-in file name (module_compiled_from) where inspect's own
    lookup by `__file__` finds none; getsourcefile and the rest ask getmodule."""
    original = inspect.getmodule

    def getmodule(object, _filename=None):
        module = original(object, _filename)
        if module is None:
            try:
                filename = inspect.getfile(object)
            except TypeError:
                return None
            module = module_compiled_from(filename) if isinstance(filename, str) else None
        return module

    for attr in ("__doc__", "__name__", "__qualname__", "__module__"):
        setattr(getmodule, attr, getattr(original, attr))
    getmodule.__wrapped__ = original
    inspect.getmodule = getmodule


def _module_names(filename):
    """The dotted names a module compiled from `filename` may have, longest first:
    `.../site-packages/lxml/html/clean.py` gives ..., `lxml.html.clean`, `html.clean`,
    `clean`."""
    parts = filename[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return [".".join(parts[-depth:]) for depth in range(min(len(parts), _MAX_DEPTH), 0, -1)]


def names_module(filename, module_globals):
    """Whether `filename` is the file of the module whose globals these are, by its name.

    A bundled module's file name (the build machine's path) is not its `__file__` here
    (the binary, or its unpacked tree in the cache), so only the name can tell. Code
    compiled under a made-up name (networkx's generated functions) never matches."""
    if not module_globals or not isinstance(filename, str) or not filename.endswith(".py"):
        return False
    name = module_globals.get("__name__")
    return isinstance(name, str) and name in _module_names(filename)


_MEAN = ". Did you mean: '"


def _suggestion(exc):
    """What CPython 3.10-3.11's C printer appends to a NameError's or AttributeError's line
    (". Did you mean: 'loads'?"), or "". The traceback module of those versions does not
    compute it (3.12's does), so the printer itself is asked: it prints the exception into
    a buffer, whose last line is this exception's own, ending with its suggestion. Asking it
    keeps every rule of its own (which names it tries, in which order, how far apart)."""
    if not isinstance(exc, (NameError, AttributeError)) or not isinstance(exc.name, str):
        return ""
    import io

    stderr, sys.stderr = sys.stderr, io.StringIO()
    try:
        sys.__excepthook__(type(exc), exc, None)
        text = sys.stderr.getvalue()
    except Exception:
        return ""
    finally:
        sys.stderr = stderr
    last = text.rstrip("\n").rpartition("\n")[2]
    _, mean, name = last.rpartition(_MEAN)
    return mean + name if mean and name.endswith("'?") else ""


def add_suggestions(report, exc, seen=None):
    """Give a traceback.TracebackException of 3.10-3.11, and the ones of its chain and
    groups, the suggestions the C printer would print for them (see _suggestion)."""
    seen = set() if seen is None else seen
    if report is None or exc is None or id(exc) in seen:
        return
    seen.add(id(exc))
    hint = _suggestion(exc)
    if hint and isinstance(getattr(report, "_str", None), str):
        report._str += hint
    add_suggestions(report.__cause__, exc.__cause__, seen)
    add_suggestions(report.__context__, exc.__context__, seen)
    for sub_report, sub_exc in zip(getattr(report, "exceptions", None) or (),
                                   getattr(exc, "exceptions", None) or ()):
        add_suggestions(sub_report, sub_exc, seen)


def _source_getter(filename):
    """A function returning the source of the imported module compiled from `filename`."""
    if _main_loader is not None and filename in (_main_loader.filename,
                                                 _main_loader.code_filename):
        return _main_loader.get_source
    for name, module in _candidates(filename):
        loader = getattr(module, "__loader__", None)
        get_source = getattr(loader, "get_source", None)
        if get_source is not None:
            return lambda: get_source(name)
    return None


class LazySources(dict):
    """linecache.cache, which can name the source of any imported module's file."""

    def __contains__(self, filename):
        if dict.__contains__(self, filename):
            return True
        if not isinstance(filename, str) or not filename.endswith(".py") \
                or filename.startswith("<"):
            return False
        getter = _source_getter(filename)
        if getter is None:
            return False
        dict.__setitem__(self, filename, (getter,))  # the form of a lazycache entry
        return True


def patch(linecache):
    if not isinstance(linecache.cache, LazySources):
        linecache.cache = LazySources(linecache.cache)


class _Patched:
    """The loader of a watched module, which patches the module once it has run."""

    def __init__(self, loader, patch_module):
        self.loader = loader
        self.patch_module = patch_module

    def create_module(self, spec):
        create = getattr(self.loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.patch_module(module)

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _PatchedLegacy:
    """The same for 3.9's zipimporter, which loads with load_module()."""

    def __init__(self, loader, patch_module):
        self.loader = loader
        self.patch_module = patch_module

    def load_module(self, fullname):
        module = self.loader.load_module(fullname)
        self.patch_module(module)
        return module

    def __getattr__(self, name):
        return getattr(self.loader, name)


def _store_paths(finder):
    """The paths zipimport's directory would hold for the store's modules, and for the
    stdlib modules CPython 3.11+ runs from its own frozen copies (os, stat, importlib.util,
    ...), which python finds as files in its stdlib directory and lists with the rest."""
    from .store import archive_name

    store = finder.store
    paths = [archive_name(name, store.lookup(name)) for name in store.names()]
    return paths + _cpython_frozen_paths()


def _cpython_frozen_paths():
    """`os.py`, `importlib/util.py`, `__phello__/__init__.py`: the files of CPython's frozen
    stdlib modules. Aliases (`_frozen_importlib`, `os.path`) and frozen-only modules have
    no file of their name, and the bootloader's frozen modules are in the store already."""
    import _imp

    names = getattr(_imp, "_frozen_module_names", None)
    if names is None:
        # Before 3.11 CPython freezes importlib's bootstrap, which has no file of its name,
        # zipimport, which has one, and __hello__ and __phello__, which have none.
        return ["zipimport.pyc"] if _imp.is_frozen("zipimport") else []
    paths = []
    for name in names():
        if name.partition(".")[0] == "_freezer_runtime":  # the bootloader's: ours
            continue
        found = _imp.find_frozen(name)
        if found is None or found[2] != name:
            continue
        stem = name.replace(".", "/")
        paths.append(stem + "/__init__.pyc" if found[1] else stem + ".pyc")
    return paths


def patch_pkgutil(pkgutil, finder):
    """pkgutil.iter_modules over the binary (or a package in it) lists what python would list
    over the same files on disk: the zip's modules and the store's, in file-name order."""
    import zipimport

    original = pkgutil.iter_importer_modules.dispatch(zipimport.zipimporter)
    paths = []

    def iter_payload_modules(importer, prefix=""):
        if importer.archive != finder.exe:
            yield from original(importer, prefix)
            return
        import inspect

        if not paths:
            paths.extend(_store_paths(finder))
        names = set(zipimport._zip_directory_cache[importer.archive])
        names.update(paths)
        own = importer.prefix
        yielded = set()
        for path in sorted(names):
            if not path.startswith(own):
                continue
            parts = path[len(own):].split("/")
            if len(parts) == 2 and parts[1].startswith("__init__.py") \
                    and parts[0] not in yielded:
                yielded.add(parts[0])
                yield prefix + parts[0], True
            if len(parts) != 1:
                continue
            name = inspect.getmodulename(parts[0])
            if name and name != "__init__" and "." not in name and name not in yielded:
                yielded.add(name)
                yield prefix + name, False

    pkgutil.iter_importer_modules.register(zipimport.zipimporter, iter_payload_modules)
    # The meta-path finder is a zipimporter by type, but lists nothing itself, as python's
    # meta-path finders do: the binary's entry of sys.path lists the modules, in its place.
    pkgutil.iter_importer_modules.register(type(finder), _lists_nothing)


def _lists_nothing(importer, prefix=""):
    return iter(())


class ImportWatcher:
    """Meta-path finder that wraps the loaders of linecache and pkgutil so that each is
    patched once it has run, then steps aside."""

    def __init__(self, patches):
        self.patches = patches  # module name -> function(module)

    def find_spec(self, fullname, path=None, target=None):
        patch_module = self.patches.pop(fullname, None)
        if patch_module is None:
            return None
        if not self.patches:
            sys.meta_path.remove(self)
        from _frozen_importlib import _find_spec

        spec = _find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            modern = hasattr(spec.loader, "exec_module")
            spec.loader = (_Patched if modern else _PatchedLegacy)(spec.loader, patch_module)
        return spec


def import_warnings():
    """A warning raised from C (an extension module's init: audioop's deprecation) is
    printed by the Python warnings module only if that is imported already; otherwise C
    prints it with a source line read from disk alone, and there is no file here. Called
    before the first extension module loads (runtime/natives.py), not at start: python
    itself does not import warnings to print hello world (0.3 ms of 13)."""
    try:
        import warnings  # noqa: F401
    except ImportError:
        pass  # --pruned: it is not carried unless the program needs it, nor any source


def patch_pkg_resources(pkg_resources, exe):
    """pkg_resources' working set holds the bundled distributions, as python's holds those
    of its site-packages: it scans the zip entry of sys.path (the binary) only for an egg's
    PKG-INFO at the top, so `require`, `get_distribution` and `iter_entry_points` found
    nothing; asked for everything under it, it finds every `.dist-info`."""
    working_set = pkg_resources.working_set
    for dist in pkg_resources.find_distributions(exe):
        if dist.key not in working_set.by_key:
            working_set.add(dist, exe)


def _patch_threading(threading):
    from .reports import patch_threading

    patch_threading(threading)


def _patch_spawn(spawn):
    """On Windows multiprocessing takes a frozen executable (sys.frozen) for one that runs its
    own main again in every child (PyInstaller's freeze_support()), and sends its children no
    path of `__main__`; a child of python's is sent it, and runs the main code as
    `__mp_main__` before it unpickles its task. The runtime's child does that too
    (mpchild._install_main_fixup), so it is told the path as python's child is."""
    spawn.WINEXE = False


def install(finder, more=None):
    """`finder`: the store's (runtime/modules.py), whose modules pkgutil must list; `more`:
    other modules to patch once imported ({name: function(module)})."""
    patches = {"linecache": patch, "inspect": patch_inspect,
               "pkgutil": lambda module: patch_pkgutil(module, finder),
               "pkg_resources": lambda module: patch_pkg_resources(module, finder.exe)}
    if sys.version_info < (3, 13):  # 3.13's thread excepthook prints with traceback
        patches["threading"] = _patch_threading
    if sys.platform == "win32":
        patches["multiprocessing.spawn"] = _patch_spawn
    patches.update(more or {})
    for name in list(patches):
        if name in sys.modules:
            patches.pop(name)(sys.modules[name])
    if patches:
        sys.meta_path.insert(0, ImportWatcher(patches))
