"""Tangent dynamics: growth of tangent vectors, ensemble against tangent-map exponents, and finite-time exponents early in training against the final loss (Sharafi, Martin & Hallerberg)."""

import numbers
from dataclasses import dataclass

import numpy as np

from .._progress import progress_bar
from .._results import Result
from .._validate import (
    INIT_SCHEMES,
    as_float_array,
    check_choice,
    check_int,
    check_model,
    check_positive,
    rng_from,
    split_data,
)
from ..exponents import network_mle
from ..spectra import lyapunov_spectrum
from ..training import train


def tangent_growth(model, data, theta_init, lr, steps, eps, seeds, progress=False):
    """Growth of a tangent vector of length ``eps`` along reference trajectories.

    Parameters
    ----------
    model : MLP
    data : Dataset or tuple
    theta_init : ndarray of shape (n, P)
        Initial conditions (e.g. ``ens.theta_init`` of a perturbation ensemble).
    lr : float
    steps : int
    eps : float
        Length of the tangent vector at t = 0.
    seeds : sequence of int
        Seed of the initial tangent direction, one per initial condition.
    progress : bool, default False

    Returns
    -------
    ndarray of shape (n, steps + 1)
        ``eps * exp(sum_{s < t} lambda_1^loc(s))``: what a perturbation of size eps would
        grow to under the exact tangent map ``I - lr H`` (:func:`netchaos.lyapunov_spectrum`
        with k = 1).

    Notes
    -----
    Fitted by :func:`netchaos.finite_lyapunov` over the ensemble's windows
    (``saturation=fl_ens.saturation_step``) it gives the tangent-map exponent of each
    initial condition, to compare with the finite-eps ensemble exponent.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 10, 3])
    >>> g = tangent_growth(model, nc.datasets.iris(seed=0), model.init(seed=0, n=2), 1.0, 20,
    ...                    1e-8, seeds=[0, 1])
    >>> g.shape, float(g[0, 0]), bool(np.all(g > 0))
    ((2, 21), 1e-08, True)
    """
    theta_init = as_float_array(theta_init, "theta_init", ndim=2)
    steps = check_int(steps, "steps", minimum=1)
    seeds = list(seeds)
    n = theta_init.shape[0]
    if len(seeds) != n:
        raise ValueError(f"seeds has {len(seeds)} entries for {n} initial conditions")
    growth = np.full((n, steps + 1), np.nan)
    bar = progress_bar(progress, n, "tangent FTLEs")
    for i in range(n):
        r = lyapunov_spectrum(model, data, theta_init[i], lr, steps=steps, k=1, seed=seeds[i])
        growth[i, 0] = eps
        growth[i, 1:] = eps * np.exp(np.cumsum(r.local[:, 0]))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return growth


