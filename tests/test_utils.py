"""``check_gradients``: the course's gradient check on an estimator. It passes
for every activation, and it fails when the backward pass is wrong."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import skdnn.utils
from skdnn import DeepBinaryClassifier, LogisticRegressionGD
from skdnn.activations import ACTIVATIONS, DERIVATIVES
from skdnn.utils import check_gradients

HIDDEN_ACTIVATIONS = sorted(ACTIVATIONS)


def make_data(n_samples=15, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = np.where(X[:, 0] - X[:, 1] + 0.3 * rng.standard_normal(n_samples) > 0, 1, 0)
    return X, y


def small_net(activation="tanh", **params):
    params = {"learning_rate": 0.1, "max_iter": 30, "random_state": 0, **params}
    return DeepBinaryClassifier((4, 3), activation=activation, **params)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_fitted_network_passes(activation, alpha):
    X, y = make_data()
    clf = small_net(activation, alpha=alpha).fit(X, y)
    sample_weight = np.linspace(0.2, 2.0, len(y))
    assert check_gradients(clf, X, y) < 1e-7
    assert check_gradients(clf, X, y, sample_weight=sample_weight) < 1e-7


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_unfitted_network_passes_at_its_initial_parameters(activation):
    X, y = make_data()
    clf = DeepBinaryClassifier((8, 3), activation=activation, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no kink warning
        assert check_gradients(clf, X, y) < 1e-7
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)  # the check did not fit it


def test_kink_at_initialisation_is_reported():
    """Zero initial biases and only 4 relu units: some sample switches off all
    of layer 1, so layer 2 sees ``z = 0`` exactly, where relu has no
    derivative. The check then disagrees, and says why."""
    X, y = make_data()
    clf = small_net("relu")
    with pytest.warns(UserWarning, match="within epsilon of the kink at z = 0"):
        assert check_gradients(clf, X, y) > 1e-3
    # once fitted, the biases move the units off the kink
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_gradients(clf.fit(X, y), X, y) < 1e-7


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_wrong_derivative_is_caught(activation, monkeypatch):
    """Make ``g'`` 50 % too large: the same check now reports a large
    difference, so a passing check means something."""
    right = DERIVATIVES[activation]

    def wrong(A, dA):
        right(A, dA)
        dA *= 1.5

    monkeypatch.setitem(DERIVATIVES, activation, wrong)
    X, y = make_data()
    clf = small_net(activation).fit(X, y)
    assert check_gradients(clf, X, y) > 1e-3


def test_missing_l2_gradient_is_caught(monkeypatch):
    """The finite differences use the estimator's ``alpha``: a backward pass
    that forgets the L2 term fails when ``alpha > 0`` and only then."""
    backward = skdnn.utils.backward_propagation

    def backward_without_l2(cache, y, sample_weight, coefs, activation, alpha):
        return backward(cache, y, sample_weight, coefs, activation, 0.0)

    monkeypatch.setattr(skdnn.utils, "backward_propagation", backward_without_l2)
    X, y = make_data()
    assert check_gradients(small_net(alpha=0.0).fit(X, y), X, y) < 1e-7
    assert check_gradients(small_net(alpha=1.0).fit(X, y), X, y) > 1e-3


def test_the_hidden_activation_of_the_estimator_is_used(monkeypatch):
    """Break only tanh's derivative: a relu network still passes."""
    monkeypatch.setitem(DERIVATIVES, "tanh", lambda A, dA: None)
    X, y = make_data()
    assert check_gradients(small_net("relu").fit(X, y), X, y) < 1e-7
    assert check_gradients(small_net("tanh").fit(X, y), X, y) > 1e-3


def test_per_layer_activations_are_used(monkeypatch):
    if not hasattr(DeepBinaryClassifier, "_hidden_activations"):
        pytest.skip("this version has one activation for all hidden layers")
    X, y = make_data()
    clf = small_net(["tanh", "relu"]).fit(X, y)
    assert check_gradients(clf, X, y) < 1e-7
    monkeypatch.setitem(DERIVATIVES, "tanh", lambda A, dA: None)
    assert check_gradients(clf, X, y) > 1e-3


@pytest.mark.parametrize("fitted", [False, True])
def test_logistic_regression_passes(fitted):
    X, y = make_data()
    clf = LogisticRegressionGD(alpha=0.2, max_iter=20)
    if fitted:
        clf.fit(X, y)
    assert check_gradients(clf, X, y) < 1e-7


def test_float32_model_is_checked_in_float64():
    X, y = make_data()
    clf = small_net().fit(X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32
    assert check_gradients(clf, X.astype(np.float32), y) < 1e-7


def test_string_labels_are_encoded_with_the_classes():
    X, y = make_data()
    labels = np.array(["dog", "cat"])[y]  # classes_ = ["cat", "dog"]: "dog" is 1
    clf = small_net().fit(X, labels)
    assert check_gradients(clf, X, labels) < 1e-7
    with pytest.raises(ValueError, match=r"labels \['bird'\] that the estimator"):
        check_gradients(clf, X, np.where(y == 1, "dog", "bird"))


def test_the_estimator_is_not_changed():
    X, y = make_data()
    clf = small_net().fit(X, y)
    coefs = [W.copy() for W in clf.coefs_]
    intercepts = [b.copy() for b in clf.intercepts_]
    state = set(vars(clf))
    check_gradients(clf, X, y)
    assert set(vars(clf)) == state
    for before, after in zip(
        coefs + intercepts, clf.coefs_ + clf.intercepts_, strict=True
    ):
        assert np.array_equal(before, after)


def test_unfitted_check_uses_the_weights_fit_would_start_from():
    """Same ``random_state``, same initial weights: the result is
    reproducible, and a ``RandomState`` instance is not advanced."""
    X, y = make_data()
    assert check_gradients(small_net(), X, y) == check_gradients(small_net(), X, y)
    rng = np.random.RandomState(3)
    state = rng.get_state()[1].copy()
    check_gradients(small_net(random_state=rng), X, y)
    assert np.array_equal(rng.get_state()[1], state)


def test_bad_input():
    X, y = make_data()
    clf = small_net().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        check_gradients(clf, X[:, :3], y)
    with pytest.raises(ValueError, match="epsilon"):
        check_gradients(clf, X, y, epsilon=0)
    with pytest.raises(ValueError, match="zero"):
        check_gradients(clf, X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="Only binary classification"):
        check_gradients(small_net(), X, np.arange(len(y)) % 3)
    with pytest.raises(ValueError, match="activation"):
        check_gradients(small_net("softmax"), X, y)
