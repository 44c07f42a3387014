"""``fit(X, y, sample_weight, *, X_val, y_val, sample_weight_val)``: early
stopping on an explicit validation set, as ``HistGradientBoostingClassifier``
takes it (scikit-learn >= 1.7).

Given the very rows that ``early_stopping``'s own split holds out, it gives
the internal split's fit to the last bit; it trains on every row of ``X``;
its weights follow ``sample_weight_val`` and ``class_weight``; it computes in
the fit's dtype; it works with every solver, the sample space and dask
arrays; bad validation data is refused before any work, naming ``X_val``,
``y_val`` or ``sample_weight_val``; and a ``Pipeline`` routes it (metadata
routing), transforming ``X_val`` with ``transform_input``.
"""

import copy
import inspect
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.sparse import csr_matrix
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skdnn._base
import skdnn._trainers
from skdnn import (
    DeepBinaryClassifier,
    DeepClassifier,
    DeepRegressor,
    LogisticRegressionGD,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FRACTION = 0.25


def _binary(n=120, n_features=6, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        flip_y=0.2,
        random_state=seed,
    )
    return X, y


def _multilabel(n=120):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 5))
    Y = (X[:, :3] + 0.8 * rng.normal(size=(n, 3)) > 0).astype(int)
    return X, Y


def _regression(n=120):
    X, y = make_regression(n_samples=n, n_features=5, noise=20.0, random_state=0)
    return X, y / y.std()


def _wide(n=40, n_features=200):
    """More features than rows: where the sample space pays."""
    X, y = make_classification(
        n_samples=n, n_features=n_features, n_informative=5, random_state=0
    )
    return X / np.sqrt(n_features), y


DATA = {
    "binary": _binary,
    "iris": lambda: (
        StandardScaler().fit_transform(load_iris().data),
        load_iris().target,
    ),
    "multilabel": _multilabel,
    "regression": _regression,
    "positive-regression": lambda: (_regression()[0], np.abs(_regression()[1]) + 1),
    "wide": _wide,
}

# id: (estimator, data, stratified split)
CASES = {
    "deep-gd": (
        DeepBinaryClassifier((8,), learning_rate=0.3, max_iter=300, space="feature"),
        "binary",
    ),
    "deep-sample-space": (
        DeepBinaryClassifier((8,), learning_rate=0.5, max_iter=300, space="sample"),
        "wide",
    ),
    "logistic-lbfgs": (LogisticRegressionGD(solver="lbfgs", max_iter=300), "binary"),
    "multiclass-adam-batches": (
        DeepClassifier((8,), learning_rate=0.02, batch_size=16, max_iter=300),
        "iris",
    ),
    "multiclass-lbfgs": (
        DeepClassifier((8,), solver="lbfgs", max_iter=300, tol=0.0),
        "iris",
    ),
    "multilabel-momentum": (
        DeepClassifier((8,), solver="momentum", learning_rate=0.3, max_iter=300),
        "multilabel",
    ),
    "regressor-sgd": (
        DeepRegressor((8,), solver="sgd", learning_rate=0.01, max_iter=300),
        "regression",
    ),
    # the relu head's bias starts at the mean of the rows trained on
    "regressor-relu-output": (
        DeepRegressor((8,), out_activation="relu", learning_rate=0.01, max_iter=300),
        "positive-regression",
    ),
}


def _early(estimator, **params):
    """``estimator`` with early stopping on, a short patience and seed 0."""
    return clone(estimator).set_params(
        early_stopping=True,
        validation_fraction=FRACTION,
        n_iter_no_change=5,
        random_state=0,
        **params,
    )


def _held_out(estimator, X, y, sample_weight):
    """The rows ``early_stopping``'s split holds out, with an int
    ``random_state``: ``(X_train, X_val, y_train, y_val, sw_train, sw_val)``,
    the training rows in the order the split leaves them."""
    stratified = skdnn._base.is_classifier(estimator) and y.ndim == 1
    return train_test_split(
        X,
        y,
        sample_weight,
        test_size=estimator.validation_fraction,
        stratify=y if stratified else None,
        random_state=estimator.random_state,
    )


