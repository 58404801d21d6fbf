"""Packages reached only by name through resource APIs, never by an import statement.

importlib.resources.files("myapp.data"), pkgutil.get_data("myapp.tmpl", ...) and
files("tzdata.zoneinfo") import the package they name, so it must be bundled; the last call
names a package that does not exist and ends the program with python's traceback.
"""
import importlib.resources
import json
import pkgutil
import sys
import zoneinfo
from importlib.resources import files as resource_files
from string import Template

config = importlib.resources.files("myapp.data").joinpath("config.json")
print("files", json.loads(config.read_text(encoding="utf-8"))["greeting"])
hello = pkgutil.get_data("myapp.tmpl", "hello.txt").decode("utf-8")
print("get_data", Template(hello).substitute(name="wörld").strip())
paris = resource_files("tzdata.zoneinfo").joinpath("Europe", "Paris")
with paris.open("rb") as handle:
    zone = zoneinfo.ZoneInfo.from_file(handle, key="Europe/Paris")
print("tzdata", paris.read_bytes()[:4], zone.key)
print("loaded", sorted(name for name in sys.modules if name.startswith(("myapp", "tzdata"))))
importlib.resources.files("myapp.missing")
