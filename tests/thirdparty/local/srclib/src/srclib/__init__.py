"""An editable src-layout library that reads its own version and a data file."""

from importlib import metadata
from pathlib import Path


def describe() -> str:
    note = (Path(__file__).parent / "note.txt").read_text(encoding="utf-8").strip()
    return f"srclib {metadata.version('fzt-srclib')}: {note}"
