"""SPEC.md, "Behaviour on bad input": every bad input gets a clear
ValueError/TypeError naming the problem, before any work, and an estimator
fitted before is left exactly as it was."""

import copy
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError

import skdnn._base
from skdnn import DeepBinaryClassifier, LogisticRegressionGD

X, Y = make_classification(n_samples=40, n_features=5, random_state=0)
N_SAMPLES = X.shape[0]
# Fitting on a DataFrame gives ``feature_names_in_``, which a failed fit on an
# array must not lose; the bad arrays below then also warn about the names.
FRAME = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def deep(**params):
    return DeepBinaryClassifier(
        **{"hidden_layer_sizes": (4,), "max_iter": 5, "random_state": 0, **params}
    )


def logistic(**params):
    return LogisticRegressionGD(**{"max_iter": 5, **params})


@pytest.fixture(params=[deep, logistic])
def fitted(request):
    """Each estimator, fitted on good data."""
    return request.param().fit(FRAME, Y)


def _state(estimator):
    """A deep copy of ``vars(estimator)``, with the optimiser's state (momentum
    velocities, Adam's moments) unpacked so that equal states compare equal."""
    state = dict(vars(estimator))
    if "_optimizer" in state:
        state["_optimizer"] = vars(state["_optimizer"])
    return copy.deepcopy(state)


def assert_rejected_and_unchanged(estimator, action, error, match):
    """``action(estimator)`` raises ``error`` matching ``match`` before any
    weight is initialised, and leaves the fitted ``estimator`` as it was:
    the same attributes with equal values, the same predictions. Parameters
    that ``action`` set with ``set_params`` are put back before comparing."""
    params = estimator.get_params()
    state = _state(estimator)
    proba = estimator.predict_proba(FRAME)
    initialize = skdnn._base.initialize_parameters
    with mock.patch.object(
        skdnn._base, "initialize_parameters", wraps=initialize
    ) as init_spy:
        with pytest.raises(error, match=match):
            action(estimator)
    init_spy.assert_not_called()

    estimator.set_params(**params)
    np.testing.assert_equal(_state(estimator), state)  # same keys, equal values
    np.testing.assert_array_equal(estimator.predict_proba(FRAME), proba)


def with_value(value):
    """``X`` with one entry replaced by ``value``."""
    bad = X.copy()
    bad[3, 1] = value
    return bad


# -- bad data at fit ------------------------------------------------------------

