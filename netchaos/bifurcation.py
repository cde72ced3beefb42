"""Bifurcation diagrams: the attractor, its period and its largest Lyapunov exponent over a
parameter (the learning rate of the GD map, or the parameter of a family of maps).

For a network, every learning rate is one lane of the trajectory kernels (:func:`netchaos.train`
with a learning rate per trajectory), so thousands of learning rates run in one call, each
trajectory with the bits of its own single-rate run. For a family of generic maps
(``value -> Map``, e.g. :func:`netchaos.systems.logistic`) the orbits run through the map
interface, and the period-doubling points are located exactly on the periodic orbits
(:func:`period_doublings`), from which Feigenbaum's ratio follows (:func:`feigenbaum_ratios`).

References
----------
.. [1] M. J. Feigenbaum, "Quantitative universality for a class of nonlinear transformations",
   J. Stat. Phys. 19, 25-52 (1978).
.. [2] G. Benettin, L. Galgani, J.-M. Strelcyn, "Kolmogorov entropy and numerical experiments",
   Phys. Rev. A 14, 2338-2345 (1976).
"""

from dataclasses import dataclass

import numpy as np

from ._progress import progress_bar
from ._random import stream, seed_entropy
from ._results import Result, fmt
from ._validate import as_float_array, check_bool, check_int, check_positive, split_data
from .systems import Map
from .timeseries.laminar import dominant_period
from .training import final_states, train

__all__ = ["BifurcationResult", "bifurcation_diagram", "period_doublings", "feigenbaum_ratios",
           "attractor_period"]


@dataclass(repr=False)
class BifurcationResult(Result):
    """Outcome of :func:`bifurcation_diagram`.

    Attributes
    ----------
    values : ndarray of shape (n,)
        The swept parameter (the learning rates of a GD map).
    name : str
        Its name: ``"lr"`` for a network, else the family's parameter name.
    samples : ndarray of shape (n, steps)
        The observable on the attractor after the transient: the training loss of a
        network, the first coordinate of a map (or the projection ``<w, x>``); NaN after
        divergence.
    period : int ndarray of shape (n,)
        Period of the attractor (:func:`attractor_period`): 0 when no period up to
        ``max_period`` repeats within ``tol``, -1 when the trajectory diverged.
    exponent : ndarray of shape (n,)
        Largest Lyapunov exponent per step over the kept steps (NaN when diverged or not
        computed).
    diverged : bool ndarray of shape (n,)
    diverged_at : int ndarray of shape (n,)
        Step (counted from the start, transient included) of divergence, -1 if none.
    steps, transient : int
    """

    values: np.ndarray
    name: str
    samples: np.ndarray
    period: np.ndarray
    exponent: np.ndarray
    diverged: np.ndarray
    diverged_at: np.ndarray
    steps: int
    transient: int

    def window(self, period):
        """``(first, last)`` value of the longest run of consecutive values with this period.

        Returns ``(nan, nan)`` when no value has it.
        """
        hit = np.append(self.period == check_int(period, "period", minimum=1), False)
        best, start = (0, 0), None
        for i, h in enumerate(hit):
            if h and start is None:
                start = i
            elif not h and start is not None:
                if i - start > best[1] - best[0]:
                    best = (start, i)
                start = None
        if best == (0, 0):
            return (np.nan, np.nan)
        return (float(self.values[best[0]]), float(self.values[best[1] - 1]))

    def __repr__(self):
        finite = self.exponent[np.isfinite(self.exponent)]
        top = fmt(finite.max()) if finite.size else "nan"
        return (f"BifurcationResult({self.name}: {len(self.values)} values in "
                f"[{fmt(self.values.min())}, {fmt(self.values.max())}], steps={self.steps}, "
                f"n_diverged={int(self.diverged.sum())}, max exponent={top})")


