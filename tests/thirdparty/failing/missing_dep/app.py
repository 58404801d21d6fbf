"""Imports a package that no environment has: freezing it must stop with one clear line."""

import fzt_never_installed_pkg

print(fzt_never_installed_pkg.VALUE)
