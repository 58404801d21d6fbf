"""A third-party command-line tool: click for options, requests to build an HTTP request, rich
to print it as a table.

It prepares the request but never sends it (the benchmark machines have no network), so its
output is the same every run; what is measured is the cost of importing and using the three
packages, which is what a real tool of this kind pays on every start.
"""

from __future__ import annotations

import click
import requests
from rich.console import Console
from rich.table import Table


@click.command()
@click.option("--url", default="https://api.example.org/v1/items", help="endpoint to call")
@click.option("--param", "params", multiple=True, default=("page=1", "per_page=50"),
              help="query parameter NAME=VALUE (repeatable)")
def main(url: str, params: tuple[str, ...]) -> None:
    """Show the request that would be sent."""
    query = dict(p.split("=", 1) for p in params)
    prepared = requests.Request("GET", url, params=query,
                                headers={"Accept": "application/json"}).prepare()
    table = Table(title="request")
    table.add_column("field")
    table.add_column("value")
    table.add_row("method", prepared.method or "")
    table.add_row("url", prepared.url or "")
    for name, value in sorted(prepared.headers.items()):
        table.add_row(name, value)
    Console(width=100, color_system=None).print(table)


if __name__ == "__main__":
    main()
