"""Report the module of every frame on the stack, as debuggers and plugin registries do."""

import inspect
import os


def report(label: str) -> None:
    frames = inspect.stack()
    modules = [getattr(inspect.getmodule(info.frame), "__name__", None) for info in frames]
    print(label, modules)
    here = inspect.getsourcefile(inspect.currentframe())
    print("source file of this frame", here is not None and os.path.basename(here))
    code = inspect.currentframe().f_code
    print("module of this code", inspect.getmodule(code).__name__)
