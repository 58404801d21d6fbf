"""Find the imports a module's source makes, from its AST.

Runs inside the *target* interpreter (see worker.py), so the source is parsed with the grammar of
the Python that will run it. Only the syntax is read; nothing is imported or executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

# Names whose appearance in an `if` test marks the branch as platform- or version-specific:
# imports under such a test may legitimately be missing on this platform.
_PLATFORM_MARKERS = {
    "platform",
    "version_info",
    "name",  # os.name
    "implementation",
    "hexversion",
    "maxsize",
    "_mswindows",
    "WIN32",
    "WINDOWS",
    "IS_WINDOWS",
    "MS_WINDOWS",
}
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
_TYPE_CHECKING = {"TYPE_CHECKING"}


@dataclass
class ImportRef:
    """One import the module makes, resolved to an absolute dotted name."""

    name: str
    lineno: int
    optional: bool
    # Names after `from X import ...`: each may be a submodule of X or just an attribute.
    fromlist: tuple[str, ...] = ()
    dynamic: bool = False
    # Inside a function body: runs only if that function is called, not at import time.
    lazy: bool = False
    # In an `except ImportError:` handler: runs only if one of these, imported by the `try`
    # body, is missing (`try: import _sha512 except ImportError: import hashlib`).
    fallback_for: tuple[str, ...] = ()


@dataclass
class ScanResult:
    imports: list[ImportRef] = field(default_factory=list)
    # Short string constants: used to spot codec names (`"cp437"`), which are imported lazily
    # by the codec machinery and so never appear as imports.
    strings: set[str] = field(default_factory=set)
    # The module changes what can be imported while it runs: it stores into `sys.modules`
    # (`sys.modules["alias"] = pkg`), adds a finder to `sys.meta_path`/`sys.path_hooks` (a
    # vendoring importer) or a directory to `sys.path`. Names its code makes importable that
    # way may have no file the analysis can find.
    registers_modules: bool = False
    # Shared libraries the code names to ctypes, as string literals: `CDLL("libz.so.1")`,
    # `cdll.LoadLibrary(...)`, `ctypes.util.find_library("png")`. python loads them from
    # the machine's library directories; the bundle must carry them.
    libraries: set[str] = field(default_factory=set)


def resolve_relative(name: str, level: int, package: str) -> str | None:
    """Turn `from ..x import y` into an absolute name, as importlib would."""
    if level == 0:
        return name
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or not package:
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    if not base:
        return None
    return f"{base}.{name}" if name else base


def _handler_catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for t in types:
        name = t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", None)
        if name in _IMPORT_ERRORS:
            return True
    return False


def _names_in(node: ast.AST) -> set[str]:
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


# The import system's tables a module can add importable names to while it runs.
_IMPORT_TABLES = {"modules", "meta_path", "path_hooks", "path"}
# Methods that add to them (a dict's, a list's).
_TABLE_ADDERS = {"update", "setdefault", "__setitem__", "append", "insert", "extend"}


def _is_import_table(node: ast.AST) -> bool:
    """`sys.modules`, `sys.meta_path`, `sys.path_hooks` or `sys.path`, spelt through `sys`."""
    return (isinstance(node, ast.Attribute) and node.attr in _IMPORT_TABLES
            and isinstance(node.value, ast.Name) and node.value.id == "sys")


def _registers_modules(node: ast.AST) -> bool:
    """Does this node make names importable at run time (see ScanResult.registers_modules)?"""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
        return _is_import_table(node.value)  # sys.modules[name] = module
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in _TABLE_ADDERS and _is_import_table(node.func.value)
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(_is_import_table(t) for t in targets)  # sys.meta_path = [...] / += [...]
    return False


def _is_main_guard(test: ast.AST) -> bool:
    """`__name__ == "__main__"` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    values = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and values == ["__main__"]


class _Context:
    """Where a node sits: under an optional construct, inside a function, in an `except
    ImportError` handler standing in for the imports of its `try` body."""

    __slots__ = ("optional", "lazy", "fallback_for")

    def __init__(self, optional: bool = False, lazy: bool = False,
                 fallback_for: tuple[str, ...] = ()) -> None:
        self.optional = optional
        self.lazy = lazy
        self.fallback_for = fallback_for

    def but(self, **changes) -> _Context:
        new = _Context(self.optional, self.lazy, self.fallback_for)
        for key, value in changes.items():
            setattr(new, key, value)
        return new


