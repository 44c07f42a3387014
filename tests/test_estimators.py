"""Both estimators inside scikit-learn (pipelines, search, cloning, pickling,
pandas) and their documented behaviours (alpha, labels, shapes, loss curve,
tol, verbose, dtypes, sample weights, seeds, activations, Ctrl-C,
divergence), on small synthetic data so the whole file runs in seconds."""

import pickle
import re
import signal
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skdnn import DeepBinaryClassifier, LogisticRegressionGD
from skdnn._trainers import GradientTrainer, SampleSpaceTrainer

HIDDEN_ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "logistic", "identity"]


def small_deep(**params):
    """A DeepBinaryClassifier small and quick enough for unit-scaled data."""
    defaults = {
        "hidden_layer_sizes": (8, 4),
        "learning_rate": 0.1,
        "max_iter": 100,
        "random_state": 0,
    }
    return DeepBinaryClassifier(**{**defaults, **params})


def small_logistic(**params):
    """A LogisticRegressionGD with the same step size and iterations."""
    return LogisticRegressionGD(**{"learning_rate": 0.1, "max_iter": 100, **params})


@pytest.fixture(
    params=[pytest.param(small_deep, id="deep"), pytest.param(small_logistic, id="lr")]
)
def make(request):
    """Each test taking ``make`` runs once per estimator: ``make(**params)``."""
    return request.param


@pytest.fixture(scope="module")
def easy():
    """A well-separated binary problem with unit-scaled features."""
    return make_classification(
        n_samples=200, n_features=6, n_informative=4, class_sep=2.0, random_state=0
    )


@pytest.fixture(scope="module")
def cancer():
    """Breast cancer, unscaled: features range from 1e-3 to 4e3."""
    return load_breast_cancer(return_X_y=True)


@pytest.fixture(scope="module")
def cancer_scaled(cancer):
    X, y = cancer
    return StandardScaler().fit_transform(X), y


def squared_weights(estimator):
    return sum(np.vdot(W, W) for W in estimator.coefs_)


# -- scikit-learn integration -------------------------------------------------


def test_pipeline_on_breast_cancer(make, cancer):
    # Measured: test accuracy 0.979 (deep) and 0.958 (logistic).
    X_train, X_test, y_train, y_test = train_test_split(
        *cancer, stratify=cancer[1], random_state=0
    )
    model = make_pipeline(StandardScaler(), make(max_iter=300)).fit(X_train, y_train)
    assert model.score(X_train, y_train) >= 0.97
    assert model.score(X_test, y_test) >= 0.93


def test_grid_search_over_sizes_and_alpha(cancer):
    grid = {"clf__hidden_layer_sizes": [(3,), (8, 4)], "clf__alpha": [0.0, 1.0]}
    pipe = Pipeline([("scale", StandardScaler()), ("clf", small_deep())])
    search = GridSearchCV(pipe, grid, cv=3).fit(*cancer)

    assert set(search.best_params_) == set(grid)
    assert search.cv_results_["params"] == list(ParameterGrid(grid))
    assert search.best_params_ in search.cv_results_["params"]
    for key in ["mean_test_score", "std_test_score", "rank_test_score"]:
        assert search.cv_results_[key].shape == (4,)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_score_ > 0.9
    best = search.best_estimator_[-1]
    widths = [W.shape[1] for W in best.coefs_]
    assert widths == [*search.best_params_["clf__hidden_layer_sizes"], 1]


def test_cross_val_score(make, cancer):
    scores = cross_val_score(make_pipeline(StandardScaler(), make()), *cancer, cv=5)
    assert scores.shape == (5,)
    assert np.isfinite(scores).all()
    assert scores.min() > 0.9


def test_clone_is_unfitted_with_same_params(make, easy):
    estimator = make(alpha=0.5).fit(*easy)
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)


def pickle_round_trip(estimator, tmp_path):
    return pickle.loads(pickle.dumps(estimator))


def joblib_round_trip(estimator, tmp_path):
    joblib.dump(estimator, tmp_path / "model.joblib")
    return joblib.load(tmp_path / "model.joblib")


@pytest.mark.parametrize("round_trip", [pickle_round_trip, joblib_round_trip])
def test_saved_model_predicts_the_same(make, easy, tmp_path, round_trip):
    X, y = easy
    estimator = make().fit(X, y)
    loaded = round_trip(estimator, tmp_path)
    assert loaded is not estimator
    assert loaded.get_params() == estimator.get_params()
    assert loaded.loss_curve_ == estimator.loss_curve_
    np.testing.assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))


