"""DeepClassifier (binary, multiclass, multilabel) and DeepRegressor: what the
binary model has works for both, and they stand next to MLPClassifier and
MLPRegressor."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_friedman1,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier, DeepClassifier, DeepRegressor

SOLVERS = ["gd", "momentum", "sgd", "adam", "lbfgs"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def friedman():
    X, y = make_friedman1(n_samples=2000, noise=0.5, random_state=0)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def _fast(cls, **params):
    defaults = {
        "hidden_layer_sizes": (16,),
        "learning_rate": 0.01,
        "max_iter": 60,
        "random_state": 0,
    }
    return cls(**{**defaults, **params})


# -- the classifier ------------------------------------------------------------------


def test_binary_target_gives_deep_binary_classifier_numbers(iris):
    X, y = iris[0], (iris[1] == 2).astype(int)
    params = {"hidden_layer_sizes": (8, 4), "learning_rate": 0.05, "max_iter": 40}
    ours = DeepClassifier(solver="gd", batch_size=None, alpha=0.0, tol=None, **params)
    binary = DeepBinaryClassifier(random_state=None, **params)
    ours.set_params(random_state=3).fit(X, y)
    binary.set_params(random_state=3).fit(X, y)
    assert ours.out_activation_ == binary.out_activation_ == "logistic"
    assert ours.loss_curve_ == binary.loss_curve_
    for W, V in zip(ours.coefs_, binary.coefs_, strict=True):
        np.testing.assert_array_equal(W, V)
    np.testing.assert_array_equal(ours.predict_proba(X), binary.predict_proba(X))


def test_multiclass_is_softmax(iris):
    X, y = iris
    clf = _fast(DeepClassifier, max_iter=200).fit(X, y)
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.95
    assert clf.decision_function(X).shape == (150, 3)


def test_string_labels_and_class_weight(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = _fast(DeepClassifier).fit(X, names)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert set(clf.predict(X)) <= set(names)
    heavy = _fast(DeepClassifier, class_weight={"virginica": 5.0}).fit(X, names)
    weighted = _fast(DeepClassifier).fit(
        X, names, sample_weight=np.where(names == "virginica", 5.0, 1.0)
    )
    np.testing.assert_allclose(heavy.loss_curve_, weighted.loss_curve_, rtol=1e-12)


def test_multilabel_is_independent_sigmoids():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = _fast(DeepClassifier, max_iter=200).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    assert clf.classes_.tolist() == [0, 1, 2, 3]
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 4)
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    mlp = MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0)
    assert clf.score(X, Y) >= mlp.fit(X, Y).score(X, Y) - 0.1


def test_partial_fit_with_classes(iris):
    X, y = iris
    clf = _fast(DeepClassifier)
    first = y < 2  # the first batch holds two of the three classes
    clf.partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert clf.out_activation_ == "softmax"
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2 and clf.predict_proba(X).shape == (150, 3)
    before = copy.deepcopy(vars(clf))
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        clf.partial_fit(X[:3], [0, 1, 7])
    assert vars(clf).keys() == before.keys() and clf.n_iter_ == 2


def test_digits_within_one_point_of_mlpclassifier():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    settings = {"hidden_layer_sizes": (64,), "batch_size": 200, "max_iter": 100}
    ours = DeepClassifier(random_state=0, **settings).fit(X_train, y_train)
    theirs = MLPClassifier(random_state=0, **settings).fit(X_train, y_train)
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.01


# -- the regressor --------------------------------------------------------------------


def test_friedman_within_002_of_mlpregressor(friedman):
    X_train, X_test, y_train, y_test = friedman
    settings = {"hidden_layer_sizes": (64,), "max_iter": 300}
    ours = DeepRegressor(random_state=0, **settings).fit(X_train, y_train)
    theirs = MLPRegressor(random_state=0, **settings).fit(X_train, y_train)
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.02


def test_the_housing_neuron():
    """The seeds' first network: size -> linear -> max(0, .) -> price."""
    rng = np.random.RandomState(0)
    size = rng.uniform(0.3, 3.0, size=(200, 1))
    price = np.maximum(0, 150 * size.ravel() - 100) + rng.normal(0, 5, size=200)
    neuron = DeepRegressor((), out_activation="relu", solver="lbfgs", random_state=0)
    neuron.fit(size, price)
    assert neuron.out_activation_ == "relu" and neuron.n_layers_ == 2
    assert neuron.score(size, price) >= 0.98
    assert (neuron.predict(size) >= 0).all()
    w, b = neuron.coefs_[0][0, 0], neuron.intercepts_[0][0]
    assert w == pytest.approx(150, rel=0.05) and b == pytest.approx(-100, rel=0.1)


