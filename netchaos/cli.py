"""The ``netchaos`` command; it lives in :mod:`netchaos.app.cli` (this name stays importable)."""

import sys

from .app.cli import build_parser, main

__all__ = ["main", "build_parser"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
