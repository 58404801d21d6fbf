"""Serve `shelf.extern.NAME` from `shelf._bundled.NAME`, as vendoring packages do."""

import importlib
import importlib.abc
import importlib.util
import sys


class _Bundled(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    prefix = __name__ + "."

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(self.prefix):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        real = "shelf._bundled." + spec.name[len(self.prefix):]
        try:
            module = importlib.import_module(real)
        except ImportError:
            raise ImportError(f"{spec.name} is not bundled with shelf") from None
        sys.modules[spec.name] = module
        return module

    def exec_module(self, module):
        pass


sys.meta_path.append(_Bundled())
