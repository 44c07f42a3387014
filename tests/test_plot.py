"""LossCurveDisplay follows scikit-learn's Display API and draws the course's
cost figure."""

import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdnn
from skdnn import DeepBinaryClassifier, LogisticRegressionGD

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # no window: the tests run headless
import matplotlib.pyplot as plt  # noqa: E402

from skdnn.plot import LossCurveDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=60, n_features=5, random_state=0)


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return LogisticRegressionGD(learning_rate=0.05, max_iter=350).fit(X, y)


def test_from_estimator_sets_the_display_attributes(fitted):
    display = LossCurveDisplay.from_estimator(fitted)

    assert isinstance(display, LossCurveDisplay)
    assert isinstance(display.line_, matplotlib.lines.Line2D)
    assert isinstance(display.ax_, matplotlib.axes.Axes)
    assert display.figure_ is display.ax_.figure
    assert display.estimator_name == "LogisticRegressionGD"
    assert display.learning_rate == 0.05
    np.testing.assert_array_equal(display.loss_curve, fitted.loss_curve_)


def test_line_is_the_course_costs_every_hundred_iterations(fitted):
    display = LossCurveDisplay.from_estimator(fitted)

    # 350 iterations: the costs of iterations 0, 100, 200 and 300.
    np.testing.assert_array_equal(display.line_.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(
        display.line_.get_ydata(), np.asarray(fitted.loss_curve_)[[0, 100, 200, 300]]
    )
    assert display.ax_.get_xlabel() == "iterations (per hundreds)"
    assert display.ax_.get_ylabel() == "cost"
    assert display.ax_.get_title() == "Learning rate = 0.05"


@pytest.mark.parametrize(
    "every, xlabel",
    [
        (1, "iterations"),
        (10, "iterations (per tens)"),
        (50, "iterations (in units of 50)"),
    ],
)
def test_every_picks_the_points_and_names_the_axis(fitted, every, xlabel):
    display = LossCurveDisplay.from_estimator(fitted, every=every)

    expected = np.asarray(fitted.loss_curve_)[::every]
    np.testing.assert_array_equal(display.line_.get_ydata(), expected)
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(expected.size))
    assert display.ax_.get_xlabel() == xlabel


def test_mini_batches_count_epochs(data):
    X, y = data
    clf = DeepBinaryClassifier((4,), batch_size=20, max_iter=150, random_state=0)
    display = LossCurveDisplay.from_estimator(clf.fit(X, y), every=10)

    assert display.ax_.get_xlabel() == "epochs (per tens)"
    np.testing.assert_array_equal(
        display.line_.get_ydata(), np.asarray(clf.loss_curve_)[::10]
    )


def test_plot_from_a_list_of_costs():
    display = LossCurveDisplay([0.7, 0.5, 0.4], every=1)
    assert display.plot() is display

    np.testing.assert_array_equal(display.line_.get_ydata(), [0.7, 0.5, 0.4])
    assert display.ax_.get_title() == ""  # no learning rate given
    assert display.ax_.get_legend() is None  # no name given
    assert display.line_.get_label().startswith("_")


def test_plot_again_on_other_axes_with_another_name_and_style(fitted):
    display = LossCurveDisplay.from_estimator(fitted)
    _, ax = plt.subplots()

    display.plot(ax=ax, name="again", color="red", lw=3)

    assert display.ax_ is ax
    assert display.line_.get_label() == "again"
    assert display.line_.get_color() == "red"
    assert display.line_.get_linewidth() == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["again"]


def test_several_curves_on_one_axes_get_a_legend(data):
    X, y = data
    _, ax = plt.subplots()
    rates = [0.1, 0.01, 0.001]
    for learning_rate in rates:
        clf = LogisticRegressionGD(learning_rate=learning_rate, max_iter=300)
        display = LossCurveDisplay.from_estimator(
            clf.fit(X, y), ax=ax, name=str(learning_rate)
        )
        assert display.ax_ is ax
        np.testing.assert_array_equal(
            display.line_.get_ydata(), np.asarray(clf.loss_curve_)[::100]
        )

    assert len(ax.get_lines()) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(map(str, rates))
    # The curves have different learning rates: no single one in the title.
    assert ax.get_title() == ""


def test_title_stays_while_the_curves_share_a_learning_rate(data):
    X, y = data
    _, ax = plt.subplots()
    for sizes in [(3,), (4, 2)]:
        clf = DeepBinaryClassifier(sizes, learning_rate=0.1, max_iter=200)
        LossCurveDisplay.from_estimator(clf.fit(X, y), ax=ax, name=str(sizes))
    assert ax.get_title() == "Learning rate = 0.1"


def test_a_title_set_by_the_user_is_kept(fitted):
    _, ax = plt.subplots()
    ax.set_title("my costs")
    LossCurveDisplay.from_estimator(fitted, ax=ax)
    assert ax.get_title() == "my costs"


def test_pipeline_plots_its_last_step(data):
    X, y = data
    pipe = make_pipeline(
        StandardScaler(), DeepBinaryClassifier((4,), learning_rate=0.1, max_iter=250)
    ).fit(X, y)

    display = LossCurveDisplay.from_estimator(pipe)

    np.testing.assert_array_equal(
        display.line_.get_ydata(), np.asarray(pipe[-1].loss_curve_)[::100]
    )
    assert display.line_.get_label() == "DeepBinaryClassifier"
    assert display.ax_.get_title() == "Learning rate = 0.1"


@pytest.mark.parametrize(
    "estimator",
    [
        DeepBinaryClassifier(),
        make_pipeline(StandardScaler(), LogisticRegressionGD()),
    ],
    ids=["estimator", "pipeline"],
)
def test_unfitted_estimator_raises_not_fitted_error(estimator):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(estimator)


def test_estimator_without_loss_curve_is_rejected(data):
    X, y = data
    scaler = StandardScaler().fit(X)
    with pytest.raises(AttributeError, match="StandardScaler has no loss_curve_"):
        LossCurveDisplay.from_estimator(scaler)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"loss_curve": []}, ValueError, "non-empty 1-D"),
        ({"loss_curve": [[0.5, 0.4]]}, ValueError, "non-empty 1-D"),
        ({"loss_curve": [0.5], "every": 0}, ValueError, "every must be a positive"),
        ({"loss_curve": [0.5], "every": 2.5}, ValueError, "every must be a positive"),
        ({"loss_curve": [0.5], "learning_rate": "constant"}, TypeError, "number"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LossCurveDisplay(**kwargs)


@pytest.fixture
def without_matplotlib(monkeypatch):
    """Make ``import matplotlib`` fail, as if it were not installed, and drop
    ``skdnn.plot`` so that it is imported again under that condition."""
    for module in list(sys.modules):
        if module == "matplotlib" or module.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.delitem(sys.modules, "skdnn.plot")
    monkeypatch.delattr(skdnn, "plot")  # the package attribute comes back too


def test_import_works_and_plotting_says_how_to_install_matplotlib(
    without_matplotlib, fitted
):
    from skdnn.plot import LossCurveDisplay

    display = LossCurveDisplay([0.7, 0.5])  # building a display needs no matplotlib
    message = r'pip install "skdnn\[plot\]"'
    with pytest.raises(ImportError, match=message):
        display.plot()
    with pytest.raises(ImportError, match=message):
        LossCurveDisplay.from_estimator(fitted)
