"""Saving and loading results, and the checkpoint directories of long sweeps.

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

Checkpoint directories
----------------------
:func:`netchaos.eps_sweep` and :func:`netchaos.lr_sweep` take
``checkpoint=DIR``: DIR then holds ``manifest.json`` (the sweep's parameters
and a SHA-256 fingerprint of the model, data and initial conditions) and one
``chunk-NNNN.npz`` per finished sweep value (the ensemble, the fit and the
network MLE of value NNNN, in the format above). ``resume=True`` reloads the
chunks whose manifest matches and computes the rest; the result is bitwise
identical to an uninterrupted run.
"""

import contextlib
import datetime
import hashlib
import json
import numbers
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import fields, is_dataclass

import numpy as np

__all__ = ["save", "load", "read_metadata", "FORMAT_NAME", "FORMAT_VERSION"]

#: Name written in every file's metadata.
FORMAT_NAME = "netchaos"
#: Version of the file layout; files with a larger number are refused.
FORMAT_VERSION = 1
_META = "__meta__"


def _result_types():
    """The result classes that can be saved, by name."""
    from . import spectra, stability, timeseries, training

    classes = [
        stability.EnsembleResult, stability.FiniteLyapunovResult, stability.NetworkMLE,
        stability.SweepResult, spectra.SpectrumResult, spectra.CLVResult,
        spectra.SharpnessSeries, spectra.FTLELossResult, training.TrainResult,
        timeseries.ACFResult, timeseries.KantzResult, timeseries.RosensteinResult,
        timeseries.LaminarResult, timeseries.LaminarLengthStats,
    ]
    return {c.__name__: c for c in classes}


def _check_path(path, name="path"):
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike file name, got {type(path).__name__}")
    path = os.fspath(path)
    if not path:
        raise ValueError(f"{name} must not be empty")
    return path


