"""An optional part, for the glob exclusion test."""

NAME = "extra_a"
