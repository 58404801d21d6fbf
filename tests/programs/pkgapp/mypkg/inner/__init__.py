"""A subpackage, so relative imports climb a level."""
