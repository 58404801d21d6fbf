"""A suite named test, not tests."""
