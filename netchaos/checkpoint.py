"""Checkpoint directories of sweeps: one file per finished chunk next to a manifest.

Layout of a directory ``DIR``::

    DIR/manifest.json      JSON: format "netchaos-checkpoint", format_version, the sweep's
                           name, values and parameters, a fingerprint of the model, data and
                           initial conditions, the netchaos version
    DIR/chunk-NNNN.npz     the output of chunk NNNN, a :func:`netchaos.save` file whose
                           metadata names the chunk, its value and the run (hash of the manifest)
    DIR/.*.tmp             files being written (atomic writes)
    DIR/.lock              held (advisory ``flock``) by the one process writing the directory;
                           it names that process (PID, host, start time)
    DIR/chunk-NNNN.npz.bad-*  a damaged chunk moved aside when a resumed run found it (the
                           chunk is recomputed)

A resumed run must present an identical manifest; a chunk of another run is recognised by its
run hash. The store holds no analysis: it saves and loads whatever the sweep gives it.
"""

import contextlib
import datetime
import hashlib
import json
import os
import re
import socket
import warnings
import weakref

try:  # POSIX advisory locks; elsewhere the directory is not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from ._files import atomic_write, check_path, json_bytes, jsonable
from ._version import __version__
from .io import FORMAT_VERSION, load, read_metadata, save

__all__ = ["ChunkStore", "CheckpointInUse"]

_MANIFEST = "manifest.json"
_CHUNK = re.compile(r"^chunk-(\d{4,})\.npz$")
_CHECKPOINT_FORMAT = "netchaos-checkpoint"
_LOCK = ".lock"


class CheckpointInUse(RuntimeError):
    """Another live process holds the checkpoint directory."""


def _acquire_lock(directory):
    """An open, exclusively ``flock``-ed ``DIR/.lock`` (released when closed or the process
    dies), or None where file locks are not available."""
    if fcntl is None:  # pragma: no cover
        return None
    path = os.path.join(directory, _LOCK)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
        except (OSError, ValueError):
            holder = {}
        os.close(fd)
        who = (f"process {holder.get('pid', '?')} on {holder.get('host', '?')} (since "
               f"{holder.get('started', '?')})")
        raise CheckpointInUse(
            f"checkpoint directory {directory!r} is in use by {who}; nothing was written. Wait "
            "for that run to finish (then the same call with resume=True reuses its chunks) or "
            "give another directory") from None
    return fd


def _stamp_lock(fd):
    """Name this process in the held lock file (once the directory is accepted as its own)."""
    if fd is None:  # pragma: no cover
        return
    info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                       "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                           timespec="seconds")}).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, info, 0)


def _release_lock(fd):
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)           # closing the descriptor releases the flock


