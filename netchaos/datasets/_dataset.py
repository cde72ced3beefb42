"""The Dataset container: training and test arrays with their checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_numeric, check_int

__all__ = ["Dataset"]

_TASKS = ("classification", "regression")


def check_X(value, name, n_features=None):
    arr = as_numeric(value, name)
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
    # labels an int64 cannot hold would wrap around to negative numbers: name the real value
    limit = 2**31
    if y.dtype != bool and y.size and np.issubdtype(y.dtype, np.number) \
            and not np.issubdtype(y.dtype, np.complexfloating):
        big = float(np.max(y)) if np.issubdtype(y.dtype, np.floating) else int(np.max(y))
        if np.isfinite(big) and big >= limit:
            raise ValueError(f"{name} contains the class label {big:g}; labels must be below "
                             f"{limit:,} (class indices 0 .. n_classes - 1)")
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

        X_train = check_X(self.X_train, "X_train")
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
            X_test = check_X(self.X_test, "X_test", n_features=n_features)
        if self.y_test is None and X_test.shape[0] != 0:
            raise ValueError(f"y_test is required when X_test has rows (X_test has {X_test.shape[0]} rows)")

        y_train = as_numeric(self.y_train, "y_train")
        y_test = as_numeric(np.zeros(0) if self.y_test is None else self.y_test, "y_test")

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
                n_classes = check_int(n_classes, "n_classes", minimum=1)
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
