"""The documentation site in docs/: it builds with Sphinx with warnings as
errors, the public API passes numpydoc's checks, a real browser renders the
pages, the code on the pages runs, and the pages stay in step with the code.

The Sphinx tests need the docs extra (``pip install -e ".[docs]"``) and are
skipped, saying so, without it; the browser test also needs Debian's
Chromium (``apt-get install chromium``). The build runs the gallery's
examples, which need the course's cat pictures (``$SKDNN_DATA``). Every test
here is marked ``docs`` and deselected by default (``addopts`` in
pyproject.toml): run them with ``python -m pytest -m docs tests/test_docs.py``,
as ``.ci/run`` does.
"""

import doctest
import importlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sklearn.neural_network import MLPClassifier, MLPRegressor

import skdnn
from skdnn import (
    DeepBinaryClassifier,
    DeepClassifier,
    DeepRegressor,
    LogisticRegressionGD,
    persistence,
)
from skdnn.datasets import load_catvnoncat

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCREENSHOTS = DOCS / "_build" / "screenshots"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: What the docs build imports: the docs extra of pyproject.toml.
DOCS_MODULES = [
    "sphinx",
    "numpydoc",
    "sphinx_gallery",
    "pydata_sphinx_theme",
    "myst_parser",
    "matplotlib",
]
_missing = [name for name in DOCS_MODULES if importlib.util.find_spec(name) is None]
needs_sphinx = pytest.mark.skipif(
    bool(_missing),
    reason=f"the docs extra is not installed (no {', '.join(_missing)}): "
    'pip install -e ".[docs]"',
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no headless browser: the rendering test uses Debian's Chromium "
    "(apt-get install -y chromium)",
)

#: The gallery page whose rendering and figure are checked.
GALLERY_PAGE = "auto_examples/plot_l_layer_cats.html"


# -- numpydoc ------------------------------------------------------------------------

#: numpydoc checks enforced on the public API: the estimators and their
#: methods, save_model and load_model, and the public classes and functions of
#: skdnn.datasets, skdnn.preprocessing, skdnn.plot and skdnn.utils (codes:
#: https://numpydoc.readthedocs.io/en/latest/validation.html). Every check
#: numpydoc has, as scikit-learn enforces on itself, except
#: - GL01, GL02: where the summary starts and the closing quotes sit (layout);
#: - RT02: a named return value (``self : object``) reads better.
#: ES01, SA01 and EX01 apply to classes and functions, not to methods and
#: properties: a class's Examples and See Also cover its methods.
PUBLIC_CODES = (
    # general
    "GL03",  # double blank lines
    "GL05",  # tabs
    "GL06",  # unknown section
    "GL07",  # sections out of order
    "GL08",  # no docstring
    "GL09",  # deprecation after the extended summary
    "GL10",  # reST directive without ::
    # summary
    "SS01",  # no summary
    "SS02",  # summary not capitalised
    "SS03",  # summary without final period
    "SS04",  # summary starts with whitespace
    "SS05",  # summary "Returns" instead of "Return"
    "SS06",  # summary longer than one line
    "ES01",  # no extended summary (classes and functions)
    # parameters
    "PR01",  # a parameter not documented
    "PR02",  # a documented parameter that does not exist
    "PR03",  # parameters in the wrong order
    "PR04",  # parameter without a type
    "PR05",  # type ending in a period
    "PR06",  # "integer" instead of "int", ...
    "PR07",  # parameter without a description
    "PR08",  # description not capitalised
    "PR09",  # description without final period
    "PR10",  # no space before the colon
    # returns and yields
    "RT01",  # no Returns section
    "RT03",  # return value without a description
    "RT04",  # return description not capitalised
    "RT05",  # return description without final period
    "YD01",  # no Yields section in a generator
    # see also and examples
    "SA01",  # no See Also section (classes and functions)
    "SA02",  # See Also description without final period
    "SA03",  # See Also description not capitalised
    "SA04",  # See Also entry without a description
    "EX01",  # no Examples section (classes and functions)
)

#: Not required of methods and properties (see PUBLIC_CODES).
CLASS_AND_FUNCTION_ONLY = {"ES01", "SA01", "EX01"}

#: The engine's course steps (and the functions the course pages name) are
#: documented as a reference to read next to the notes: their docstrings must
#: agree with their signatures and be well formed, but need not describe
#: every parameter in words nor carry See Also and Examples. The activation
#: and initialisation table entries (``inplace_relu``, ``init_he``, ...) are
#: one-line formulas by design and are not checked.
REFERENCE_CODES = (
    "GL03",
    "GL05",
    "GL06",
    "GL07",
    "GL08",
    "GL10",
    "SS01",
    "SS02",
    "SS03",
    "SS04",
    "PR01",
    "PR02",
    "PR03",
    "PR04",
    "PR05",
    "PR06",
    "PR10",
    "RT01",
)

PUBLIC_MODULES = ["skdnn.datasets", "skdnn.preprocessing", "skdnn.plot", "skdnn.utils"]

