"""MNIST from local IDX or npz files (no download at run time unless asked)."""

from __future__ import annotations

import gzip
import importlib.util
import os

import numpy as np

from .._validate import check_bool, check_int
from ._dataset import Dataset

__all__ = ["mnist", "read_idx"]


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

    Examples
    --------
    A 2x3 array of unsigned bytes (dtype code 0x08, 2 dimensions):

    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx2-ubyte")
    >>> with open(path, "wb") as fh:
    ...     _ = fh.write(bytes([0, 0, 0x08, 2]) + np.array([2, 3], ">u4").tobytes()
    ...                  + bytes(range(6)))
    >>> read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
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

    Examples
    --------
    A tiny stand-in ``mnist.npz`` (6 training and 2 test images of 28x28 bytes):

    >>> import os, tempfile
    >>> import numpy as np
    >>> d = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> np.savez(os.path.join(d, "mnist.npz"),
    ...          x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), y_train=np.arange(6),
    ...          x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), y_test=[0, 1])
    >>> ds = mnist(d, n_train=4)          # the folder, or the .npz file itself
    >>> ds.X_train.shape, ds.X_test.shape, ds.n_classes
    ((4, 784), (2, 784), 10)
    >>> bool(0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0)   # scale=True
    True
    """
    n_train = None if n_train is None else check_int(n_train, "n_train", minimum=1)
    n_test = None if n_test is None else check_int(n_test, "n_test", minimum=0)
    scale = check_bool(scale, "scale")

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
