"""Scalar time-series diagnostics for loss (or weight) series of training runs.

* :func:`acf` -- sample autocorrelation with a shuffled-null significance band
  (:mod:`netchaos.timeseries.acf`);
* :func:`kantz` and :func:`rosenstein` -- the largest (finite-time) Lyapunov
  exponent of a scalar series from its delay embedding, with a surrogate test
  of "random evolution" (:mod:`~netchaos.timeseries.kantz`,
  :mod:`~netchaos.timeseries.rosenstein`);
* :func:`dominant_period`, :func:`laminar_phases` and
  :func:`laminar_length_stats` -- near-periodic (laminar) phases and the bursts
  between them, the signature of intermittency (:mod:`~netchaos.timeseries.laminar`);
* :func:`delay_embed` -- delay vectors of a scalar series.

All functions take a 1-D float series, reject non-finite values and series too
short for the requested embedding or window, and return small result objects.
"""

from ._common import REASONS
from .acf import ACFResult, acf, delay_embed
from .kantz import KantzResult, kantz
from .laminar import (
                      LaminarLengthStats,
                      LaminarResult,
                      dominant_period,
                      laminar_length_stats,
                      laminar_phases,
)
from .rosenstein import RosensteinResult, rosenstein

__all__ = ["ACFResult", "KantzResult", "LaminarLengthStats", "LaminarResult", "REASONS",
           "RosensteinResult",
           "acf", "delay_embed", "dominant_period", "kantz", "laminar_length_stats",
           "laminar_phases", "rosenstein"]
