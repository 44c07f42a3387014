"""The sample-space solver gives the feature-space iterates (up to rounding)."""

import pickle

import numpy as np
import pytest

from skdnn import DeepBinaryClassifier, LogisticRegressionGD
from skdnn._trainers import choose_space
from skdnn.activations import ACTIVATIONS


@pytest.fixture(scope="module")
def wide():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(30, 200))
    y = (X[:, :5].sum(axis=1) > 2.5).astype(int)
    sample_weight = rng.uniform(0.2, 3, size=30)
    return X, y, sample_weight


def _fit_both(estimator, X, y, **fit_params):
    return [
        estimator.set_params(space=space).fit(X, y, **fit_params).__dict__.copy()
        for space in ("feature", "sample")
    ]


def _assert_same_fit(feature, sample):
    np.testing.assert_allclose(feature["loss_curve_"], sample["loss_curve_"], rtol=1e-9)
    for key in ("coefs_", "intercepts_"):
        for a, b in zip(feature[key], sample[key], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("alpha", [0.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_deep_sample_space_equals_feature_space(wide, activation, alpha, weighted):
    X, y, sw = wide
    clf = DeepBinaryClassifier(
        (6, 3),
        activation,
        learning_rate=0.05,
        max_iter=150,
        alpha=alpha,
        random_state=0,
    )
    _assert_same_fit(*_fit_both(clf, X, y, sample_weight=sw if weighted else None))


@pytest.mark.parametrize("alpha", [0.0, 0.5])
@pytest.mark.parametrize("init", ["zeros", "xavier"])
def test_logistic_sample_space_equals_feature_space(wide, alpha, init):
    X, y, sw = wide
    clf = LogisticRegressionGD(
        learning_rate=0.05, max_iter=200, alpha=alpha, init=init, random_state=0
    )
    _assert_same_fit(*_fit_both(clf, X, y, sample_weight=sw))


@pytest.mark.parametrize("space", ["feature", "sample"])
def test_fitted_model_keeps_no_training_buffers(wide, space):
    """A fitted model pickles to little more than its weights."""
    X, y, _ = wide
    clf = DeepBinaryClassifier((4,), max_iter=3, space=space).fit(X, y)
    weights = sum(a.nbytes for a in clf.coefs_ + clf.intercepts_)
    assert len(pickle.dumps(clf)) < weights + 4096 < X.nbytes


@pytest.mark.parametrize(
    "m, n, n1, max_iter, expected",
    [
        (209, 12288, 20, 2500, "sample"),  # the cat data, deep
        (209, 12288, 1, 2000, "sample"),  # the cat data, logistic
        (100_000, 100, 256, 100, "feature"),  # tall
        (500, 400, 20, 100, "feature"),  # not wider than tall
        (1000, 1200, 20, 1, "feature"),  # wide, but G costs more than one pass
    ],
)
def test_auto_picks_the_cheaper_space(m, n, n1, max_iter, expected):
    assert choose_space(m, n, n1, max_iter) == expected


@pytest.mark.parametrize("space", ["feature", "sample"])
def test_callbacks_get_a_fitted_estimator_at_the_end_of_the_fit(wide, space):
    """The root task's end comes after the trainer has finished: the
    sample-space trainer must still hand out its (now explicit) weights."""
    callback = pytest.importorskip("sklearn.callback")
    X, y, _ = wide
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = DeepBinaryClassifier((4,), max_iter=5, space=space, random_state=0)
    clf.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    assert len(rows) == 5 + 1  # every epoch and the whole fit
    assert rows[0]["accuracy"] == clf.score(X, y)  # the root task: the final model