# ctypes' ways of naming a shared library by a string (a soname, a file, a short name).
_LIBRARY_CALLS = {"CDLL", "PyDLL", "LoadLibrary", "find_library"}


def _library_name(value: str) -> bool:
    """A plausible library name or path: not a format string, not prose."""
    return 0 < len(value) < 256 and all(c.isalnum() or c in "._+-/" for c in value)


# Calls whose first argument, a string literal, names a module that is imported
# (import_module, __import__) or looked up (find_spec: the program may import it next).
_IMPORTING_CALLS = {"import_module", "__import__"}
_LOOKUP_CALLS = {"find_spec", "find_loader", "find_module"}
# Resource APIs whose first argument, a string literal, is a package they import by name:
# `importlib.resources.files("myapp.data")` imports myapp.data, a data-only package that no
# import statement may name; so do pkgutil.get_data and pkg_resources' resource_* functions.
# Keyed by the module that offers them; a call counts when made through that module's name
# (`importlib.resources.files(...)`, `pkgutil.get_data(...)`) or through a name imported
# from it (`from importlib.resources import files`), so an unrelated `files("x")` is not one.
_RESOURCE_CALLS = {
    "importlib.resources": {"files", "read_text", "read_binary", "open_text", "open_binary",
                            "path", "contents", "is_resource"},
    "importlib_resources": {"files", "read_text", "read_binary", "open_text", "open_binary",
                            "path", "contents", "is_resource"},
    "pkgutil": {"get_data"},
    "pkg_resources": {"resource_string", "resource_stream", "resource_filename",
                      "resource_exists", "resource_isdir", "resource_listdir"},
}
# The last part of a module's name as code spells it before the function: `resources.files`
# after `from importlib import resources`, `importlib_resources.files`.
_RESOURCE_RECEIVERS = {name.rpartition(".")[2]: name for name in _RESOURCE_CALLS}