def _assert_same_fit(a, b):
    """The same curves, scores and parameters, to the last bit."""
    assert a.n_iter_ == b.n_iter_
    assert a.t_ == b.t_
    assert a.loss_curve_ == b.loss_curve_
    assert a.validation_loss_curve_ == b.validation_loss_curve_
    assert a.validation_scores_ == b.validation_scores_
    assert a.best_validation_loss_ == b.best_validation_loss_
    assert a.best_validation_score_ == b.best_validation_score_
    for W_a, W_b in zip(
        a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True
    ):
        assert W_a.dtype == W_b.dtype
        np.testing.assert_array_equal(W_a, W_b)


# -- the internal split's fit, given its held-out rows ------------------------------


@pytest.mark.parametrize("case", CASES)
def test_the_held_out_rows_as_x_val_give_the_internal_splits_fit(case):
    estimator, data = CASES[case]
    X, y = DATA[data]()
    sample_weight = np.random.RandomState(1).uniform(0.5, 2.0, size=X.shape[0])
    estimator = _early(estimator)
    internal = clone(estimator).fit(X, y, sample_weight=sample_weight)
    X_train, X_val, y_train, y_val, sw_train, sw_val = _held_out(
        estimator, X, y, sample_weight
    )
    explicit = clone(estimator).fit(
        X_train, y_train, sw_train, X_val=X_val, y_val=y_val, sample_weight_val=sw_val
    )
    _assert_same_fit(explicit, internal)
    # early stopping did its work: it stopped, and kept the best epoch
    assert explicit.n_iter_ < 300
    assert explicit.best_validation_loss_ == min(explicit.validation_loss_curve_)


def test_with_class_weight_a_dict_gives_the_internal_splits_fit_too():
    X, y = _binary()
    estimator = _early(
        DeepBinaryClassifier((8,), learning_rate=0.3, max_iter=300),
        class_weight={0: 1.0, 1: 3.0},
    )
    internal = clone(estimator).fit(X, y)
    X_train, X_val, y_train, y_val, _, _ = _held_out(estimator, X, y, np.ones(len(y)))
    explicit = clone(estimator).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    _assert_same_fit(explicit, internal)


def test_every_row_of_x_is_trained_on_and_validation_fraction_is_ignored():
    X, y = _binary()
    X_val, y_val = _binary(n=50, seed=1)
    estimator = _early(DeepBinaryClassifier((8,), learning_rate=0.3, max_iter=300))
    fitted = clone(estimator).fit(X, y, X_val=X_val, y_val=y_val)
    assert fitted.t_ == fitted.n_iter_ * X.shape[0]  # all 120 rows, every epoch
    other = clone(estimator).set_params(validation_fraction=0.5)
    _assert_same_fit(other.fit(X, y, X_val=X_val, y_val=y_val), fitted)
    # the kept parameters are those of the lowest loss on X_val
    loss = log_loss(y_val, fitted.predict_proba(X_val))
    np.testing.assert_allclose(loss, fitted.best_validation_loss_, rtol=1e-10)
    # a fit with too few rows to split (one of class 1) still trains
    few = clone(estimator).fit(X[:4], [0, 0, 0, 1], X_val=X_val, y_val=y_val)
    assert few.t_ == 4 * few.n_iter_


def test_warm_start_validates_in_the_dtype_of_the_fitted_parameters():
    X, y = _binary()
    X_val, y_val = _binary(n=50, seed=1)
    estimator = _early(
        DeepBinaryClassifier((8,), learning_rate=0.3, max_iter=20), warm_start=True
    )
    first = estimator.fit(X.astype(np.float32), y, X_val=X_val, y_val=y_val)
    assert first.coefs_[0].dtype == np.float32
    a, b = copy.deepcopy(first), copy.deepcopy(first)
    a.fit(X, y, X_val=X_val, y_val=y_val)  # X_val cast to float32, as X is
    b.fit(X, y, X_val=X_val.astype(np.float32), y_val=y_val)
    _assert_same_fit(a, b)
    assert a.n_iter_ > first.n_iter_ and a.coefs_[0].dtype == np.float32


