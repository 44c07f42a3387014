"""Sphinx configuration of the skdnn documentation site.

Build it, offline and with warnings as errors, from the repository root::

    python -m sphinx -W -b html docs docs/_build/html    # or: make -C docs html

The gallery runs ``examples/plot_*.py``; they need the course's cat pictures
(``$SKDNN_DATA/catvnoncat/``). Without them the build stops and says so;
``-D plot_gallery=0`` builds the pages without running the examples.
Nothing is downloaded: there is no intersphinx, and links to scikit-learn are
made by ``sphinxext/skdnn_docs.py``.
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

import skdnn  # noqa: E402

# -- project ---------------------------------------------------------------------

project = "skdnn"
author = "The skdnn developers"
copyright = "The skdnn developers"  # noqa: A001 (Sphinx's name)
release = skdnn.__version__
version = release

# -- general -----------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static: math renders offline
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "skdnn_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "gallery_header.rst"]
default_role = "literal"
# anchors for the headings of Markdown pages (benchmarks/RESULTS.md)
myst_heading_anchors = 3

# -- API pages (autosummary, autodoc, numpydoc) ----------------------------------

autosummary_generate = True
# members inherited from skdnn's base class; those from scikit-learn's mixins
# are left out by skdnn_docs (all but get_params, set_params, score)
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_member_order = "groupwise"
autodoc_typehints = "none"
toc_object_entries_show_parents = "hide"
# the class pages list their methods themselves (see _templates/autosummary)
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# numpydoc's own checks run in tests/test_docs.py, which says which codes
numpydoc_validation_checks = set()

# -- gallery (sphinx-gallery) ------------------------------------------------------

sphinx_gallery_conf = {
    # examples/plot_*.py, staged with a gallery header by skdnn_docs
    "examples_dirs": ["_build/gallery_src"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "skdnn_docs.CourseOrder",
    # an example that fails fails the build, with its traceback
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "doc_module": ("skdnn",),
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "matplotlib_animations": False,
    "min_reported_time": 0,
}

# -- HTML (PyData theme) -----------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = "skdnn"
html_static_path = ["_static"]
html_css_files = ["skdnn.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# no left sidebar on the pages without sub-pages: the top bar is their menu
html_sidebars = {
    page: []
    for page in [
        "index",
        "getting_started",
        "course",
        "classification",
        "regression",
        "mlp",
        "training",
        "model_files",
        "cli",
        "speed",
        "generated/benchmark_results",
    ]
}
