"""solver="lbfgs": scipy's L-BFGS-B on the packed parameters, with what
scikit-learn's lbfgs lacks (loss curve, early stopping, callbacks, weights,
float32, dask)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier, LogisticRegressionGD
from skdnn._trainers import BatchObjective, LbfgsTrainer, PackedParameters, TrainingSet
from skdnn.activations import ACTIVATIONS
from skdnn.initializers import initialize_parameters
from skdnn.utils import _gradient_difference, _numerical_gradients


@pytest.fixture(scope="module")
def cancer_split():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def small():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 5))
    y = (X[:, 0] - X[:, 1] + 0.3 * rng.standard_normal(40) > 0).astype(float)
    return X, y, rng.uniform(0.2, 3.0, size=40)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("alpha", [0.0, 0.7], ids=["no-l2", "l2"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_packed_gradient_matches_finite_differences(small, activation, alpha, weighted):
    X, y, weights = small
    sample_weight = weights if weighted else np.ones_like(y)
    coefs, intercepts = initialize_parameters(
        [5, 4, 3, 1], "xavier", np.random.RandomState(1), dtype=np.float64
    )
    params = PackedParameters(coefs, intercepts, np.float64)
    activations = [activation] * 2
    objective = BatchObjective(
        params, activations, alpha, [1.0, 1.0], None, 40, "logistic"
    )
    trainer = LbfgsTrainer(params, objective, activations, max_fun=100, gtol=0.0)
    data = TrainingSet(X, y, sample_weight, None, False, None)
    x = params.theta.astype(np.float64)
    _, grad = trainer._cost_and_gradient(x, data)

    def cost():
        return trainer._cost_and_gradient(x, data)[0]

    (gradapprox,) = _numerical_gradients([x], cost, 1e-6)
    assert grad.shape == x.shape == (5 * 4 + 4 + 4 * 3 + 3 + 3 + 1,)
    assert _gradient_difference(grad, gradapprox) < 1e-7


def test_lbfgs_has_a_loss_curve_one_entry_per_iteration(cancer_split):
    X, _, y, _ = cancer_split
    est = DeepBinaryClassifier(
        hidden_layer_sizes=(16,), solver="lbfgs", max_iter=30, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="max_iter=30"):
        est.fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 30
    assert est.t_ == 30 * X.shape[0]
    assert est.loss_curve_[-1] < est.loss_curve_[0] < np.log(2) * 2
    # the last entry is the cost of the fitted parameters
    assert est.loss_curve_[-1] == pytest.approx(_cost(est, X, y), rel=1e-8)


def _cost(est, X, y):
    """The cross-entropy of ``est`` on ``(X, y)``, from its logits."""
    z = est.decision_function(X)
    return np.mean(np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y))


def test_lbfgs_warns_naming_max_fun(cancer_split):
    X, _, y, _ = cancer_split
    est = DeepBinaryClassifier(
        hidden_layer_sizes=(16,), solver="lbfgs", max_fun=10, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="max_fun=10"):
        est.fit(X, y)
    assert est.n_iter_ < 10


def test_lbfgs_converged_does_not_warn(cancer_split):
    X, _, y, _ = cancer_split
    est = LogisticRegressionGD(solver="lbfgs", alpha=1.0, max_iter=500, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ < 500


def test_lbfgs_early_stopping_keeps_the_best_validation_loss(cancer_split):
    X, _, y, _ = cancer_split
    est = DeepBinaryClassifier(
        hidden_layer_sizes=(64,),
        solver="lbfgs",
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=500,
        random_state=0,
    ).fit(X, y)
    curve = est.validation_loss_curve_
    assert len(curve) == est.n_iter_ < 500
    assert est.best_validation_loss_ == min(curve)
    assert int(np.argmin(curve)) == len(curve) - 6  # 5 epochs without improvement


@pytest.mark.parametrize("dataset", ["breast_cancer", "digits_3_vs_8"])
def test_lbfgs_within_one_point_of_mlpclassifier(dataset):
    if dataset == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_digits(return_X_y=True)
        X, y = X[(y == 3) | (y == 8)], y[(y == 3) | (y == 8)]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    settings = {"hidden_layer_sizes": (100,), "alpha": 1e-4, "max_iter": 200}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = MLPClassifier(solver="lbfgs", random_state=0, **settings)
        ours = DeepBinaryClassifier(
            solver="lbfgs", tol=1e-4, random_state=0, **settings
        )
        theirs_score = theirs.fit(X_train, y_train).score(X_test, y_test)
        ours_score = ours.fit(X_train, y_train).score(X_test, y_test)
    assert ours_score >= theirs_score - 0.01


def test_lbfgs_sample_and_class_weight(small):
    X, y, weights = small
    params = {"hidden_layer_sizes": (4,), "solver": "lbfgs", "max_iter": 40}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = DeepBinaryClassifier(random_state=0, **params)
        weighted.fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
        by_class = DeepBinaryClassifier(
            random_state=0, class_weight={1: 3.0, 0: 1.0}, **params
        ).fit(X, y)
    np.testing.assert_allclose(weighted.loss_curve_, by_class.loss_curve_, rtol=1e-12)
    for W, V in zip(weighted.coefs_, by_class.coefs_, strict=True):
        np.testing.assert_allclose(W, V, rtol=1e-10)


def test_lbfgs_in_float32(cancer_split):
    X, _, y, _ = cancer_split
    params = {"hidden_layer_sizes": (8,), "solver": "lbfgs", "max_iter": 20}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est32 = DeepBinaryClassifier(random_state=0, **params)
        est32.fit(X.astype(np.float32), y)
        est64 = DeepBinaryClassifier(random_state=0, **params).fit(X, y)
    assert all(W.dtype == np.float32 for W in est32.coefs_ + est32.intercepts_)
    # the float32 math follows the float64 path closely for a few iterations
    np.testing.assert_allclose(est32.loss_curve_[:5], est64.loss_curve_[:5], rtol=1e-4)
    assert est32.score(X, y) > 0.97


def test_lbfgs_on_a_dask_array_is_the_in_memory_fit(cancer_split):
    da = pytest.importorskip("dask.array")
    X, _, y, _ = cancer_split
    params = {"hidden_layer_sizes": (8,), "solver": "lbfgs", "max_iter": 15}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        in_memory = DeepBinaryClassifier(random_state=0, **params).fit(X, y)
        blockwise = DeepBinaryClassifier(random_state=0, **params)
        blockwise.fit(da.from_array(X, chunks=(100, -1)), y)
    np.testing.assert_allclose(blockwise.loss_curve_, in_memory.loss_curve_, rtol=1e-8)
    for W, V in zip(blockwise.coefs_, in_memory.coefs_, strict=True):
        np.testing.assert_allclose(W, V, rtol=1e-6, atol=1e-9)
