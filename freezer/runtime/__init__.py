"""The runtime: runs inside every frozen program, between the bootloader and the program.

Shipped as CPython frozen modules under the name `_freezer_runtime` (the bootloader hands
them to CPython, see boot.c's install_frozen); the bootloader imports it and calls `run()`.
Start-up cost matters here, so it imports only builtin and frozen modules (sys, posix,
marshal, _imp); anything heavier is imported only on the paths that need it.
"""

import marshal
import sys

from . import debug, modules, natives, site_builtins, sources, tzdata
from .manifest import MAIN_PY, MAIN_PYC, MANIFEST, Manifest

# The separator of file names python shows for this system: Windows' paths use backslashes
# (sys.executable is C:\...\app.exe there), and a script's __file__ beside the binary too.
SEP = "\\" if sys.platform == "win32" else "/"


def exe_dir(exe):
    """The binary's directory (os.path.dirname, without importing os at start)."""
    return exe[:max(exe.rfind("/"), exe.rfind(SEP))] if SEP != "/" else exe.rpartition("/")[0]


def main_file(exe, manifest):
    """`__main__.__file__`: the script's name, as if it sat beside the binary.

    `os.path.dirname(__file__)` is then the binary's directory, where a program looks for
    files shipped next to it; or, where files beside the script are bundled (--add-data, or
    named by its code), the directory they are unpacked to.
    """
    if "." in manifest.tree_names:  # see plan.py
        from . import trees

        return trees.main_tree(exe, manifest) + "/" + manifest.main_arg
    return main_code_file(exe, manifest)


def main_code_file(exe, manifest):
    """The script's file name in its code, so in tracebacks: beside the binary, always (a
    cache directory's name in a traceback would say nothing of where the program is)."""
    return exe_dir(exe) + SEP + manifest.main_arg


def _locate_frozen_stdlib(stdlib_dir):
    """The stdlib modules CPython 3.11+ runs from its own frozen copies (os, codecs, ...)
    have a `__file__` under python, in its stdlib directory: the same here (code finds the
    stdlib through `os.__file__`). The modules imported while starting are fixed up; later
    ones get it from the frozen importer, through sys._stdlib_dir."""
    if sys.version_info < (3, 11):
        return
    sys._stdlib_dir = stdlib_dir
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if spec is None or spec.origin != "frozen" or hasattr(module, "__file__") \
                or name == "_frozen_importlib" \
                or name.partition(".")[0] == "_freezer_runtime":  # ours, not the stdlib's
            continue
        state = spec.loader_state
        origname = getattr(state, "origname", None) or name
        package = spec.submodule_search_locations is not None
        relative = origname.replace(".", "/") + ("/__init__.py" if package else ".py")
        module.__file__ = stdlib_dir + "/" + relative
        if state is not None and hasattr(state, "filename"):
            state.filename = module.__file__


def _offer_bundle_root(exe, manifest):
    """`sys._MEIPASS`, made when first read (PEP 562's module __getattr__ on sys): the
    directory PyInstaller's programs find their files in (see trees.bundle_root); for a
    bundle with no files to unpack, the binary's directory, where `__main__.__file__` is
    (code written for PyInstaller reads `sys._MEIPASS` whenever `sys.frozen` is set)."""

    def __getattr__(name):
        if name != "_MEIPASS":
            raise AttributeError(f"module 'sys' has no attribute '{name}'")
        if manifest.trees:
            from . import trees

            root = trees.bundle_root(exe, manifest)
        else:
            root = exe_dir(exe)  # nothing to unpack: where the binary is
        sys._MEIPASS = root
        return root

    sys.__getattr__ = __getattr__


def load_main_code(payload):
    return marshal.loads(payload.read(MAIN_PYC)[16:])


def _unfreeze(names, finder):
    """The stdlib modules CPython's start-up imported from the bootloader's frozen table
    (encodings, ...) get the spec, loader and file the store's other modules have, as python
    gives them its path finder's: their source for tracebacks, `encodings.__path__` in the
    binary for the codecs imported later."""
    for name in names:
        module = sys.modules.get(name)
        if getattr(getattr(module, "__spec__", None), "origin", None) != "frozen":
            continue  # not imported by start-up: the store serves it when it is
        spec = finder.find_spec(name)
        if spec is None:
            continue
        module.__spec__ = spec
        module.__loader__ = finder
        module.__file__ = spec.origin
        if spec.cached is not None:
            module.__cached__ = spec.cached
        if spec.submodule_search_locations is not None:
            module.__path__ = spec.submodule_search_locations


