import pytest_not_installed_here  # noqa: F401
