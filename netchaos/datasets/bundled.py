"""The bundled data sets: Iris, the 8x8 digits and a 1-D regression task (offline)."""

from __future__ import annotations

import numpy as np

from .._validate import check_bool, check_int, check_positive, rng_from
from ._dataset import Dataset, check_X

__all__ = ["iris", "digits", "regression", "regression_target"]


def _shuffle_split(X, y, n_train, seed):
    """Shuffle rows with ``rng_from(seed).permutation`` and split at ``n_train``."""
    perm = rng_from(seed).permutation(X.shape[0])
    tr, te = perm[:n_train], perm[n_train:]
    return X[tr], y[tr], X[te], y[te]


def _standardize(X_train, X_test):
    """Standardise both splits with the training mean and standard deviation.

    Columns that are constant on the training set (std 0) are only centred.
    """
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (X_train - mean) / std, (X_test - mean) / std


def iris(seed=0, standardize=False, n_train=120):
    """Fisher's Iris data with a seeded train/test split.

    Loads scikit-learn's bundled copy (no network access), shuffles the 150
    samples with ``np.random.default_rng(seed).permutation(150)`` and takes the
    first ``n_train`` as the training set and the rest as the test set.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default=0
        Seed of the shuffle.  The same seed always gives the same split.
    standardize : bool, default=False
        If False (default) the raw measurements in centimetres are returned, as
        in the reference study of GD dynamics on Iris.  If True, every feature is
        standardised with the mean and standard deviation of the *training* split,
        and the same affine map is applied to the test split.
    n_train : int, default=120
        Number of training samples, ``1 <= n_train <= 150``; the remaining
        ``150 - n_train`` samples form the test set.

    Returns
    -------
    Dataset
        ``X_train`` : ndarray of shape (n_train, 4), float64 — sepal length, sepal
        width, petal length, petal width.
        ``y_train`` : ndarray of shape (n_train,), int64 in {0, 1, 2} (setosa,
        versicolor, virginica).
        ``X_test`` : ndarray of shape (150 - n_train, 4), float64.
        ``y_test`` : ndarray of shape (150 - n_train,), int64.
        ``task="classification"``, ``n_classes=3``.

    References
    ----------
    .. [1] R. A. Fisher, "The use of multiple measurements in taxonomic
       problems", Annals of Eugenics 7(2), 179-188 (1936).

    Examples
    --------
    >>> ds = iris()
    >>> ds.X_train.shape, ds.X_test.shape
    ((120, 4), (30, 4))
    >>> ds.n_classes, sorted(set(ds.y_train.tolist()))
    (3, [0, 1, 2])
    """
    from sklearn.datasets import load_iris

    n_train = check_int(n_train, "n_train", minimum=1, maximum=150)
    standardize = check_bool(standardize, "standardize")
    data = load_iris()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    X_tr, y_tr, X_te, y_te = _shuffle_split(X, y, n_train, seed)
    if standardize:
        X_tr, X_te = _standardize(X_tr, X_te)
    desc = (
        f"Iris (Fisher 1936): 4 features, 3 classes; {n_train}/{150 - n_train} train/test split "
        f"(seed={seed!r}); " + ("features standardised with train statistics" if standardize else "raw features (cm)")
    )
    return Dataset(X_tr, y_tr, X_te, y_te, description=desc, task="classification", n_classes=3)


