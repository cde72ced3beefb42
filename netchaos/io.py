"""Saving and loading results: one ``.npz`` file per result, written atomically.

File format
-----------
A result is saved to one ``.npz`` file (a zip archive of ``.npy`` arrays, read
with ``numpy.load(..., allow_pickle=False)``; nothing is pickled):

- every array of the result is one entry, named by its path in the result
  (``distances``, ``results.0.distances``, ``fits.1.exponent``, ...);
- the entry ``__meta__`` is a uint8 array holding UTF-8 JSON::

      {"format": "netchaos",          # always this name
       "format_version": 1,           # FORMAT_VERSION; readers refuse newer ones
       "type": "SweepResult",         # the result class
       "netchaos_version": "0.1.0",   # the package that wrote the file
       "created": "2025-01-31T12:00:00+00:00",
       "parameters": {...},           # every scalar parameter of the result, seed included
       "metadata": {...},             # whatever the caller passed to save()
       "content": {...},              # the full tree: scalars inline, arrays by entry name
       "arrays": {entry: {"dtype": "<f8", "shape": [...], "crc32": ...}}}

  In ``content`` a result is ``{"__type__": name, "fields": {...}}``, an array
  ``{"__array__": entry}``, a tuple ``{"__tuple__": [...]}``, a dict
  ``{"__dict__": [[key, value], ...]}`` (keys keep their type, e.g. float
  sweep values) and a non-finite float ``{"__float__": "nan"}`` (the JSON is
  strict). Floats are written with ``repr``, so they load bitwise identical.

Files are written atomically: to a temporary file in the target directory,
flushed and fsync'ed, then renamed over the target with :func:`os.replace`.
An interrupted save leaves the previous file (if any) untouched and at most a
hidden ``.<name>.*.tmp`` file behind. :func:`load` checks the archive, the
format name and version, the result type and that every array is present, and
raises ``ValueError`` naming the file and the problem otherwise (a truncated
or foreign file never produces a bare zipfile error and is never written to).
Every array is checked against the dtype, shape and CRC-32 recorded in the
metadata, so damage that the zip directory's own checksums miss is caught too.

Checkpoint directories of sweeps are kept by :mod:`netchaos.checkpoint` in the same
format.
"""

import datetime
import json
import os
import zipfile
import zlib
from dataclasses import fields, is_dataclass

import numpy as np

from ._files import (
    NOT_SCALAR,
    atomic_write,
    check_path,
    json_bytes,
    json_scalar,
    tagged_float,
)
from ._results import result_types
from ._validate import to_numpy
from ._version import __version__

__all__ = ["save", "load", "read_metadata", "FORMAT_NAME", "FORMAT_VERSION"]

#: Name written in every file's metadata.
FORMAT_NAME = "netchaos"
#: Version of the file layout; files with a larger number are refused.
FORMAT_VERSION = 1
_META = "__meta__"