class ChunkStore:
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

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> d = os.path.join(tempfile.mkdtemp(), "run")
    >>> store = ChunkStore(d, {"sweep": "demo"}, resume=False)
    >>> store.save(0, [1e-8, 0, 3], {"x": np.arange(3)})
    >>> sorted(os.listdir(d)), store.done()
    (['.lock', 'chunk-0000.npz', 'manifest.json'], [0])
    >>> store.load(0, [1e-8, 0, 3])["x"], store.load(1, [1e-6, 0, 3])
    (array([0, 1, 2]), None)

    While the store is open no other process can open the directory; closing it releases it.
    A resumed run sees the saved chunks; another run is refused:

    >>> store.close()
    >>> ChunkStore(d, {"sweep": "demo"}, resume=True).done()
    [0]
    >>> ChunkStore(d, {"sweep": "other"}, resume=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: checkpoint directory '...' belongs to another run: sweep differ ...
    """

    def __init__(self, directory, manifest, resume):
        directory = check_path(directory, "checkpoint")
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise ValueError(f"checkpoint {directory!r} exists and is not a directory")
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self._refuse_foreign(directory, resume)      # before anything is written there
        # one writer at a time: a second process is refused before it reads or removes anything
        self._lock = _acquire_lock(directory)
        self._finalizer = weakref.finalize(self, _release_lock, self._lock)
        try:
            self._open(manifest, resume)
        except BaseException:
            self.close()
            raise
        _stamp_lock(self._lock)

    def _open(self, manifest, resume):
        directory = self.directory
        self.manifest = {"format": _CHECKPOINT_FORMAT, "format_version": FORMAT_VERSION,
                         **jsonable(manifest)}
        # every chunk file carries the hash of the whole manifest: a chunk of another run
        # (other parameters, data or initial conditions) is recognised as such
        self.run_id = hashlib.sha256(json_bytes(self.manifest)).hexdigest()
        path = os.path.join(directory, _MANIFEST)
        self._refuse_foreign(directory, resume)      # again, now that the lock is held
        if resume and os.path.exists(path):
            stored = self._read_manifest(path)
            stored.pop("netchaos_version", None)
            diff = _differences(stored, self.manifest)
            if diff:
                raise ValueError(f"checkpoint directory {directory!r} belongs to another run: "
                                 f"{', '.join(diff)} differ from this call's; use a new "
                                 "directory or the original arguments")
        self._clean_temp()
        if not os.path.exists(path):
            data = json_bytes({**self.manifest, "netchaos_version": __version__})
            atomic_write(path, lambda fh: fh.write(data))

    @staticmethod
    def _refuse_foreign(directory, resume):
        entries = [e for e in os.listdir(directory) if not _is_temp(e) and e != _LOCK]
        if not resume:
            if entries:
                raise ValueError(f"checkpoint directory {directory!r} is not empty; pass "
                                 "resume=True to continue the run saved there, or give a new "
                                 "or empty directory")
        elif entries and _MANIFEST not in entries:
            raise ValueError(f"checkpoint directory {directory!r} has no {_MANIFEST}: it is "
                             "not a netchaos checkpoint (refusing to write there)")

    @classmethod
    def stored(cls, directory):
        """The manifest saved in ``directory``, or None if there is none (a dict)."""
        path = os.path.join(check_path(directory, "checkpoint"), _MANIFEST)
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

    def close(self):
        """Release the directory's lock (also done when the store is garbage-collected)."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _clean_temp(self):
        # only temporary files of this directory's earlier writers: the lock is held, so no
        # live process is writing here
        for e in os.listdir(self.directory):
            if _is_temp(e):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.directory, e))

    def path(self, index):
        """File of chunk ``index``: ``DIR/chunk-NNNN.npz``."""
        return os.path.join(self.directory, f"chunk-{index:04d}.npz")

    def done(self):
        """Indices of the chunks on disk."""
        return sorted(int(m.group(1)) for m in map(_CHUNK.match, os.listdir(self.directory)) if m)

    def load(self, index, value):
        """The saved output of chunk ``index`` (checked against ``value``), or None."""
        path = self.path(index)
        if not os.path.exists(path):
            return None
        try:
            meta = read_metadata(path)
        except ValueError as exc:
            return self._set_aside(path, exc)
        tag = meta.get("metadata", {})
        if tag.get("chunk") != index or tag.get("value") != jsonable(value) \
                or tag.get("run") != self.run_id:
            raise ValueError(f"checkpoint file {path!r} does not belong to this run (chunk "
                             f"{tag.get('chunk')!r}, value {tag.get('value')!r}): it was copied "
                             "from another run's directory. Move it away (the chunk is then "
                             "recomputed) or use a new directory")
        try:
            return load(path)
        except ValueError as exc:
            return self._set_aside(path, exc)

    @staticmethod
    def _set_aside(path, exc):
        """Move a damaged chunk file to ``<name>.bad-<time>`` and say so; None (recompute)."""
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        bad = f"{path}.bad-{stamp}"
        os.replace(path, bad)
        warnings.warn(f"checkpoint file {path!r} is damaged ({exc}); moved it to {bad!r} and "
                      "the chunk is computed again", RuntimeWarning, stacklevel=3)
        return None

    def save(self, index, value, output):
        """Write the output of chunk ``index`` atomically."""
        save(output, self.path(index), metadata={
            "chunk": index, "value": jsonable(value), "run": self.run_id})


def _differences(a, b, prefix=""):
    """Dotted paths at which two JSON trees differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _differences(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else str(k))
        return out
    return [] if a == b else [prefix or "manifest"]


def _is_temp(name):
    return name.startswith(".") and name.endswith(".tmp")
