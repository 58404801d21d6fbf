"""Imports PyYAML from a directory given with --path whose wheel the test installed for another
platform or Python version. Python itself would quietly fall back to PyYAML's pure-Python code
(the C extension just fails to import); the tool must refuse the distribution instead."""

import yaml

print("yaml", yaml.__version__, yaml.safe_load("a: 1"))
