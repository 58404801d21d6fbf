"""`python -m freezer` does what the `freeze` command does."""

from freezer.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
