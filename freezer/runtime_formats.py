"""The formats whose home is the runtime, for the build side.

The module store (freezer/runtime/store.py) and the manifest (freezer/runtime/manifest.py)
are each written by the build and read by the runtime, and each is defined in one file, the
runtime's. The build loads those files by their path: importing them as part of the runtime
package would run the runtime's __init__, which needs the bootloader's builtin module.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"


@functools.cache
def load(name: str) -> ModuleType:
    """freezer/runtime/<name>.py as a module of its own (it imports only the stdlib)."""
    spec = importlib.util.spec_from_file_location(f"_freezer_format_{name}",
                                                  RUNTIME_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
