"""Markdown with code highlighting: the codehilite extension uses Pygments when it can
import it (an optional import of an undeclared distribution); without it the output is
silently different."""

import markdown

TEXT = """# Titel ✓

| a | b |
|---|---|
| 1 | 2 |

```python
def greet(name):
    return f"hallo {name}"
```
"""

html = markdown.markdown(TEXT, extensions=["fenced_code", "codehilite", "tables", "toc"])
print(html)
print("highlighted", 'class="k"' in html or 'class="kn"' in html)
