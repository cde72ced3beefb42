"""App mode: one notebook or one explorer served as a stand-alone page by Voila.

``netchaos app TARGET`` runs Voila on a notebook of ``notebooks/`` (``04`` or a path to an
``.ipynb``), which shows the notebook's outputs and live explorers without its code, or on a
one-cell notebook that shows a single explorer of :mod:`netchaos.app.widgets` (``ensemble``,
``map``, ...), which renders in a few seconds. Voila itself is an optional dependency
(``pip install voila``); the pinned CI environment has it.

Functions
---------
resolve_target     the notebook a TARGET names (and whether it is an explorer)
explorer_notebook  the one-cell notebook of an explorer, as a JSON string
voila_command      the command line that serves a notebook
serve              write what is needed, run Voila until it stops, clean up
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

__all__ = ["EXPLORERS", "resolve_target", "explorer_notebook", "voila_command", "serve"]

#: Explorers that build themselves from defaults, by app-mode name (the sweep explorer needs a
#: precomputed sweep: serve notebook 06 for it).
EXPLORERS = {
    "map": "map_explorer",
    "training": "training_explorer",
    "eps": "eps_explorer",
    "post-training": "post_training_explorer",
    "ensemble": "ensemble_explorer",
    "intermittency": "intermittency_explorer",
    "spectrum": "spectrum_explorer",
}


def _notebook_dirs():
    """Where numbered notebooks are looked for: ./notebooks, ., and the checkout's notebooks/."""
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.join(os.path.dirname(os.path.dirname(here)), "notebooks")
    return [os.path.join(os.getcwd(), "notebooks"), os.getcwd(), checkout]


def resolve_target(target):
    """The notebook that ``target`` names.

    Parameters
    ----------
    target : str
        A notebook number (``"4"``, ``"04"``), a path to an ``.ipynb`` file, or an explorer
        name of :data:`EXPLORERS`.

    Returns
    -------
    (kind, value) : tuple of str
        ``("notebook", absolute path)`` or ``("explorer", name)``.

    Raises
    ------
    TypeError
        ``target`` is not a string.
    ValueError
        Nothing matches, naming what was looked for and where.

    Examples
    --------
    >>> resolve_target("ensemble")
    ('explorer', 'ensemble')
    >>> kind, path = resolve_target("04")
    >>> kind, os.path.basename(path)
    ('notebook', '04_edge_of_stability.ipynb')
    """
    if not isinstance(target, str):
        raise TypeError(f"target must be a str, got {type(target).__name__}")
    if target in EXPLORERS:
        return "explorer", target
    if target.endswith(".ipynb"):
        if not os.path.isfile(target):
            raise ValueError(f"target {target!r}: no such notebook")
        return "notebook", os.path.abspath(target)
    if re.fullmatch(r"\d{1,2}", target):
        dirs = _notebook_dirs()
        for d in dirs:
            found = sorted(glob.glob(os.path.join(d, f"{int(target):02d}_*.ipynb")))
            if found:
                return "notebook", os.path.abspath(found[0])
        raise ValueError(f"target {target!r}: no notebook {int(target):02d}_*.ipynb in "
                         f"{', '.join(dict.fromkeys(dirs))}")
    raise ValueError(f"target {target!r} is not a notebook number, an .ipynb path or an "
                     f"explorer ({', '.join(EXPLORERS)})")


def explorer_notebook(name):
    """The one-cell notebook (nbformat 4 JSON) that displays the explorer ``name``.

    Examples
    --------
    >>> nb = json.loads(explorer_notebook("map"))
    >>> nb["cells"][0]["source"]
    'from netchaos import widgets\\nwidgets.map_explorer()'
    """
    if name not in EXPLORERS:
        raise ValueError(f"name must be one of {', '.join(EXPLORERS)}, got {name!r}")
    cell = {"cell_type": "code", "execution_count": None, "id": "explorer", "metadata": {},
            "outputs": [], "source": f"from netchaos import widgets\nwidgets.{EXPLORERS[name]}()"}
    nb = {"cells": [cell], "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                      "language": "python", "name": "python3"}}}
    return json.dumps(nb, indent=1)


def voila_command(path, *, port=8866, ip="127.0.0.1", token=None, browser=False):
    """The command line that serves the notebook ``path`` with Voila (this Python).

    Examples
    --------
    >>> voila_command("a.ipynb", port=9000, token="x")[3:]
    ['a.ipynb', '--port=9000', '--Voila.ip=127.0.0.1', '--no-browser', '--token=x']
    """
    cmd = [sys.executable, "-m", "voila", os.fspath(path), f"--port={int(port)}",
           f"--Voila.ip={ip}"]
    if not browser:
        cmd.append("--no-browser")
    if token is not None:
        cmd.append(f"--token={token}")
    return cmd


def serve(target, *, port=8866, ip="127.0.0.1", token=None, browser=False):
    """Serve ``target`` (see :func:`resolve_target`) with Voila until it stops.

    An explorer is written as a one-cell notebook to a temporary folder, removed afterwards.
    Returns Voila's exit status (130 after Ctrl-C).
    """
    kind, value = resolve_target(target)
    try:
        import voila  # noqa: F401
    except ImportError:
        raise ValueError("app mode needs Voila: pip install voila") from None
    tmp = None
    if kind == "explorer":
        tmp = tempfile.mkdtemp(prefix="netchaos-app-")
        value = os.path.join(tmp, f"{value}_explorer.ipynb")
        with open(value, "w", encoding="utf-8") as f:
            f.write(explorer_notebook(target))
    proc = subprocess.Popen(voila_command(value, port=port, ip=ip, token=token,
                                          browser=browser))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 130
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