def digits(seed=0, n_train=1437, standardize=False, scale=True):
    """The 8x8 optical handwritten digits with a seeded train/test split.

    Loads scikit-learn's bundled copy (the 1797-image test part of the UCI
    "Optical Recognition of Handwritten Digits" data; no network access).  Each
    image is an 8x8 grid of block counts in 0..16, flattened row by row to 64
    features.  Samples are shuffled with
    ``np.random.default_rng(seed).permutation(1797)``; the first ``n_train`` are
    the training set (default 1437/360, i.e. 80/20).

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default=0
        Seed of the shuffle.
    n_train : int, default=1437
        Number of training samples, ``1 <= n_train <= 1797``.
    standardize : bool, default=False
        If True, standardise each feature with the training mean and standard
        deviation (applied after ``scale``).  Pixels that are constant on the
        training set are only centred.
    scale : bool, default=True
        If True divide the pixel counts by 16 so that inputs lie in [0, 1].

    Returns
    -------
    Dataset
        ``X_train`` : ndarray of shape (n_train, 64), float64.
        ``y_train`` : ndarray of shape (n_train,), int64 in 0..9.
        ``X_test`` : ndarray of shape (1797 - n_train, 64), float64.
        ``y_test`` : ndarray of shape (1797 - n_train,), int64.
        ``task="classification"``, ``n_classes=10``.

    References
    ----------
    .. [1] E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
       Digits", UCI Machine Learning Repository (1998).
    .. [2] E. Alpaydin and C. Kaynak, "Cascading classifiers", Kybernetika
       34(4), 369-374 (1998).

    Examples
    --------
    >>> ds = digits(n_train=100)
    >>> ds.X_train.shape, ds.X_test.shape, float(ds.X_train.max()), ds.n_classes
    ((100, 64), (1697, 64), 1.0, 10)
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    n_total = X.shape[0]
    n_train = check_int(n_train, "n_train", minimum=1, maximum=n_total)
    standardize = check_bool(standardize, "standardize")
    scale = check_bool(scale, "scale")
    if scale:
        X = X / 16.0
    X_tr, y_tr, X_te, y_te = _shuffle_split(X, y, n_train, seed)
    if standardize:
        X_tr, X_te = _standardize(X_tr, X_te)
    prep = ["pixels scaled to [0, 1]" if scale else "raw pixel counts 0..16"]
    if standardize:
        prep.append("standardised with train statistics")
    desc = (
        f"Digits (Alpaydin & Kaynak 1998): 8x8 images, 64 features, 10 classes; "
        f"{n_train}/{n_total - n_train} train/test split (seed={seed!r}); " + ", ".join(prep)
    )
    return Dataset(X_tr, y_tr, X_te, y_te, description=desc, task="classification", n_classes=10)


def regression_target(X):
    """Noise-free target of :func:`regression`.

    Parameters
    ----------
    X : array_like of shape (n, n_features)
        Inputs.

    Returns
    -------
    y : ndarray of shape (n,), float64
        ``sin(pi * x_0) + 0.5 * sum_{j >= 1} cos(pi * x_j)``.

    Examples
    --------
    >>> regression_target([[0.5, 0.0]])   # sin(pi/2) + 0.5 cos(0)
    array([1.5])
    """
    X = check_X(X, "X")
    if X.shape[1] == 0:
        raise ValueError(f"X must have at least one feature column, got shape {X.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # |x| > 5.7e307: pi * x overflows, NaN
        y = np.sin(np.pi * X[:, 0])
        if X.shape[1] > 1:
            y = y + 0.5 * np.cos(np.pi * X[:, 1:]).sum(axis=1)
    return y


def regression(n_train=200, n_test=100, noise=0.1, seed=0, n_features=1):
    """A smooth nonlinear regression task for tangent-map studies.

    Inputs are drawn iid uniform on [-1, 1] in every coordinate, and the
    target is

    .. math::

        y = \\sin(\\pi x_0) + \\tfrac12 \\sum_{j=1}^{d-1} \\cos(\\pi x_j)
            + \\sigma\\,\\varepsilon, \\qquad \\varepsilon \\sim N(0, 1),

    i.e. ``y = sin(pi * x_0)`` in the default one-dimensional case.  Noise is
    added to train and test targets alike (same distribution); use
    ``noise=0`` for exact targets, or :func:`regression_target` to evaluate the
    noise-free function.

    The random draws are, in order, from ``np.random.default_rng(seed)``:
    ``X`` of shape (n_train + n_test, n_features), then the noise of shape
    (n_train + n_test,); the first ``n_train`` rows are the training set.

    Parameters
    ----------
    n_train : int, default=200
        Number of training samples (>= 1).
    n_test : int, default=100
        Number of test samples (>= 0).
    noise : float, default=0.1
        Standard deviation ``sigma`` of the additive Gaussian noise (>= 0).
    seed : int, numpy.random.Generator or None, default=0
        Seed of the random draws.
    n_features : int, default=1
        Input dimension ``d`` (>= 1).

    Returns
    -------
    Dataset
        ``X_train`` : ndarray of shape (n_train, n_features), float64 in [-1, 1].
        ``y_train`` : ndarray of shape (n_train,), float64.
        ``X_test`` : ndarray of shape (n_test, n_features), float64.
        ``y_test`` : ndarray of shape (n_test,), float64.
        ``task="regression"``, ``n_outputs == 1``.

    Examples
    --------
    >>> import numpy as np
    >>> ds = regression(n_train=10, n_test=5, noise=0.0, seed=0)
    >>> ds.X_train.shape, ds.task, ds.n_outputs
    ((10, 1), 'regression', 1)
    >>> bool(np.array_equal(ds.y_train, regression_target(ds.X_train)))   # noise=0
    True
    """
    n_train = check_int(n_train, "n_train", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=0)
    n_features = check_int(n_features, "n_features", minimum=1)
    if (n_train + n_test) * n_features > 2**40:
        raise ValueError(f"n_train + n_test = {n_train + n_test} samples of n_features = "
                         f"{n_features} are more numbers than one float64 array may hold here")
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = rng_from(seed)
    n = n_train + n_test
    X = rng.uniform(-1.0, 1.0, size=(n, n_features))
    y = regression_target(X) + noise * rng.standard_normal(n)
    formula = "sin(pi*x0)" + (" + 0.5*sum_j cos(pi*x_j)" if n_features > 1 else "")
    desc = (
        f"Synthetic regression: y = {formula} + {noise:g}*N(0,1), x ~ U(-1, 1)^{n_features}; "
        f"{n_train}/{n_test} train/test (seed={seed!r})"
    )
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], description=desc, task="regression")
