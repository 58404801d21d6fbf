"""click: a command group with options, arguments, types, a context object and usage errors.

The program name is fixed (prog_name="tool"): click otherwise takes it from argv[0], which is
"app.py" for python and the binary's name when frozen.
"""

import click


@click.group()
@click.option("-v", "--verbose", count=True, help="More output (repeatable).")
@click.option("--name", default="wörld", show_default=True, help="Who to address.")
@click.version_option("1.0 ✓", prog_name="tool")
@click.pass_context
def cli(ctx: click.Context, verbose: int, name: str) -> None:
    """A small tool with subcommands, frozen with its dependency click."""
    ctx.obj = {"verbose": verbose, "name": name}


@cli.command()
@click.argument("greeting", default="hello")
@click.option("--count", "-c", type=click.IntRange(1, 5), default=1, help="Repeat 1-5 times.")
@click.option("--shout/--no-shout", default=False, help="Upper-case the output.")
@click.pass_obj
def greet(obj: dict, greeting: str, count: int, shout: bool) -> None:
    """Greet NAME COUNT times."""
    text = f"{greeting} {obj['name']}"
    for _ in range(count):
        # Styled text: click strips the colour codes because stdout is not a terminal.
        click.echo(click.style(text.upper() if shout else text, fg="green", bold=True))


@cli.command()
@click.argument("numbers", nargs=-1, type=int, required=True)
@click.option("--mode", type=click.Choice(["sum", "max"]), default="sum")
@click.pass_obj
def calc(obj: dict, numbers: tuple, mode: str) -> None:
    """Sum (or take the max of) NUMBERS."""
    result = sum(numbers) if mode == "sum" else max(numbers)
    if obj["verbose"]:
        click.echo(f"verbosity {obj['verbose']}, {len(numbers)} numbers", err=True)
    click.echo(f"{mode} {result}")


@cli.command()
@click.option("--fail", is_flag=True, help="Exit with status 3 through click.")
def check(fail: bool) -> None:
    """Exit via click's own exceptions."""
    if fail:
        raise click.ClickException("check failed ✗")
    click.echo("check ok")


if __name__ == "__main__":
    cli(prog_name="tool")
