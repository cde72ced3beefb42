"""Files on disk, for results and checkpoints: path checks, atomic writes, canonical JSON."""

import contextlib
import hashlib
import json
import numbers
import os
import tempfile

import numpy as np

__all__ = ["check_path", "atomic_write", "fsync_dir", "json_bytes", "json_scalar",
           "tagged_float", "NOT_SCALAR", "jsonable", "fingerprint"]

#: Returned by :func:`json_scalar` for anything that is not a scalar.
NOT_SCALAR = object()


def check_path(path, name="path"):
    """``path`` as a non-empty str, with a TypeError/ValueError naming ``name`` otherwise."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike file name, got {type(path).__name__}")
    path = os.fspath(path)
    if not path:
        raise ValueError(f"{name} must not be empty")
    return path


def tagged_float(value):
    """JSON form of a non-finite float that survives a round trip."""
    return {"__float__": repr(value)}


def json_scalar(obj, nonfinite):
    """JSON form of None, a bool, a str or a real number (``nonfinite`` maps NaN and inf);
    ``NOT_SCALAR`` for anything else."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        value = float(obj)
        return value if np.isfinite(value) else nonfinite(value)
    return NOT_SCALAR


def json_bytes(obj):
    """Canonical strict JSON (sorted keys, no NaN, no spaces) as UTF-8 bytes."""
    return json.dumps(obj, allow_nan=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def jsonable(obj):
    """A canonical JSON-able copy of parameters (arrays as dtype + list)."""
    value = json_scalar(obj, tagged_float)
    if value is not NOT_SCALAR:
        return value
    if isinstance(obj, np.ndarray):
        return {"__array__": str(obj.dtype), "shape": list(obj.shape),
                "data": [jsonable(v) for v in obj.ravel().tolist()]}
    if isinstance(obj, (tuple, list)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    return repr(obj)


def fingerprint(*arrays):
    """SHA-256 of arrays (dtype, shape and bytes) and strings, as hex."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none;")
        elif isinstance(a, str):
            h.update(b"str:" + a.encode("utf-8") + b";")
        else:
            a = np.ascontiguousarray(a)
            h.update(f"{a.dtype.str}{a.shape};".encode())
            h.update(a.tobytes())
    return h.hexdigest()


def fsync_dir(directory):
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path, write):
    """Write ``path`` through ``write(fileobj)`` atomically: temp file, fsync, rename.

    An OSError names ``path`` (not the hidden temporary file) and keeps its errno.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write {path!r}: {exc.strerror or exc} "
                                   f"(in {directory!r})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise type(exc)(exc.errno, f"cannot write {path!r}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)