def test_dataframe_feature_names(make, easy):
    X, y = easy
    names = [f"pixel_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=names)
    estimator = make().fit(frame, y)
    np.testing.assert_array_equal(estimator.feature_names_in_, names)

    renamed = frame.rename(columns={"pixel_0": "other"})
    with pytest.raises(ValueError, match="The feature names should match"):
        estimator.predict(renamed)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        proba = estimator.predict_proba(X)
    # a DataFrame's values are column-major: BLAS may round differently
    np.testing.assert_allclose(proba, estimator.predict_proba(frame), rtol=1e-12)


# -- behaviours ---------------------------------------------------------------


def test_alpha_shrinks_the_weights(make, cancer_scaled):
    free = make(alpha=0.0, max_iter=200).fit(*cancer_scaled)
    penalised = make(alpha=1.0, max_iter=200).fit(*cancer_scaled)
    assert squared_weights(penalised) < squared_weights(free)


def test_string_labels(make, easy):
    X, y = easy
    labels = np.array(["non-cat", "cat"])[y]  # 0 -> "non-cat", so not sorted
    estimator = make().fit(X, labels)
    np.testing.assert_array_equal(estimator.classes_, ["cat", "non-cat"])

    predicted = estimator.predict(X)
    assert set(predicted) <= {"cat", "non-cat"}
    proba = estimator.predict_proba(X)
    np.testing.assert_array_equal(predicted, estimator.classes_[proba.argmax(axis=1)])
    # classes_[1] is the positive class: the same net fit on 0/1 with
    # 1 = "non-cat" gives the same second column.
    y_positive = (labels == "non-cat").astype(int)
    np.testing.assert_allclose(proba, make().fit(X, y_positive).predict_proba(X))

    positive = estimator.decision_function(X) > 0
    np.testing.assert_array_equal(positive, predicted == estimator.classes_[1])
    np.testing.assert_allclose(estimator.predict_log_proba(X), np.log(proba))


def test_log_proba_finite_for_huge_logits(make, easy):
    X, y = easy
    estimator = make().fit(X, y)
    X_far = X * 1e6
    z = estimator.decision_function(X_far)
    assert np.abs(z).min() > 1e3  # so exp(-|z|) underflows: log(predict_proba) is -inf
    log_proba = estimator.predict_log_proba(X_far)
    assert np.isfinite(log_proba).all()
    # log(1 - sigmoid(z)) = -z and log(sigmoid(z)) = 0 for large z, and vice versa.
    expected = np.column_stack([np.minimum(-z, 0), np.minimum(z, 0)])
    np.testing.assert_allclose(log_proba, expected, rtol=1e-12, atol=1e-12)
    proba = estimator.predict_proba(X_far)
    assert not np.isnan(proba).any()
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_deep_parameters_have_the_course_shapes(easy):
    X, y = easy
    estimator = small_deep(hidden_layer_sizes=(5, 3)).fit(X, y)
    parameters = estimator.parameters_
    sizes = [6, 5, 3, 1]
    assert list(parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l in range(1, len(sizes)):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        assert W.shape == (sizes[l], sizes[l - 1])
        assert b.shape == (sizes[l], 1)
        np.testing.assert_array_equal(W, estimator.coefs_[l - 1].T)
        np.testing.assert_array_equal(b.ravel(), estimator.intercepts_[l - 1])
    parameters["W1"][:] = 0  # a copy: the model is untouched
    assert np.abs(estimator.coefs_[0]).sum() > 0


def test_logistic_coef_and_intercept(easy):
    X, y = easy
    estimator = small_logistic().fit(X, y)
    assert estimator.coef_.shape == (1, X.shape[1])
    assert estimator.intercept_.shape == (1,)
    np.testing.assert_array_equal(estimator.coef_, estimator.parameters_["W1"])
    np.testing.assert_array_equal(
        estimator.intercept_, estimator.parameters_["b1"].ravel()
    )
    np.testing.assert_allclose(
        estimator.decision_function(X),
        X @ estimator.coef_.ravel() + estimator.intercept_[0],
    )


def test_loss_curve_runs_max_iter_and_decreases(make, easy):
    with warnings.catch_warnings():
        # tol=None has no tol rule to warn about, and 50 epochs are too few
        # to judge whether the cost is still falling (tests/test_endings.py)
        warnings.simplefilter("error")
        estimator = make(max_iter=50, tol=None).fit(*easy)
    assert len(estimator.loss_curve_) == estimator.n_iter_ == 50
    assert np.all(np.diff(estimator.loss_curve_) < 0)


def test_tol_stops_early(make, easy):
    """Stops at the first epoch that ends ``n_iter_no_change`` epochs in a row
    without improving the best cost by ``tol``."""
    params = {"tol": 1e-3, "n_iter_no_change": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        estimator = make(max_iter=2000, **params).fit(*easy)
    n = estimator.n_iter_
    curve = np.array(estimator.loss_curve_)
    assert n < 2000 and len(curve) == n
    # each of the last five improved on the best before it by less than tol
    assert all(curve[k] > curve[:k].min() - 1e-3 for k in range(n - 5, n))
    # one epoch fewer and it has not converged yet
    with pytest.warns(ConvergenceWarning, match=f"max_iter={n - 1}"):
        make(max_iter=n - 1, **params).fit(*easy)


def test_tol_not_reached_warns(make, easy):
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        estimator = make(max_iter=5, tol=1e-12).fit(*easy)
    assert estimator.n_iter_ == 5


def test_verbose_prints_the_course_lines(make, easy, capsys):
    estimator = make(max_iter=301, verbose=1).fit(*easy)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"Cost after iteration {i}: {estimator.loss_curve_[i]:f}"
        for i in (0, 100, 200, 300)
    ]
    assert all(re.fullmatch(r"Cost after iteration \d+: \d+\.\d{6}", s) for s in lines)

    make(max_iter=301, verbose=0).fit(*easy)
    assert capsys.readouterr() == ("", "")


def test_float32_trains_in_float32(make, cancer_scaled):
    X, y = cancer_scaled
    model64 = make(max_iter=200).fit(X, y)
    model32 = make(max_iter=200).fit(X.astype(np.float32), y)
    for array in model32.coefs_ + model32.intercepts_:
        assert array.dtype == np.float32
    assert model32.predict_proba(X.astype(np.float32)).dtype == np.float32
    # Measured: the 200 costs differ by at most 1.3e-6 (deep, relu: a unit
    # crosses its kink at another step now and then; 3.9e-8 with tanh) and
    # 1.2e-7 (logistic), the probabilities by at most 5.9e-5 (4e-7 with tanh).
    np.testing.assert_allclose(model32.loss_curve_, model64.loss_curve_, atol=5e-6)
    np.testing.assert_allclose(
        model32.predict_proba(X), model64.predict_proba(X), atol=2e-4
    )


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_other_dtypes_train_in_float64(make, easy, dtype):
    X, y = easy
    estimator = make().fit((X * 10).astype(dtype), y)
    for array in estimator.coefs_ + estimator.intercepts_:
        assert array.dtype == np.float64


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param(np.arange(200) % 3 + 1, id="integers-equal-duplicates"),
        pytest.param(np.arange(200) % 4 != 0, id="zeros-equal-dropping"),
    ],
)
def test_sample_weight_equals_repeating_rows(make, easy, weights):
    X, y = easy
    weighted = make().fit(X, y, sample_weight=weights)
    repeated = make().fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X))


