"""Small, reproducible datasets for studying training as a dynamical system.

Every loader returns a :class:`Dataset`: a plain container holding a train and a
test split as C-contiguous ``float64`` feature matrices plus labels (``int64``
class indices for classification, ``float64`` targets for regression).  Users can
also build a :class:`Dataset` from their own arrays; the constructor validates
and converts them.

Loaders
-------
iris
    Fisher's Iris data (bundled with scikit-learn), seeded 120/30 split.
digits
    The 8x8 optical digits (bundled with scikit-learn), seeded 1437/360 split.
regression
    A synthetic smooth nonlinear regression task (``y = sin(pi x_0) + ...``).
mnist
    MNIST read from local IDX or ``.npz`` files (or, if online, OpenML).
load
    Dispatch to one of the above by name.

All loaders are offline except :func:`mnist` without a local path, which falls
back to :func:`sklearn.datasets.fetch_openml`.

This module depends only on numpy, scikit-learn (imported lazily) and the
standard library.
"""

from __future__ import annotations

import gzip
import importlib.util
import numbers
import os
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Dataset",
    "iris",
    "digits",
    "regression",
    "regression_target",
    "mnist",
    "read_idx",
    "load",
    "DATASETS",
]

_TASKS = ("classification", "regression")


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------
def _as_numeric(value, name):
    """Return ``value`` as a numpy array of a real numeric (or bool) dtype."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real-valued, got dtype {arr.dtype}")
    return arr


def _check_int(value, name, minimum=None, maximum=None, allow_none=False):
    """Check that ``value`` is an integer (not bool) within [minimum, maximum]."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    if abs(value) >= 2**63:
        raise ValueError(f"{name} must fit in a 64-bit integer, got {value}")
    return value


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def _rng(seed):
    """``numpy.random.default_rng(seed)`` for an int >= 0, a Generator, a SeedSequence or None."""
    if not (seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence))):
        seed = _check_int(seed, "seed", minimum=0)
    return np.random.default_rng(seed)


def _check_nonneg_float(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def _check_X(value, name, n_features=None):
    arr = _as_numeric(value, name)
    if arr.ndim == 1 and arr.size == 0 and n_features is not None:
        # an empty test set given as ``[]`` or ``np.empty(0)``
        arr = arr.reshape(0, n_features)
    if arr.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-dimensional (n_samples, n_features), got shape {arr.shape}{hint}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} must have the same number of features as X_train: got {arr.shape[1]} columns, "
            f"expected {n_features}"
        )
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_rows(y, name, X_name, n_rows):
    if y.ndim == 0:
        raise ValueError(f"{name} must be an array with one entry per row of {X_name}, got a scalar")
    if y.shape[0] != n_rows:
        raise ValueError(
            f"{name} must have one label per row of {X_name}: got {y.shape[0]} labels for {n_rows} rows"
        )


def _class_labels(y, name, X_name, n_rows):
    """Convert classification labels to a 1-D int64 array (no range check yet)."""
    if y.ndim == 1 and y.size == 0 and n_rows == 0:
        return np.zeros(0, dtype=np.int64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of integer class labels for a classification task, "
            f"got shape {y.shape}"
        )
    _check_rows(y, name, X_name, n_rows)
    if y.dtype == bool or np.issubdtype(y.dtype, np.integer):
        return np.ascontiguousarray(y, dtype=np.int64)
    # float labels are accepted if they are whole numbers (e.g. loaded from a text file)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if not np.all(y == np.round(y)):
        raise ValueError(
            f"{name} must contain integer class labels for a classification task, "
            f"got non-integer values (dtype {y.dtype}); pass task='regression' for real-valued targets"
        )
    return np.ascontiguousarray(y, dtype=np.int64)


def _regression_targets(y, name, X_name, n_rows, trailing=None):
    """Convert regression targets to float64 of shape (n,) or (n, k)."""
    if trailing is not None and y.size == 0 and n_rows == 0:
        return np.zeros((0,) + trailing, dtype=np.float64)
    if y.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, n_targets), got shape {y.shape}")
    _check_rows(y, name, X_name, n_rows)
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError(f"{name} must have at least one target column, got shape {y.shape}")
    if trailing is not None and y.shape[1:] != trailing:
        want = f"({y.shape[0]}, {trailing[0]})" if trailing else f"({y.shape[0]},)"
        raise ValueError(f"{name} must have the same target shape as y_train: got {y.shape}, expected {want}")
    y = np.ascontiguousarray(y, dtype=np.float64)
    if y.size and not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return y