# ============================================================================
# encoding
# ============================================================================
class _Encoder:
    """Turns a result tree into JSON-able content plus a dict of named arrays."""

    def __init__(self, types):
        self.types = types
        self.arrays = {}

    def __call__(self, obj, key):
        value = _scalar(obj, _tagged_float)
        if value is not _NOT_SCALAR:
            return value
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject or obj.dtype.kind == "V":
                raise TypeError(f"cannot save result entry {key!r}: arrays of dtype "
                                f"{obj.dtype} are not supported")
            self.arrays[key] = obj
            return {"__array__": key}
        if isinstance(obj, tuple):
            return {"__tuple__": [self(v, _join(key, i)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self(v, _join(key, i)) for i, v in enumerate(obj)]
        if isinstance(obj, dict):
            return {"__dict__": [[self(k, _join(key, f"k{i}")), self(v, _join(key, i))]
                                 for i, (k, v) in enumerate(obj.items())]}
        name = type(obj).__name__
        if is_dataclass(obj) and self.types.get(name) is type(obj):
            return {"__type__": name,
                    "fields": {f.name: self(getattr(obj, f.name), _join(key, f.name))
                               for f in fields(obj)}}
        raise TypeError(f"cannot save result entry {key!r} of type {name}; supported: "
                        f"{', '.join(sorted(self.types))}, dicts, lists, tuples, arrays, "
                        "numbers and strings")


_NOT_SCALAR = object()


def _tagged_float(value):
    return {"__float__": repr(value)}


def _scalar(obj, nonfinite):
    """JSON form of None, a bool, a str or a real number (``nonfinite`` maps NaN and inf);
    ``_NOT_SCALAR`` for anything else."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        value = float(obj)
        return value if np.isfinite(value) else nonfinite(value)
    return _NOT_SCALAR


def _join(key, part):
    return f"{key}.{part}" if key else str(part)


def _plain(obj, depth=0):
    """A readable JSON view of the scalar parameters of a result (arrays summarised)."""
    value = _scalar(obj, repr)
    if value is not _NOT_SCALAR:
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
                or f.name in ("params", "values")}
    return repr(obj)


def _json_bytes(obj):
    return json.dumps(obj, allow_nan=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# ============================================================================
# atomic writes
# ============================================================================
def _fsync_dir(directory):
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write(path, write):
    """Write ``path`` through ``write(fileobj)`` atomically: temp file, fsync, rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


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
    from . import __version__

    path = _check_path(path)
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}")
    if os.path.isdir(path):
        raise ValueError(f"path {path!r} is a directory; give a file name")
    types = _result_types()
    if not (isinstance(result, dict) or type(result).__name__ in types):
        raise TypeError(f"result must be a netchaos result or a dict of them, got "
                        f"{type(result).__name__}")
    enc = _Encoder(types)
    content = enc(result, "")
    try:
        extra = json.loads(_json_bytes(metadata or {}))
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
    arrays[_META] = np.frombuffer(_json_bytes(meta), dtype=np.uint8)
    _atomic_write(path, lambda fh: np.savez(fh, **arrays))
    return path


def _open(path):
    """The metadata and the open NpzFile of a netchaos file (the caller closes it)."""
    path = _check_path(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory, not a netchaos result file")
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
        if meta["type"] != "dict" and meta["type"] not in _result_types():
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
    """
    meta, npz = _open(path)
    path = os.fspath(path)
    types = _result_types()

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
            kwargs = {k: dec(v) for k, v in node.get("fields", {}).items()}
            try:
                return cls(**kwargs)
            except TypeError as exc:
                raise ValueError(f"{path!r}: the stored {cls.__name__} does not match this "
                                 f"netchaos ({exc})") from None
        raise ValueError(f"{path!r}: unrecognised entry in the metadata content")

    try:
        return dec(meta["content"])
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"{path!r}: malformed metadata content ({exc})") from None
    finally:
        npz.close()


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


# ============================================================================
# checkpoint directories of sweeps
# ============================================================================
_MANIFEST = "manifest.json"
_CHUNK = re.compile(r"^chunk-(\d{4,})\.npz$")
_CHECKPOINT_FORMAT = "netchaos-checkpoint"


def _jsonable(obj):
    """A canonical JSON-able copy of sweep parameters (arrays as dtype + list)."""
    value = _scalar(obj, _tagged_float)
    if value is not _NOT_SCALAR:
        return value
    if isinstance(obj, np.ndarray):
        return {"__array__": str(obj.dtype), "shape": list(obj.shape),
                "data": [_jsonable(v) for v in obj.ravel().tolist()]}
    if isinstance(obj, (tuple, list)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    return repr(obj)


def _fingerprint(*arrays):
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


class _ChunkStore:
    """A checkpoint directory: one file per finished chunk of a sweep.

    Parameters
    ----------
    directory : str or os.PathLike
        Created if missing.
    manifest : dict
        JSON-able description of the run (parameters, values, fingerprint);
        a resumed run must present an identical one.
    resume : bool
        False: the directory must be empty or absent. True: reuse the chunks
        of a matching manifest (or start afresh in an empty directory).

    Notes
    -----
    Stateless apart from the directory, so the computation of a chunk stays a
    pure function of its parameters and the store can wrap any executor.
    """

    def __init__(self, directory, manifest, resume):
        from . import __version__

        directory = _check_path(directory, "checkpoint")
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise ValueError(f"checkpoint {directory!r} exists and is not a directory")
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.manifest = {"format": _CHECKPOINT_FORMAT, "format_version": FORMAT_VERSION,
                         **_jsonable(manifest)}
        # every chunk file carries the hash of the whole manifest: a chunk of another run
        # (other parameters, data or initial conditions) is recognised as such
        self.run_id = hashlib.sha256(_json_bytes(self.manifest)).hexdigest()
        path = os.path.join(directory, _MANIFEST)
        entries = [e for e in os.listdir(directory) if not _is_temp(e)]
        if not resume:
            if entries:
                raise ValueError(f"checkpoint directory {directory!r} is not empty; pass "
                                 "resume=True to continue the run saved there, or give a new "
                                 "or empty directory")
        elif entries:
            if _MANIFEST not in entries:
                raise ValueError(f"checkpoint directory {directory!r} has no {_MANIFEST}: it is "
                                 "not a netchaos checkpoint (refusing to write there)")
            stored = self._read_manifest(path)
            stored.pop("netchaos_version", None)
            diff = _differences(stored, self.manifest)
            if diff:
                raise ValueError(f"checkpoint directory {directory!r} belongs to another run: "
                                 f"{', '.join(diff)} differ from this call's; use a new "
                                 "directory or the original arguments")
        self._clean_temp()
        if not os.path.exists(path):
            data = _json_bytes({**self.manifest, "netchaos_version": __version__})
            _atomic_write(path, lambda fh: fh.write(data))

    @classmethod
    def stored(cls, directory):
        """The manifest saved in ``directory``, or None if there is none."""
        path = os.path.join(_check_path(directory, "checkpoint"), _MANIFEST)
        return cls._read_manifest(path) if os.path.isfile(path) else None

    @staticmethod
    def _read_manifest(path):
        try:
            with open(path, "rb") as fh:
                stored = json.loads(fh.read().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"checkpoint manifest {path!r} cannot be read: {exc}") from None
        if not isinstance(stored, dict) or stored.get("format") != _CHECKPOINT_FORMAT:
            raise ValueError(f"{path!r} is not a netchaos checkpoint manifest")
        if stored.get("format_version", 0) > FORMAT_VERSION:
            raise ValueError(f"checkpoint manifest {path!r} has a newer format version "
                             f"{stored.get('format_version')}; upgrade netchaos")
        return stored

    def _clean_temp(self):
        for e in os.listdir(self.directory):
            if _is_temp(e):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.directory, e))

    def path(self, index):
        return os.path.join(self.directory, f"chunk-{index:04d}.npz")

    def done(self):
        """Indices of the chunks on disk."""
        return sorted(int(m.group(1)) for m in map(_CHUNK.match, os.listdir(self.directory)) if m)

    def load(self, index, value):
        """The saved output of chunk ``index`` (checked against ``value``), or None."""
        path = self.path(index)
        if not os.path.exists(path):
            return None
        meta = read_metadata(path)
        tag = meta.get("metadata", {})
        if tag.get("chunk") != index or tag.get("value") != _jsonable(value) \
                or tag.get("run") != self.run_id:
            raise ValueError(f"checkpoint file {path!r} does not belong to this run (chunk "
                             f"{tag.get('chunk')!r}, value {tag.get('value')!r}); remove it or "
                             "use a new directory")
        return load(path)

    def save(self, index, value, output):
        """Write the output of chunk ``index`` atomically."""
        save(output, self.path(index), metadata={
            "chunk": index, "value": _jsonable(value), "run": self.run_id})


def _differences(a, b, prefix=""):
    """Dotted paths at which two JSON trees differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _differences(a.get(k), b.get(k), _join(prefix, k))
        return out
    return [] if a == b else [prefix or "manifest"]


def _is_temp(name):
    return name.startswith(".") and name.endswith(".tmp")
