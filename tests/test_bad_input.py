"""SPEC.md, "Behaviour on bad input": every bad input gets a clear
ValueError/TypeError naming the problem, before any work, and an estimator
fitted before is left exactly as it was."""

import copy
import re
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split

import skdnn._base
import skdnn._checks
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


def assert_rejected_and_unchanged(
    estimator, action, error, match, before=(skdnn._base, "initialize_parameters")
):
    """``action(estimator)`` raises ``error`` matching ``match`` before any
    weight is initialised (or, with ``before=(owner, name)``, before
    ``owner.name`` is called), and leaves the fitted ``estimator`` as it was:
    the same attributes with equal values, the same predictions. Parameters
    that ``action`` set with ``set_params`` are put back before comparing."""
    params = estimator.get_params()
    state = _state(estimator)
    proba = estimator.predict_proba(FRAME)
    owner, name = before
    original = getattr(owner, name)
    with mock.patch.object(owner, name, autospec=True, side_effect=original) as spy:
        with pytest.raises(error, match=match):
            action(estimator)
    spy.assert_not_called()

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


# -- defects found by fuzzing (tests/test_fuzz.py) ---------------------------------

# Early stopping's split of X, Y: the same rows as the estimator's (an int
# random_state gives train_test_split that seed).
_TRAIN_ROWS, _VALIDATION_ROWS = train_test_split(
    np.arange(N_SAMPLES), test_size=0.1, stratify=Y, random_state=0
)


def _weights_on(rows):
    weights = np.zeros(N_SAMPLES)
    weights[rows] = 1.0
    return weights


def _five_rows():
    """4 rows of class 0 and 1 of class 1."""
    rows = np.r_[np.flatnonzero(Y == 0)[:4], np.flatnonzero(Y == 1)[:1]]
    return X[rows], Y[rows]


def _fit(**params):
    data = params.pop("data", {})
    return lambda estimator: estimator.set_params(**params).fit(
        **{"X": X, "y": Y, **data}
    )