def exponent_agreement(fl_ens, fl_tan, **mle):
    """Ensemble against tangent-map exponents of the same initial conditions.

    Parameters
    ----------
    fl_ens, fl_tan : FiniteLyapunovResult
        Fits of the ensemble distances and of :func:`tangent_growth` over the same windows
        (n_init each).
    **mle
        Keywords of :func:`netchaos.network_mle` (the kept criteria).

    Returns
    -------
    dict
        ``ensemble`` and ``tangent`` (:class:`netchaos.NetworkMLE`), ``both`` (n_init,)
        kept by both, ``ensemble_exponents`` and ``tangent_exponents`` (n_init,);
        over the initial conditions kept by both (NaN with fewer than 3): ``mean_ensemble``,
        ``mean_tangent``, ``correlation``, ``median_relative_difference``
        (``|a - b| / |a|``), ``fraction_within_20pct``; ``relative_difference_of_means``
        (None when undefined).

    Notes
    -----
    At small eps the perturbations stay linear until they saturate, so both roads measure
    the same exponent of the GD map.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos import finite_lyapunov
    >>> t = np.arange(80.0)[None]
    >>> rates = np.array([[0.2], [0.3], [0.4], [0.5]])
    >>> fl_a = finite_lyapunov(1e-8 * np.exp(rates * np.minimum(t, 30)), layout="init,t")
    >>> fl_b = finite_lyapunov(1e-8 * np.exp(1.1 * rates * np.minimum(t, 30)), layout="init,t")
    >>> agr = exponent_agreement(fl_a, fl_b)
    >>> int(agr["both"].sum()), round(agr["correlation"], 6), round(agr["median_relative_difference"], 6)
    (4, 1.0, 0.1)
    """
    m_ens = network_mle(fl_ens, n_boot=0, **mle)
    m_tan = network_mle(fl_tan, n_boot=0, **mle)
    both = m_ens.kept & m_tan.kept
    a, b = fl_ens.exponent, fl_tan.exponent
    if both.sum() >= 3:
        corr = float(np.corrcoef(a[both], b[both])[0, 1])
        rel = np.abs(a[both] - b[both]) / np.abs(a[both])
        within20 = float(np.mean(rel <= 0.2))
        med_rel = float(np.median(rel))
        mean_a, mean_b = float(np.mean(a[both])), float(np.mean(b[both]))
    else:
        corr = within20 = med_rel = mean_a = mean_b = float("nan")
    return {
        "ensemble": m_ens, "tangent": m_tan, "both": both,
        "ensemble_exponents": a, "tangent_exponents": b,
        "mean_ensemble": mean_a, "mean_tangent": mean_b,
        "relative_difference_of_means": abs(mean_a - mean_b) / abs(mean_a)
        if np.isfinite(mean_a) and mean_a != 0 else None,
        "correlation": corr, "median_relative_difference": med_rel,
        "fraction_within_20pct": within20,
    }



@dataclass(repr=False)
class FTLELossResult(Result):
    """Early finite-time Lyapunov exponents against the final training loss.

    Attributes
    ----------
    ftle : ndarray of shape (n_init, k)
        Leading finite-time exponents over the first ``t_early`` steps, one row
        per initial condition; NaN where that stretch diverged.
    final_loss : ndarray of shape (n_init,)
        Training loss after ``t_final`` steps; ``inf`` where training diverged.
    theta0 : ndarray of shape (n_init, n_params)
        The initial conditions.
    diverged : bool ndarray of shape (n_init,)
        Training diverged within ``t_final`` steps.
    spearman, spearman_p, pearson, pearson_p : float
        Correlation of ``ftle[:, 0]`` with ``final_loss`` (and p-values) over
        the initial conditions where both are finite; NaN with fewer than 3.
    loss_threshold : float
        "High loss" means ``final_loss > loss_threshold``.
    high_loss : bool ndarray of shape (n_init,)
    ftle_threshold : float
        Threshold on ``ftle[:, 0]`` fitted on the training half.
    direction : int
        +1 if the predictor says "high loss" for ``ftle > ftle_threshold``, -1
        for ``ftle < ftle_threshold``.
    train_idx, test_idx : int ndarray
        The random halves of the initial conditions used to fit and to test
        the predictor (initial conditions with NaN FTLE are left out).
    train_accuracy, test_accuracy : float
        Fraction of correct "high loss" predictions on each half.
    baseline_accuracy : float
        Test accuracy of the best constant guess on the test half (the share
        of its larger class): what a predictor must beat.
    lr : float
    t_early, t_final : int
    local : ndarray of shape (n_init, t_early, k)
        Local exponents ``ln R_ii`` of every step of the first ``t_early``
        steps (their mean over steps ``0 .. w`` is the FTLE over w steps).
    loss_start, loss_early : ndarray of shape (n_init,)
        Training loss at step 0 and at step ``t_early``.
    gap : float
        Width of the gap in ``log10(final_loss)`` that ``loss_threshold`` sits
        in (:func:`loss_gap_threshold`; NaN for a given threshold).

    Examples
    --------
    >>> import netchaos as nc
    >>> res = nc.ftle_vs_final_loss(nc.MLP([4, 3, 3]), nc.datasets.iris(), lr=1.0, n_init=6,
    ...                             t_early=5, t_final=30, seed=0)
    >>> res.ftle.shape, res.final_loss.shape, res.local.shape
    ((6, 1), (6,), (6, 5, 1))
    >>> res.predict(res.ftle).shape, res.train_idx.size + res.test_idx.size
    ((6,), 6)
    """

    ftle: np.ndarray
    final_loss: np.ndarray
    theta0: np.ndarray
    diverged: np.ndarray
    spearman: float
    spearman_p: float
    pearson: float
    pearson_p: float
    loss_threshold: float
    high_loss: np.ndarray
    ftle_threshold: float
    direction: int
    train_idx: np.ndarray
    test_idx: np.ndarray
    train_accuracy: float
    test_accuracy: float
    baseline_accuracy: float
    lr: float
    t_early: int
    t_final: int
    local: np.ndarray = None
    loss_start: np.ndarray = None
    loss_early: np.ndarray = None
    gap: float = float("nan")

    def predict(self, ftle):
        """Apply the fitted threshold: True means "ends in a high-loss state".

        Parameters
        ----------
        ftle : array_like of shape (m,) or (m, k)
            Leading FTLEs (the first column is used for 2-D input).

        Returns
        -------
        bool ndarray of shape (m,)
        """
        f = as_float_array(ftle, "ftle", ndim=(1, 2), finite=False)
        if f.ndim == 2:
            if f.shape[1] == 0:
                raise ValueError(f"ftle must have at least one column, got shape {f.shape}")
            f = f[:, 0]
        return self.direction * (f - self.ftle_threshold) > 0

    def __repr__(self):
        return (f"FTLELossResult(n_init={self.ftle.shape[0]}, k={self.ftle.shape[1]}, "
                f"t_early={self.t_early}, t_final={self.t_final}, lr={self.lr:g}, "
                f"spearman={self.spearman:.3f}, test_accuracy={self.test_accuracy:.3f} "
                f"(baseline {self.baseline_accuracy:.3f}), n_diverged={int(self.diverged.sum())})")