def test_random_state(make, easy):
    first, again, other = (
        make(init="xavier", random_state=seed).fit(*easy) for seed in (0, 0, 1)
    )
    np.testing.assert_array_equal(first.coefs_[0], again.coefs_[0])
    assert first.loss_curve_ == again.loss_curve_
    assert not np.allclose(first.coefs_[0], other.coefs_[0])


def assert_fits_and_predicts(estimator, X, y):
    estimator.fit(X, y)
    assert estimator.loss_curve_[-1] < estimator.loss_curve_[0]
    assert set(estimator.predict(X)) <= set(estimator.classes_)
    proba = estimator.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1)


@pytest.mark.parametrize("init", ["xavier", "he", "random"])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_activation_and_init(easy, activation, init):
    assert_fits_and_predicts(small_deep(activation=activation, init=init), *easy)


@pytest.mark.parametrize("init", ["zeros", "xavier", "he", "random"])
def test_every_logistic_init(easy, init):
    assert_fits_and_predicts(small_logistic(init=init, random_state=0), *easy)


def test_activations_are_different_functions(easy):
    curves = {
        activation: small_deep(activation=activation, max_iter=5).fit(*easy).loss_curve_
        for activation in HIDDEN_ACTIVATIONS
    }
    assert curves["logistic"] == curves["sigmoid"]  # an alias
    assert len({tuple(curve) for curve in curves.values()}) == 5