# ---------------------------------------------------------------------------
# Dataset container
# ---------------------------------------------------------------------------
@dataclass(repr=False, eq=False)
class Dataset:
    """A train/test split of a supervised learning problem.

    The constructor validates and converts its arguments, so a ``Dataset`` can
    be built directly from user arrays (lists, integer arrays, ...).  Arrays that
    already have the target dtype and are C-contiguous are stored without a copy.

    Parameters
    ----------
    X_train : array_like of shape (n_train, n_features)
        Training inputs; converted to a C-contiguous ``float64`` array.  Must be
        2-D, finite, with ``n_train >= 1`` and ``n_features >= 1``.
    y_train : array_like of shape (n_train,) or (n_train, n_targets)
        Training labels.  Classification: integer class indices in
        ``[0, n_classes)``, shape (n_train,) (a (n_train, 1) column is flattened);
        stored as ``int64``.  Regression: real targets of shape (n_train,) or
        (n_train, n_targets); stored as ``float64``.
    X_test : array_like of shape (n_test, n_features), optional
        Test inputs.  May have zero rows (``n_test == 0``); an empty 1-D array
        such as ``[]`` is accepted and reshaped to (0, n_features).  ``None``
        (the default) means an empty test set.
    y_test : array_like of shape (n_test,) or (n_test, n_targets), optional
        Test labels, same conventions as ``y_train``.  ``None`` (the default)
        means an empty test set; it must be given whenever ``X_test`` has rows.
    description : str, default=""
        Free-text description (source, preprocessing, split).
    task : {"classification", "regression"} or None, default=None
        Learning task.  If None it is inferred: ``"classification"`` when
        ``n_classes`` is given or ``y_train`` has an integer or boolean dtype,
        ``"regression"`` when it has a floating dtype.
    n_classes : int or None, default=None
        Number of classes (classification only; must be None for regression).
        If None it is inferred as ``max(label) + 1`` over train and test labels.

    Attributes
    ----------
    X_train : ndarray of shape (n_train, n_features), float64
    y_train : ndarray of shape (n_train,) int64, or (n_train,) / (n_train, n_targets) float64
    X_test : ndarray of shape (n_test, n_features), float64
    y_test : ndarray of shape (n_test,) int64, or (n_test,) / (n_test, n_targets) float64
    description : str
    task : str
        ``"classification"`` or ``"regression"``.
    n_classes : int or None
        Number of classes for classification, None for regression.

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. non-numeric arrays).
    ValueError
        If shapes are inconsistent, values are non-finite, or class labels are
        negative, non-integer or ``>= n_classes``.  The message names the
        offending argument.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> ds = Dataset(X[:4], [0, 1, 0, 1], X[4:], [1, 0])
    >>> ds
    Dataset(task='classification', n_train=4, n_test=2, n_features=2, n_classes=2)
    >>> Dataset(X, np.sin(X[:, 0])).n_outputs
    1
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    description: str = ""
    task: str | None = None
    n_classes: int | None = None

    def __post_init__(self):
        if not isinstance(self.description, str):
            raise TypeError(f"description must be a str, got {type(self.description).__name__}")

        X_train = _check_X(self.X_train, "X_train")
        if X_train.shape[0] == 0:
            raise ValueError("X_train must have at least one row, got shape (0, ...)")
        if X_train.shape[1] == 0:
            raise ValueError(f"X_train must have at least one feature column, got shape {X_train.shape}")
        n_features = X_train.shape[1]

        if self.X_test is None:
            if self.y_test is not None and np.size(self.y_test) != 0:
                raise ValueError("y_test was given without X_test; pass both or neither")
            X_test = np.zeros((0, n_features), dtype=np.float64)
        else:
            X_test = _check_X(self.X_test, "X_test", n_features=n_features)
        if self.y_test is None and X_test.shape[0] != 0:
            raise ValueError(f"y_test is required when X_test has rows (X_test has {X_test.shape[0]} rows)")

        y_train = _as_numeric(self.y_train, "y_train")
        y_test = _as_numeric(np.zeros(0) if self.y_test is None else self.y_test, "y_test")

        # ---- task
        task = self.task
        if task is None:
            if self.n_classes is not None:
                task = "classification"
            elif y_train.dtype == bool or np.issubdtype(y_train.dtype, np.integer):
                task = "classification"
            else:
                task = "regression"
        elif not isinstance(task, str):
            raise TypeError(f"task must be a str or None, got {type(task).__name__}")
        elif task not in _TASKS:
            raise ValueError(f"task must be one of {_TASKS}, got {task!r}")

        # ---- labels / targets
        n_classes = self.n_classes
        if task == "classification":
            y_train = _class_labels(y_train, "y_train", "X_train", X_train.shape[0])
            y_test = _class_labels(y_test, "y_test", "X_test", X_test.shape[0])
            for name, y in (("y_train", y_train), ("y_test", y_test)):
                if y.size and y.min() < 0:
                    raise ValueError(f"{name} contains negative class label {int(y.min())}; labels must be >= 0")
            max_label = int(max(y_train.max(), y_test.max() if y_test.size else 0))
            if n_classes is None:
                n_classes = max_label + 1
            else:
                n_classes = _check_int(n_classes, "n_classes", minimum=1)
                for name, y in (("y_train", y_train), ("y_test", y_test)):
                    if y.size and y.max() >= n_classes:
                        raise ValueError(
                            f"{name} contains class label {int(y.max())} but n_classes={n_classes}; "
                            f"labels must lie in [0, n_classes)"
                        )
        else:
            if n_classes is not None:
                raise ValueError(f"n_classes must be None for a regression task, got {n_classes!r}")
            y_train = _regression_targets(y_train, "y_train", "X_train", X_train.shape[0])
            y_test = _regression_targets(y_test, "y_test", "X_test", X_test.shape[0], trailing=y_train.shape[1:])

        self.X_train = X_train
        self.y_train = y_train
        self.X_test = X_test
        self.y_test = y_test
        self.task = task
        self.n_classes = n_classes

    # ---- sizes -----------------------------------------------------------
    @property
    def n_features(self) -> int:
        """int : Number of input features (columns of ``X_train``)."""
        return int(self.X_train.shape[1])

    @property
    def n_train(self) -> int:
        """int : Number of training samples."""
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        """int : Number of test samples (may be 0)."""
        return int(self.X_test.shape[0])

    @property
    def n_outputs(self) -> int:
        """int : Network output width: ``n_classes`` for classification, the
        number of target columns (1 for 1-D targets) for regression."""
        if self.task == "classification":
            return int(self.n_classes)
        return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])

    # ---- splits ----------------------------------------------------------
    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        """tuple of (ndarray of shape (n_train, n_features), ndarray) : ``(X_train, y_train)``."""
        return self.X_train, self.y_train

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        """tuple of (ndarray of shape (n_test, n_features), ndarray) : ``(X_test, y_test)``."""
        return self.X_test, self.y_test

    def __repr__(self) -> str:
        parts = [
            f"task={self.task!r}",
            f"n_train={self.n_train}",
            f"n_test={self.n_test}",
            f"n_features={self.n_features}",
        ]
        if self.task == "classification":
            parts.append(f"n_classes={self.n_classes}")
        else:
            parts.append(f"n_outputs={self.n_outputs}")
        if self.description:
            desc = self.description.strip().splitlines()[0] if self.description.strip() else ""
            if len(desc) > 60:
                desc = desc[:57] + "..."
            if desc:
                parts.append(f"description={desc!r}")
        return f"Dataset({', '.join(parts)})"


# ---------------------------------------------------------------------------
# helpers for the loaders
# ---------------------------------------------------------------------------
def _shuffle_split(X, y, n_train, seed):
    """Shuffle rows with ``default_rng(seed).permutation`` and split at ``n_train``."""
    perm = _rng(seed).permutation(X.shape[0])
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


# ---------------------------------------------------------------------------
# Iris
# ---------------------------------------------------------------------------
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
    """
    from sklearn.datasets import load_iris

    n_train = _check_int(n_train, "n_train", minimum=1, maximum=150)
    standardize = _check_bool(standardize, "standardize")
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


