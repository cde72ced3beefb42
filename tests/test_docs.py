"""The documentation site builds offline with warnings as errors (``docs/build.py``), and
shows what it promises: every notebook executed with its figures, in the course order of
the Course page, and an API page for every public name, rendered by numpydoc.

The test runs after the notebooks (marker ``docs``, ``conftest.py``): the notebooks nbval
executed in this run are rendered as they are; any other is executed here first."""

import importlib.util
import os
import re

import nbformat
import pytest

import netchaos

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("docs_build", os.path.join(ROOT, "docs", "build.py"))
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

#: the course order (issue text: maps, orbital stability, post-training, edge of stability,
#: the learning-rate sweep, intermittency, tangent dynamics), then the further notebooks
COURSE = ["01_training_as_a_dynamical_system", "02_orbital_stability",
          "03_post_training_perturbation", "04_edge_of_stability", "06_onset_of_chaos",
          "05_intermittency", "07_tangent_dynamics", "08_routes_to_chaos", "09_your_own_model"]

pytestmark = [pytest.mark.docs, pytest.mark.slow,
              # myst-parser's own use of an API that Sphinx 9 deprecates (not ours)
              pytest.mark.filterwarnings(
                  r"ignore:'myst_parser\.sphinx_ext\.myst_refs\..*' is deprecated"
                  ":sphinx.deprecation.RemovedInSphinx11Warning")]


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def built(request):
    """Build the site once; ``(index path, {stem: executed notebook})``."""
    written = request.getfixturevalue("executed_notebooks")
    stamps = {stem: os.stat(path).st_mtime_ns for stem, path in written.items()}
    index = build.build(reuse=True)
    for stem, stamp in stamps.items():     # nbval's execution of this run is what is shown
        assert os.stat(written[stem]).st_mtime_ns == stamp, f"{stem} was executed again"
    executed = {s: nbformat.read(os.path.join(build.EXECUTED, s + ".ipynb"), as_version=4)
                for s in build.stems()}
    return index, executed


def test_every_notebook_in_course_order(built):
    index, _ = built
    assert sorted(COURSE) == build.stems()
    html = _read(index)
    links = re.findall(r'href="notebooks/(\d\d_\w+)\.html"', html)
    order = list(dict.fromkeys(links))
    assert order == COURSE
    course = _read(os.path.join(build.SITE, "course.html"))
    for stem in COURSE:
        assert f'href="notebooks/{stem}.html' in course, f"the Course page does not link {stem}"


@pytest.mark.parametrize("stem", COURSE)
def test_notebook_page_shows_its_figures(built, stem):
    """Every figure of the executed notebook is on its page, and explorers say they need a
    kernel instead of showing a widget the page cannot draw."""
    _, executed = built
    nb = executed[stem]
    n_png = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                for o in c.outputs)
    n_widgets = sum(build.WIDGET in o.get("data", {}) for c in nb.cells
                    if c.cell_type == "code" for o in c.outputs)
    assert n_png > 0, f"{stem}: the executed notebook has no figure"
    page = _read(os.path.join(build.SITE, "notebooks", stem + ".html"))
    images = re.findall(r'<img [^>]*src="(\.\./_images/[^"]+\.png)"', page)
    assert len(images) == n_png
    for src in images:
        assert os.path.getsize(os.path.join(build.SITE, "notebooks", src)) > 1000
    assert page.count("netchaos-offline") == n_widgets
    assert "Shift+Enter" not in page
    mathjax = re.search(r'<script [^>]*src="\.\./(_static/mathjax/MathJax\.js)\?', page)
    assert mathjax and os.path.exists(os.path.join(build.SITE, mathjax.group(1))), \
        "formulas need MathJax inside the site (no network)"


def test_api_page_for_every_public_name(built):
    """Each name of ``netchaos.__all__`` has its page, rendered by numpydoc (its sections
    become headed field lists and rubrics, not literal underlines)."""
    names = [n for n in netchaos.__all__ if n != "__version__"
             and not isinstance(getattr(netchaos, n), type(netchaos))]
    api = _read(os.path.join(build.SITE, "api.html"))
    for name in names:
        page = os.path.join(build.SITE, "generated", f"netchaos.{name}.html")
        assert os.path.exists(page), f"no API page for netchaos.{name}"
        assert f'href="generated/netchaos.{name}.html' in api
        text = _read(page)
        assert "----------" not in text, f"netchaos.{name}: a numpydoc section left unparsed"
        assert 'class="rubric"' in text, f"netchaos.{name}: no numpydoc section on its page"
    train = _read(os.path.join(build.SITE, "generated", "netchaos.train.html"))
    assert '<dt class="field-odd">Parameters' in train