# -- Ctrl-C and divergence ----------------------------------------------------


@pytest.mark.parametrize("space", ["feature", "sample"])
def test_ctrl_c_keeps_the_last_parameters(make, easy, monkeypatch, space):
    calls = []

    def interrupting(step):
        def step_then_interrupt(self, *batch):
            cost = step(self, *batch)
            calls.append(None)
            if len(calls) == 5:
                signal.raise_signal(signal.SIGINT)
            return cost

        return step_then_interrupt

    for trainer in (GradientTrainer, SampleSpaceTrainer):
        monkeypatch.setattr(trainer, "step", interrupting(trainer.step))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    estimator = make(max_iter=100, space=space)
    try:
        # the fit ends cleanly, keeps iteration 5, then the interrupt goes on
        with pytest.raises(KeyboardInterrupt):
            with pytest.warns(ConvergenceWarning, match="after iteration 5"):
                estimator.fit(*easy)
    finally:
        restored = signal.signal(signal.SIGINT, previous)
    assert restored is signal.default_int_handler  # fit put the handler back

    assert len(calls) == estimator.n_iter_ == len(estimator.loss_curve_) == 5
    assert all(np.isfinite(W).all() for W in estimator.coefs_ + estimator.intercepts_)
    monkeypatch.undo()
    five_iterations = make(max_iter=5, space=space).fit(*easy)
    for W, W5 in zip(estimator.coefs_, five_iterations.coefs_, strict=True):
        np.testing.assert_array_equal(W, W5)
    np.testing.assert_array_equal(
        estimator.predict(easy[0]), five_iterations.predict(easy[0])
    )


DEEP_LEAKY = {
    "hidden_layer_sizes": (20, 7, 5),
    "activation": "leaky_relu",
    "learning_rate": 1e6,
}

# id: (estimator, parameters that diverge on unscaled breast cancer, dtype of X)
DIVERGING = {
    # the cost is NaN at iteration 3
    "deep-cost-nan": (small_deep, {**DEEP_LEAKY, "max_iter": 50}, np.float64),
    # the costs of iterations 0-2 are finite (up to 5e109), but the third
    # update leaves weights that make every training logit NaN
    "deep-last-update": (small_deep, {**DEEP_LEAKY, "max_iter": 3}, np.float64),
    # float32 overflows sooner
    "lr-cost-nan": (small_logistic, {"learning_rate": 1e36, "max_iter": 5}, np.float32),
    "lr-weights-inf": (
        small_logistic,
        {"learning_rate": 1e37, "max_iter": 1},
        np.float32,
    ),
    # one update: finite weights (up to 9e37), but 318 of 569 logits are NaN
    "lr-last-update": (
        small_logistic,
        {"learning_rate": 1e36, "max_iter": 1},
        np.float32,
    ),
}


@pytest.mark.parametrize(
    "make_diverging, params, dtype", DIVERGING.values(), ids=list(DIVERGING)
)
def test_divergence_names_learning_rate(
    make_diverging, params, dtype, cancer, cancer_scaled
):
    estimator = make_diverging(**{**params, "learning_rate": 0.1, "max_iter": 20})
    estimator.fit(*cancer_scaled)
    keys, coefs = set(vars(estimator)), [W.copy() for W in estimator.coefs_]

    X, y = cancer
    with pytest.raises(ValueError, match="learning_rate"):
        estimator.set_params(**params).fit(X.astype(dtype), y)

    assert set(vars(estimator)) == keys
    for W, before in zip(estimator.coefs_, coefs, strict=True):
        np.testing.assert_array_equal(W, before)


def test_a_constant_predictor_is_reported(cancer, cancer_scaled):
    """The course's defaults on unscaled tabular data learn nothing in 300
    iterations: the fit says so, naming the remedies; a fit that separates
    the classes says nothing."""
    X, y = cancer
    with pytest.warns(ConvergenceWarning, match="predicts .* for every training"):
        DeepBinaryClassifier(max_iter=300, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # 300 iterations end on a still-falling cost: tests/test_endings.py
        warnings.filterwarnings("ignore", "The cost was still falling")
        DeepBinaryClassifier(max_iter=300, random_state=0).fit(*cancer_scaled)
