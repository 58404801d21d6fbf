"""The module the package loads from its own directory, under the package's name."""


def greet(name: str) -> str:
    return f"Grüß dich, {name} ✓ from {__name__}"