def test_multi_output_regression(friedman):
    X, _, y, _ = friedman
    Y = np.column_stack([y, -2 * y])
    reg = _fast(DeepRegressor, max_iter=400).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (X.shape[0], 2)
    assert reg.score(X, Y) > 0.7  # (0.76: a plain 16-unit network, tol stops it)
    assert reg.predict(X[:5]).ndim == 2
    assert _fast(DeepRegressor).fit(X, y).predict(X[:5]).shape == (5,)


# -- everything the binary model has -----------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", [DeepClassifier, DeepRegressor])
def test_every_solver_learns(cls, solver, iris, friedman):
    X, y = iris if cls is DeepClassifier else friedman[0::2]
    lr = {"gd": 0.1, "momentum": 0.1, "sgd": 0.01, "adam": 0.01, "lbfgs": 0.01}[solver]
    est = _fast(cls, solver=solver, learning_rate=lr, max_iter=100)
    est.fit(X, y)
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    assert est.score(X, y) > (0.9 if cls is DeepClassifier else 0.6)


@pytest.mark.parametrize("cls", [DeepClassifier, DeepRegressor])
def test_early_stopping_scores_and_keeps_the_validation_loss(cls, iris, friedman):
    X, y = iris if cls is DeepClassifier else friedman[0::2]
    est = _fast(cls, early_stopping=True, max_iter=300, learning_rate=0.01).fit(X, y)
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None
    assert 0.5 < est.best_validation_score_ <= 1.0  # accuracy or R²
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        est.partial_fit(X, y)


@pytest.mark.parametrize("cls", [DeepClassifier, DeepRegressor])
def test_warm_start_dropout_activations_float32(cls, iris, friedman):
    X, y = iris if cls is DeepClassifier else friedman[0::2]
    whole = _fast(cls, max_iter=10, batch_size=None, solver="gd").fit(X, y)
    warm = _fast(cls, max_iter=5, batch_size=None, solver="gd", warm_start=True)
    warm.fit(X, y).fit(X, y)
    np.testing.assert_allclose(warm.loss_curve_, whole.loss_curve_, rtol=1e-12)
    mixed = _fast(
        cls, hidden_layer_sizes=(8, 6), activation=["tanh", "leaky_relu"], dropout=0.2
    ).fit(X, y)
    assert np.isfinite(mixed.loss_curve_).all()
    est32 = _fast(cls).fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in est32.coefs_)


@pytest.mark.parametrize("cls", [DeepClassifier, DeepRegressor])
def test_dask_arrays_give_the_in_memory_fit(cls, iris, friedman):
    da = pytest.importorskip("dask.array")
    X, y = iris if cls is DeepClassifier else friedman[0::2]
    params = {"batch_size": None, "solver": "adam", "max_iter": 15}
    in_memory = _fast(cls, **params).fit(X, y)
    blocks = _fast(cls, **params).fit(da.from_array(X, chunks=(40, -1)), y)
    np.testing.assert_allclose(blocks.loss_curve_, in_memory.loss_curve_, rtol=1e-9)
    predicted = blocks.predict(da.from_array(X, chunks=(40, -1))).compute()
    np.testing.assert_array_equal(predicted, blocks.predict(X))