def loss_gap_threshold(final_loss, min_class=0.1):
    """The threshold between two final loss levels: the middle of the widest gap.

    Parameters
    ----------
    final_loss : array_like of shape (n,)
        Final losses; ``inf`` (diverged) counts as high, NaN is ignored.
    min_class : float, default 0.1
        Smallest share of the finite losses on either side of the gap, in (0, 0.5].

    Returns
    -------
    threshold : float
        Geometric middle of the widest gap between consecutive sorted finite losses
        with at least ``min_class`` of them on each side (NaN with fewer than 2 finite
        positive losses).
    gap : float
        Width of that gap in ``log10`` of the loss.

    Notes
    -----
    When training ends in a few distinct loss levels (good and bad minima, dead units),
    the widest gap in log-loss separates them; a median split would instead cut one
    level in two and make the label a coin toss.

    Examples
    --------
    >>> t, g = loss_gap_threshold([0.010, 0.011, 0.012, 0.10, 0.11, 0.12, float("inf")])
    >>> round(t, 4), round(g, 2)
    (0.0346, 0.92)
    """
    L = as_float_array(final_loss, "final_loss", ndim=1, finite=False)
    min_class = check_positive(min_class, "min_class", maximum=0.5)
    fin = np.sort(L[np.isfinite(L) & (L > 0)])
    if fin.size < 2:
        return float("nan"), float("nan")
    lg = np.log10(fin)
    gaps = np.diff(lg)
    below = np.arange(1, fin.size)                  # losses at or below each gap
    lo = max(1, int(np.ceil(min_class * fin.size)))
    ok = (below >= lo) & (fin.size - below >= lo)
    if not ok.any():
        ok[:] = True
    j = int(np.argmax(np.where(ok, gaps, -np.inf)))
    return float(10 ** (0.5 * (lg[j] + lg[j + 1]))), float(gaps[j])


