"""jinja2 (with MarkupSafe's extension) loading templates through PackageLoader("webapp"):
the templates are data files inside the program's own package, found through the package's
import spec, so the frozen program needs them as a real directory or through its loader."""

from webapp import render_page

if __name__ == "__main__":
    print(render_page())
