"""A command-line tool with many dependencies: typer for the commands (click underneath),
pydantic to validate what an HTTP API returns, httpx to call it, rich to print tables.

The API is answered in-process by an httpx.MockTransport, so the tool runs offline and prints
the same thing every run, while still going through httpx's whole client (request building,
URL and header handling, response decoding) and pydantic's validation, as a real tool does.

    depcli.py list --limit 5
    depcli.py show 3
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import typer
from pydantic import BaseModel, Field, HttpUrl
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
console = Console(width=100, color_system=None, force_terminal=False)
BASE = "https://api.example.org/v1"


class Package(BaseModel):
    """One record of the (pretend) package index."""

    id: int
    name: str = Field(min_length=1)
    version: str
    downloads: int = Field(ge=0)
    released: dt.date
    homepage: HttpUrl
    tags: list[str] = []


def _records() -> list[dict[str, object]]:
    names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    return [{"id": i, "name": name, "version": f"{i}.{i * 3 % 7}.{i * 5 % 11}",
             "downloads": (i * 7919) % 100000, "released": f"2024-{i:02d}-{(i * 3) % 28 + 1:02d}",
             "homepage": f"https://{name}.example.org/", "tags": names[i % 3:i % 3 + 2]}
            for i, name in enumerate(names, start=1)]


def _answer(request: httpx.Request) -> httpx.Response:
    """The API server, in-process: /packages?limit=N and /packages/ID."""
    records = _records()
    parts = request.url.path.rstrip("/").split("/")
    if parts[-1] == "packages":
        limit = int(request.url.params.get("limit", len(records)))
        return httpx.Response(200, json=records[:limit])
    found = [r for r in records if str(r["id"]) == parts[-1]]
    if not found:
        return httpx.Response(404, json={"detail": "not found"})
    return httpx.Response(200, content=json.dumps(found[0]).encode(),
                          headers={"content-type": "application/json"})


def _client() -> httpx.Client:
    return httpx.Client(base_url=BASE, transport=httpx.MockTransport(_answer), trust_env=False,
                        headers={"user-agent": "depcli/1.0"})


@app.command("list")
def list_packages(limit: int = typer.Option(8, min=1, help="how many packages")) -> None:
    """List packages, most downloaded first."""
    with _client() as client:
        response = client.get("/packages", params={"limit": limit})
        response.raise_for_status()
        packages = [Package.model_validate(r) for r in response.json()]
    table = Table(title=f"{len(packages)} packages")
    for column in ("id", "name", "version", "downloads", "released"):
        table.add_column(column, justify="right" if column in ("id", "downloads") else "left")
    for p in sorted(packages, key=lambda p: -p.downloads):
        table.add_row(str(p.id), p.name, p.version, f"{p.downloads:,}", p.released.isoformat())
    console.print(table)


@app.command()
def show(package_id: int) -> None:
    """Show one package in full."""
    with _client() as client:
        response = client.get(f"/packages/{package_id}")
    if response.status_code == 404:
        console.print(f"no package {package_id}")
        raise typer.Exit(1)
    p = Package.model_validate_json(response.content)
    body = "\n".join(f"{k}: {v}" for k, v in p.model_dump(mode="json").items())
    console.print(Panel(body, title=p.name, expand=False))


if __name__ == "__main__":
    app()
