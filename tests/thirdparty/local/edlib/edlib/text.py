"""A submodule of the editable library."""


def title_case(word: str) -> str:
    return word[:1].upper() + word[1:].lower()
