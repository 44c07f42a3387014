"""solver="sgd" has scikit-learn's semantics: from the same initial weights
it gives MLPClassifier(solver="sgd")'s loss curve, plain and Nesterov."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils import check_random_state

from skdnn import DeepBinaryClassifier
from skdnn.initializers import initialize_parameters


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((60, 5))
    y = (X[:, 0] + X[:, 1] ** 2 - 1 > 0).astype(int)
    return X, y


def mlp_from(coefs, intercepts, X, y, **params):
    """An MLPClassifier whose next warm-started fit starts at these weights."""
    mlp = MLPClassifier(**params, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    mlp.coefs_ = [W.copy() for W in coefs]
    mlp.intercepts_ = [b.copy() for b in intercepts]
    mlp.loss_curve_ = []
    return mlp.set_params(warm_start=True)


@pytest.mark.parametrize("nesterov", [False, True], ids=["plain", "nesterov"])
@pytest.mark.parametrize("batch_size", [None, 20], ids=["full-batch", "mini-batch"])
def test_sgd_gives_mlpclassifier_loss_curve(data, nesterov, batch_size):
    X, y = data
    n_epochs = 15
    ours = DeepBinaryClassifier(
        hidden_layer_sizes=(6, 3),
        activation="tanh",
        solver="sgd",
        learning_rate=0.1,
        momentum=0.9,
        nesterovs_momentum=nesterov,
        alpha=0.01,
        batch_size=batch_size,
        shuffle=False,
        max_iter=n_epochs,
        random_state=0,
    ).fit(X, y)
    coefs, intercepts = initialize_parameters(
        [5, 6, 3, 1], "xavier", check_random_state(0), dtype=np.float64
    )
    theirs = mlp_from(
        coefs,
        intercepts,
        X,
        y,
        hidden_layer_sizes=(6, 3),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.1,
        momentum=0.9,
        nesterovs_momentum=nesterov,
        alpha=0.01,
        batch_size=X.shape[0] if batch_size is None else batch_size,
        shuffle=False,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.set_params(max_iter=n_epochs).fit(X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    for W, V in zip(ours.coefs_, theirs.coefs_, strict=True):
        np.testing.assert_allclose(W, V, rtol=1e-9, atol=1e-12)


def test_sgd_is_not_the_course_momentum(data):
    X, y = data
    params = {"hidden_layer_sizes": (4,), "max_iter": 5, "random_state": 0}
    sgd = DeepBinaryClassifier(solver="sgd", nesterovs_momentum=False, **params)
    course = DeepBinaryClassifier(solver="momentum", **params)
    assert sgd.fit(X, y).loss_curve_[2] != course.fit(X, y).loss_curve_[2]
    # without momentum both are plain gradient descent
    plain = DeepBinaryClassifier(solver="gd", **params).fit(X, y)
    sgd0 = DeepBinaryClassifier(solver="sgd", momentum=0.0, **params).fit(X, y)
    np.testing.assert_allclose(sgd0.loss_curve_, plain.loss_curve_, rtol=1e-12)
