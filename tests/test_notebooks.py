"""The notebooks are pairs in sync: every .ipynb has its jupytext percent script and the
cells of the two agree (type and source). Cells whose output nbval checks carry a stored
output, and the rest are stored without output. (Executing the notebooks is nbval's job:
``python -m pytest`` collects ``notebooks/*.ipynb`` with ``--nbval-lax``.)"""

import glob
import os
import re

import jupytext
import nbformat
import pytest
from jupytext.config import load_jupytext_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NB_DIR = os.path.join(ROOT, "notebooks")
EXPECTED = [
    "01_training_as_a_dynamical_system",
    "02_orbital_stability",
    "03_post_training_perturbation",
    "04_edge_of_stability",
    "05_intermittency",
    "06_onset_of_chaos",
    "07_tangent_dynamics",
    "08_routes_to_chaos",
    "09_your_own_model",
]
CHECK = "NBVAL_CHECK_OUTPUT"


def _stems(pattern):
    return sorted(os.path.splitext(os.path.basename(p))[0]
                  for p in glob.glob(os.path.join(NB_DIR, pattern)))


def _cells(nb):
    return [(c.cell_type, c.source) for c in nb.cells]


def test_every_notebook_is_a_pair():
    assert _stems("*.ipynb") == EXPECTED
    assert _stems("[0-9][0-9]_*.py") == EXPECTED


def test_pairing_configuration():
    config = load_jupytext_config(NB_DIR)
    assert config is not None, "notebooks/jupytext.toml is missing"
    formats = config.formats if isinstance(config.formats, str) else ",".join(config.formats)
    assert formats == "ipynb,py:percent"


@pytest.mark.parametrize("stem", EXPECTED)
def test_pair_in_sync(stem):
    script = jupytext.read(os.path.join(NB_DIR, stem + ".py"))
    notebook = nbformat.read(os.path.join(NB_DIR, stem + ".ipynb"), as_version=4)
    py_cells, nb_cells = _cells(script), _cells(notebook)
    for k, (a, b) in enumerate(zip(py_cells, nb_cells)):
        assert a == b, (f"{stem}: cell {k} differs between the .py and the .ipynb; run "
                        f"`jupytext --sync notebooks/{stem}.py`")
    assert len(py_cells) == len(nb_cells), (
        f"{stem}: {len(py_cells)} cells in the .py, {len(nb_cells)} in the .ipynb; run "
        f"`jupytext --sync notebooks/{stem}.py`")
    assert notebook.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"


@pytest.mark.parametrize("stem", EXPECTED)
def test_stored_outputs(stem):
    """nbval skips cells without an execution count: a checked cell must keep its output."""
    notebook = nbformat.read(os.path.join(NB_DIR, stem + ".ipynb"), as_version=4)
    for k, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if CHECK in cell.source:
            assert cell.execution_count is not None and cell.outputs, (
                f"{stem}: checked cell {k} has no stored output; run "
                f"`python notebooks/refresh.py notebooks/{stem}.py`")
        else:
            assert not cell.outputs, f"{stem}: cell {k} is stored with output"


@pytest.mark.parametrize("stem", EXPECTED)
def test_notebook_teaches_and_checks(stem):
    """A learning goal, an explorer, prompts for a course, and checks that can fail."""
    notebook = jupytext.read(os.path.join(NB_DIR, stem + ".py"))
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "**Learning goal:**" in markdown
    assert "## Try this" in markdown
    assert "*Predict first:*" in markdown, "no prediction asked before an answer"
    assert "Takeaway" in markdown and "## Notes for teachers" in markdown
    cells = notebook.cells
    for k, cell in enumerate(cells):                 # a prediction comes before its answer
        if cell.cell_type == "markdown" and "*Predict first:*" in cell.source:
            assert any(c.cell_type == "code" for c in cells[k + 1:]), (
                f"{stem}: a 'predict first' prompt with no cell after it")
    assert re.search(r"widgets\.\w+_explorer\(", code), "no interactive explorer"
    assert re.search(r"^assert ", code, flags=re.M), "no check of the phenomenon"
    assert "%matplotlib inline" in code
