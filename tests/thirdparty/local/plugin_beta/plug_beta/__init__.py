"""Plugins whose modules are only named in entry_points.txt; see greet and future."""
