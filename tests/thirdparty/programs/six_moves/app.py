"""six.moves: a package no file holds, made at run time by six's own meta-path importer.
The build cannot find it and must go on (six is bundled whole); the frozen program then
imports it through six exactly as python does, lazy attributes and submodules alike."""

import six
import six.moves.queue as queue
from six.moves import configparser, reduce
from six.moves.urllib.parse import quote, urlsplit


def main() -> None:
    print("quote", quote("Grüße aus Köln"), urlsplit("http://h.invalid/p?q=1").query)
    print("moves", configparser.ConfigParser.__name__, queue.Queue.__name__,
          reduce(lambda a, b: a * b, [1, 2, 3, 4]))
    print("py3", six.PY3, six.text_type.__name__, six.ensure_str(b"\xc3\xa4"))
    try:
        from six.moves import no_such_move  # noqa: F401
    except ImportError as e:
        print("missing", type(e).__name__, e)


main()