def attractor_period(series, max_period=12, tol=None):
    """Period of a sampled attractor: the smallest p with ``|x_t - x_{t-p}| <= tol`` for every t.

    Parameters
    ----------
    series : ndarray of shape (n,), n > max_period
    max_period : int, default 12
    tol : float, optional
        Absolute tolerance; default ``1e-6 * (1 + max |x|)``.

    Returns
    -------
    int
        The period, 0 when none up to ``max_period`` repeats everywhere (chaos,
        quasi-periodicity or a transient not yet over), -1 for a non-finite series.

    Notes
    -----
    The candidate is :func:`netchaos.dominant_period` (the period of the laminar phases);
    it is accepted only if it holds at every point, so an intermittent series has no
    period.

    Examples
    --------
    >>> attractor_period([0.2, 0.7] * 8)
    2
    >>> attractor_period([0.1, 0.5, 0.3, 0.9, 0.2, 0.6, 0.4, 0.8], max_period=3)
    0
    """
    x = np.asarray(series, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        return -1
    max_period = min(check_int(max_period, "max_period", minimum=1), x.size - 1)
    if tol is None:
        tol = 1e-6 * (1.0 + float(np.max(np.abs(x))))
    if np.ptp(x) <= tol:
        return 1
    def holds(q):
        return bool(np.all(np.abs(x[q:] - x[:-q]) <= tol))

    p = dominant_period(x, max_period=max_period, tol=tol)
    # the smallest period that holds everywhere: a divisor of p when p does
    candidates = [q for q in range(1, p + 1) if p % q == 0] if holds(p) \
        else range(1, max_period + 1)
    for q in candidates:
        if holds(q):
            return q
    return 0


def _periods(samples, max_period, tol):
    """:func:`attractor_period` of every row of ``samples`` (n, steps), vectorised over rows.

    The candidate of :func:`attractor_period` is the period maximising the fraction of
    matching points, so when some period holds at every point it is the smallest such
    one, and no smaller divisor holds; the answer is therefore the smallest ``q`` that
    holds everywhere (0 if none), which is what is computed here for whole blocks of
    rows. (A constant row is period 1 both ways: ``ptp <= tol`` makes every step match.)
    """
    S = np.asarray(samples, dtype=np.float64)
    n, T = S.shape
    max_period = min(max_period, T - 1)
    out = np.full(n, -1, dtype=np.int64)
    per = max(1, 2_000_000 // max(T, 1))           # rows per block: a few MB of temporaries
    for a in range(0, n, per):
        x = S[a:a + per]
        finite = np.isfinite(x).all(axis=1)
        if tol is None:
            with np.errstate(invalid="ignore"):
                tl = 1e-6 * (1.0 + np.max(np.abs(x), axis=1))
        else:
            tl = np.full(x.shape[0], float(tol))
        period = np.where(finite, 0, -1).astype(np.int64)
        open_ = finite.copy()
        for q in range(1, max_period + 1):
            if not open_.any():
                break
            idx = np.nonzero(open_)[0]
            with np.errstate(invalid="ignore"):
                hold = (np.abs(x[idx, q:] - x[idx, :-q]) <= tl[idx, None]).all(axis=1)
            period[idx[hold]] = q
            open_[idx[hold]] = False
        out[a:a + per] = period
    return out


def _check_values(values, name):
    v = as_float_array(values, name, ndim=1)
    if v.size == 0:
        raise ValueError(f"{name} must hold at least one value")
    return v


def bifurcation_diagram(model, data=None, lr_values=None, *, theta0=None, x0=None, steps=500,
                        transient=1000, exponent=True, renorm=10, d0=1e-8, projection=None,
                        max_period=12, tol=None, seed=0, name=None, progress=False):
    """The attractor, its period and its largest Lyapunov exponent over a parameter.

    Parameters
    ----------
    model : MLP or callable
        A network (the GD map over ``lr_values``), or a family ``value -> Map``
        (such as :func:`netchaos.systems.logistic`) over ``lr_values`` as its parameter.
    data : Dataset or tuple
        Training data of the network (None for a family of maps).
    lr_values : array_like of shape (n,)
        Learning rates (> 0), or the family's parameter values.
    theta0 : ndarray of shape (n_params,), optional
        Initial condition of every learning rate; default ``model.init(seed=seed)``.
    x0 : array_like, optional
        Initial state of a family of maps (required for one).
    steps : int, default 500
        Kept steps on the attractor, >= max_period + 1.
    transient : int, default 1000
        Steps run first and dropped.
    exponent : bool, default True
        Estimate the largest Lyapunov exponent over the kept steps.
    renorm : int, default 10
        Steps between renormalisations of the network's shadow trajectory.
    d0 : float, default 1e-8
        Euclidean distance of the network's shadow trajectory to the reference.
    projection : ndarray of shape (n_state,), optional
        Record ``<projection, x>`` instead of the loss (network) or the first coordinate
        (map).
    max_period : int, default 12
    tol : float, optional
        Period tolerance (:func:`attractor_period`).
    seed : int, default 0
        Seeds the default ``theta0`` and the shadow direction.
    name : str, optional
        Name of the parameter; default ``"lr"`` (network) or ``"r"`` (map family).
    progress : bool, default False

    Returns
    -------
    BifurcationResult

    Notes
    -----
    Network: the ``n`` learning rates are the lanes of :func:`netchaos.train` ensembles
    (a learning rate per trajectory), so each trajectory is bitwise the single-rate run; a
    learning rate whose trajectory diverged is left out of the later calls (its samples
    are NaN), which changes no other bit (:func:`netchaos.training.final_states`). The
    exponent follows Benettin's two-trajectory method [1]_: a shadow lane starts at distance
    ``d0`` along a fixed random direction and is pulled back to distance ``d0`` along the
    current separation every ``renorm`` steps; the mean of ``ln(d / d0)`` per step is the
    largest exponent of the tangent map ``I - lr H`` up to ``O(d0)`` (exact for a linear map,
    e.g. a quadratic loss). The shadow doubles the cost of the kept steps; ``exponent=False``
    skips it. Map family: orbits through ``Map.step`` and the exponent from ``Map.tangent``
    on one renormalised vector, a Python loop per value.

    References
    ----------
    .. [1] G. Benettin, L. Galgani, J.-M. Strelcyn, "Kolmogorov entropy and numerical
       experiments", Phys. Rev. A 14, 2338-2345 (1976).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.bifurcation_diagram(nc.systems.logistic, lr_values=[2.8, 3.2, 3.5, 4.0],
    ...                              x0=0.3, steps=400, transient=2000)
    >>> res.period.tolist()
    [1, 2, 4, 0]
    >>> bool(abs(res.exponent[-1] - np.log(2)) < 0.05)
    True
    """
    steps = check_int(steps, "steps", minimum=2)
    transient = check_int(transient, "transient", minimum=0)
    max_period = check_int(max_period, "max_period", minimum=1, maximum=steps - 1)
    exponent = check_bool(exponent, "exponent")
    progress = check_bool(progress, "progress")
    if lr_values is None:
        raise ValueError("lr_values is required")
    if hasattr(model, "_kernel_args"):
        values = _check_values(lr_values, "lr_values")
        if np.any(values <= 0):
            raise ValueError("lr_values must be > 0")
        renorm = check_int(renorm, "renorm", minimum=1)
        d0 = check_positive(d0, "d0")
        return _network(model, data, values, theta0, steps, transient, exponent, renorm, d0,
                        projection, max_period, tol, seed, name or "lr", progress)
    if not callable(model):
        raise TypeError(f"model must be a netchaos.MLP or a callable value -> Map, "
                        f"got {type(model).__name__}")
    if x0 is None:
        raise ValueError("x0 (the initial state) is required with a family of maps")
    values = _check_values(lr_values, "lr_values")
    return _family(model, values, x0, steps, transient, exponent, projection, max_period, tol,
                   name or "r", progress)


def _network(model, data, lrs, theta0, steps, transient, want_exp, renorm, d0, projection,
             max_period, tol, seed, name, progress):
    n = lrs.size
    if theta0 is None:
        theta0 = model.init(seed=seed)
    theta0 = as_float_array(theta0, "theta0", ndim=1)
    if theta0.shape != (model.n_params,):
        raise ValueError(f"theta0 must have shape ({model.n_params},), got {theta0.shape}")
    if projection is not None:
        projection = as_float_array(projection, "projection", ndim=1)
        if projection.shape != (model.n_params,):
            raise ValueError(f"projection must have shape ({model.n_params},), "
                             f"got {projection.shape}")
    split_data(data)
    start = np.repeat(theta0[None], n, axis=0)
    theta, div_at = final_states(model, data, start, lrs, transient, progress=progress)
    del start
    samples = np.full((n, steps), np.nan)
    log_growth = np.zeros(n)
    if want_exp:
        u = stream(seed_entropy(seed), 17).standard_normal(model.n_params)
        u = d0 * u / np.linalg.norm(u)           # the shadow's offset (and its reset)
        shadow = theta + u
    chunk = renorm if want_exp else steps
    rec = "params" if projection is not None else "metrics"
    live = np.nonzero(div_at < 0)[0]           # a diverged lane is NaN from here on anyway
    bar = progress_bar(progress, steps, f"attractor ({n} {name})", unit="step")
    done = 0
    try:
        while done < steps and live.size:
            m = min(chunk, steps - done)
            k = live.size
            rows = np.concatenate([theta[live], shadow[live]]) if want_exp else theta[live]
            lr2 = np.concatenate([lrs[live], lrs[live]]) if want_exp else lrs[live]
            res = train(model, data, rows, lr=lr2, steps=m, record=rec)
            if projection is not None:
                samples[live, done:done + m] = res.params[:k, :m] @ projection
            else:
                samples[live, done:done + m] = res.loss[:k, :m]
            theta[live] = res.theta[:k]
            if want_exp:
                sep = res.theta[k:] - res.theta[:k]
                d = np.linalg.norm(sep, axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    log_growth[live] += np.log(d / d0)
                    sep *= (d0 / d)[:, None]
                ok = np.isfinite(sep).all(axis=1) & (d > 0)
                sep[~ok] = u
                shadow[live] = res.theta[:k] + sep
            new = res.diverged_at[:k] >= 0
            div_at[live[new]] = res.diverged_at[:k][new] + transient + done
            live = live[~new]
            done += m
            if bar is not None:
                bar.update(m)
    finally:
        if bar is not None:
            bar.close()
    diverged = div_at >= 0
    samples[diverged] = np.nan
    exp = log_growth / steps if want_exp else np.full(n, np.nan)
    exp[diverged] = np.nan
    period = _periods(samples, max_period, tol)
    return BifurcationResult(values=lrs, name=name, samples=samples, period=period,
                             exponent=exp, diverged=diverged, diverged_at=div_at.astype(np.int64),
                             steps=steps, transient=transient)


def _as_map(family, value):
    m = family(value)
    if not isinstance(m, Map):
        raise TypeError(f"model (a family) must return a netchaos.systems.Map, "
                        f"got {type(m).__name__}")
    return m


def _family(family, values, x0, steps, transient, want_exp, projection, max_period, tol, name,
            progress):
    x_init = as_float_array(x0, "x0", ndim=(0, 1)).reshape(-1)
    if projection is None:
        projection = np.eye(x_init.size)[0]
    projection = as_float_array(projection, "projection", ndim=1)
    if projection.shape != x_init.shape:
        raise ValueError(f"projection must have shape {x_init.shape}, got {projection.shape}")
    n = values.size
    samples = np.full((n, steps), np.nan)
    exp = np.full(n, np.nan)
    div_at = np.full(n, -1, dtype=np.int64)
    bar = progress_bar(progress, n, f"orbits ({n} {name})", unit=name)
    for i, value in enumerate(values):
        m = _as_map(family, float(value))
        x = x_init.copy()
        v = np.ones((x.size, 1)) / np.sqrt(x.size)
        acc = 0.0
        for t in range(transient + steps):
            if not np.all(np.isfinite(x)):
                div_at[i] = t
                break
            if t >= transient:
                samples[i, t - transient] = projection @ x
                if want_exp:
                    v = m.tangent(x, v)
                    norm = float(np.linalg.norm(v))
                    acc += np.log(norm) if norm > 0 else -np.inf
                    v = v / norm if norm > 0 else np.ones_like(v) / np.sqrt(x.size)
            x = m.step(x)
        if div_at[i] < 0 and want_exp:
            exp[i] = acc / steps
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    diverged = div_at >= 0
    samples[diverged] = np.nan
    period = _periods(samples, max_period, tol)
    return BifurcationResult(values=values, name=name, samples=samples, period=period,
                             exponent=exp, diverged=diverged, diverged_at=div_at,
                             steps=steps, transient=transient)


# ---------------------------------------------------------------------------
# period doublings of a family of maps, on the periodic orbits
# ---------------------------------------------------------------------------
def _orbit_point(m, x, p, iters=50):
    """A point of the period-``p`` orbit near ``x`` (Newton on f^p(x) - x), and its multiplier.

    Returns ``(x*, mu)`` with ``mu`` the eigenvalue of ``Df^p(x*)`` of largest modulus, or
    ``(None, nan)`` when Newton does not converge.
    """
    n = x.size
    for _ in range(iters):
        y = x.copy()
        J = np.eye(n)
        for _ in range(p):
            J = m.tangent(y, J)
            y = m.step(y)
        F = y - x
        if not np.all(np.isfinite(F)) or not np.all(np.isfinite(J)):
            return None, np.nan
        try:
            dx = np.linalg.solve(J - np.eye(n), -F)
        except np.linalg.LinAlgError:
            return None, np.nan
        x = x + dx
        if np.max(np.abs(dx)) <= 1e-14 * (1.0 + np.max(np.abs(x))):
            eig = np.linalg.eigvals(J)
            mu = eig[np.argmax(np.abs(eig))]
            return x, float(mu.real) if abs(mu.imag) < 1e-12 else np.nan
    return None, np.nan


def period_doublings(family, start, x0, n=4, first_step=0.02, transient=20000, xtol=1e-12):
    """The first period-doubling points of a family of maps, on its periodic orbits.

    Parameters
    ----------
    family : callable
        ``value -> Map`` (such as :func:`netchaos.systems.logistic`).
    start : float
        A parameter value with an attracting fixed point, below the first doubling.
    x0 : array_like
        Initial state from which the attractor at ``start`` is reached.
    n : int, default 4
        Number of doublings (periods 1 -> 2 -> ... -> 2^n).
    first_step : float, default 0.02
        Scan step towards the first doubling; each next scan uses the previous interval
        divided by 4.669 / 20.
    transient : int, default 20000
        Iterations to reach the attractor at ``start``.
    xtol : float, default 1e-12
        Bisection tolerance on the parameter.

    Returns
    -------
    ndarray of shape (n,)
        The values at which the period-``2^k`` orbit's multiplier crosses -1.

    Notes
    -----
    Starting from the attracting fixed point, the period-``p`` orbit is continued in the
    parameter by Newton's method on ``f^p(x) = x`` (with ``Df^p`` from the map's tangent),
    so it is followed beyond its loss of stability. Its multiplier ``mu`` (the eigenvalue of
    ``Df^p`` of largest modulus) is scanned until it falls below -1 and the crossing
    ``mu = -1`` is bisected; the new period-``2p`` orbit is started by iterating the map
    just beyond the crossing. Nothing depends on transients of slowly converging orbits,
    which spoil period detection near a bifurcation.

    Examples
    --------
    >>> import netchaos as nc
    >>> pts = period_doublings(nc.systems.logistic, 2.8, 0.3, n=2)
    >>> [round(float(r), 6) for r in pts]
    [3.0, 3.44949]
    """
    n = check_int(n, "n", minimum=1, maximum=12)
    start = float(start)
    x = as_float_array(x0, "x0", ndim=(0, 1)).reshape(-1).copy()
    m = _as_map(family, start)
    for _ in range(check_int(transient, "transient", minimum=0)):
        x = m.step(x)
    p, r, step = 1, start, float(check_positive(first_step, "first_step"))
    x, mu = _orbit_point(m, x, p)
    if x is None or not -1 < mu < 1:
        raise ValueError(f"no attracting fixed point at start={start} (multiplier {mu})")
    points = []
    for _ in range(n):
        # scan up until the multiplier of the period-p orbit drops below -1
        lo, xlo = r, x
        while True:
            hi = lo + step
            xhi, mu = _orbit_point(_as_map(family, hi), xlo, p)
            if xhi is None:
                step /= 2
                if step < xtol:
                    raise ValueError(f"lost the period-{p} orbit near {lo}")
                continue
            if mu < -1:
                break
            lo, xlo = hi, xhi
        while hi - lo > xtol:
            mid = 0.5 * (lo + hi)
            xm, mu = _orbit_point(_as_map(family, mid), xlo, p)
            if xm is None:
                hi = mid
                continue
            if mu < -1:
                hi = mid
            else:
                lo, xlo = mid, xm
        rk = 0.5 * (lo + hi)
        points.append(rk)
        gap = rk - (points[-2] if len(points) > 1 else start)
        # the period-2p orbit, reached by iteration just beyond the doubling
        r = rk + gap / 200.0
        mr = _as_map(family, r)
        y = xlo + 1e-3 * (1.0 + np.abs(xlo))
        for _ in range(20000):
            y = mr.step(y)
        p *= 2
        x, mu = _orbit_point(mr, y, p)
        if x is None or not -1 < mu < 1:
            raise ValueError(f"no attracting period-{p} orbit just beyond {rk}")
        step = gap / 4.669 / 20.0
    return np.array(points)


def feigenbaum_ratios(points):
    """Ratios ``(r_k - r_{k-1}) / (r_{k+1} - r_k)`` of successive bifurcation points.

    They converge to Feigenbaum's delta = 4.6692... for period doubling in maps with a
    quadratic maximum [1]_.

    Parameters
    ----------
    points : array_like of shape (n,), n >= 3, increasing

    Returns
    -------
    ndarray of shape (n - 2,)

    References
    ----------
    .. [1] M. J. Feigenbaum, "Quantitative universality for a class of nonlinear
       transformations", J. Stat. Phys. 19, 25-52 (1978).

    Examples
    --------
    >>> feigenbaum_ratios([3.0, 3.449490, 3.544090, 3.564407]).round(3)
    array([4.751, 4.656])
    """
    r = as_float_array(points, "points", ndim=1)
    if r.size < 3:
        raise ValueError(f"points must hold at least 3 values, got {r.size}")
    d = np.diff(r)
    if np.any(d <= 0):
        raise ValueError("points must be strictly increasing")
    return d[:-1] / d[1:]
