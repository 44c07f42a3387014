"""Honest endings: a ``tol=None`` fit that stops at ``max_iter`` while its
cost still falls steeply says so; the course's runs, which level off, do
not."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier, DeepRegressor, LogisticRegressionGD
from skdnn._base import MIN_JUDGED_EPOCHS, STILL_FALLING, end_slope

FALLING = "still falling"


@pytest.fixture(scope="module")
def cancer_scaled():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def convergence_messages(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [
        str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)
    ]


def test_end_slope_of_a_straight_line_is_one():
    assert end_slope(list(np.linspace(1.0, 0.5, 200))) == pytest.approx(1.0)


def test_end_slope_of_a_levelled_curve_is_small():
    curve = list(0.1 + np.exp(-np.arange(500) / 50))
    assert end_slope(curve) < 0.01


def test_end_slope_of_a_late_drop_is_above_one():
    curve = [0.69] * 150 + list(np.linspace(0.69, 0.3, 50))
    assert end_slope(curve) > 1


@pytest.mark.parametrize(
    "curve",
    [
        list(np.linspace(1, 0.5, MIN_JUDGED_EPOCHS - 1)),  # too short to judge
        list(np.linspace(0.5, 1, 100)),  # rising
        [0.3] * 100,  # flat
    ],
)
def test_end_slope_does_not_judge(curve):
    assert end_slope(curve) is None


def test_a_learning_rate_too_small_is_reported(cancer_scaled):
    """lr=1e-4 for 1000 iterations: the cost falls in a straight line."""
    model = DeepBinaryClassifier(learning_rate=1e-4, max_iter=1000, random_state=0)
    messages = convergence_messages(lambda: model.fit(*cancer_scaled))
    assert len(messages) == 1
    assert FALLING in messages[0]
    assert "max_iter=1000" in messages[0] and "learning_rate" in messages[0]
    assert end_slope(model.loss_curve_) >= STILL_FALLING


def test_a_fit_that_levels_off_says_nothing(cancer_scaled):
    """The course's defaults on scaled breast cancer: end_slope 0.25 after
    2500 iterations (but 0.94 after 1000, still a straight line)."""
    model = DeepBinaryClassifier(random_state=0)
    assert convergence_messages(lambda: model.fit(*cancer_scaled)) == []
    assert end_slope(model.loss_curve_) < STILL_FALLING


@pytest.mark.parametrize(
    "params",
    [
        {"tol": 1e-4, "n_iter_no_change": 10**6},  # the tol rule's own warning
        {"early_stopping": True},  # the validation loss decides
        {"solver": "lbfgs"},  # scipy's stop, lbfgs's own warning
    ],
)
def test_only_tol_none_runs_are_judged(cancer_scaled, params):
    model = DeepBinaryClassifier(
        learning_rate=1e-4, max_iter=100, random_state=0, **params
    )
    messages = convergence_messages(lambda: model.fit(*cancer_scaled))
    assert not any(FALLING in m for m in messages)


def test_partial_fit_is_not_judged(cancer_scaled):
    model = DeepBinaryClassifier(learning_rate=1e-4, random_state=0)
    X, y = cancer_scaled

    def fit():
        for _ in range(30):
            model.partial_fit(X, y, classes=[0, 1])

    assert convergence_messages(fit) == []


def test_a_constant_predictor_gets_one_warning():
    """A constant predictor whose cost also still falls (positive features,
    90% of class 0, a tiny step: every logit goes negative, slowly): the
    constant predictor's warning, the worse news, and not a second one."""
    X, y = make_classification(
        2000, 20, n_informative=5, weights=[0.9], flip_y=0.05, random_state=0
    )
    X = np.abs(X) + 5
    model = LogisticRegressionGD(learning_rate=1e-6, max_iter=300)
    messages = convergence_messages(lambda: model.fit(X, y))
    assert end_slope(model.loss_curve_) >= STILL_FALLING
    assert len(messages) == 1 and "for every training" in messages[0]


def test_the_regressor_is_judged_too():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 3
    model = DeepRegressor(solver="gd", learning_rate=1e-4, tol=None, max_iter=300)
    messages = convergence_messages(lambda: model.fit(X, y))
    assert len(messages) == 1 and FALLING in messages[0]


def test_the_course_runs_level_off(catvnoncat):
    """The course's cat runs end at end_slope 0.07-0.20: no warning."""
    X_train, y_train, _, _ = catvnoncat
    for model in [
        DeepBinaryClassifier(random_state=1),
        DeepBinaryClassifier(hidden_layer_sizes=(7,), random_state=1),
        LogisticRegressionGD(),
    ]:
        assert convergence_messages(lambda m=model: m.fit(X_train, y_train)) == []
        assert end_slope(model.loss_curve_) < STILL_FALLING / 2


def test_the_course_learning_rate_sweep_flags_its_slowest_run(catvnoncat):
    """The course's lr=0.0001 run (1500 iterations), which it shows as too
    slow: reported; its lr=0.01 and 0.001 runs are not."""
    X_train, y_train, _, _ = catvnoncat
    for rate, flagged in [(0.01, False), (0.001, False), (0.0001, True)]:
        model = LogisticRegressionGD(learning_rate=rate, max_iter=1500)
        messages = convergence_messages(lambda m=model: m.fit(X_train, y_train))
        assert any(FALLING in m for m in messages) == flagged, rate


def test_the_warnings_point_at_the_callers_line(cancer_scaled):
    """Not into skdnn or scikit-learn's fit wrappers: at the line that
    called fit, directly or through a Pipeline."""
    model = DeepBinaryClassifier(learning_rate=1e-4, max_iter=200, random_state=0)
    for fit in (model.fit, make_pipeline(StandardScaler(), model).fit):
        with pytest.warns(ConvergenceWarning, match=FALLING) as record:
            fit(*cancer_scaled)
        assert [w.filename for w in record] == [__file__]