# -- weights -------------------------------------------------------------------------


def _validation_fit(**params):
    X, y = _binary(n=200)
    X, X_val, y, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    estimator = _early(DeepBinaryClassifier((8,), learning_rate=0.3, max_iter=300))
    return estimator.set_params(**params), X, y, X_val, y_val


def test_sample_weight_val_weighs_the_validation_loss_and_score():
    estimator, X, y, X_val, y_val = _validation_fit()
    weights = np.random.RandomState(2).uniform(0.0, 3.0, size=len(y_val))
    weighted = clone(estimator).fit(
        X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights
    )
    proba = weighted.predict_proba(X_val)
    np.testing.assert_allclose(
        log_loss(y_val, proba, sample_weight=weights),
        weighted.best_validation_loss_,
        rtol=1e-10,
    )
    assert not np.isclose(log_loss(y_val, proba), weighted.best_validation_loss_)
    plain = clone(estimator).fit(X, y, X_val=X_val, y_val=y_val)
    assert plain.validation_loss_curve_ != weighted.validation_loss_curve_
    # all-ones weights are no weights, as sample_weight's are
    ones = clone(estimator).fit(
        X, y, X_val=X_val, y_val=y_val, sample_weight_val=np.ones(len(y_val))
    )
    _assert_same_fit(ones, plain)


@pytest.mark.parametrize("class_weight", [{0: 0.5, 1: 4.0}, "balanced"])
def test_class_weight_weighs_the_validation_rows_by_the_training_shares(class_weight):
    estimator, X, y, X_val, y_val = _validation_fit(class_weight=class_weight)
    # y has 3 rows of class 0 for every row of class 1; y_val has as many of each
    X = np.concatenate([X[y == 0], X[y == 0], X[y == 0], X[y == 1]])
    y = np.concatenate([np.zeros(3 * (y == 0).sum()), np.ones((y == 1).sum())])
    keep = np.concatenate(
        [np.flatnonzero(y_val == c)[: min(np.bincount(y_val))] for c in (0, 1)]
    )
    X_val, y_val = X_val[keep], y_val[keep]
    sw_val = np.random.RandomState(3).uniform(0.5, 2.0, size=len(y_val))
    fitted = estimator.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    if class_weight == "balanced":  # n / (2 n_c) of the training y, not of y_val
        class_weight = {c: len(y) / (2 * np.sum(y == c)) for c in (0, 1)}
    expected = sw_val * np.array([class_weight[c] for c in y_val])
    proba = fitted.predict_proba(X_val)
    np.testing.assert_allclose(
        log_loss(y_val, proba, sample_weight=expected),
        fitted.best_validation_loss_,
        rtol=1e-10,
    )
    unweighted = log_loss(y_val, proba, sample_weight=sw_val)
    assert not np.isclose(unweighted, fitted.best_validation_loss_)


def test_balanced_class_weight_of_a_multilabel_target_uses_the_training_columns():
    X, Y = _multilabel(n=200)
    X, X_val, Y, Y_val = train_test_split(X, Y, test_size=0.3, random_state=0)
    estimator = _early(
        DeepClassifier((8,), learning_rate=0.3, solver="gd", batch_size=None),
        class_weight="balanced",
        max_iter=300,
    )
    fitted = estimator.fit(X, Y, X_val=X_val, y_val=Y_val)
    expected = np.ones(len(Y_val))
    for k in range(Y.shape[1]):  # each column's n / (2 n_v), from the training Y
        counts = np.bincount(Y[:, k], minlength=2)
        expected *= len(Y) / (2 * counts[Y_val[:, k]])
    proba = fitted.predict_proba(X_val)
    losses = -(Y_val * np.log(proba) + (1 - Y_val) * np.log1p(-proba)).sum(axis=1)
    np.testing.assert_allclose(
        np.average(losses, weights=expected), fitted.best_validation_loss_, rtol=1e-8
    )


