"""Sphinx extension of the skdnn documentation: what keeps the site in step
with the code.

- ``.. argparse-help:: module:function`` writes the ``--help`` text of an
  argparse parser and of each of its sub-commands, so the command-line page
  is generated from :func:`skdnn.cli.build_parser` at every build.
- The gallery: ``examples/plot_*.py`` are staged, with the gallery header
  ``docs/gallery_header.rst``, into ``docs/_build/gallery_src/`` (the
  examples folder has no header of its own, which sphinx-gallery requires).
  Before they run, the course's cat pictures are looked for; without them the
  build stops and says how to provide them (or how to build without running
  the examples).
- ``generated/benchmark_results.md`` is ``benchmarks/RESULTS.md`` when it
  exists, and a page saying how to produce it otherwise.
- References to ``sklearn.*`` objects link to scikit-learn's online pages
  without intersphinx (nothing is fetched at build time).
- API pages list the members skdnn defines and its users call, not those
  inherited from scikit-learn's mixins.
"""

import argparse
import filecmp
import importlib
import os
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parents[1]
REPO = DOCS.parent
EXAMPLES = REPO / "examples"
GALLERY_SRC = DOCS / "_build" / "gallery_src"
GALLERY_HEADER = DOCS / "gallery_header.rst"
RESULTS = REPO / "benchmarks" / "RESULTS.md"
RESULTS_PAGE = DOCS / "generated" / "benchmark_results.md"

#: Width of the generated ``--help`` texts, whatever the terminal.
HELP_COLUMNS = 80

#: Members inherited from scikit-learn that the API pages still show.
SKLEARN_MEMBERS_SHOWN = {"get_params", "set_params", "score", "fit_transform"}

SKLEARN_URL = "https://scikit-learn.org/stable/"


# -- the command line ------------------------------------------------------------


def _help_text(parser):
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_COLUMNS)
    try:
        return parser.format_help().rstrip()
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


class ArgparseHelp(SphinxDirective):
    """``.. argparse-help:: package.module:function``: one section per command
    (the program, then each sub-command) holding its ``--help`` text.

    ``function()`` must return an ``argparse.ArgumentParser``. Sections are
    titled with ``-`` underlines, so the directive belongs right under the
    page title.
    """

    required_arguments = 1

    def run(self):
        module_name, _, function_name = self.arguments[0].partition(":")
        module = importlib.import_module(module_name)
        self.env.note_dependency(module.__file__)
        parser = getattr(module, function_name)()
        commands = [(parser.prog, parser)]
        commands += [(sub.prog, sub) for _, sub in _subcommands(parser)]
        lines = []
        for prog, command in commands:
            label = "cli-" + prog.replace(" ", "-")
            title = prog
            lines += [f".. _{label}:", "", title, "-" * len(title), ""]
            lines += [".. code-block:: text", ""]
            lines += [
                f"   $ {prog} --help",
                *(
                    "   " + line if line else ""
                    for line in _help_text(command).split("\n")
                ),
                "",
            ]
        return self.parse_text_to_nodes("\n".join(lines), allow_section_headings=True)


# -- the gallery -------------------------------------------------------------------


#: The gallery's order: the course's order, then everything else by name.
GALLERY_ORDER = [
    "plot_housing_neuron.py",
    "plot_logistic_regression_cats.py",
    "plot_l_layer_cats.py",
    "plot_grid_search.py",
    "plot_digits_classifier.py",
]


class CourseOrder:
    """``within_subsection_order`` of sphinx-gallery: :data:`GALLERY_ORDER`
    first, then the other examples by file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name in GALLERY_ORDER:
            return (0, GALLERY_ORDER.index(name), name)
        return (1, 0, name)

    def __repr__(self):
        return f"{type(self).__name__}()"


def _truthy(value):
    return str(value).strip().lower() not in {"0", "false", "no", "off", "none", ""}


def stage_gallery(app, config):
    """Copy ``examples/plot_*.py`` and the gallery header to
    ``GALLERY_SRC`` (only what changed, so that unchanged examples are not
    run again), and remove stale copies."""
    examples = sorted(EXAMPLES.glob("plot_*.py"))
    if not examples:
        raise ConfigError(f"no examples/plot_*.py found in {EXAMPLES}")
    GALLERY_SRC.mkdir(parents=True, exist_ok=True)
    wanted = {path.name: path for path in examples}
    wanted["GALLERY_HEADER.rst"] = GALLERY_HEADER
    for staged in GALLERY_SRC.iterdir():
        if staged.name not in wanted:
            if staged.is_dir():
                shutil.rmtree(staged)
            else:
                staged.unlink()
    for name, source in wanted.items():
        target = GALLERY_SRC / name
        if not (target.is_file() and filecmp.cmp(source, target, shallow=False)):
            shutil.copy2(source, target)


def rerun_examples(app, config):
    """``-D skdnn_rerun_examples=1`` runs every example, even those whose
    source has not changed since the last build (the tests do)."""
    if _truthy(config.skdnn_rerun_examples):
        config.sphinx_gallery_conf["run_stale_examples"] = True


def check_gallery_data(app):
    """The examples read the course's cat pictures: without them, stop with
    an error that says what to do. ``-D plot_gallery=0`` builds the gallery
    without running the examples (no figures, no outputs)."""
    if not _truthy(app.config.plot_gallery):
        logger.info("plot_gallery is off: the gallery's examples are not run")
        return
    from skdnn.datasets import load_catvnoncat

    try:
        load_catvnoncat("all")
    except (FileNotFoundError, ValueError) as exc:
        logger.error(
            "The gallery runs examples/plot_*.py, which need the course's cat "
            "pictures, and they cannot be read:\n%s\n"
            "Set SKDNN_DATA to the folder that holds catvnoncat/ (for example "
            "SKDNN_DATA=/path/to/data), or build the pages without running "
            "the examples: add -D plot_gallery=0 (make -C docs html-noplot).",
            exc,
        )
        raise ConfigError(
            "the gallery's examples need the course's cat pictures: set "
            "SKDNN_DATA, or pass -D plot_gallery=0 (see the error above)"
        ) from None
    # The examples write their figures to $SKDNN_OUTPUT_DIR: keep them out of
    # the source tree, next to the HTML.
    output = Path(app.outdir).parent / "example_output"
    output.mkdir(parents=True, exist_ok=True)
    os.environ["SKDNN_OUTPUT_DIR"] = str(output)


# -- the benchmark results ---------------------------------------------------------

_MISSING_RESULTS = """\
# Benchmark results