# ============================================================================
# encoding
# ============================================================================
class _Encoder:
    """Turns a result tree into JSON-able content plus a dict of named arrays."""

    def __init__(self, types):
        self.types = types
        self.arrays = {}

    def __call__(self, obj, key, where=None):
        # ``key`` names the stored array entry; ``where`` the user's path, for the messages
        where = key if where is None else where
        value = json_scalar(obj, tagged_float)
        if value is not NOT_SCALAR:
            return value
        if not is_dataclass(obj):
            obj = to_numpy(obj, f"cannot save result entry {where!r}")
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject or obj.dtype.kind == "V":
                raise TypeError(f"cannot save result entry {where!r}: arrays of dtype "
                                f"{obj.dtype} are not supported")
            self.arrays[key] = obj
            return {"__array__": key}
        if isinstance(obj, tuple):
            return {"__tuple__": [self(v, _join(key, i), f"{where}[{i}]")
                                  for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self(v, _join(key, i), f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, dict):
            return {"__dict__": [[self(k, _join(key, f"k{i}"), f"{where} key {k!r}"),
                                  self(v, _join(key, i), f"{where}[{k!r}]" if where else str(k))]
                                 for i, (k, v) in enumerate(obj.items())]}
        name = type(obj).__name__
        if is_dataclass(obj) and self.types.get(name) is type(obj):
            return {"__type__": name,
                    "fields": {f.name: self(getattr(obj, f.name), _join(key, f.name),
                                            _join(where, f.name))
                               for f in fields(obj)}}
        raise TypeError(f"cannot save result entry {where!r} of type {name}; supported: "
                        f"{', '.join(sorted(self.types))}, dicts, lists, tuples, arrays "
                        "(numpy, or tensors of torch/JAX, converted), numbers and strings")


def _join(key, part):
    return f"{key}.{part}" if key else str(part)


def _plain(obj, depth=0):
    """A readable JSON view of the scalar parameters of a result (arrays summarised)."""
    value = json_scalar(obj, repr)
    if value is not NOT_SCALAR:
        return value
    if isinstance(obj, np.ndarray):
        if obj.ndim <= 1 and obj.size <= 64 and obj.dtype.kind in "biuf":
            return [_plain(v) for v in obj.tolist()]
        return f"<array {obj.dtype} {list(obj.shape)}>"
    if isinstance(obj, (tuple, list)):
        return [_plain(v, depth + 1) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v, depth + 1) for k, v in obj.items()}
    if is_dataclass(obj):
        if depth:
            return f"<{type(obj).__name__}>"
        return {f.name: _plain(getattr(obj, f.name), depth + 1) for f in fields(obj)
                if not isinstance(getattr(obj, f.name), (np.ndarray, dict))
                or f.name in ("settings", "values")}
    return repr(obj)


# ============================================================================
# public API
# ============================================================================
def save(result, path, metadata=None):
    """Save a result to one ``.npz`` file, atomically.

    Parameters
    ----------
    result : result object or dict
        An :class:`~netchaos.EnsembleResult`, :class:`~netchaos.SweepResult`,
        :class:`~netchaos.FiniteLyapunovResult`, :class:`~netchaos.NetworkMLE`,
        :class:`~netchaos.SpectrumResult`, :class:`~netchaos.CLVResult`,
        :class:`~netchaos.SharpnessSeries`, :class:`~netchaos.FTLELossResult`,
        :class:`~netchaos.TrainResult` or a time-series result, or a dict of
        them (and of arrays, numbers and strings).
    path : str or os.PathLike
        Target file, used as given (``.npz`` is the customary suffix). An
        existing file is replaced only once the new one is complete.
    metadata : dict, optional
        Extra JSON-able information stored under ``"metadata"`` (e.g. the seed
        of a spectrum, which its result does not record).

    Returns
    -------
    str
        The path written.

    Notes
    -----
    The layout is described in the module docstring of :mod:`netchaos.io`:
    the result's arrays as ``.npy`` entries plus a ``__meta__`` entry of JSON
    with the format name and version, the result type, the package version,
    the creation time, every scalar parameter (seed included) and the full
    structure. The write goes to a temporary file in the same directory,
    which is flushed, fsync'ed and renamed over ``path``.

    Examples
    --------
    >>> import netchaos as nc, tempfile, os
    >>> fl = nc.finite_lyapunov(1e-8 * 2.0 ** __import__("numpy").arange(40))
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.npz")
    >>> _ = nc.save(fl, path)
    >>> nc.load(path).exponent.shape
    (1,)
    """
    path = check_path(path)
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}")
    if os.path.isdir(path):
        raise ValueError(f"path {path!r} is a directory; give a file name")
    types = result_types()
    if not (isinstance(result, dict) or type(result).__name__ in types):
        raise TypeError(f"result must be a netchaos result or a dict of them, got "
                        f"{type(result).__name__}")
    enc = _Encoder(types)
    content = enc(result, "")
    try:
        extra = json.loads(json_bytes(metadata or {}))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata must be JSON-serialisable: {exc}") from None
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "type": "dict" if isinstance(result, dict) else type(result).__name__,
        "netchaos_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "parameters": _plain(result),
        "metadata": extra,
        "content": content,
        "arrays": {k: _signature(a) for k, a in enc.arrays.items()},
    }
    arrays = dict(enc.arrays)
    arrays[_META] = np.frombuffer(json_bytes(meta), dtype=np.uint8)
    atomic_write(path, lambda fh: np.savez(fh, **arrays))
    return path