# -- float32 -----------------------------------------------------------------------


def test_float32_x_validates_in_float32_whatever_the_dtype_of_x_val():
    X, y = _binary()
    X_val, y_val = _binary(n=50, seed=1)
    estimator = _early(DeepBinaryClassifier((8,), learning_rate=0.3, max_iter=300))
    X32 = X.astype(np.float32)
    given_float64 = clone(estimator).fit(X32, y, X_val=X_val, y_val=y_val)
    given_float32 = clone(estimator).fit(
        X32, y, X_val=X_val.astype(np.float32), y_val=y_val, sample_weight_val=None
    )
    _assert_same_fit(given_float64, given_float32)
    assert given_float64.coefs_[0].dtype == np.float32
    # validated in float64, the same float32 parameters score otherwise
    proba = given_float64.predict_proba(X_val.astype(np.float32))
    assert proba.dtype == np.float32
    loss32 = log_loss(y_val, proba)
    np.testing.assert_allclose(loss32, given_float64.best_validation_loss_, rtol=1e-6)
    # and float64 X with a float32 X_val trains and validates in float64
    wide = clone(estimator).fit(X, y, X_val=X_val.astype(np.float32), y_val=y_val)
    exact = clone(estimator).fit(
        X, y, X_val=X_val.astype(np.float32).astype(np.float64), y_val=y_val
    )
    _assert_same_fit(wide, exact)
    assert wide.coefs_[0].dtype == np.float64


# -- refusals ----------------------------------------------------------------------

X_FIT, Y_FIT = _binary(n=60)
X_GOOD, Y_GOOD = _binary(n=20, seed=1)
COLUMNS = [f"x{i}" for i in range(X_FIT.shape[1])]


def _with(array, value, at=(3, 1)):
    bad = np.array(array, dtype=float)
    bad[at] = value
    return bad


def _val(**changes):
    """A good validation set, with ``changes``."""
    return {"X_val": X_GOOD, "y_val": Y_GOOD, **changes}


# id: (fit's keyword arguments, error, part of the message)
BAD = {
    "x-val-alone": ({"X_val": X_GOOD}, ValueError,
                    "^X_val is provided, but y_val was not provided.$"),
    "y-val-alone": ({"y_val": Y_GOOD}, ValueError,
                    "^y_val is provided, but X_val was not provided.$"),
    "sample-weight-val-alone": ({"sample_weight_val": np.ones(20)}, ValueError,
                                "sample_weight_val is provided, but X_val and y_val"),
    "x-val-features": (_val(X_val=X_GOOD[:, 1:]), ValueError,
                       "X_val has 5 features, but X has 6"),
    "x-val-nan": (_val(X_val=_with(X_GOOD, np.nan)), ValueError,
                  "Input X_val contains NaN"),
    "x-val-inf": (_val(X_val=_with(X_GOOD, -np.inf)), ValueError,
                  "Input X_val contains infinity"),
    "x-val-1d": (_val(X_val=X_GOOD[:, 0]), ValueError, "X_val: Expected 2D array"),
    "x-val-strings": (_val(X_val=np.full((20, 6), "a")), ValueError, "X_val: "),
    "x-val-sparse": (_val(X_val=csr_matrix(X_GOOD)), TypeError,
                     "Sparse data was passed for X_val"),
    "x-val-empty": (_val(X_val=X_GOOD[:0], y_val=Y_GOOD[:0]), ValueError,
                    "X_val has no rows"),
    "y-val-length": (_val(y_val=Y_GOOD[:-1]), ValueError,
                     "X_val has 20 rows, but y_val has 19"),
    "y-val-shape": (_val(y_val=np.column_stack([Y_GOOD, Y_GOOD])), ValueError,
                    r"y_val has shape \(20, 2\), but y has shape \(60,\)"),
    "y-val-scalar": (_val(y_val=1), ValueError, r"y_val has shape \(\)"),
    "y-val-nan": (_val(y_val=_with(Y_GOOD, np.nan, at=4)), ValueError,
                  "Input y_val contains NaN"),
    "y-val-unseen-label": (_val(y_val=np.where(np.arange(20) == 7, 2, Y_GOOD)),
                           ValueError,
                           r"y_val has labels \[2\] that are not among the classes "
                           r"of y, \[0, 1\]"),
    "y-val-strings": (_val(y_val=np.array(["0", "1"])[Y_GOOD]), ValueError,
                      r"y_val has labels \['0', '1'\] that are not among"),
    "y-val-mixed": (_val(y_val=np.array([0, "1"] * 10, dtype=object)), TypeError,
                    "y_val mixes"),
    "sample-weight-val-length": (_val(sample_weight_val=np.ones(19)), ValueError,
                                 r"sample_weight_val has shape \(19,\), but X_val "
                                 "has 20 rows"),
    "sample-weight-val-negative": (_val(sample_weight_val=_with(np.ones(20), -1, 2)),
                                   ValueError, "sample_weight_val has negative"),
    "sample-weight-val-nan": (_val(sample_weight_val=_with(np.ones(20), np.nan, 2)),
                              ValueError, "Input sample_weight_val contains NaN"),
    "sample-weight-val-zero": (_val(sample_weight_val=np.zeros(20)), ValueError,
                               "The 20 rows of X_val all have weight 0"),
    "sample-weight-val-overflow": (_val(sample_weight_val=np.full(20, 1e307)),
                                   ValueError,
                                   "sample_weight_val sums to inf"),
}  # fmt: skip


