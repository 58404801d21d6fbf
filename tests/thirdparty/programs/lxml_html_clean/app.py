"""lxml.html, then the import of lxml.html.clean, which lxml 5.2+ keeps only to raise an
ImportError pointing at its new home: the uncaught error's traceback must show the line of
clean.py that raised it, although that module, whose import failed, is no longer in
sys.modules when the traceback is printed."""

import lxml.html


def main() -> None:
    doc = lxml.html.fromstring("<div><a href='/x'>Äpfel</a><p>Birnen ✓</p></div>")
    doc.make_links_absolute("http://example.invalid/")
    print("links", [link for _, _, link, _ in doc.iterlinks()])
    print("html", lxml.html.tostring(doc, encoding="unicode"))
    from lxml.html.clean import Cleaner  # noqa: F401 (raises ImportError)


main()
