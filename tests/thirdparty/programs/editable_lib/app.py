"""A library installed editable (pip install -e, setuptools' finder hook): its sources are not
in site-packages and its RECORD does not list them, yet the frozen program must carry them, and
the data file the library opens next to its __file__."""

import json
from importlib import metadata

import edlib
from edlib.text import title_case


def main() -> None:
    print("words", edlib.words())
    print("title", title_case("fREEZER"))
    print("version", metadata.version("fzt-edlib"))
    direct_url = json.loads(metadata.distribution("fzt-edlib").read_text("direct_url.json"))
    print("editable", direct_url["dir_info"])


if __name__ == "__main__":
    main()