def _fitted():
    return DeepBinaryClassifier((4,), max_iter=5, random_state=0).fit(X_FIT, Y_FIT)


def _state(estimator):
    state = dict(vars(estimator))
    if "_optimizer" in state:
        state["_optimizer"] = vars(state["_optimizer"])
    return copy.deepcopy(state)


def assert_refused_before_any_work(estimator, fit, error, match):
    """``fit(estimator)`` raises ``error`` matching ``match`` before any
    weight is initialised, and leaves ``estimator`` as it was."""
    params, state = estimator.get_params(), _state(estimator)
    original = skdnn._base.initialize_parameters
    with mock.patch.object(
        skdnn._base, "initialize_parameters", side_effect=original
    ) as spy:
        with pytest.raises(error, match=match):
            fit(estimator)
    spy.assert_not_called()
    estimator.set_params(**params)
    np.testing.assert_equal(_state(estimator), state)


@pytest.mark.parametrize("case", BAD)
def test_bad_validation_data_is_refused_naming_it(case):
    kwargs, error, match = BAD[case]

    def fit(estimator):
        estimator.set_params(early_stopping=True).fit(X_FIT, Y_FIT, **kwargs)

    assert_refused_before_any_work(_fitted(), fit, error, match)


def test_x_val_with_early_stopping_false_gets_histgradientboostings_error():
    message = (
        "X_val and y_val are passed to fit while at the same time early_stopping "
        "is False. When passing X_val and y_val to fit, early_stopping should be "
        "set to True."
    )

    def fit(estimator):
        estimator.fit(X_FIT, Y_FIT, X_val=X_GOOD, y_val=Y_GOOD)

    assert_refused_before_any_work(_fitted(), fit, ValueError, f"^{message}$")
    # scikit-learn's own refusal, which ours mirrors (it asks for 'auto' too)
    from sklearn.ensemble import HistGradientBoostingClassifier

    with pytest.raises(ValueError, match="while at the same time early_stopping is"):
        HistGradientBoostingClassifier(early_stopping=False).fit(
            X_FIT, Y_FIT, X_val=X_GOOD, y_val=Y_GOOD
        )


