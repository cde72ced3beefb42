"""Where Numba keeps the compiled kernels: next to the sources, or a user cache directory.

Numba writes each kernel's machine code to the ``__pycache__`` folder beside its source. In a
read-only install (a shared site-packages, a container run as another user) that folder cannot
be written and ``@njit(cache=True)`` refuses to decorate at import. Then the kernels go to
``$XDG_CACHE_HOME/netchaos/numba`` (default ``~/.cache/netchaos/numba``), else to a folder in the
system's temporary directory; a ``NUMBA_CACHE_DIR`` set by the user always wins. Runs before any
kernel module is imported (``netchaos.core.__init__``).
"""

import os
import tempfile
import warnings

import numba


def _writable(folder):
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
        return True
    except OSError:
        return False


def choose_cache_dir():
    """Point Numba's cache at a writable folder when the in-tree one is not; returns it (or
    None when the in-tree cache or the user's ``NUMBA_CACHE_DIR`` is used)."""
    if os.environ.get("NUMBA_CACHE_DIR") or numba.config.CACHE_DIR:
        return None
    if _writable(os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__")):
        return None
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    for folder in (os.path.join(home, "netchaos", "numba"),
                   os.path.join(tempfile.gettempdir(), f"netchaos-numba-{uid}")):
        if _writable(folder):
            numba.config.CACHE_DIR = folder
            return folder
    folder = tempfile.mkdtemp(prefix="netchaos-numba-")
    warnings.warn("netchaos: no writable folder for Numba's cache; compiled kernels go to "
                  f"{folder} and are not kept between sessions", RuntimeWarning, stacklevel=2)
    numba.config.CACHE_DIR = folder
    return folder
