"""A distribution that puts its own directory on sys.path and imports a module of its own
name from there (opencv's cv2 loader does this for its extension module): python finds that
module before site-packages, and the frozen program must too, not the package again."""

import sys

import selfload


def main() -> None:
    print("greet", selfload.greet("wörld"))
    print("inner", selfload.INNER_FILE)
    print("package", selfload.__name__, hasattr(selfload, "_inner"), type(selfload.greet))
    print("path restored", not any(p.endswith("selfload") for p in sys.path))


main()
