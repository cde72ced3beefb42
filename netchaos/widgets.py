"""Interactive explorers for the teaching notebooks (this name stays importable).

The explorers live in :mod:`netchaos.app.widgets`, their views in :mod:`netchaos.app.views`
and the papers' analyses in :mod:`netchaos.protocols`. ``time_to_accuracy``,
``decay_fits``, ``fundamental_period`` and ``linearised_distance`` are re-exported here for
existing code; new code calls :mod:`netchaos.protocols`.
"""

from .app import views as _views
from .app import widgets as _widgets
from .app.views import *  # noqa: F401,F403
from .app.widgets import *  # noqa: F401,F403
from .protocols import (
           decay_fits,
           fundamental_period,
           linearised_distance,
           time_to_accuracy,
)

__all__ = (list(_views.__all__) + list(_widgets.__all__)
           + ["time_to_accuracy", "decay_fits", "fundamental_period", "linearised_distance"])