# ---------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------
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
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    n_total = X.shape[0]
    n_train = _check_int(n_train, "n_train", minimum=1, maximum=n_total)
    standardize = _check_bool(standardize, "standardize")
    scale = _check_bool(scale, "scale")
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


# ---------------------------------------------------------------------------
# Synthetic regression
# ---------------------------------------------------------------------------
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
    """
    X = _check_X(X, "X")
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
    """
    n_train = _check_int(n_train, "n_train", minimum=1)
    n_test = _check_int(n_test, "n_test", minimum=0)
    n_features = _check_int(n_features, "n_features", minimum=1)
    if (n_train + n_test) * n_features > 2**40:
        raise ValueError(f"n_train + n_test = {n_train + n_test} samples of n_features = "
                         f"{n_features} are more numbers than one float64 array may hold here")
    noise = _check_nonneg_float(noise, "noise")
    rng = _rng(seed)
    n = n_train + n_test
    X = rng.uniform(-1.0, 1.0, size=(n, n_features))
    y = regression_target(X) + noise * rng.standard_normal(n)
    formula = "sin(pi*x0)" + (" + 0.5*sum_j cos(pi*x_j)" if n_features > 1 else "")
    desc = (
        f"Synthetic regression: y = {formula} + {noise:g}*N(0,1), x ~ U(-1, 1)^{n_features}; "
        f"{n_train}/{n_test} train/test (seed={seed!r})"
    )
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], description=desc, task="regression")


