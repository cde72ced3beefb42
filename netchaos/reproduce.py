"""Headless reproductions of the published experiments.

They live in :mod:`netchaos.app.reproduce` (one module per experiment); the computations in
:mod:`netchaos.protocols`. Every name of this module stays importable from here.
"""

from .app import reproduce as _app_reproduce
from .app.reproduce import *  # noqa: F401,F403

__all__ = list(_app_reproduce.__all__)
