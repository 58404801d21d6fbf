"""Unit tests for the AST import scan: what is found, how it is resolved, what is optional."""

from __future__ import annotations

import textwrap

import pytest

from freezer.analyzer.imports_scan import resolve_relative, scan_source


def scan(src: str, module: str = "app", is_package: bool = False):
    result = scan_source(textwrap.dedent(src).encode(), "app.py", module, is_package)
    return {ref.name: ref for ref in result.imports}, result


def test_plain_and_from_imports_with_line_numbers():
    refs, _ = scan("""
        import os, json.decoder
        from collections import OrderedDict
    """)
    assert set(refs) == {"os", "json.decoder", "collections"}
    assert refs["json.decoder"].lineno == 2
    assert refs["collections"].fromlist == ("OrderedDict",)
    assert not any(r.optional for r in refs.values())


def test_relative_imports_resolve_against_the_package():
    refs, _ = scan("from . import sub\nfrom ..other import x\n", "pkg.inner", is_package=True)
    assert refs["pkg.inner"].fromlist == ("sub",)
    assert "pkg.other" in refs
    refs, _ = scan("from .sibling import y\n", "pkg.mod")
    assert "pkg.sibling" in refs


@pytest.mark.parametrize("name,level,package,expected", [
    ("x", 1, "a.b", "a.b.x"),
    ("", 2, "a.b", "a"),
    ("x", 3, "a.b", None),  # beyond the top-level package
    ("x", 1, "", None),  # relative import outside a package
])
def test_resolve_relative(name, level, package, expected):
    assert resolve_relative(name, level, package) == expected


def test_try_except_import_error_and_platform_checks_are_optional():
    refs, _ = scan("""
        try:
            import ujson as json
        except ImportError:
            import json
        if sys.platform == "win32":
            import winreg
        else:
            import termios
        try:
            import must_have
        except KeyError:
            pass
    """)
    assert refs["ujson"].optional
    assert not refs["json"].optional  # the fallback itself is needed
    assert refs["winreg"].optional and refs["termios"].optional
    assert not refs["must_have"].optional


def test_type_checking_imports_are_not_bundled():
    refs, _ = scan("""
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import heavy_stub_only
        else:
            import light
    """)
    assert "heavy_stub_only" not in refs
    assert "light" in refs


def test_literal_dynamic_imports_are_found():
    refs, _ = scan("""
        import importlib
        a = importlib.import_module("plugin.one")
        b = __import__("plugin_two")
        c = importlib.import_module(".rel", package="pkg")
        d = importlib.import_module(name_from_config)
    """)
    assert refs["plugin.one"].dynamic
    assert "plugin_two" in refs
    assert "pkg.rel" in refs
    assert len([r for r in refs.values() if r.dynamic]) == 3


def test_imports_inside_functions_are_seen():
    refs, _ = scan("def f():\n    import decimal\n    return decimal\n")
    assert "decimal" in refs and not refs["decimal"].optional


def test_string_literals_are_collected_for_codec_lookup():
    _, result = scan('data.decode("cp437")\n')
    assert "cp437" in result.strings


def test_syntax_error_is_raised_with_location():
    with pytest.raises(SyntaxError) as info:
        scan("def broken(:\n")
    assert info.value.lineno == 1


def test_resource_calls_name_the_package_they_import():
    """files("pkg.data") and its kin import the package: a found, optional, dynamic import."""
    refs, _ = scan("""
        import importlib.resources, pkgutil, pkg_resources
        from importlib import resources
        from importlib.resources import files as res
        importlib.resources.files("app_pkg.data")
        resources.read_text("app_pkg.text", "a.txt")
        res("tzdata.zoneinfo")
        pkgutil.get_data("app_pkg.tmpl", "t.html")
        pkg_resources.resource_filename("app_pkg.bin", "tool")
        importlib_resources.files(__package__)
    """)
    for name in ("app_pkg.data", "app_pkg.text", "tzdata.zoneinfo", "app_pkg.tmpl",
                 "app_pkg.bin"):
        assert refs[name].optional and refs[name].dynamic, name


def test_unrelated_calls_of_the_same_names_are_not_imports():
    """A `files("x")` or `obj.get_data("y")` that is not a resource API names no module."""
    refs, _ = scan("""
        def files(name): return name
        files("not_a_module")
        loader.get_data("not_either")
        os.path("nor_this")
    """)
    assert not {"not_a_module", "not_either", "nor_this"} & set(refs)


@pytest.mark.parametrize("src,registers", [
    ("import sys\nsys.modules['alias'] = sys\n", True),
    ("import sys\nsys.modules.setdefault(__name__ + '.moves', object())\n", True),
    ("import sys\ndef install(f):\n    sys.meta_path.insert(0, f)\n", True),
    ("import sys\nsys.path_hooks += [object]\n", True),
    ("import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n", True),
    ("import sys\nprint(sys.modules['os'], sys.meta_path[0])\n", False),
    ("cache = {}\ncache['modules'] = 1\nitems = []\nitems.append(1)\n", False),
])
def test_code_that_makes_modules_importable_is_flagged(src: str, registers: bool):
    """Stores into sys.modules and added finders mean names with no file may be imported."""
    _, result = scan(src)
    assert result.registers_modules is registers


def test_libraries_named_to_ctypes_are_collected():
    """Literal names given to ctypes' loaders and find_library; computed ones cannot be."""
    _, result = scan("""
        import ctypes, ctypes.util
        from ctypes import CDLL, cdll
        a = CDLL("libz.so.1")
        b = ctypes.PyDLL("/opt/lib/libx.so")
        c = cdll.LoadLibrary(ctypes.util.find_library("png"))
        d = CDLL(name)
        e = CDLL("lib%s.so" % name)
    """)
    assert result.libraries == {"libz.so.1", "/opt/lib/libx.so", "png"}
