"""The package's own test suite: nothing imports it."""
