"""The program's own package, holding its templates under templates/."""

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

environment = Environment(loader=PackageLoader("webapp"), autoescape=select_autoescape(),
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
environment.filters["shout"] = lambda text: text.upper() + "!"


def render_page() -> str:
    """Render page.html (which extends base.html and includes a partial), and more."""
    items = [{"name": "Äpfel", "price": 1.2}, {"name": "<script>", "price": 0.5}]
    lines = [environment.get_template("page.html").render(title="Laden ✓", items=items)]
    lines.append("templates " + ", ".join(environment.list_templates()))
    try:
        environment.get_template("page.html").render(title="x")
    except Exception as exc:  # StrictUndefined: items is missing
        lines.append(f"error {type(exc).__name__}: {exc}")
    return "\n".join(lines)
