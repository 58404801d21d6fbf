"""distutils as python imports it in a venv with setuptools: through the finder that
setuptools' distutils-precedence.pth installs when site runs it, which serves
setuptools._distutils (3.12+ has no distutils of its own; before, the shim takes precedence
over the standard library's)."""

import warnings

warnings.simplefilter("ignore", DeprecationWarning)

import distutils  # noqa: E402
from distutils.version import LooseVersion  # noqa: E402

print("served by setuptools:", "setuptools" in distutils.__file__.replace("\\", "/"))
print("name", distutils.__name__, LooseVersion("1.2") < LooseVersion("1.10"))
