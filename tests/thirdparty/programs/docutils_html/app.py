"""docutils: reStructuredText to HTML5. The writer is imported by a name computed at run time
and reads its template.txt and stylesheets beside its own module."""

from docutils.core import publish_string

RST = """Überschrift ✓
=============

Ein *Absatz* mit ``code`` und einer Liste:

- eins
- zwei

.. note:: Achtung.
"""

for writer in ("html5", "pseudoxml"):
    out = publish_string(RST, writer_name=writer, settings_overrides={
        "embed_stylesheet": True, "output_encoding": "unicode", "_disable_config": True})
    body = out.split("<body>")[-1] if writer == "html5" else out
    print(writer, len(out) > 100)
    print(body[:600])
