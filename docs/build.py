"""Build the documentation site: the executed notebooks as a course and the API reference.

Usage (from the repository root, in the project's environment)::

    python docs/build.py            # execute the notebooks, then build build/site/index.html
    python docs/build.py --reuse    # render the notebooks a test run left in build/notebooks/

``python -m pytest`` builds the site too (``tests/test_docs.py``, after the notebooks): nbval's
execution of every notebook is kept in ``build/notebooks/`` (``conftest.py``), so the site
shows the figures of the run that tested them and nothing is executed twice. Sphinx runs
offline with warnings as errors (``-W``); the pages are MyST-NB (execution off) and numpydoc.

For the site, an explorer's widget (which needs a kernel) becomes a line saying so under
the first figure it drew; every other output is shown as executed. MathJax 2 is copied into
the site, so its formulas show without a network too.
"""

import argparse
import glob
import os
import shutil
import sys
import time

import nbformat

DOCS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DOCS)
NOTEBOOKS = os.path.join(ROOT, "notebooks")
EXECUTED = os.path.join(ROOT, "build", "notebooks")
SOURCE = os.path.join(ROOT, "build", "site-src")
SITE = os.path.join(ROOT, "build", "site")
WIDGET = "application/vnd.jupyter.widget-view+json"
HINT = "netchaos-hint"
#: what an explorer's output says on the site, where no kernel runs
OFFLINE = ("<p class='netchaos-offline'><em>Interactive explorer: its controls need a running "
           "kernel (Binder, or JupyterLab in the project's environment). Above, the figure it "
           "drew first.</em></p>")

#: the API reference: (title, module, names), the top-level names grouped by layer
API_GROUPS = [
    ("Model and training", ("netchaos.model", "netchaos.training")),
    ("Maps", ("netchaos.systems",)),
    ("Perturbation ensembles and network exponents",
     ("netchaos.perturbation", "netchaos.exponents", "netchaos.sweeps", "netchaos.weights")),
    ("Tangent space", ("netchaos.spectra", "netchaos.clv", "netchaos.hessian")),
    ("Time series", ("netchaos.timeseries",)),
    ("Routes to chaos", ("netchaos.bifurcation", "netchaos.trainability")),
    ("Protocols and validation", ("netchaos.protocols", "netchaos.validation")),
    ("Files", ("netchaos.io",)),
]
#: submodules documented whole (their ``__all__``)
API_MODULES = ["netchaos.datasets", "netchaos.systems", "netchaos.recorder"]


def stems():
    """The notebooks, by file name without extension, in file order."""
    return sorted(os.path.splitext(os.path.basename(p))[0]
                  for p in glob.glob(os.path.join(NOTEBOOKS, "[0-9][0-9]_*.ipynb")))


def _sources(nb):
    return [(c.cell_type, c.source) for c in nb.cells]


def is_current(stem, folder=EXECUTED):
    """``folder/stem.ipynb`` exists and holds the cells of the stored notebook, all executed."""
    path = os.path.join(folder, stem + ".ipynb")
    if not os.path.exists(path):
        return False
    done = nbformat.read(path, as_version=4)
    stored = nbformat.read(os.path.join(NOTEBOOKS, stem + ".ipynb"), as_version=4)
    return (_sources(done) == _sources(stored)
            and all(c.execution_count is not None for c in done.cells if c.cell_type == "code"))