# ---------------------------------------------------------------------------
# IDX files and MNIST
# ---------------------------------------------------------------------------
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """Read an array from a file in the IDX format (as used for MNIST).

    The file may be gzip-compressed (detected from its content, not its name).
    Layout: two zero bytes, a dtype code byte (0x08 unsigned byte, 0x09 signed
    byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), a byte giving
    the number of dimensions ``ndim``, then ``ndim`` big-endian uint32 sizes,
    then the data in C order, big-endian.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.

    Returns
    -------
    ndarray of shape (d_0, ..., d_{ndim-1})
        The data, in native byte order, with dtype uint8, int8, int16, int32,
        float32 or float64 according to the dtype code.  The array is a
        writable copy.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not valid IDX: bad magic number, unknown dtype code, or
        a byte count that does not match the header (truncated or trailing data).
        The message names the file.

    References
    ----------
    .. [1] Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of
       handwritten digits" (file format description), http://yann.lecun.com/exdb/mnist/.
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, ValueError) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(raw)} bytes, the header needs at least 4)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"{path}: not an IDX file (bad magic number 0x{raw[:4].hex()}; expected two zero bytes, "
            f"a dtype code and the number of dimensions)"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(
            f"{path}: not an IDX file (unknown dtype code 0x{code:02x}; expected one of "
            + ", ".join(f"0x{c:02x}" for c in _IDX_DTYPES)
            + ")"
        )
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, expected at least {header})")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got != expected:
        what = "truncated" if got < expected else "corrupt (trailing data)"
        raise ValueError(
            f"{path}: {what} IDX file: header declares shape {dims} of {dtype.name} "
            f"({expected} data bytes) but the file holds {got} data bytes"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="), copy=True)


_MNIST_PARTS = {
    "train_images": ("train-images", "idx3-ubyte"),
    "train_labels": ("train-labels", "idx1-ubyte"),
    "test_images": ("t10k-images", "idx3-ubyte"),
    "test_labels": ("t10k-labels", "idx1-ubyte"),
}


def _idx_candidates(stem, kind):
    names = [f"{stem}-{kind}", f"{stem}.{kind}"]
    return names + [n + ".gz" for n in names]


def _find_mnist_idx(folder):
    """Return ({part: path}, [missing parts]) for the IDX files in ``folder``."""
    found, missing = {}, []
    for part, (stem, kind) in _MNIST_PARTS.items():
        for name in _idx_candidates(stem, kind):
            full = os.path.join(folder, name)
            if os.path.isfile(full):
                found[part] = full
                break
        else:
            missing.append(f"{stem}-{kind}")
    return found, missing


def _load_mnist_npz(file):
    try:
        archive = np.load(file, allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"{file}: cannot read as a numpy .npz archive ({exc})") from None
    if not hasattr(archive, "files"):
        raise ValueError(f"{file}: expected a .npz archive with keys x_train, y_train, x_test, y_test, got a single array")
    with archive:
        keys = {k.lower(): k for k in archive.files}
        need = ("x_train", "y_train", "x_test", "y_test")
        absent = [k for k in need if k not in keys]
        if absent:
            raise ValueError(
                f"{file}: the .npz archive lacks key(s) {', '.join(absent)} "
                f"(it has {', '.join(archive.files) or 'no arrays'}; expected x_train, y_train, x_test, y_test)"
            )
        return tuple(archive[keys[k]] for k in need)


_MNIST_HELP = (
    "MNIST is not bundled with netchaos. Download the four IDX files "
    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz) or a mnist.npz (keys x_train, y_train, x_test, y_test) and pass "
    "mnist(path='folder or file'), or set the NETCHAOS_MNIST environment variable to that path."
)


def _fetch_mnist_openml():
    try:
        from sklearn.datasets import fetch_openml

        # scikit-learn's "auto" parser needs pandas for dense data; fall back to its built-in ARFF parser
        parser = "auto" if importlib.util.find_spec("pandas") is not None else "liac-arff"
        bunch = fetch_openml("mnist_784", version=1, as_frame=False, parser=parser)
    except Exception as exc:
        raise OSError(f"could not fetch MNIST from OpenML ({type(exc).__name__}: {exc}). {_MNIST_HELP}") from exc
    X = np.asarray(bunch.data)
    y = np.asarray(bunch.target).astype(np.int64)
    return X[:60000], y[:60000], X[60000:], y[60000:]


def mnist(path=None, n_train=None, n_test=None, scale=True):
    """The MNIST handwritten digits, read from local files.

    Sources, in order of precedence:

    1. ``path``, if given: either a folder holding the four standard IDX files
       ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
       ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each optionally
       gzipped with a ``.gz`` suffix; the dotted variants such as
       ``train-images.idx3-ubyte`` are accepted too), or a folder holding
       ``mnist.npz``, or the path of a ``.npz`` file with arrays ``x_train``,
       ``y_train``, ``x_test``, ``y_test``.
    2. The environment variable ``NETCHAOS_MNIST``, interpreted like ``path``.
    3. Otherwise :func:`sklearn.datasets.fetch_openml` ``("mnist_784",
       version=1)`` (needs network access or a scikit-learn data cache); its
       first 60000 samples are the training set and the last 10000 the test
       set (the standard split).  If that fails an :class:`OSError` explains
       how to pass local files.

    Parameters
    ----------
    path : str, os.PathLike or None, default=None
        Folder or ``.npz`` file, see above.
    n_train : int or None, default=None
        If given, keep only the first ``n_train`` training samples
        (``1 <= n_train <= 60000`` for the standard files).
    n_test : int or None, default=None
        If given, keep only the first ``n_test`` test samples (0 allowed).
    scale : bool, default=True
        If True divide pixel values (0..255) by 255 so that inputs lie in [0, 1].

    Returns
    -------
    Dataset
        ``X_train`` : ndarray of shape (n_train, 784), float64 (28x28 images
        flattened row by row).
        ``y_train`` : ndarray of shape (n_train,), int64 in 0..9.
        ``X_test`` : ndarray of shape (n_test, 784), float64.
        ``y_test`` : ndarray of shape (n_test,), int64.
        ``task="classification"``, ``n_classes=10``.  (The number of features
        is ``rows * cols`` of the stored images, 784 for real MNIST.)

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, or a folder lacks the IDX files / mnist.npz
        (the message lists what is missing).
    ValueError
        If a file is corrupt or truncated, image and label counts disagree, or
        ``n_train``/``n_test`` exceed the available samples.
    OSError
        If no path is given and the OpenML download fails.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
       learning applied to document recognition", Proceedings of the IEEE
       86(11), 2278-2324 (1998).
    """
    n_train = _check_int(n_train, "n_train", minimum=1, allow_none=True)
    n_test = _check_int(n_test, "n_test", minimum=0, allow_none=True)
    scale = _check_bool(scale, "scale")

    source = None
    if path is None:
        env = os.environ.get("NETCHAOS_MNIST", "").strip()
        if env:
            path, source = env, "NETCHAOS_MNIST"
    else:
        source = "path"

    if path is None:
        x_tr, y_tr, x_te, y_te = _fetch_mnist_openml()
        origin = "OpenML mnist_784"
    else:
        if isinstance(path, (bytes, str, os.PathLike)):
            path = os.fsdecode(os.fspath(path))
        else:
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        path = os.path.expanduser(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"MNIST {source} {path!r} does not exist. {_MNIST_HELP}")
        if os.path.isdir(path):
            found, missing = _find_mnist_idx(path)
            npz = os.path.join(path, "mnist.npz")
            if not missing:
                x_tr, y_tr, x_te, y_te = (read_idx(found[p]) for p in _MNIST_PARTS)
                origin = f"IDX files in {path}"
            elif os.path.isfile(npz):
                x_tr, y_tr, x_te, y_te = _load_mnist_npz(npz)
                origin = npz
            elif found:
                raise FileNotFoundError(
                    f"MNIST folder {path!r} is missing {', '.join(missing)} (optionally .gz) "
                    f"and has no mnist.npz. {_MNIST_HELP}"
                )
            else:
                raise FileNotFoundError(
                    f"no MNIST files in folder {path!r}: expected the IDX files "
                    f"{', '.join(s + '-' + k for s, k in _MNIST_PARTS.values())} (optionally .gz) "
                    f"or mnist.npz. {_MNIST_HELP}"
                )
        else:
            x_tr, y_tr, x_te, y_te = _load_mnist_npz(path)
            origin = path

    parts = {}
    for split, X, y, n_keep in (("train", x_tr, y_tr, n_train), ("test", x_te, y_te, n_test)):
        X = np.asarray(X)
        y = np.asarray(y)
        if X.ndim < 2:
            raise ValueError(f"MNIST {split} images from {origin} must have shape (n, rows, cols) or (n, pixels), got {X.shape}")
        if y.ndim != 1:
            raise ValueError(f"MNIST {split} labels from {origin} must be 1-D, got shape {y.shape}")
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"MNIST {split} images and labels from {origin} disagree: {X.shape[0]} images, {y.shape[0]} labels"
            )
        if n_keep is not None:
            if n_keep > X.shape[0]:
                raise ValueError(f"n_{split}={n_keep} exceeds the {X.shape[0]} available MNIST {split} samples")
            X, y = X[:n_keep], y[:n_keep]
        X = X.reshape(X.shape[0], int(np.prod(X.shape[1:]))).astype(np.float64)
        if scale:
            X /= 255.0
        parts[split] = (X, y.astype(np.int64))

    (X_tr, y_tr), (X_te, y_te) = parts["train"], parts["test"]
    desc = (
        f"MNIST (LeCun et al. 1998) from {origin}: {X_tr.shape[1]} features, 10 classes; "
        f"{X_tr.shape[0]}/{X_te.shape[0]} train/test; "
        + ("pixels scaled to [0, 1]" if scale else "raw pixel values 0..255")
    )
    return Dataset(X_tr, y_tr, X_te, y_te, description=desc, task="classification", n_classes=10)


# ---------------------------------------------------------------------------
# dispatch
# ---------------------------------------------------------------------------
DATASETS = {
    "iris": iris,
    "digits": digits,
    "regression": regression,
    "mnist": mnist,
}


def load(name, **kwargs):
    """Load a dataset by name.

    Parameters
    ----------
    name : str
        One of ``"iris"``, ``"digits"``, ``"regression"``, ``"mnist"``
        (case-insensitive).
    **kwargs
        Passed to the loader, e.g. ``load("iris", seed=3, standardize=True)``.

    Returns
    -------
    Dataset

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is unknown; the message lists the known names.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    key = name.strip().lower()
    if key not in DATASETS:
        raise ValueError(f"unknown dataset name {name!r}; known names: {', '.join(sorted(DATASETS))}")
    return DATASETS[key](**kwargs)
