"""The runtime's ctypes hooks (runtime/natives.ctypes_patches), without building a binary.

A library the program names to ctypes is loaded when ctypes is imported; one that cannot be
loaded on this system (it needs a newer glibc, a library the system lacks) must not make
`import ctypes` fail, as it does not under python: only the program's own CDLL(...) fails.
"""

from __future__ import annotations

import sys
import types

import pytest


@pytest.fixture
def natives(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """freezer/runtime/natives.py, with a stand-in for the bootloader's _freezer_boot."""
    monkeypatch.setitem(sys.modules, "_freezer_boot", types.ModuleType("_freezer_boot"))
    monkeypatch.delitem(sys.modules, "freezer.runtime.natives", raising=False)
    import freezer.runtime.natives as module

    return module


class _Loader:
    """A NativeLoader whose every load fails with `error`, recording what was asked."""

    def __init__(self, manifest: object, error: BaseException) -> None:
        self.manifest = manifest
        self.error = error
        self.asked: list[str] = []

    def load_library(self, soname: str) -> None:
        self.asked.append(soname)
        raise self.error


@pytest.mark.parametrize("error", [ImportError("GLIBC_2.99 not found"),
                                   OSError("cannot write the native cache")],
                         ids=["dlopen", "unpack"])
def test_library_that_cannot_load_leaves_import_ctypes_alone(
        natives: types.ModuleType, error: BaseException) -> None:
    manifest = types.SimpleNamespace(
        dlls={"libdemo.so.1": ("libdemo.so.1", ["libdep.so.2"])},
        libraries={"libdemo.so.1": None, "libdep.so.2": None})
    loader = _Loader(manifest, error)
    patches = natives.ctypes_patches(loader)
    patches["ctypes"](types.ModuleType("ctypes"))  # must not raise
    assert loader.asked == ["libdep.so.2", "libdemo.so.1"]