REFERENCE_FUNCTIONS = [
    "skdnn.initializers.initialize_parameters",
    "skdnn.activations.sigmoid",
    "skdnn.activations.log_sigmoid",
    *(
        f"skdnn._engine.{name}"
        for name in [
            "linear_forward",
            "forward_propagation",
            "compute_cost",
            "output_delta",
            "linear_backward",
            "backward_propagation",
            "update_parameters",
            "predict_logit",
            "draw_dropout_masks",
        ]
    ),
]


def _defined_in(module):
    """The public classes and functions ``module`` defines (not imports)."""
    return [
        f"{module.__name__}.{name}"
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == module.__name__
    ]


def public_api():
    """Dotted names of the public classes and functions."""
    names = [f"skdnn.{name}" for name in skdnn.__all__ if name != "__version__"]
    for module_name in PUBLIC_MODULES:
        names += _defined_in(importlib.import_module(module_name))
    return names


def _members(path):
    """``path`` and, for a class, the public methods and properties skdnn
    defines for it (not those inherited from scikit-learn), as
    ``(dotted name, is_member)``."""
    module_name, _, name = path.rpartition(".")
    obj = getattr(importlib.import_module(module_name), name)
    yield path, False
    if not inspect.isclass(obj):
        return
    for attr in sorted(dir(obj)):
        if attr.startswith("_"):
            continue
        raw = inspect.getattr_static(obj, attr)
        function = raw.fget if isinstance(raw, property) else raw
        function = getattr(function, "__func__", function)
        if getattr(function, "__module__", "").startswith("skdnn"):
            yield f"{path}.{attr}", True


def _validation_cases():
    cases = []
    for path in public_api():
        for name, is_member in _members(path):
            codes = set(PUBLIC_CODES)
            if is_member:
                codes -= CLASS_AND_FUNCTION_ONLY
            cases.append(pytest.param(name, codes, id=name))
    for name in REFERENCE_FUNCTIONS:
        cases.append(pytest.param(name, set(REFERENCE_CODES), id=name))
    return cases


@needs_sphinx
@pytest.mark.parametrize("name, codes", _validation_cases())
def test_numpydoc_validation(name, codes):
    from numpydoc.validate import validate

    errors = [
        f"{code}: {message}"
        for code, message in validate(name)["errors"]
        if code in codes
    ]
    assert not errors, f"{name}:\n" + "\n".join(errors)


def test_public_codes_are_numpydocs():
    numpydoc = pytest.importorskip("numpydoc.validate", reason="numpydoc missing")
    known = set(numpydoc.ERROR_MSGS)
    assert set(PUBLIC_CODES) <= known
    assert set(REFERENCE_CODES) <= known
    assert {"PR01", "PR02", "RT01", "SA01", "EX01"} <= set(PUBLIC_CODES)


# -- the build -----------------------------------------------------------------------


def _cats_missing():
    try:
        load_catvnoncat("test")
    except (FileNotFoundError, ValueError) as exc:
        return str(exc).splitlines()[0]
    return None


def _sphinx(*args, env=None, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "sphinx", *args],
        cwd=ROOT,
        env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """Build the site as ``python -m sphinx -W -b html docs OUT`` does, into a
    temporary folder, re-running every example: ``(html folder, seconds,
    completed process)``."""
    if _missing:
        pytest.skip(needs_sphinx.kwargs["reason"])
    missing = _cats_missing()
    if missing:
        pytest.skip(
            "the docs build runs the gallery on the course's cat pictures: set "
            f"SKDNN_DATA to the folder holding catvnoncat/ ({missing})"
        )
    out = tmp_path_factory.mktemp("docs")
    start = time.perf_counter()
    result = _sphinx(
        "-W",
        "--keep-going",
        "-E",
        "-b",
        "html",
        "-d",
        str(out / "doctrees"),
        "-D",
        "skdnn_rerun_examples=1",
        "docs",
        str(out / "html"),
    )
    seconds = time.perf_counter() - start
    (out / "build.log").write_text(result.stdout + result.stderr)
    return out / "html", seconds, result


@needs_sphinx
def test_build_succeeds_with_warnings_as_errors(built_site, record_property):
    html, seconds, result = built_site
    record_property("docs_build_seconds", round(seconds, 1))
    print(f"docs build: {seconds:.0f} s")
    assert result.returncode == 0, (
        f"the docs build failed (exit {result.returncode}):\n" + result.stderr[-6000:]
    )
    for page in [
        "index",
        "getting_started",
        "course",
        "classification",
        "regression",
        "mlp",
        "training",
        "speed",
        "model_files",
        "cli",
        "api",
        "auto_examples/index",
        "generated/benchmark_results",
        "generated/skdnn.DeepBinaryClassifier",
        "generated/skdnn.DeepClassifier",
        "generated/skdnn.DeepRegressor",
        "generated/skdnn.heads.softmax_loss",
        "generated/skdnn._solvers.SGDOptimizer",
        "generated/skdnn._trainers.PackedParameters",
        "generated/skdnn._trainers.LbfgsTrainer",
        "generated/skdnn._engine.backward_propagation",
        "auto_examples/plot_housing_neuron",
        "auto_examples/plot_digits_classifier",
    ]:
        assert (html / f"{page}.html").is_file(), page