def test_grid_search_and_cross_validation(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), _fast(DeepClassifier))
    grid = {
        "deepclassifier__hidden_layer_sizes": [(8,), (16,)],
        "deepclassifier__alpha": [1e-4, 1e-2],
    }
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert search.best_score_ > 0.85
    folds = KFold(3, shuffle=True, random_state=0)
    r2 = cross_val_score(_fast(DeepRegressor), X, y.astype(float), cv=folds)
    assert r2.mean() > 0.5


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, y, match",
    [
        (DeepClassifier, lambda y: y + 0.37 * np.arange(y.size), "continuous"),
        (DeepClassifier, lambda y: (y == 1).astype(int)[:, None] * [[1]], None),
        (DeepClassifier, lambda y: np.where(y == 1, np.nan, y), "NaN|nan|infinity"),
        (DeepRegressor, lambda y: np.where(y == 1, np.nan, y), "NaN|nan|infinity"),
    ],
    ids=[
        "regression-target",
        "one-column-multilabel",
        "nan-classifier",
        "nan-regressor",
    ],
)
def test_bad_targets_leave_the_model_untouched(make, y, match, iris):
    X, labels = iris
    est = _fast(make).fit(X, labels)
    before = copy.deepcopy(vars(est))
    bad = y(labels.astype(float))
    if match is None:  # a column vector is a 1-D target, as in scikit-learn
        with pytest.warns(Warning, match="column-vector"):
            est.fit(X, bad)
        return
    with pytest.raises(ValueError, match=match):
        est.fit(X, bad)
    assert vars(est).keys() == before.keys()
    for W, V in zip(est.coefs_, before["coefs_"], strict=True):
        np.testing.assert_array_equal(W, V)


# -- found in review ----------------------------------------------------------------


def test_a_first_epoch_that_explodes_is_divergence():
    """The reference of the divergence rule is the first batch's cost, before
    any update: an epoch of sgd at learning_rate=5 on unscaled digits ends at
    1e7 and must not pass."""
    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match=r"diverged.*learning_rate \(now 5\)"):
        DeepClassifier((32,), solver="sgd", learning_rate=5, random_state=0).fit(X, y)


def test_best_validation_score_is_that_of_the_kept_parameters(iris):
    X, y = iris
    est = _fast(DeepClassifier, early_stopping=True, max_iter=100).fit(X, y)
    best = int(np.argmin(est.validation_loss_curve_))
    assert est.best_validation_score_ == est.validation_scores_[best]


def test_lbfgs_refuses_partial_fit_and_dropout(iris):
    X, y = iris
    with pytest.raises(ValueError, match="partial_fit needs a stochastic solver"):
        _fast(DeepClassifier, solver="lbfgs").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="dropout makes the cost random"):
        _fast(DeepClassifier, solver="lbfgs", dropout=0.2).fit(X, y)


def test_lbfgs_from_a_dead_start_records_its_one_cost():
    """A ReLU output that is off for every row has a zero gradient: L-BFGS
    stops at once, and the history still has the cost. A fresh relu head
    starts its bias at the target's mean, so the same seed now learns."""
    size = np.linspace(0.3, 3, 50).reshape(-1, 1)
    price = np.maximum(0, 150 * size.ravel() - 100)
    neuron = DeepRegressor((), out_activation="relu", solver="lbfgs", random_state=2)
    assert neuron.fit(size, price).score(size, price) > 0.99
    n_iter = neuron.n_iter_
    neuron.intercepts_[0][...] = -1e3  # off everywhere
    neuron.set_params(warm_start=True, alpha=0.0).fit(size, price)  # no gradient
    assert neuron.n_iter_ == n_iter + 1 == len(neuron.loss_curve_)
    assert neuron.loss_ == pytest.approx(0.5 * np.mean(price**2))


def test_non_finite_logits_name_x_for_multiclass(iris):
    X, y = iris
    clf = _fast(DeepClassifier, activation="identity").fit(X, y)
    huge = np.full((3, X.shape[1]), 1e308)
    huge[0] = 0.0
    with pytest.raises(ValueError, match=r"X is too large.*on 2 rows \(row 1 first"):
        clf.predict_proba(huge)
