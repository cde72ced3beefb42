"""Result objects: a small base class (repr helpers, ``to_dict``) and the registry ``io`` reads.

Every result type of the package derives from :class:`Result` and is a dataclass; defining
the class registers it under its name, so :mod:`netchaos.io` can save and load it without
importing the analyses that define it.
"""

import math
from dataclasses import fields

import numpy as np

__all__ = ["Result", "result_types", "fmt", "fmt_list"]

_REGISTRY = {}


class Result:
    """Base of the package's result dataclasses: registered by name on definition."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def to_dict(self):
        """The result's fields as a dict (arrays are not copied)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def result_types():
    """The registered result classes, by name."""
    return dict(_REGISTRY)


def fmt(value, digits=4, missing=None):
    """Short text of a number for reprs and printed summaries.

    Finite numbers in ``digits`` significant digits. ``None`` and non-finite values give
    ``missing`` when it is given, else ``"None"`` / ``"nan"`` / ``"inf"``; anything that is not
    a number gives ``str(value)``.
    """
    if value is None:
        return "None" if missing is None else missing
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return str(x) if missing is None else missing
    return f"{x:.{digits}g}"


def fmt_list(values, limit=4, digits=4):
    """Short text for a 1-D array of numbers: the first ``limit`` entries."""
    values = np.asarray(values, dtype=float).ravel()
    body = ", ".join(f"{v:.{digits}g}" for v in values[:limit])
    if values.size > limit:
        body += f", ... ({values.size} values)"
    return f"[{body}]"


def renamed_field(cls, old, new):
    """Keep ``cls.old`` readable for one version: a property that warns and returns ``new``."""
    import warnings

    def getter(self):
        warnings.warn(f"{cls.__name__}.{old} is deprecated; use {cls.__name__}.{new}",
                      DeprecationWarning, stacklevel=2)
        return getattr(self, new)

    setattr(cls, old, property(getter, doc=f"Deprecated alias of :attr:`{new}`."))
    cls._renamed = {**getattr(cls, "_renamed", {}), old: new}
    return cls
