"""A program that lists the installed commands (the `console_scripts` entry points) and runs
one: the distributions that register them come along although nothing imports them, since
the program's own code names the group (libraries such as pip name it too, so only the
program's own code counts)."""

from importlib.metadata import entry_points


def scripts() -> list:
    found = entry_points()
    if hasattr(found, "select"):
        return list(found.select(group="console_scripts"))
    return list(found.get("console_scripts", []))  # 3.9


def main() -> None:
    ours = sorted((ep for ep in scripts() if ep.name.startswith("fzt-")), key=lambda e: e.name)
    print("commands", [(ep.name, ep.value) for ep in ours])
    status = ours[0].load()()
    print("status", status)


main()
