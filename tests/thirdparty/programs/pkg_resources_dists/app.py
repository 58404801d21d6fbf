"""pkg_resources sees the bundled distributions as python sees site-packages: versions,
requirements and the entry points of the plugins the program loads through them."""

import pkg_resources
import plughost  # noqa: F401  (its plugins are found through entry points)
import requests  # noqa: F401

print("requests", pkg_resources.get_distribution("requests").version)
print("require", sorted(d.project_name for d in pkg_resources.require("requests")))
plugins = sorted((ep.name, ep.module_name)
                 for ep in pkg_resources.iter_entry_points("fzt.plugins"))
print("plugins", plugins)
print("missing", pkg_resources.get_distribution("no-such-distribution-here"))
