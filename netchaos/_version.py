"""The package version (one place; read by the package, io and the reproduction runner)."""

__version__ = "0.1.0"
