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

from ._dataset import Dataset
from .bundled import digits, iris, regression, regression_target
from .mnist import mnist, read_idx

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

    Examples
    --------
    >>> from netchaos.datasets import load
    >>> load("regression", n_train=10, n_test=5)  # doctest: +ELLIPSIS
    Dataset(task='regression', n_train=10, n_test=5, n_features=1, n_outputs=1, ...)
    >>> load(" Iris ", seed=3).n_train
    120
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    key = name.strip().lower()
    if key not in DATASETS:
        raise ValueError(f"unknown dataset name {name!r}; known names: {', '.join(sorted(DATASETS))}")
    return DATASETS[key](**kwargs)
