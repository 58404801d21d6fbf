"""Plugins, found by name."""
