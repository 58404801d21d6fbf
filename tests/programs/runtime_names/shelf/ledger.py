"""Reached only through the `books` alias."""


def total(values: list) -> int:
    return sum(values)
