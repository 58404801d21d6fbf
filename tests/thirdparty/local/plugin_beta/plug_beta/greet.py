"""A plugin whose greeting template is a data file of the package, read with
importlib.resources, so the frozen program needs the file itself, not only the code."""

from importlib.resources import files


class Greeter:
    REQUIRES_API = ">=2.0"

    def run(self, text: str) -> str:
        template = files("plug_beta").joinpath("data/greeting.txt").read_text(encoding="utf-8")
        return template.strip().format(name=text)
