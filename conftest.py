"""The notebook run that serves both the tests and the documentation site.

nbval executes every ``notebooks/*.ipynb`` cell by cell in one kernel and compares the
outputs of the checked cells. This plugin keeps the outputs of *every* cell of that run:
once all code cells of a notebook have passed, the notebook is written with its outputs to
``build/notebooks/`` (see ``docs/build.py``), which the documentation build renders without
executing anything again. The docs test (``tests/test_docs.py``, marked ``docs``) runs after
every other test, so that it finds the notebooks this very run executed.
"""

import os

import nbformat
import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))
EXECUTED = os.path.join(ROOT, "build", "notebooks")
#: the notebooks written by this run, ``{stem: path}`` (the fixture ``executed_notebooks``)
WRITTEN = {}
_CELLS = {}          # {notebook path: {code cell number: outputs}}


def _is_nbval_cell(item):
    return hasattr(item, "cell_num") and hasattr(item, "cell") and hasattr(item.parent, "nb")


def pytest_configure(config):
    config.addinivalue_line("markers", "docs: builds the documentation site (runs last)")


@pytest.fixture(scope="session")
def executed_notebooks():
    """``{stem: path}`` of the notebooks that nbval executed in this run, all cells passed
    (so far: the tests marked ``docs`` run after the notebooks)."""
    return WRITTEN


def pytest_collection_modifyitems(session, config, items):
    """Run the tests marked ``docs`` after everything else (the notebooks come last)."""
    items.sort(key=lambda item: item.get_closest_marker("docs") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when != "call" or not _is_nbval_cell(item):
        return
    path = str(item.parent.fspath)
    cells = _CELLS.setdefault(path, {})
    if outcome.get_result().outcome != "passed":
        cells[item.cell_num] = None                  # a failed notebook is not written
        return
    cells[item.cell_num] = [nbformat.from_dict(o) for o in getattr(item, "test_outputs", [])]
    n_code = sum(c.cell_type == "code" for c in item.parent.nb.cells)
    if len(cells) == n_code and all(v is not None for v in cells.values()):
        stem = os.path.splitext(os.path.basename(path))[0]
        WRITTEN[stem] = _write(item.parent.nb, cells, stem)


def _write(nb, cells, stem):
    """The stored notebook with every code cell's outputs of this run, numbered in order."""
    nb = nbformat.from_dict(nb)                      # a copy: nbval keeps comparing the original
    k = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = cells[k]
        k += 1
        for out in outputs:
            if out.output_type == "execute_result":
                out.execution_count = k
        cell.outputs, cell.execution_count = outputs, k
    nbformat.validate(nb)
    os.makedirs(EXECUTED, exist_ok=True)
    path = os.path.join(EXECUTED, stem + ".ipynb")
    tmp = path + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return path