@needs_sphinx
def test_command_line_page_has_every_help_text(built_site):
    from skdnn.cli import build_parser

    html, _, result = built_site
    assert result.returncode == 0
    text = (html / "cli.html").read_text()
    parser = build_parser()
    for action in parser._subparsers._group_actions[0].choices.values():
        for option in action._option_string_actions:
            assert option in text, f"{action.prog} {option}"


@needs_sphinx
def test_build_without_the_cat_pictures_fails_clearly(tmp_path):
    empty = tmp_path / "no_data"
    empty.mkdir()
    result = _sphinx(
        "-W",
        "-b",
        "html",
        "docs",
        str(tmp_path / "html"),
        env={"SKDNN_DATA": str(empty), "HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "need the course's cat pictures" in message
    assert "SKDNN_DATA" in message and "-D plot_gallery=0" in message


# -- in a real browser ---------------------------------------------------------------


def _screenshot(page, png, profile):
    """Render ``page`` in headless Chromium into ``png``."""
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            f"--screenshot={png}",
            "--window-size=1280,2000",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0 and png.is_file(), result.stderr[-3000:]


def _check_png(png):
    """A non-empty 1280 x 2000 PNG with more than one colour."""
    from PIL import Image

    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000, png
    with Image.open(png) as image:
        assert image.size == (1280, 2000), image.size
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert len(colours) > 16, f"{png} has {len(colours)} colours"


@needs_sphinx
@needs_chromium
@pytest.mark.parametrize(
    "page, name",
    [
        ("index.html", "index.png"),
        ("auto_examples/index.html", "gallery_index.png"),
        (GALLERY_PAGE, "gallery_plot_l_layer_cats.png"),
    ],
    ids=["index", "gallery-index", "gallery-example"],
)
def test_pages_render_in_a_browser(built_site, tmp_path, page, name):
    html, _, result = built_site
    assert result.returncode == 0, "the build failed"
    png = tmp_path / name
    _screenshot(html / page, png, tmp_path / "profile")
    _check_png(png)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, SCREENSHOTS / name)


@needs_sphinx
def test_gallery_page_shows_its_figures(built_site):
    html, _, result = built_site
    assert result.returncode == 0, "the build failed"
    page = html / GALLERY_PAGE
    sources = re.findall(
        r'src="([^"]*sphx_glr_plot_l_layer_cats_\d+\.png)"', page.read_text()
    )
    assert sources, f"{GALLERY_PAGE} shows no figure of the example"
    for source in sources:
        figure = (page.parent / source).resolve()
        assert figure.is_file(), figure
        assert figure.read_bytes().startswith(PNG_SIGNATURE), figure


# -- the pages' code and tables --------------------------------------------------------

PAGES_WITH_DOCTESTS = sorted(
    path.name for path in DOCS.glob("*.rst") if ">>> " in path.read_text()
)


@pytest.mark.parametrize("page", PAGES_WITH_DOCTESTS)
def test_code_on_the_page_runs(page):
    results = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert results.attempted > 0
    assert results.failed == 0, f"{results.failed} example(s) of docs/{page} failed"


def _table_rows(text):
    """The names in the first cells of the rows of the list-tables in
    ``text`` (a first cell may name several parameters)."""
    cells = re.findall(r"^   \* - (.*)$", text, flags=re.MULTILINE)
    return {name for cell in cells for name in re.findall(r"``(\w+)``", cell)}


def test_mlp_table_has_every_parameter():
    rows = _table_rows((DOCS / "mlp.rst").read_text())
    for estimator in (
        MLPClassifier(),
        MLPRegressor(),
        DeepClassifier(),
        DeepRegressor(),
        DeepBinaryClassifier(),
    ):
        missing = set(estimator.get_params()) - rows
        assert not missing, f"docs/mlp.rst has no row for {sorted(missing)}"


def test_model_files_page_names_every_stored_attribute():
    text = (DOCS / "model_files.rst").read_text()
    for name in [*persistence.SCALARS, *persistence.CURVES]:
        assert name in text, name
    assert f"format version {persistence.FORMAT_VERSION}" in text


def test_api_page_lists_every_public_name():
    text = (DOCS / "api.rst").read_text()
    for path in public_api():
        assert re.search(rf"^   {path.rpartition('.')[2]}$", text, re.MULTILINE), path


def test_training_page_covers_every_training_parameter():
    text = (DOCS / "training.rst").read_text()
    params = set(LogisticRegressionGD().get_params()) | {"dropout"}
    # the network's shape and the course's defaults are on other pages
    params -= {"learning_rate", "max_iter", "init", "random_state", "alpha", "space"}
    missing = [name for name in sorted(params) if f"``{name}" not in text]
    assert not missing, f"docs/training.rst does not mention {missing}"