@pytest.mark.parametrize(
    "X_val, match",
    [
        (X_GOOD, "X_val has no feature names, but X has"),
        (pd.DataFrame(X_GOOD, columns=[*COLUMNS[:-1], "other"]),
         r"X_val's feature names differ from those of X: \['other'\] are not in X "
         r"and \['x5'\] are missing"),
        (pd.DataFrame(X_GOOD, columns=COLUMNS[::-1]), "in another order"),
    ],
    ids=["none", "other", "reordered"],
)  # fmt: skip
def test_x_val_needs_the_feature_names_of_x(X_val, match):
    frame = pd.DataFrame(X_FIT, columns=COLUMNS)
    estimator = DeepBinaryClassifier((4,), max_iter=5, random_state=0).fit(frame, Y_FIT)

    def fit(estimator):
        estimator.set_params(early_stopping=True)
        estimator.fit(frame, Y_FIT, X_val=X_val, y_val=Y_GOOD)

    assert_refused_before_any_work(estimator, fit, ValueError, match)
    good = pd.DataFrame(X_GOOD, columns=COLUMNS)
    estimator.set_params(early_stopping=True)
    estimator.fit(frame, Y_FIT, X_val=good, y_val=Y_GOOD)
    assert estimator.validation_loss_curve_


def test_a_float64_x_val_that_overflows_a_float32_fit_is_refused():
    def fit(estimator):
        estimator.set_params(early_stopping=True, warm_start=False).fit(
            X_FIT.astype(np.float32), Y_FIT, X_val=_with(X_GOOD, 1e300), y_val=Y_GOOD
        )

    assert_refused_before_any_work(
        _fitted(), fit, ValueError, r"X_val contains infinity.*float32"
    )


def test_bad_validation_targets_of_the_other_estimators_are_refused():
    X, Y = _multilabel(n=60)
    multilabel = DeepClassifier((4,), max_iter=5, random_state=0).fit(X, Y)
    bad = Y[:20].copy()
    bad[0, 0] = 2

    def fit_multilabel(estimator):
        estimator.set_params(early_stopping=True).fit(X, Y, X_val=X[:20], y_val=bad)

    assert_refused_before_any_work(multilabel, fit_multilabel, ValueError, "0/1")

    def fit_columns(estimator):
        estimator.set_params(early_stopping=True)
        estimator.fit(X, Y, X_val=X[:20], y_val=Y[:20, :2])

    assert_refused_before_any_work(multilabel, fit_columns, ValueError, "3 columns")

    X, y = _regression(n=60)
    regressor = DeepRegressor((4,), max_iter=5, random_state=0).fit(X, y)

    def fit_strings(estimator):
        estimator.set_params(early_stopping=True)
        estimator.fit(X, y, X_val=X[:3], y_val=np.array(["a", "b", "c"]))

    assert_refused_before_any_work(regressor, fit_strings, ValueError, "y_val")


def test_class_weight_that_zeroes_every_validation_row_is_refused():
    def fit(estimator):
        estimator.set_params(early_stopping=True, class_weight={0: 1.0, 1: 0.0})
        estimator.fit(
            X_FIT, Y_FIT, X_val=X_GOOD[Y_GOOD == 1], y_val=Y_GOOD[Y_GOOD == 1]
        )

    assert_refused_before_any_work(
        _fitted(), fit, ValueError, r"all have weight 0 \(sample_weight_val times"
    )


def test_partial_fit_takes_no_validation_set():
    """As MLPClassifier's partial_fit refuses early stopping."""
    for cls in (DeepBinaryClassifier, DeepClassifier, DeepRegressor):
        assert "X_val" not in inspect.signature(cls.partial_fit).parameters
        assert "X_val" in inspect.signature(cls.fit).parameters
    estimator = DeepClassifier(early_stopping=True)
    with pytest.raises(TypeError, match="X_val"):
        estimator.partial_fit(X_FIT, Y_FIT, X_val=X_GOOD, y_val=Y_GOOD)