def _fit_threshold(f, label):
    """Best single threshold and direction on feature f for the boolean label."""
    fs = np.unique(f)
    cands = np.concatenate([[fs[0] - 1.0], 0.5 * (fs[1:] + fs[:-1]), [fs[-1] + 1.0]])
    best = (-1.0, 0.0, 1)
    for c in cands:
        for s in (1, -1):
            acc = float(np.mean((s * (f - c) > 0) == label))
            if acc > best[0]:
                best = (acc, float(c), s)
    return best


def ftle_vs_final_loss(model, data, lr, n_init, t_early, t_final, k=1, seed=None,
                       progress=False, *, theta0=None, init_scale=1.0, init_scheme="normal",
                       loss_threshold=None):
    """Do early finite-time Lyapunov exponents predict where training ends?

    Parameters
    ----------
    model : MLP
    data : Dataset or tuple (X, y)
        Training data.
    lr : float
        Learning rate, > 0.
    n_init : int
        Number of initial conditions, >= 4.
    t_early : int
        Steps over which the finite-time exponents are measured, >= 1.
    t_final : int
        Training steps before the final loss is read, >= 0.
    k : int, default 1
        Number of leading finite-time exponents per initial condition.
    seed : int, numpy.random.Generator or None
        Initial conditions (``model.init``), initial tangent vectors and the
        train/test split of the initial conditions.
    progress : bool, default False
        Progress bar over the initial conditions (tqdm.auto).
    theta0 : ndarray of shape (n_init, n_params), optional
        Explicit initial conditions instead of ``model.init``.
    init_scale : float, default 1
    init_scheme : {"normal", "glorot", "he"}
        Passed to ``model.init``.
    loss_threshold : float, optional
        Final losses above it count as "high loss". Default: the middle of the
        widest gap between final loss levels (:func:`loss_gap_threshold`).

    Returns
    -------
    FTLELossResult
        ``ftle`` (n_init, k), ``final_loss`` (n_init,), Spearman and Pearson
        correlations, the fitted FTLE threshold with its train and test
        accuracies and a majority-class baseline.

    Notes
    -----
    For each initial condition, ``lyapunov_spectrum(..., steps=t_early, k=k)``
    gives the leading finite-time exponents of the GD map over the first
    ``t_early`` steps; the whole ensemble is then trained for ``t_final``
    steps with :func:`netchaos.train` and ``model.loss`` is read at the end.
    Sharafi et al. found that such early stability indicators predict the
    final training loss of networks learning a regression task [1]_.

    Predictor: the initial conditions with a finite FTLE are split at random
    into halves. On the first half, a threshold ``c`` and a direction ``s``
    maximise the accuracy of "high loss iff ``s (ftle_1 - c) > 0``" (``c`` from
    the midpoints between sorted FTLEs); the accuracy on the second half is
    reported next to the best constant guess on that half (the share of its
    larger class; a majority guess fitted on the first half would score the
    mirror image of a balanced split, below 0.5). The scores with intervals,
    trivial predictors and cross-validation are
    :func:`loss_level_prediction`. A trajectory that diverges
    during training has final loss ``inf`` (always "high loss"); it is left
    out of the Pearson and Spearman correlations, which use initial
    conditions with finite FTLE and finite final loss only.

    References
    ----------
    .. [1] N. Sharafi, C. Martin, S. Hallerberg, "Weight dynamics of learning
       networks", Phys. Rev. E 111, 054208 (2025); arXiv:2405.00743.
    .. [2] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, Meccanica 15,
       9-20 (1980).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.ftle_vs_final_loss(nc.MLP([4, 3, 3]), nc.datasets.iris(), lr=1.0, n_init=6,
    ...                             t_early=5, t_final=30, seed=0)
    >>> res.ftle.shape, bool(res.diverged.any()), res.direction in (-1, 1)
    ((6, 1), False, True)
    >>> res.local.shape, res.loss_early.shape                  # per-step exponents, loss(t_early)
    ((6, 5, 1), (6,))
    """
    from scipy import stats


    check_model(model, "tangent")
    X, y = split_data(data)[:2]
    lr = check_positive(lr, "lr")
    n_init = check_int(n_init, "n_init", minimum=4)
    t_early = check_int(t_early, "t_early", minimum=1)
    t_final = check_int(t_final, "t_final", minimum=0)
    k = check_int(k, "k", minimum=1, maximum=model.n_params)
    init_scale = check_positive(init_scale, "init_scale", allow_zero=True, maximum=1e300)
    init_scheme = check_choice(init_scheme, "init_scheme", INIT_SCHEMES)
    if loss_threshold is not None:
        if isinstance(loss_threshold, bool) or not isinstance(loss_threshold, numbers.Real):
            raise TypeError(f"loss_threshold must be a real number, got "
                            f"{type(loss_threshold).__name__}")
        loss_threshold = float(loss_threshold)
    rng = rng_from(seed)
    if theta0 is None:
        thetas = model.init(rng, n=n_init, scale=init_scale, scheme=init_scheme)
    else:
        thetas = as_float_array(theta0, "theta0", ndim=2)
        if thetas.shape != (n_init, model.n_params):
            raise ValueError(f"theta0 must have shape ({n_init}, {model.n_params}), "
                             f"got {thetas.shape}")
    model.loss(thetas[0], X, y)                         # validates X, y with their names

    ftle = np.full((n_init, k), np.nan)
    local = np.full((n_init, t_early, k), np.nan)
    bar = progress_bar(progress, n_init, "FTLE", unit="run")
    try:
        for i in range(n_init):
            res = lyapunov_spectrum(model, (X, y), thetas[i], lr, steps=t_early, k=k, seed=rng)
            ftle[i] = res.exponents
            local[i] = res.local
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()

    tr = train(model, (X, y), thetas, lr, t_final, record="final")
    diverged = np.asarray(tr.diverged, dtype=bool)
    final_loss = np.asarray(model.loss(tr.theta, X, y), dtype=float)
    final_loss = np.where(diverged | ~np.isfinite(final_loss), np.inf, final_loss)
    early = train(model, (X, y), thetas, lr, t_early, record="final")
    loss_early = np.asarray(model.loss(early.theta, X, y), dtype=float)
    loss_early = np.where(np.asarray(early.diverged, dtype=bool) | ~np.isfinite(loss_early),
                          np.inf, loss_early)
    loss_start = np.asarray(model.loss(thetas, X, y), dtype=float)

    f1 = ftle[:, 0]
    both = np.isfinite(f1) & np.isfinite(final_loss)
    if both.sum() >= 3 and np.ptp(f1[both]) > 0 and np.ptp(final_loss[both]) > 0:
        sp = stats.spearmanr(f1[both], final_loss[both])
        pe = stats.pearsonr(f1[both], final_loss[both])
        spearman, spearman_p = float(sp.statistic), float(sp.pvalue)
        pearson, pearson_p = float(pe.statistic), float(pe.pvalue)
    else:
        spearman = spearman_p = pearson = pearson_p = float("nan")

    gap = float("nan")
    if loss_threshold is None:
        loss_threshold, gap = loss_gap_threshold(final_loss)
        if np.isnan(loss_threshold):
            loss_threshold = float(np.median(final_loss))
    high = final_loss > loss_threshold

    usable = np.nonzero(np.isfinite(f1))[0]
    perm = rng.permutation(usable)
    half = perm.size // 2
    train_idx, test_idx = np.sort(perm[:half]), np.sort(perm[half:])
    if train_idx.size and test_idx.size:
        train_acc, c, s = _fit_threshold(f1[train_idx], high[train_idx])
        test_acc = float(np.mean((s * (f1[test_idx] - c) > 0) == high[test_idx]))
        share = float(np.mean(high[test_idx]))
        baseline = max(share, 1.0 - share)
    else:
        train_acc = test_acc = baseline = c = float("nan")
        s = 1
    return FTLELossResult(
        ftle=ftle, final_loss=final_loss, theta0=thetas, diverged=diverged,
        spearman=spearman, spearman_p=spearman_p, pearson=pearson, pearson_p=pearson_p,
        loss_threshold=loss_threshold, high_loss=high, ftle_threshold=float(c), direction=int(s),
        train_idx=train_idx, test_idx=test_idx, train_accuracy=float(train_acc),
        test_accuracy=test_acc, baseline_accuracy=baseline, lr=lr, t_early=t_early,
        t_final=t_final, local=local, loss_start=loss_start, loss_early=loss_early, gap=gap)


