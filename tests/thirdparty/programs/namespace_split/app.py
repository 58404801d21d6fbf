"""A namespace package two distributions install into (fzt-ns-alpha and fzt-ns-beta both
put a portion under fztns/, as the sphinxcontrib.* and google.* distributions do): each
portion imports, with its data, and the namespace lists both."""

import pkgutil

import fztns
import fztns.alpha
import fztns.beta


def main() -> None:
    print("words", fztns.alpha.WORD.strip(), fztns.beta.WORD.strip())
    print("portions", sorted(m.name for m in pkgutil.iter_modules(fztns.__path__)))
    print("namespace", getattr(fztns, "__file__", None))


main()