`benchmarks/RESULTS.md` has not been written in this checkout, so there are no
measured times to show here. Run the suite from the repository root and build
the documentation again:

```bash
python -m benchmarks            # the full suite (writes benchmarks/RESULTS.md)
python -m benchmarks --quick    # a shorter run, under 2 minutes on 2 cores
```
"""


_WIDE_PAGE = """\
---
html_theme.sidebar_secondary.remove: true
---

"""


def write_benchmark_page(app):
    """``generated/benchmark_results.md``: ``benchmarks/RESULTS.md`` with a
    note of where it comes from, or a page saying how to produce it.
    Rewritten only when its text changes."""
    if RESULTS.is_file():
        text = RESULTS.read_text(encoding="utf-8")
        lines = text.splitlines()
        note = (
            "*This page is `benchmarks/RESULTS.md`, written by "
            "`python -m benchmarks`; see {doc}`/speed` for what the numbers "
            "measure.*"
        )
        # after the first heading, or at the top when there is none
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
        if at == 0:
            lines[:0] = ["# Benchmark results", ""]
            at = 1
        lines[at:at] = ["", note, ""]
        # wide tables: no right-hand sidebar on this page
        text = _WIDE_PAGE + "\n".join(lines) + "\n"
    else:
        text = _MISSING_RESULTS
    RESULTS_PAGE.parent.mkdir(parents=True, exist_ok=True)
    if not RESULTS_PAGE.is_file() or RESULTS_PAGE.read_text(encoding="utf-8") != text:
        RESULTS_PAGE.write_text(text, encoding="utf-8")


# -- links to scikit-learn, offline ------------------------------------------------


def _sklearn_url(target):
    """The page of a public scikit-learn object, guessed from its dotted name
    (``sklearn.pipeline.Pipeline`` ->
    ``modules/generated/sklearn.pipeline.Pipeline.html``)."""
    parts = target.split(".")
    if len(parts) == 2:  # a module such as sklearn.pipeline
        return f"{SKLEARN_URL}api/{target}.html"
    if len(parts) >= 4 and parts[-2][:1].isupper():  # a method or attribute
        page = ".".join(parts[:-1])
        return f"{SKLEARN_URL}modules/generated/{page}.html#{target}"
    return f"{SKLEARN_URL}modules/generated/{target}.html"


def link_sklearn(app, env, node, contnode):
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("sklearn."):
        return None
    reference = nodes.reference("", "", internal=False, refuri=_sklearn_url(target))
    reference["reftitle"] = f"(in scikit-learn) {target}"
    reference.append(contnode)
    return reference


# -- API pages -------------------------------------------------------------------


def _from_sklearn(obj):
    function = getattr(obj, "fget", None) or getattr(obj, "__func__", obj)
    module = getattr(function, "__module__", None) or ""
    return module.startswith("sklearn"), function


def skip_inherited_from_sklearn(app, what, name, obj, skip, options):
    """Leave out of the class pages what scikit-learn's mixins add (metadata
    routing's ``set_*_request``, callbacks, ``set_output``, ...), except the
    methods users call, :data:`SKLEARN_MEMBERS_SHOWN`."""
    if what != "class" or skip:
        return None
    from_sklearn, _ = _from_sklearn(obj)
    if from_sklearn and name not in SKLEARN_MEMBERS_SHOWN:
        return True
    return None


def summarise_sklearn_docstring(app, what, name, obj, options, lines):
    """A method inherited from scikit-learn gets its docstring's first line
    and a link to scikit-learn's page (its docstring refers to labels of
    scikit-learn's own documentation)."""
    from_sklearn, function = _from_sklearn(obj)
    if what != "method" or not from_sklearn or not lines:
        return
    summary = []
    for line in lines:
        if not line.strip():
            break
        # :ref:`text <label>` points into scikit-learn's own documentation
        line = re.sub(r":ref:`([^`<]*?)\s*<[^`>]*>`", r"\1", line)
        summary.append(re.sub(r":ref:`([^`]*)`", r"\1", line))
    source = f"{function.__module__}.{function.__qualname__}"
    lines[:] = [*summary, "", f"Inherited from scikit-learn: :meth:`{source}`."]


def setup(app):
    app.add_directive("argparse-help", ArgparseHelp)
    app.add_config_value("skdnn_rerun_examples", "0", "env", types=frozenset({str}))
    # before sphinx-gallery reads its configuration and generates the gallery
    app.connect("config-inited", stage_gallery, priority=400)
    app.connect("config-inited", rerun_examples, priority=400)
    app.connect("builder-inited", check_gallery_data, priority=400)
    app.connect("builder-inited", write_benchmark_page, priority=400)
    app.connect("missing-reference", link_sklearn)
    app.connect("autodoc-skip-member", skip_inherited_from_sklearn)
    app.connect("autodoc-process-docstring", summarise_sklearn_docstring, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