class _Scanner:
    """Walks the tree with an explicit stack, never recursively: machine-generated modules
    (one of sympy's) nest deeper than a recursive visitor survives, yet CPython compiles
    them."""

    def __init__(self, package: str, module: str = "") -> None:
        self.package = package
        self.module = module
        self.result = ScanResult()
        # Items: (node, context) to visit, or a callable to run when the walk reaches it.
        self.stack: list = []
        # Local names bound to resource functions by `from importlib.resources import files`.
        self.resource_names: set[str] = set()

    def _add(self, name: str | None, node: ast.AST, ctx: _Context, fromlist=(),
             dynamic=False) -> None:
        if name:
            self.result.imports.append(
                ImportRef(name, getattr(node, "lineno", 0), ctx.optional, tuple(fromlist),
                          dynamic, ctx.lazy, ctx.fallback_for)
            )

    def run(self, tree: ast.AST) -> None:
        self.stack.append((tree, _Context()))
        while self.stack:
            item = self.stack.pop()
            if callable(item):
                item()
                continue
            node, ctx = item
            children = self._visit(node, ctx)
            if children is None:
                children = [(child, ctx) for child in ast.iter_child_nodes(node)]
            self.stack.extend(reversed(children))

    def _visit(self, node: ast.AST, ctx: _Context) -> list | None:
        """Handle `node`; return what to visit next, in order (None: all its children, in
        the same context)."""
        if not self.result.registers_modules and _registers_modules(node):
            self.result.registers_modules = True
        if getattr(node, "type_params", None):
            # 3.12's generics (`class Box[T]`, `def f[T]`, `type A[T] = ...`): the
            # interpreter imports typing from C to make them, when the statement runs.
            self._add("typing", node, ctx)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner = ctx.but(lazy=True)
            return [(d, ctx) for d in node.decorator_list] + [(s, inner) for s in node.body]
        if isinstance(node, ast.Lambda):
            return [(node.body, ctx.but(lazy=True))]
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._add(alias.name, node, ctx)
            return []
        if isinstance(node, ast.ImportFrom):
            name = resolve_relative(node.module or "", node.level, self.package)
            self._add(name, node, ctx, [a.name for a in node.names if a.name != "*"])
            offered = _RESOURCE_CALLS.get(name or "", set())
            self.resource_names.update(a.asname or a.name for a in node.names
                                       if a.name in offered)
            return []
        if isinstance(node, ast.Call):
            self._visit_call(node, ctx)
            return None
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and 2 <= len(node.value) <= 64:
                self.result.strings.add(node.value)
            return []
        if type(node).__name__ in ("Try", "TryStar"):
            return self._visit_try(node, ctx)
        if isinstance(node, ast.If):
            names = _names_in(node.test)
            if names & _TYPE_CHECKING:
                # Only for the type checker: never imported at run time.
                return [(n, ctx) for n in node.orelse]
            if self.module != "__main__" and _is_main_guard(node.test):
                # `if __name__ == "__main__":` in a module that is imported: runs only if it
                # is run as a script (heapq's doctest), like code in a function.
                inner = ctx.but(lazy=True)
                return [(n, inner) for n in node.body] + [(n, ctx) for n in node.orelse]
            branch = ctx.but(optional=True) if names & _PLATFORM_MARKERS else ctx
            return [(node.test, ctx)] + [(n, branch) for n in [*node.body, *node.orelse]]
        return None

    def _is_resource_call(self, func: ast.expr) -> bool:
        """`func` is one of _RESOURCE_CALLS, called through its module or an imported name."""
        if isinstance(func, ast.Name):
            return func.id in self.resource_names
        if not isinstance(func, ast.Attribute):
            return False
        receiver = func.value
        last = receiver.attr if isinstance(receiver, ast.Attribute) else \
            getattr(receiver, "id", None)
        module = _RESOURCE_RECEIVERS.get(last or "")
        return module is not None and func.attr in _RESOURCE_CALLS[module]

    def _visit_call(self, node: ast.Call, ctx: _Context) -> None:
        func = node.func
        fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if node.args and self._is_resource_call(func):
            self._add_resource_package(node, ctx)
            return
        if fname in _LIBRARY_CALLS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                    and _library_name(arg.value):
                self.result.libraries.add(arg.value)
            return
        if fname not in _IMPORTING_CALLS and fname not in _LOOKUP_CALLS or not node.args:
            return
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return
        target = arg.value
        if target.startswith("."):
            package = self.package
            for kw in node.keywords:
                if kw.arg == "package" and isinstance(kw.value, ast.Constant):
                    package = kw.value.value
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                package = node.args[1].value
            level = len(target) - len(target.lstrip("."))
            target = resolve_relative(target.lstrip("."), level, package or "")
        if target and all(p.isidentifier() for p in target.split(".")):
            lookup = fname in _LOOKUP_CALLS  # asks whether it is there: may well not be
            self._add(target, node, ctx.but(optional=ctx.optional or lookup), dynamic=True)

    def _add_resource_package(self, node: ast.Call, ctx: _Context) -> None:
        """The package a resource call names: imported by the call, so bundled. Optional, as
        a lookup is: the call may be guarded, or name a package of another installation."""
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return  # files(__package__), files(module): the module is imported already
        target = arg.value
        if target.startswith("."):
            level = len(target) - len(target.lstrip("."))
            target = resolve_relative(target.lstrip("."), level, self.package) or ""
        if target and all(p.isidentifier() for p in target.split(".")):
            self._add(target, node, ctx.but(optional=True), dynamic=True)

    def _visit_try(self, node, ctx: _Context) -> list:
        catches = [h for h in node.handlers if _handler_catches_import_error(h)]
        before = len(self.result.imports)
        body = ctx.but(optional=True) if catches else ctx
        items: list = [(n, body) for n in node.body]
        for handler in node.handlers:
            if handler in catches:
                items.append(lambda h=handler: self._visit_fallback(h, ctx, before))
            else:
                items.append((handler, ctx))
        return items + [(n, ctx) for n in [*node.orelse, *node.finalbody]]

    def _visit_fallback(self, handler: ast.ExceptHandler, ctx: _Context, before: int) -> None:
        """Queue an `except ImportError` handler, now that its `try` body was walked."""
        tried = tuple(ref.name for ref in self.result.imports[before:])
        self.stack.append((handler, ctx.but(fallback_for=tried) if tried else ctx))


def scan_source(source: bytes, filename: str, module: str, is_package: bool) -> ScanResult:
    """Parse `source` and list its imports; raises SyntaxError for a broken file."""
    tree = ast.parse(source, filename)
    package = module if is_package else module.rpartition(".")[0]
    scanner = _Scanner(package, module)
    scanner.run(tree)
    return scanner.result
