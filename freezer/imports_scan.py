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


class _Scanner(ast.NodeVisitor):
    def __init__(self, package: str) -> None:
        self.package = package
        self.optional = 0
        self.depth = 0  # function nesting
        self.fallback_for: tuple[str, ...] = ()
        self.result = ScanResult()

    def _add(self, name: str | None, node: ast.AST, fromlist=(), dynamic=False) -> None:
        if name:
            self.result.imports.append(
                ImportRef(name, getattr(node, "lineno", 0), self.optional > 0, tuple(fromlist),
                          dynamic, self.depth > 0, self.fallback_for)
            )

    def visit_FunctionDef(self, node: ast.AST) -> None:
        for deco in getattr(node, "decorator_list", []):
            self.visit(deco)
        self.depth += 1
        for stmt in node.body:
            self.visit(stmt)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.depth += 1
        self.visit(node.body)
        self.depth -= 1

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        name = resolve_relative(node.module or "", node.level, self.package)
        self._add(name, node, [a.name for a in node.names if a.name != "*"])

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if fname in ("import_module", "__import__") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                target = arg.value
                if target.startswith("."):
                    package = self.package
                    for kw in node.keywords:
                        if kw.arg == "package" and isinstance(kw.value, ast.Constant):
                            package = kw.value.value
                    level = len(target) - len(target.lstrip("."))
                    target = resolve_relative(target.lstrip("."), level, package or "")
                self._add(target, node, dynamic=True)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and 2 <= len(node.value) <= 64:
            self.result.strings.add(node.value)

    def _visit_optional(self, nodes: list[ast.AST]) -> None:
        self.optional += 1
        for n in nodes:
            self.visit(n)
        self.optional -= 1

    def visit_Try(self, node: ast.Try) -> None:
        catches = [h for h in node.handlers if _handler_catches_import_error(h)]
        before = len(self.result.imports)
        if catches:
            self._visit_optional(node.body)
        else:
            for n in node.body:
                self.visit(n)
        tried = tuple(ref.name for ref in self.result.imports[before:])
        for n in node.handlers:
            saved = self.fallback_for
            if n in catches and tried:
                self.fallback_for = tried
            self.visit(n)
            self.fallback_for = saved
        for n in [*node.orelse, *node.finalbody]:
            self.visit(n)

    visit_TryStar = visit_Try

    def visit_If(self, node: ast.If) -> None:
        names = _names_in(node.test)
        if names & _TYPE_CHECKING:
            # Only for the type checker: never imported at run time.
            for n in node.orelse:
                self.visit(n)
            return
        self.visit(node.test)
        if names & _PLATFORM_MARKERS:
            self._visit_optional([*node.body, *node.orelse])
        else:
            for n in [*node.body, *node.orelse]:
                self.visit(n)


def scan_source(source: bytes, filename: str, module: str, is_package: bool) -> ScanResult:
    """Parse `source` and list its imports; raises SyntaxError for a broken file."""
    tree = ast.parse(source, filename)
    package = module if is_package else module.rpartition(".")[0]
    scanner = _Scanner(package)
    scanner.visit(tree)
    return scanner.result