def _auc(scores, labels):
    """ROC AUC of each row of scores (B, n) for the bool labels (B, n), ties counted half."""
    from scipy.stats import rankdata

    ranks = rankdata(scores, axis=-1)
    n1 = labels.sum(axis=-1)
    n0 = labels.shape[-1] - n1
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * labels).sum(axis=-1) - n1 * (n1 + 1) / 2) / (n1 * n0)
    return np.where((n1 > 0) & (n0 > 0), auc, np.nan)


def loss_level_prediction(res, model=None, windows=None, *, n_boot=1000, n_splits=5,
                          n_repeats=10, seed=None):
    """Do early FTLEs predict which loss level training ends in, beyond trivial predictors?

    Parameters
    ----------
    res : FTLELossResult
        From :func:`ftle_vs_final_loss` (its ``high_loss`` labels are the target).
    model : MLP, optional
        To take the initial weight norm over the weights only (default all parameters).
    windows : sequence of int, optional
        FTLE windows: the first w steps of the ``t_early`` recorded ones; default
        ``t_early / 8, / 4, / 2`` and ``t_early``.
    n_boot : int, default 1000
        Bootstrap resamples of the initial conditions for the AUC intervals.
    n_splits, n_repeats : int, default 5 and 10
        Repeated stratified k-fold cross-validation of the logistic regressions.
    seed : int, optional
        Seed of the bootstrap and of the folds.

    Returns
    -------
    dict
        ``n`` (initial conditions with finite features), ``n_high``, ``threshold``,
        ``gap``; ``features`` {name: (n,)}: ``lambda1_w``, ``sum_positive_w``, ``sum_w``
        for every window w (largest FTLE, sum of the positive ones, sum of all k), and the
        trivial ``log_loss_early``, ``log_loss_start``, ``weight_norm``; ``auc`` {name:
        {"auc", "ci"}} (ROC AUC of "higher feature, high final loss" with a bootstrap 95 %
        interval; 0.5: no information, below 0.5: the opposite direction); ``best_ftle``
        and ``best_trivial`` (the feature with the largest ``|auc - 0.5|`` of each kind);
        ``cv`` {"trivial", "ftle", "both": mean AUC over folds, "*_std", "gain" (both -
        trivial, mean over the same folds), "gain_std", "gain_positive" (fraction of folds
        where the FTLEs help)}; ``labels`` (n,) and ``rows`` (indices into ``res``).

    Notes
    -----
    A single feature is scored by its ROC AUC, which needs no threshold and is not fooled
    by unbalanced classes; the interval resamples the initial conditions with replacement.
    What the FTLEs add is measured by cross-validated logistic regression (standardised
    features, scikit-learn) on the trivial predictors alone and on the trivial predictors
    together with every FTLE feature, scored on the held-out folds by AUC. The sum of all
    exponents is that of the ``k`` computed ones: the log-volume growth of the tangent map
    when ``k`` is the number of parameters.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> X = np.linspace(-1, 1, 32)[:, None]
    >>> model = nc.MLP([1, 3, 1], activation="relu", loss="mse")
    >>> res = nc.ftle_vs_final_loss(model, (X, np.sin(2 * np.pi * X[:, 0])), 0.1, n_init=30,
    ...                             t_early=20, t_final=200, k=model.n_params, seed=0)
    >>> out = loss_level_prediction(res, model, n_boot=100, n_repeats=2, seed=0)
    >>> sorted(out["cv"])[:3], len(out["auc"]) == len(out["features"])
    (['both', 'both_std', 'ftle'], True)
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RepeatedStratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if not isinstance(res, FTLELossResult) or res.local is None:
        raise TypeError(f"res must be an FTLELossResult with local exponents, got "
                        f"{type(res).__name__}")
    t_early = res.local.shape[1]
    if windows is None:
        windows = sorted({max(1, t_early // d) for d in (8, 4, 2, 1)})
    windows = [check_int(w, "windows", minimum=1, maximum=t_early) for w in windows]
    n_boot = check_int(n_boot, "n_boot", minimum=0)
    n_splits = check_int(n_splits, "n_splits", minimum=2)
    n_repeats = check_int(n_repeats, "n_repeats", minimum=1)
    rng = rng_from(seed)

    ftle_feats = {}
    for w in windows:
        spec = res.local[:, :w, :].mean(axis=1)                     # (n_init, k)
        ftle_feats[f"lambda1_{w}"] = spec.max(axis=1)
        ftle_feats[f"sum_positive_{w}"] = np.where(spec > 0, spec, 0.0).sum(axis=1)
        ftle_feats[f"sum_{w}"] = spec.sum(axis=1)
    mask = model.weight_mask if model is not None else np.ones(res.theta0.shape[1], bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        trivial = {"log_loss_early": np.log10(res.loss_early),
                   "log_loss_start": np.log10(res.loss_start),
                   "weight_norm": np.linalg.norm(res.theta0[:, mask], axis=1)}
    feats = {**ftle_feats, **trivial}
    F = np.column_stack(list(feats.values()))
    rows = np.flatnonzero(np.isfinite(F).all(axis=1))
    F = F[rows]
    labels = np.asarray(res.high_loss, dtype=bool)[rows]
    names = list(feats)
    n = rows.size

    auc = {}
    boot = rng.integers(0, n, size=(n_boot, n)) if n_boot and n else None
    for j, name in enumerate(names):
        a = float(_auc(F[:, j][None], labels[None])[0]) if n else float("nan")
        ci = None
        if boot is not None:
            b = _auc(F[boot, j], labels[boot])
            b = b[np.isfinite(b)]
            if b.size:
                ci = [float(v) for v in np.percentile(b, [2.5, 97.5])]
        auc[name] = {"auc": a, "ci": ci}

    def strongest(group):
        vals = {k: abs(auc[k]["auc"] - 0.5) for k in group if np.isfinite(auc[k]["auc"])}
        return max(vals, key=vals.get) if vals else None

    n_ftle = len(ftle_feats)
    cv = {k: float("nan") for k in ("trivial", "ftle", "both", "trivial_std", "ftle_std",
                                    "both_std", "gain", "gain_std", "gain_positive")}
    n_min = int(min(labels.sum(), n - labels.sum())) if n else 0
    if n_min >= n_splits:
        sets = {"trivial": slice(n_ftle, None), "ftle": slice(0, n_ftle), "both": slice(None)}
        scores = {k: [] for k in sets}
        folds = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats,
                                        random_state=int(rng.integers(2**31 - 1)))
        for tr_i, te_i in folds.split(F, labels):
            for k, cols in sets.items():
                clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
                clf.fit(F[tr_i][:, cols], labels[tr_i])
                p = clf.predict_proba(F[te_i][:, cols])[:, 1]
                scores[k].append(float(_auc(p[None], labels[te_i][None])[0]))
        for k, v in scores.items():
            cv[k], cv[f"{k}_std"] = float(np.mean(v)), float(np.std(v))
        gain = np.array(scores["both"]) - np.array(scores["trivial"])
        cv["gain"], cv["gain_std"] = float(gain.mean()), float(gain.std())
        cv["gain_positive"] = float(np.mean(gain > 0))
    return {"n": int(n), "n_high": int(labels.sum()), "threshold": float(res.loss_threshold),
            "gap": float(res.gap), "windows": windows, "features": {k: F[:, j] for j, k in
                                                                   enumerate(names)},
            "auc": auc, "best_ftle": strongest(ftle_feats), "best_trivial": strongest(trivial),
            "cv": cv, "labels": labels, "rows": rows}