def _renamed(code, filename):
    """`code` and the code objects nested in it, with `filename` as their co_filename."""
    kind = type(code)
    consts = tuple(_renamed(c, filename) if type(c) is kind else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


class MainLoader:
    """`__main__.__loader__` of a script: what python's SourceFileLoader answers for it.

    linecache asks it for the source when a traceback or `inspect` needs a line of the
    script (the file is not on this machine); `dis`, `pkgutil` and `runpy`-style tools ask
    it for the code.
    """

    def __init__(self, payload, filename, code_filename):
        self.payload = payload
        self.filename = filename  # __file__
        self.code_filename = code_filename  # co_filename (see main_code_file)
        self.code = None

    def get_filename(self, name=None):
        return self.filename

    def is_package(self, name=None):
        return False

    def get_code(self, name=None):
        if self.code is None:
            self.code = _renamed(load_main_code(self.payload), self.code_filename)
        return self.code

    def get_source(self, name=None):
        try:
            data = self.payload.zip().get_data(MAIN_PY)  # deflated: zipimport inflates it
        except OSError:
            return None  # built with --no-sources
        # Not importlib.util: the runtime imports only what is always there.
        from _frozen_importlib_external import decode_source

        return decode_source(data)


def _print_exception(exc_type, value, tb):
    """sys.excepthook for an uncaught exception on 3.9-3.12, whose C printer reads source
    lines only from files on disk (see reports.py)."""
    from . import reports

    reports.print_exception(exc_type, value, tb)


def _unraisablehook(unraisable):
    """sys.unraisablehook: the default one's report with its source lines (reports.py)."""
    from . import reports

    reports.unraisablehook(unraisable)


def run():
    """Set the program up; return (code, globals) for the bootloader to run, or None, or the
    exception that ended it.

    The bootloader evaluates the code itself (PyEval_EvalCode, as python's own main does), so
    no frame of the runtime sits below the program's: `traceback.print_stack()`,
    `inspect.stack()` and `sys._getframe().f_back` see what they see under python. If the
    code raises, the bootloader calls ended() with the exception before printing it."""
    exe = sys.executable
    payload = natives.Payload(exe)
    manifest = Manifest(payload.read(MANIFEST).decode())
    sys.frozen = True
    # The prefixes are the binary itself, where the standard library's modules are (their
    # __file__ is BINARY/json/...), while the script is beside it: as under python, the
    # stdlib is below sys.prefix and the program is not, which is what
    # trace.Trace(ignoredirs=[sys.prefix, sys.exec_prefix]) and the like rely on. (The
    # bootloader gives CPython the binary's directory as home, which 3.11+ make the
    # prefixes of; no venv either way: base_prefix is prefix.)
    sys.prefix = sys.exec_prefix = sys.base_prefix = sys.base_exec_prefix = exe
    # The bootloader's own module is built in for the runtime's sake, not the program's:
    # python's list of built-in modules has no such name (imports of it still work).
    sys.builtin_module_names = tuple(name for name in sys.builtin_module_names
                                     if name != "_freezer_boot")
    extensions = natives.install(exe, payload, manifest)
    tree_finder = None
    if manifest.trees:
        from . import trees

        tree_finder = trees.install(payload.zip(), manifest, extensions.loader)
    finder = modules.install(exe, payload, manifest)
    _unfreeze(manifest.frozen, finder)
    if manifest.stdlib_dir:
        _locate_frozen_stdlib(manifest.stdlib_dir)
    _offer_bundle_root(exe, manifest)
    if tree_finder is not None:
        trees.run_pth_files(tree_finder)
    site_builtins.install(manifest.stdlib_dir)
    sources.install(finder, {**natives.ctypes_patches(extensions.loader),
                             **tzdata.patches(payload)})
    debug.install(extensions.loader)
    if sys.unraisablehook is sys.__unraisablehook__:
        sys.unraisablehook = _unraisablehook
    main_loader = None
    if manifest.main_kind != "module":
        main_loader = MainLoader(payload, main_file(exe, manifest),
                                 main_code_file(exe, manifest))
        sources.set_main_loader(main_loader)
    argv = sys.argv
    if len(argv) > 1 and (argv[1] == "--multiprocessing-fork" or "-c" in argv[1:]
                          or "-m" in argv[1:]):
        from . import mpchild

        if mpchild.is_child(argv):
            return mpchild.run_child(main_loader)
    return _run_program(manifest, main_loader)


def _run_program(manifest, loader):
    globals_ = sys.modules["__main__"].__dict__
    if loader is None:
        code = _prepare_module_main(manifest.main_arg, globals_)
    else:
        code = loader.get_code()
        globals_.update(__file__=loader.filename, __cached__=None, __loader__=loader)
        if manifest.main_kind == "directory":
            # `python DIR` runs DIR/__main__.py as the module `__main__` found on the path
            # (runpy), where `python DIR/__main__.py` runs a file: a spec named `__main__`
            # and an empty package, which multiprocessing reads to not run it again in a
            # spawned child (as under python).
            import _frozen_importlib

            spec = _frozen_importlib.ModuleSpec("__main__", loader, origin=loader.filename)
            spec.has_location = True
            globals_.update(__spec__=spec, __package__="")
    return code, globals_


def ended(exc):
    """The program's code raised `exc` (called by the bootloader before it prints it): on
    3.9-3.12 the traceback module prints it, with source lines (see _print_exception),
    unless the program installed a hook of its own."""
    if sys.version_info < (3, 13) and sys.excepthook is sys.__excepthook__:
        sys.excepthook = _print_exception


def _prepare_module_main(name, globals_):
    """`python -m name` without runpy's frames: find the module and stand it in as __main__."""
    import _frozen_importlib

    def find(modname):
        parent = modname.rpartition(".")[0]
        path = None
        if parent:
            __import__(parent)
            path = sys.modules[parent].__path__
        spec = _frozen_importlib._find_spec(modname, path)
        if spec is None:
            raise ImportError("No module named " + modname, name=modname)
        return spec

    spec = find(name)
    if spec.submodule_search_locations is not None:
        name += ".__main__"
        spec = find(name)
    globals_.update(__file__=spec.origin, __cached__=None, __loader__=spec.loader,
                    __package__=spec.parent, __spec__=spec)
    return spec.loader.get_code(name)