def _open(path):
    """The metadata and the open NpzFile of a netchaos file (the caller closes it)."""
    path = check_path(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory, not a netchaos result file")
    if not os.path.isfile(path):       # a device, a pipe or a socket: reading could never end
        raise ValueError(f"{path!r} is not a regular file, so not a netchaos result file")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path!r} is not a netchaos result file: it is not an npz (zip) archive "
                         "(a foreign file, or one cut short)")
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - zipfile and numpy raise many kinds on bad bytes
        raise ValueError(f"{path!r} is not a readable netchaos result file: {exc}") from None
    try:
        if _META not in npz.files:
            raise ValueError(f"{path!r} is not a netchaos result file: it has no {_META} entry")
        raw = _read_entry(npz, _META, path)
        try:
            meta = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ValueError(f"{path!r}: the {_META} entry is not valid JSON") from None
        except RecursionError:
            raise ValueError(f"{path!r}: the {_META} entry is nested too deeply to be a "
                             "netchaos result") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise ValueError(f"{path!r} is not a netchaos result file (format "
                             f"{meta.get('format') if isinstance(meta, dict) else None!r})")
        version = meta.get("format_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"{path!r}: invalid format_version {version!r}")
        if version > FORMAT_VERSION:
            raise ValueError(f"{path!r} has format version {version}, newer than the "
                             f"{FORMAT_VERSION} this netchaos reads (it was written by netchaos "
                             f"{meta.get('netchaos_version')}); upgrade netchaos to load it")
        for key in ("type", "content", "arrays"):
            if key not in meta:
                raise ValueError(f"{path!r}: the metadata has no {key!r}")
        if meta["type"] != "dict" and meta["type"] not in result_types():
            raise ValueError(f"{path!r} holds an unknown result type {meta['type']!r}")
        present = set(npz.files)
        if not isinstance(meta["arrays"], dict):
            raise ValueError(f"{path!r}: malformed metadata (arrays)")
        missing = [k for k in _array_keys(meta["content"])
                   if k not in present or k not in meta["arrays"]]
        if missing:
            raise ValueError(f"{path!r} is incomplete: arrays {', '.join(missing[:5])}"
                             f"{' ...' if len(missing) > 5 else ''} are missing")
    except BaseException:
        npz.close()
        raise
    return meta, npz


def _signature(a):
    """dtype, shape and CRC-32 of an array's bytes (checked on load, independently of the
    zip directory, whose own sizes and checksums a damage may hit too)."""
    return {"dtype": a.dtype.str, "shape": list(a.shape),
            "crc32": zlib.crc32(np.ascontiguousarray(a).tobytes())}


def _read_entry(npz, key, path, expected=None):
    try:
        arr = npz[key]
    except KeyError:
        raise ValueError(f"{path!r} is incomplete: array {key!r} is missing") from None
    except Exception as exc:  # noqa: BLE001 - zipfile and numpy raise many kinds on bad bytes
        raise ValueError(f"{path!r} is corrupt or truncated: array {key!r} cannot be read "
                         f"({exc})") from None
    if not isinstance(arr, np.ndarray):   # numpy hands back raw bytes for a non-.npy entry
        raise ValueError(f"{path!r} is corrupt: entry {key!r} is not an array")
    if expected is not None and _signature(arr) != expected:
        raise ValueError(f"{path!r} is corrupt or truncated: array {key!r} does not match its "
                         "recorded dtype, shape and checksum")
    return arr


def read_metadata(path):
    """The JSON metadata of a saved result, without loading its arrays.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    dict
        ``format``, ``format_version``, ``type``, ``netchaos_version``,
        ``created``, ``parameters``, ``metadata``, ``content`` and ``arrays``
        (dtype, shape and CRC-32 of every array entry).

    Raises
    ------
    ValueError
        If the file is not a netchaos result file (see :func:`load`).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import netchaos as nc
    >>> d = tempfile.mkdtemp()
    >>> fl = nc.finite_lyapunov(1e-8 * 2.0 ** np.arange(40))
    >>> path = nc.save(fl, os.path.join(d, "fit.npz"), metadata={"note": "demo"})
    >>> meta = nc.io.read_metadata(path)
    >>> meta["format"], meta["type"], meta["metadata"]
    ('netchaos', 'FiniteLyapunovResult', {'note': 'demo'})
    """
    meta, npz = _open(path)
    npz.close()
    return meta


def load(path):
    """Load a result written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    result object or dict
        The saved object, with bitwise identical arrays and floats.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a zip archive, has no ``__meta__`` entry or another
        format name, has a newer format version, an unknown result type, or a
        missing, truncated or corrupt array; the message names the file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import netchaos as nc
    >>> d = tempfile.mkdtemp()
    >>> fl = nc.finite_lyapunov(1e-8 * 2.0 ** np.arange(40))   # doubling: ln 2 per step
    >>> back = nc.load(nc.save({"fit": fl, "x": np.arange(3)}, os.path.join(d, "run.npz")))
    >>> type(back["fit"]).__name__, round(float(back["fit"].exponent[0]), 4), back["x"]
    ('FiniteLyapunovResult', 0.6931, array([0, 1, 2]))
    >>> with open(os.path.join(d, "junk.npz"), "wb") as fh:
    ...     _ = fh.write(b"not a zip")
    >>> nc.load(os.path.join(d, "junk.npz"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: '...junk.npz' is not a netchaos result file: it is not an npz (zip) archive ...
    """
    meta, npz = _open(path)
    path = os.fspath(path)
    types = result_types()

    def dec(node):
        if isinstance(node, list):
            return [dec(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "__array__" in node:
            key = node["__array__"]
            return _read_entry(npz, key, path, meta["arrays"][key])
        if "__float__" in node:
            return float(node["__float__"])
        if "__tuple__" in node:
            return tuple(dec(v) for v in node["__tuple__"])
        if "__dict__" in node:
            return {_hashable(dec(k)): dec(v) for k, v in node["__dict__"]}
        if "__type__" in node:
            cls = types.get(node["__type__"])
            if cls is None:
                raise ValueError(f"{path!r} holds an unknown result type {node['__type__']!r}")
            renamed = getattr(cls, "_renamed", {})   # files written before a field's rename
            kwargs = {renamed.get(k, k): dec(v) for k, v in node.get("fields", {}).items()}
            try:
                return cls(**kwargs)
            except TypeError as exc:
                raise ValueError(f"{path!r}: the stored {cls.__name__} does not match this "
                                 f"netchaos ({exc})") from None
        raise ValueError(f"{path!r}: unrecognised entry in the metadata content")

    try:
        out = dec(meta["content"])
    except (TypeError, KeyError, AttributeError, IndexError) as exc:
        raise ValueError(f"{path!r}: malformed metadata content ({exc})") from None
    except RecursionError:
        raise ValueError(f"{path!r}: the metadata content is nested too deeply") from None
    finally:
        npz.close()
    expected = types.get(meta["type"])
    if expected is not None and type(out) is not expected:
        raise ValueError(f"{path!r}: the metadata says {meta['type']} but the content holds "
                         f"{type(out).__name__}")
    if meta["type"] == "dict" and not isinstance(out, dict):
        raise ValueError(f"{path!r}: the metadata says dict but the content holds "
                         f"{type(out).__name__}")
    return out


def _array_keys(node):
    """Entry names of all arrays referenced in a metadata content tree."""
    if isinstance(node, list):
        for v in node:
            yield from _array_keys(v)
    elif isinstance(node, dict):
        if "__array__" in node:
            yield node["__array__"]
        else:
            for v in node.values():
                yield from _array_keys(v)


def _hashable(key):
    return key if not isinstance(key, list) else tuple(key)