# -- dask --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def da():
    return pytest.importorskip(
        "dask.array", reason="dask is not installed: pip install 'skdnn[distributed]'"
    )


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "gd", "learning_rate": 0.3, "batch_size": None},
        {"solver": "adam", "learning_rate": 0.02, "batch_size": 20, "shuffle": False},
        {"solver": "lbfgs"},
    ],
    ids=["full-batch", "mini-batches", "lbfgs"],
)
def test_a_dask_x_stops_early_on_x_val_in_memory_or_dask(da, params):
    X, y = _binary()
    X_val, y_val = _binary(n=50, seed=1)
    sw_val = np.random.RandomState(2).uniform(0.5, 2.0, size=len(y_val))
    estimator = _early(DeepClassifier((8,), max_iter=300, **params))
    validation = {"X_val": X_val, "y_val": y_val, "sample_weight_val": sw_val}
    in_memory = clone(estimator).fit(X, y, **validation)
    X_blocks = da.from_array(X, chunks=(20, -1))
    blockwise = clone(estimator).fit(X_blocks, y, **validation)
    assert blockwise.n_iter_ == in_memory.n_iter_ < 300
    for name in ("loss_curve_", "validation_loss_curve_", "validation_scores_"):
        np.testing.assert_allclose(
            getattr(blockwise, name), getattr(in_memory, name), rtol=1e-10
        )
    # the validation set as dask arrays too: computed once, the same fit
    lazy = {name: da.from_array(v, chunks=13) for name, v in validation.items()}
    _assert_same_fit(clone(estimator).fit(X_blocks, y, **lazy), blockwise)
    _assert_same_fit(clone(estimator).fit(X, y, **lazy), in_memory)


def test_a_dask_x_needs_x_val_for_early_stopping_and_it_is_checked(da):
    X, y = _binary()
    X_blocks = da.from_array(X, chunks=(20, -1))
    estimator = DeepClassifier((4,), early_stopping=True)
    with pytest.raises(
        ValueError, match=r"early_stopping=True is not available.*X_val"
    ):
        estimator.fit(X_blocks, y)
    with pytest.raises(ValueError, match="X_val has 5 features, but X has 6"):
        estimator.fit(X_blocks, y, X_val=da.from_array(X[:10, 1:]), y_val=y[:10])
    with pytest.raises(ValueError, match="Input X_val contains NaN"):
        estimator.fit(
            X_blocks, y, X_val=da.from_array(_with(X[:10], np.nan)), y_val=y[:10]
        )
    assert not hasattr(estimator, "coefs_")


# -- the sample space --------------------------------------------------------------


def test_the_sample_space_scores_x_val_without_forming_w1():
    X, y = _wide()
    X_val, y_val = X[:10] + 0.01, y[:10]
    estimator = _early(DeepBinaryClassifier((8,), learning_rate=0.5, max_iter=300))
    with mock.patch.object(
        skdnn._trainers.SampleSpaceTrainer,
        "logit",
        autospec=True,
        side_effect=skdnn._trainers.SampleSpaceTrainer.logit,
    ) as logit:
        sample = clone(estimator).set_params(space="sample")
        sample.fit(X, y, X_val=X_val, y_val=y_val)
    assert logit.call_count == sample.n_iter_
    assert logit.call_args.args[1] is not None and logit.call_args.args[1].shape == (
        10,
        200,
    )
    feature = clone(estimator).set_params(space="feature")
    feature.fit(X, y, X_val=X_val, y_val=y_val)
    assert feature.n_iter_ == sample.n_iter_
    np.testing.assert_allclose(
        sample.validation_loss_curve_, feature.validation_loss_curve_, rtol=1e-9
    )


# -- a Pipeline routes it ------------------------------------------------------------


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def _unscaled():
    X, y = _binary(n=200)
    X = X * [1, 10, 100, 0.1, 5, 50] + [0, 3, -20, 1, 0, 7]
    return train_test_split(X, y, test_size=0.3, random_state=0)


def _net():
    return _early(DeepBinaryClassifier((8,), learning_rate=0.3, max_iter=200))


def _manual(X, y, X_val, y_val):
    """The network fitted by hand on the arrays a StandardScaler fitted on
    ``X`` makes."""
    scaler = StandardScaler().fit(X)
    return _net().fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val
    )


