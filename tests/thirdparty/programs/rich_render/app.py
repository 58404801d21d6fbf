"""rich: a table, a progress bar, syntax highlighting (pygments) and markdown (markdown-it-py),
rendered to a file by a Console forced to act as a colour terminal of fixed width; the file is
then printed. Nothing time-based is shown (no elapsed or remaining time, no spinner), and the
progress bar is refreshed by hand, so the output is the same on every run.
"""

import os
import sys
import tempfile

from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn
from rich.syntax import Syntax
from rich.table import Table


def render(handle) -> None:
    console = Console(file=handle, width=64, force_terminal=True, color_system="256",
                      legacy_windows=False)
    table = Table(title="Packages ✓", show_lines=True)
    table.add_column("name", style="cyan")
    table.add_column("kind")
    table.add_column("size", justify="right", style="magenta")
    for row in (("numpy", "native", "37 MB"), ("rich", "pure", "1 MB"), ("grüße", "ünï", "0")):
        table.add_row(*row)
    console.print(table)

    progress = Progress(TextColumn("{task.description}"), BarColumn(bar_width=20),
                        TaskProgressColumn(), MofNCompleteColumn(), console=console,
                        auto_refresh=False)
    with progress:
        task = progress.add_task("download", total=8)
        for _ in range(8):
            progress.advance(task)
            progress.refresh()

    console.print(Syntax("def add(a, b):\n    return a + b\n", "python", theme="monokai"))
    console.print(Markdown("# Title\n\n* one\n* **two**\n\n`code`"))


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "render.txt")
        with open(path, "w", encoding="utf-8") as handle:
            render(handle)
        with open(path, encoding="utf-8") as handle:
            rendered = handle.read()
    sys.stdout.write(rendered)
    print("rendered bytes", len(rendered.encode()))
    # A plain-text export of the same table, through a recording console.
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        recorder = Console(record=True, width=40, file=devnull)
        table = Table("a", "b")
        table.add_row("1", "zwei")
        recorder.print(table)
    print(recorder.export_text())


if __name__ == "__main__":
    main()
