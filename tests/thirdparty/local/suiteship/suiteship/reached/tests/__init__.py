"""A test suite that the package's own code imports: it must be bundled."""
