"""Plugins, imported by computed names."""
