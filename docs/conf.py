"""Sphinx configuration of the netchaos site (built by ``python docs/build.py``)."""

import netchaos

project = "netchaos"
author = "the netchaos authors"
copyright = "the netchaos authors"
release = version = netchaos.__version__

extensions = [
    "myst_nb",                      # the executed notebooks and the Markdown pages
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]

# the notebooks arrive executed (by nbval in the test run, or by docs/build.py): never run them
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# formulas: MathJax 2 copied into the site by docs/build.py (no network needed to read them)
html_static_path = ["_mathjax"]
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
# MyST marks the math itself (class "math"; "$" is no delimiter for MathJax), and its pages
# carry "mathjax_ignore": MathJax 2 reads only the marked elements
myst_update_mathjax = False
mathjax2_config = {"tex2jax": {"inlineMath": [["\\(", "\\)"]],
                               "displayMath": [["\\[", "\\]"]],
                               "processEscapes": False, "processEnvironments": False,
                               "ignoreClass": "tex2jax_ignore|mathjax_ignore",
                               "processClass": "tex2jax_process|mathjax_process|math|output_area"}}

html_theme = "furo"
html_title = f"netchaos {release}"