def execute(stem, folder=EXECUTED):
    """Execute ``notebooks/stem.ipynb`` in a fresh kernel (the current Python), as nbval
    does, and write it with all its outputs to ``folder``."""
    from nbclient import NotebookClient

    nb = nbformat.read(os.path.join(NOTEBOOKS, stem + ".ipynb"), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": NOTEBOOKS}}).execute()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, stem + ".ipynb")
    nbformat.write(nb, path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


def for_site(nb):
    """``nb`` as the site shows it: an explorer's widget output (which needs a kernel) and
    its kernel hint become one line saying so; everything else is kept."""
    for cell in nb.cells:
        if cell.cell_type != "code" or not any(WIDGET in o.get("data", {}) for o in cell.outputs):
            continue
        kept = [o for o in cell.outputs if WIDGET not in o.get("data", {})
                and HINT not in o.get("data", {}).get("text/html", "")]
        kept.append(nbformat.v4.new_output("display_data", data={"text/html": OFFLINE}))
        cell.outputs = kept
    return nb


def api_page():
    """The API reference (reStructuredText): every name of ``netchaos.__all__`` once, under
    the group of the module that defines it, then the submodules of :data:`API_MODULES`."""
    import importlib

    import netchaos

    names = [n for n in netchaos.__all__ if n != "__version__"
             and not isinstance(getattr(netchaos, n), type(netchaos))]
    placed = {}
    for name in names:
        module = getattr(getattr(netchaos, name), "__module__", "")
        for title, prefixes in API_GROUPS:
            if any(module == p or module.startswith(p + ".") for p in prefixes):
                placed.setdefault(title, []).append(name)
                break
        else:
            raise ValueError(f"netchaos.{name} (defined in {module!r}) belongs to no group of "
                             "docs/build.py API_GROUPS: add its module there")
    lines = ["API reference", "=============", "",
             "Generated from the docstrings (numpydoc). The flat namespace ``netchaos``:", "",
             ".. currentmodule:: netchaos", ""]
    for title, _ in API_GROUPS:
        if title not in placed:
            continue
        lines += [title, "-" * len(title), "", ".. autosummary::", "   :toctree: generated", ""]
        lines += [f"   {n}" for n in placed[title]] + [""]
    for modname in API_MODULES:
        mod = importlib.import_module(modname)
        title = f"``{modname}``"
        lines += [title, "-" * len(title), "", f".. currentmodule:: {modname}", "",
                  ".. autosummary::", "   :toctree: generated", ""]
        lines += [f"   {n}" for n in mod.__all__ if callable(getattr(mod, n))
                  and getattr(mod, n) is not getattr(netchaos, n, None)] + [""]
    return "\n".join(lines)


def _copy_mathjax(dest):
    """MathJax 2 from the pinned jupyter-server-mathjax (what nbconvert uses), so that the
    site shows its formulas without a network: the TeX input and the HTML-CSS output."""
    import jupyter_server_mathjax

    src = os.path.join(os.path.dirname(jupyter_server_mathjax.__file__), "static")
    for part in ("MathJax.js", "LICENSE", "config", "extensions", "fonts", "jax/input/TeX",
                 "jax/output/HTML-CSS", "jax/element"):
        a, b = os.path.join(src, part), os.path.join(dest, part)
        os.makedirs(os.path.dirname(b), exist_ok=True)
        (shutil.copytree if os.path.isdir(a) else shutil.copy2)(a, b)


def stage(folder=EXECUTED):
    """Lay out the Sphinx source in build/site-src: docs/, the API page, the notebooks."""
    if os.path.exists(SOURCE):
        shutil.rmtree(SOURCE)
    shutil.copytree(DOCS, SOURCE, ignore=shutil.ignore_patterns("__pycache__", "build.py",
                                                                "make_figure.py"))
    with open(os.path.join(SOURCE, "api.rst"), "w", encoding="utf-8") as f:
        f.write(api_page())
    _copy_mathjax(os.path.join(SOURCE, "_mathjax", "mathjax"))
    os.makedirs(os.path.join(SOURCE, "notebooks"))
    for stem in stems():
        nb = for_site(nbformat.read(os.path.join(folder, stem + ".ipynb"), as_version=4))
        nbformat.write(nb, os.path.join(SOURCE, "notebooks", stem + ".ipynb"))


def build(reuse=True, folder=EXECUTED, out=SITE, quiet=True):
    """Build the site into ``out``; return the path of its index page.

    Notebooks in ``folder`` that hold the current cells, all executed, are rendered as they
    are when ``reuse``; the others are executed first. Sphinx fails on any warning.
    """
    from sphinx.cmd.build import build_main

    for stem in stems():
        if not (reuse and is_current(stem, folder)):
            execute(stem, folder)
    stage(folder)
    if os.path.exists(out):
        shutil.rmtree(out)
    args = ["-W", "--keep-going", "-b", "html", "-d", os.path.join(out, ".doctrees"),
            SOURCE, out] + (["-q"] if quiet else [])
    if build_main(args) != 0:
        raise RuntimeError("the documentation build failed (warnings are errors); see above")
    return os.path.join(out, "index.html")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", action="store_true",
                        help="render the executed notebooks in build/notebooks/ that hold the "
                             "current cells (execute only the others)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    index = build(reuse=args.reuse, quiet=False)
    print(f"{index} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