def test_a_pipeline_transforms_x_val_with_transform_input(routing):
    X, X_val, y, y_val = _unscaled()
    net = _net().set_fit_request(X_val=True, y_val=True)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("net", net)], transform_input=["X_val"]
    )
    pipe.fit(X, y, X_val=X_val, y_val=y_val)
    _assert_same_fit(pipe[-1], _manual(X, y, X_val, y_val))
    # without transform_input the network gets X_val as given: not what it needs
    raw = Pipeline([("scale", StandardScaler()), ("net", clone(net))])
    raw.fit(X, y, X_val=X_val, y_val=y_val)
    scaled = StandardScaler().fit(X)
    expected = _net().fit(scaled.transform(X), y, X_val=X_val, y_val=y_val)
    _assert_same_fit(raw[-1], expected)
    assert raw[-1].validation_loss_curve_ != pipe[-1].validation_loss_curve_


def test_without_a_fit_request_the_pipeline_refuses_x_val(routing):
    X, X_val, y, y_val = _unscaled()
    pipe = Pipeline(
        [("scale", StandardScaler()), ("net", _net())], transform_input=["X_val"]
    )
    with pytest.raises(ValueError, match="set_fit_request"):
        pipe.fit(X, y, X_val=X_val, y_val=y_val)


def _routed_pipeline():
    net = _net().set_fit_request(X_val=True, y_val=True)
    return Pipeline(
        [("scale", StandardScaler()), ("net", net)], transform_input=["X_val"]
    )


def test_cross_validate_passes_x_val_to_every_fold(routing):
    X, X_val, y, y_val = _unscaled()
    cv = KFold(3, shuffle=True, random_state=0)
    result = cross_validate(
        _routed_pipeline(),
        X,
        y,
        cv=cv,
        params={"X_val": X_val, "y_val": y_val},
        return_estimator=True,
        return_indices=True,
    )
    for pipe, train in zip(
        result["estimator"], result["indices"]["train"], strict=True
    ):
        _assert_same_fit(pipe[-1], _manual(X[train], y[train], X_val, y_val))


def test_cross_validate_splits_an_x_val_as_long_as_x(routing):
    """scikit-learn's rule, not ours: a fit parameter with as many rows as X
    is cut into the fold's rows (``_check_method_params``)."""
    X, _, y, _ = _unscaled()
    X_val, y_val = X[::-1] + 0.5, y[::-1]
    cv = KFold(3, shuffle=True, random_state=0)
    result = cross_validate(
        _routed_pipeline(),
        X,
        y,
        cv=cv,
        params={"X_val": X_val, "y_val": y_val},
        return_estimator=True,
        return_indices=True,
    )
    pipe, train = result["estimator"][0], result["indices"]["train"][0]
    _assert_same_fit(pipe[-1], _manual(X[train], y[train], X_val[train], y_val[train]))


def test_grid_search_passes_x_val_to_every_candidate_and_the_refit(routing):
    X, X_val, y, y_val = _unscaled()
    search = GridSearchCV(
        _routed_pipeline(), {"net__alpha": [0.0, 1.0]}, cv=KFold(2), refit=True
    )
    search.fit(X, y, X_val=X_val, y_val=y_val)
    best = clone(_net()).set_params(alpha=search.best_params_["net__alpha"])
    scaler = StandardScaler().fit(X)
    expected = best.fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val
    )
    _assert_same_fit(search.best_estimator_[-1], expected)


def test_routing_off_the_pipeline_does_not_take_x_val():
    """Without metadata routing a Pipeline takes ``net__X_val=`` (then
    untransformed), as for any fit parameter."""
    X, X_val, y, y_val = _unscaled()
    pipe = Pipeline([("scale", StandardScaler()), ("net", _net())])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y, net__X_val=X_val, net__y_val=y_val)
    scaled = StandardScaler().fit(X)
    _assert_same_fit(
        pipe[-1], _net().fit(scaled.transform(X), y, X_val=X_val, y_val=y_val)
    )
