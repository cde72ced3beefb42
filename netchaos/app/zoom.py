"""The view of the zoom explorer of the trainability boundary
(:func:`netchaos.app.widgets.trainability_zoom_explorer`).

Every update recomputes an ``n x n`` trainability map (one kernel call) on a square that is
``2**zoom`` times narrower, in decades of both learning rates, around the chosen centre.
"""

import numpy as np

from .._validate import check_int, check_positive
from ..trainability import trainability_map
from . import plots
from .views import View, model_data

__all__ = ["view_trainability_zoom"]

#: decades of learning rate spanned by the unzoomed square
WIDTH_DECADES = 3.0


def view_trainability_zoom(model=None, data=None, *, lr=3.0, lr_out=3.0, zoom=0, n=32,
                           steps=200, seed=0):
    """Trainability of the two layers' learning rates on a square around ``(lr, lr_out)``.

    Parameters
    ----------
    model, data : optional
        Default: the reference Iris network 4-10-3 (sigmoid) and its data.
    lr, lr_out : float
        Centre: the learning rates of the first and of the output layer.
    zoom : int, default 0
        The square spans ``WIDTH_DECADES / 2**zoom`` decades per axis.
    n : int, default 32
        Grid points per axis.
    steps : int, default 200
    seed : int, default 0
        The initial condition ``model.init(seed=seed)``.

    Returns
    -------
    View
        ``data``: ``map`` (the :class:`netchaos.TrainabilityMap`), ``dimension``,
        ``trained_fraction``.

    Examples
    --------
    >>> v = view_trainability_zoom(lr=10.0, lr_out=3.0, zoom=2, n=8, steps=20)
    >>> v.data["map"].trained.shape
    (8, 8)
    """
    model, data = model_data(model, data)
    lr = check_positive(lr, "lr")
    lr_out = check_positive(lr_out, "lr_out")
    zoom = check_int(zoom, "zoom", minimum=0, maximum=40)
    n = check_int(n, "n", minimum=4, maximum=512)
    half = WIDTH_DECADES / 2 ** zoom / 2
    g1 = np.logspace(np.log10(lr) - half, np.log10(lr) + half, n)
    g2 = np.logspace(np.log10(lr_out) - half, np.log10(lr_out) + half, n)
    res = trainability_map(model, data, g1, g2, steps=check_int(steps, "steps", minimum=1),
                           theta0=model.init(seed=seed))
    fig = plots.plot_trainability(res, title=f"zoom 2^{zoom}: {2 * half:.3g} decades")
    dim = res.dimension
    text = (f"{100 * res.trained.mean():.1f} % of {n}x{n} points train; boundary dimension "
            + (f"{dim:.2f} [{res.dimension_interval[0]:.2f}, {res.dimension_interval[1]:.2f}]"
               if np.isfinite(dim) else "n/a (no boundary in view)"))
    return View(fig, text, {"map": res, "dimension": dim,
                            "trained_fraction": float(res.trained.mean())})