# id: (what replaces the good data, error, part of the message)
BAD_FIT_DATA = {
    "nan": ({"X": with_value(np.nan)}, ValueError, "Input X contains NaN"),
    "inf": ({"X": with_value(np.inf)}, ValueError, "Input X contains infinity"),
    "-inf": ({"X": with_value(-np.inf)}, ValueError, "Input X contains infinity"),
    "1-class": (
        {"y": np.zeros(N_SAMPLES)},
        ValueError,
        "Only binary classification is supported; y has 1 class",
    ),
    "3-classes": (
        {"y": np.arange(N_SAMPLES) % 3},
        ValueError,
        r"Only binary classification is supported; y has 3 classes.*"
        r"skdnn\.DeepClassifier",
    ),
    "3-string-classes": (
        {"y": np.array(["cat", "dog", "owl"])[np.arange(N_SAMPLES) % 3]},
        ValueError,
        "Only binary classification is supported; y has 3 classes",
    ),
    "continuous-y": ({"y": Y + X[:, 0]}, ValueError, "Unknown label type: continuous"),
    "0-samples": (
        {"X": X[:0], "y": Y[:0]},
        ValueError,
        r"Found array with 0 sample\(s\)",
    ),
    "0-features": ({"X": X[:, :0]}, ValueError, r"Found array with 0 feature\(s\)"),
    "1d-X": ({"X": X[:, 0]}, ValueError, "Expected 2D array"),
    "sparse-X": ({"X": csr_matrix(X)}, TypeError, "dense data is required"),
    "y-too-short": ({"y": Y[:-1]}, ValueError, "inconsistent numbers of samples"),
    "all-zero-weights": (
        {"sample_weight": np.zeros(N_SAMPLES)},
        ValueError,
        # recent scikit-learn (1.9 here) says it first, skdnn for older ones
        "Sample weights must contain at least one non-zero number"
        "|sample_weight sums to zero",
    ),
    "negative-weight": (
        {"sample_weight": np.where(np.arange(N_SAMPLES) == 7, -1.0, 1.0)},
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    "short-weights": (
        {"sample_weight": np.ones(N_SAMPLES - 1)},
        ValueError,
        r"sample_weight.shape == \(39,\), expected \(40,\)",
    ),
}


@pytest.mark.parametrize(
    "bad, error, match", BAD_FIT_DATA.values(), ids=list(BAD_FIT_DATA)
)
def test_bad_data_at_fit(fitted, bad, error, match):
    data = {"X": X, "y": Y, **bad}
    assert_rejected_and_unchanged(
        fitted, lambda estimator: estimator.fit(**data), error, match
    )


# -- bad parameters ---------------------------------------------------------------

BOTH, DEEP = (deep, logistic), (deep,)

# (estimators it applies to, bad parameters, error, part of the message)
BAD_PARAMS = [
    (BOTH, {"learning_rate": 0}, ValueError, "'learning_rate' parameter"),
    (BOTH, {"learning_rate": -0.01}, ValueError, "'learning_rate' parameter"),
    (BOTH, {"learning_rate": "fast"}, TypeError, "'learning_rate' parameter"),
    (BOTH, {"alpha": -1.0}, ValueError, "'alpha' parameter"),
    (BOTH, {"max_iter": 0}, ValueError, "'max_iter' parameter"),
    (BOTH, {"max_iter": 2.5}, TypeError, "'max_iter' parameter"),
    (BOTH, {"tol": -1e-4}, ValueError, "'tol' parameter"),
    (BOTH, {"init": "glorot"}, ValueError, "'init' parameter"),
    (DEEP, {"init": "zeros"}, ValueError, "'init' parameter .* Got 'zeros'"),
    (DEEP, {"activation": "swish"}, ValueError, "'activation' parameter"),
    (DEEP, {"hidden_layer_sizes": -3}, ValueError, "'hidden_layer_sizes' parameter"),
    (DEEP, {"hidden_layer_sizes": 0}, ValueError, "'hidden_layer_sizes' parameter"),
    *(
        (DEEP, {"hidden_layer_sizes": sizes}, ValueError, "must contain positive int")
        for sizes in [(4, -1), (-4,), (4, 0), (2.5,), ("4",), (True,)]
    ),
]


@pytest.mark.parametrize(
    "make, params, error, match",
    [
        pytest.param(make, params, error, match, id=f"{make.__name__}-{params}")
        for makers, params, error, match in BAD_PARAMS
        for make in makers
    ],
)
def test_bad_parameters(make, params, error, match):
    estimator = make().fit(FRAME, Y)
    assert_rejected_and_unchanged(
        estimator,
        lambda estimator: estimator.set_params(**params).fit(X, Y),
        error,
        match,
    )


# -- bad data at predict ------------------------------------------------------------

PREDICT_METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


# id: (bad X, part of the message)
BAD_PREDICT_DATA = {
    "4-features": (X[:, :4], "X has 4 features, but .* is expecting 5"),
    "6-features": (np.hstack([X, X[:, :1]]), "X has 6 features, but .* is expecting 5"),
    "nan": (with_value(np.nan), "Input X contains NaN"),
    "inf": (with_value(np.inf), "Input X contains infinity"),
}


@pytest.mark.parametrize("method", PREDICT_METHODS)
@pytest.mark.parametrize(
    "bad, match", BAD_PREDICT_DATA.values(), ids=list(BAD_PREDICT_DATA)
)
def test_bad_data_at_predict(fitted, method, bad, match):
    assert_rejected_and_unchanged(
        fitted, lambda estimator: getattr(estimator, method)(bad), ValueError, match
    )


@pytest.mark.parametrize("method", PREDICT_METHODS)
@pytest.mark.parametrize("make", [deep, logistic])
def test_predict_before_fit(make, method):
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        getattr(make(), method)(X)


@pytest.mark.parametrize(
    "make, attribute",
    [
        (deep, "parameters_"),
        (logistic, "parameters_"),
        (logistic, "coef_"),
        (logistic, "intercept_"),
    ],
)
def test_fitted_attributes_before_fit(make, attribute):
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        getattr(make(), attribute)