MIXED = np.array(["a", 1] * (N_SAMPLES // 2), dtype=object)
HUGE = np.full(N_SAMPLES, 1e308)

# (estimators, action, error, part of the message)
FUZZ_DEFECTS = {
    # 1. all the weight on one side of early stopping's split
    "es-validation-weight-0": (
        BOTH,
        _fit(
            early_stopping=True,
            random_state=0,
            data={"sample_weight": _weights_on(_TRAIN_ROWS)},
        ),
        ValueError,
        r"the 4 rows held out for validation \(validation_fraction=0.1\) all have "
        r"weight 0 \(sample_weight",
    ),
    "es-training-weight-0": (
        BOTH,
        _fit(
            early_stopping=True,
            random_state=0,
            data={"sample_weight": _weights_on(_VALIDATION_ROWS)},
        ),
        ValueError,
        r"the 36 rows left to train on \(validation_fraction=0.1\) all have "
        r"weight 0 \(sample_weight",
    ),
    # 2. too few rows for the stratified split
    "es-5-rows": (
        BOTH,
        lambda estimator: estimator.set_params(early_stopping=True).fit(*_five_rows()),
        ValueError,
        r"stratified split \(validation_fraction=0.1\) needs at least 2 rows of "
        r"each class.*class 1 has 1 of the 5 rows",
    ),
    "es-fraction-0.99": (
        BOTH,
        _fit(early_stopping=True, validation_fraction=0.99),
        ValueError,
        r"validation_fraction=0.99\) leaves 0 of the 40 rows to train on.*"
        r"validation_fraction <= 38/40",
    ),
    "es-fraction-0.01": (
        BOTH,
        _fit(early_stopping=True, validation_fraction=0.01),
        ValueError,
        r"validation_fraction=0.01\) holds out 1 of the 40 rows.*"
        r"validation_fraction > 1/40",
    ),
    # 3. a decayed learning rate that underflows
    "decay-underflow": (
        BOTH,
        _fit(learning_rate_decay=1e308),
        ValueError,
        r"learning_rate_decay=1e\+308 makes the learning rate of epoch 4, .* = 0, "
        r"smaller than 2.225e-308, the smallest normal float64",
    ),
    "decay-underflow-float32": (
        BOTH,
        _fit(learning_rate=1.0, learning_rate_decay=1e38, data={"X": X.astype("f4")}),
        ValueError,
        "learning_rate_decay=1e\\+38 .* the smallest normal float32",
    ),
    "decay-underflow-after-warm-start": (
        BOTH,
        # fine for 5 epochs from scratch; the fitted estimator is at epoch 5
        _fit(learning_rate=1.0, learning_rate_decay=1e307, warm_start=True),
        ValueError,
        "learning_rate_decay=1e\\+307 makes the learning rate of epoch 9",
    ),
    "subnormal-learning-rate": (
        BOTH,
        _fit(learning_rate=1e-320),
        ValueError,
        "learning_rate=1e-320 is below 2.225e-308",
    ),
    # 4. class_weight values and keys
    **{
        f"class-weight-{value!r}": (
            BOTH,
            _fit(class_weight={0: value, 1: 1.0}),
            error,
            rf"class_weight\[0\] = {re.escape(repr(value))}",
        )
        for value, error in [
            (-1.0, ValueError),
            (np.nan, ValueError),
            (np.inf, ValueError),
            ("x", TypeError),
            (True, TypeError),
        ]
    },
    "class-weight-unknown-key": (
        BOTH,
        _fit(class_weight={0: 1.0, 1: 2.0, 5: 1.0}),
        ValueError,
        r"class_weight has keys \[5\] that are not among the classes \[0, 1\]",
    ),
    "class-weight-all-0": (
        BOTH,
        _fit(class_weight={0: 0, 1: 0.0}),
        ValueError,
        "class_weight=.* gives every class weight 0",
    ),
    # 5. bools for integer parameters
    **{
        f"{name}={value}": (
            makers,
            _fit(**{name: value}),
            ValueError,
            rf"'{name}' parameter .* an int \(not a bool\) .* Got {value} instead",
        )
        for makers, name, value in [
            (BOTH, "batch_size", True),
            (BOTH, "batch_size", False),
            (BOTH, "max_iter", True),
            (BOTH, "n_iter_no_change", True),
            (DEEP, "hidden_layer_sizes", True),
        ]
    },
    # 6. a network too large for the memory
    "wide-layer": (
        DEEP,
        _fit(hidden_layer_sizes=(10**9,)),
        ValueError,
        r"hidden_layer_sizes=\(1000000000,\) with 5 features needs about .* TB "
        "to train .* more than the .* of memory of this machine",
    ),
    # 7. labels that mix strings and numbers
    "mixed-labels": (
        BOTH,
        _fit(data={"y": MIXED}),
        TypeError,
        r"y mixes strings \(e.g. 'a'\) and numbers \(e.g. 1\)",
    ),
    "mixed-classes": (
        BOTH,
        lambda estimator: estimator.partial_fit(
            X, Y, classes=np.array([0, "a"], dtype=object)
        ),
        TypeError,
        r"classes mixes numbers \(e.g. 0\) and strings \(e.g. 'a'\)",
    ),
    "none-label": (
        BOTH,
        _fit(data={"y": np.where(Y == 1, 1, None)}),
        TypeError,
        "y has a label None of type NoneType",
    ),
    # 8. alpha too large, weights summing to inf
    "huge-alpha": (
        BOTH,
        _fit(alpha=1e308),
        ValueError,
        r"alpha=1e\+308 is too large for learning_rate: the L2 penalty alone "
        "makes solver='gd' diverge",
    ),
    "huge-alpha-momentum": (
        BOTH,
        _fit(alpha=1e308, solver="momentum"),
        ValueError,
        "alpha=1e\\+308 .* makes solver='momentum' diverge",
    ),
    "alpha-over-tiny-weights": (
        BOTH,
        _fit(alpha=1.0, data={"sample_weight": np.full(N_SAMPLES, 1e-320)}),
        ValueError,
        r"alpha=1.0 is too large: alpha / sum\(sample_weight\) = inf overflows",
    ),
    "weights-sum-to-inf": (
        BOTH,
        _fit(data={"sample_weight": HUGE}),
        ValueError,
        r"sample_weight sums to inf, beyond the largest float64",
    ),
    # 9. class_weight times sample_weight overflowing (or all zero)
    "class-weight-overflows": (
        BOTH,
        _fit(class_weight={0: 1e308, 1: 1.0}, data={"sample_weight": HUGE / 1e300}),
        ValueError,
        "class_weight=.* times sample_weight is not finite in float64",
    ),
    "class-weight-overflows-float32": (
        BOTH,
        _fit(class_weight={0: 1e39, 1: 1.0}, data={"X": X.astype("f4")}),
        ValueError,
        "class_weight=.* times sample_weight is not finite in float32",
    ),
    "class-weight-zeroes-the-weighted": (
        BOTH,
        _fit(class_weight={0: 0.0}, data={"sample_weight": (Y == 0) * 1.0}),
        ValueError,
        "class_weight=.* gives weight 0 to every sample with a positive sample_weight",
    ),
}


#: The weights of early stopping's two parts are checked right after the split,
#: which comes after the initialisation: there, no epoch may run.
AFTER_THE_SPLIT = {"es-validation-weight-0", "es-training-weight-0"}


@pytest.mark.parametrize(
    "make, action, error, match, before",
    [
        pytest.param(
            make,
            action,
            error,
            match,
            (skdnn._trainers.GradientTrainer, "run")
            if name in AFTER_THE_SPLIT
            else (skdnn._base, "initialize_parameters"),
            id=f"{make.__name__}-{name}",
        )
        for name, (makers, action, error, match) in FUZZ_DEFECTS.items()
        for make in makers
    ],
)
def test_defects_found_by_fuzzing(make, action, error, match, before):
    estimator = make().fit(FRAME, Y)
    assert_rejected_and_unchanged(estimator, action, error, match, before=before)


@pytest.mark.parametrize("make", [deep, logistic])
def test_a_decay_refused_after_a_warm_start_is_fine_from_scratch(make):
    make(learning_rate=1.0, learning_rate_decay=1e307).fit(X, Y)


def test_memory_names_batch_size_when_fewer_rows_would_fit(fitted, monkeypatch):
    # deep(): 928 bytes of parameters and co., 120 bytes of activations a row
    # logistic(): 192 bytes, and 24 bytes a row
    deep_net = isinstance(fitted, DeepBinaryClassifier)
    memory, rows = (2000, 8) if deep_net else (500, 12)
    monkeypatch.setattr(skdnn._checks, "physical_memory", lambda: memory)
    match = rf"batch_size=None trains on 40 rows at once.*Use batch_size <= {rows} "
    assert_rejected_and_unchanged(fitted, _fit(), ValueError, match)
    fitted.set_params(batch_size=rows).fit(X, Y)
    with pytest.raises(ValueError, match=f"batch_size={rows + 1} trains on"):
        fitted.set_params(batch_size=rows + 1).fit(X, Y)


def test_physical_memory_is_a_positive_number_of_bytes():
    assert skdnn._checks.physical_memory() > 2**20


@pytest.mark.parametrize(
    "solver, momentum, bound", [("gd", 0.9, 2.0), ("momentum", 0.9, 38.0)]
)
def test_alpha_bound_is_where_the_penalty_alone_diverges(solver, momentum, bound):
    """``learning_rate * alpha / sum(s)`` may reach the solver's stability
    bound, not go beyond it; Adam has none."""
    check = skdnn._checks.check_alpha
    learning_rate, weight_sum = 0.5, 40.0
    alpha = bound * weight_sum / learning_rate
    check(alpha * (1 - 1e-9), learning_rate, weight_sum, solver, momentum, "f8")
    with pytest.raises(ValueError, match=f"alpha=.* exceeds {bound:g}"):
        check(alpha * (1 + 1e-9), learning_rate, weight_sum, solver, momentum, "f8")
    check(1e300, learning_rate, weight_sum, "adam", momentum, "f8")
    with pytest.raises(ValueError, match="overflows float32"):
        check(1e300, learning_rate, weight_sum, "adam", momentum, "f4")


@pytest.mark.parametrize("make", [deep, logistic])
def test_class_weight_dict_with_a_batch_of_one_class(make):
    """scikit-learn's compute_sample_weight refuses {0: w} for a target of
    class 1 only; a partial_fit batch may be just that."""
    estimator = make(class_weight={0: 2.0})
    for rows in (Y == 1, Y == 0):
        estimator.partial_fit(X[rows], Y[rows], classes=[0, 1])
    assert estimator.n_iter_ == 2


@pytest.mark.parametrize(
    "y, class_weight",
    [
        (Y, {0: 2.0, 1: 0.5}),
        (Y, {1: 3}),
        (Y * 1.0, {0: 2.0}),
        (np.array(["cat", "dog"])[Y], {"dog": 4.0}),
        (Y, "balanced"),
    ],
)
def test_class_weights_are_scikit_learns(y, class_weight):
    from sklearn.utils.class_weight import compute_sample_weight

    weights = skdnn._checks.apply_class_weight(np.ones(N_SAMPLES), y, class_weight)
    np.testing.assert_array_equal(weights, compute_sample_weight(class_weight, y))
