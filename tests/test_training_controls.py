"""The training controls (solvers, mini-batches, decay, early stopping,
partial_fit, warm_start, class_weight, dropout, per-layer activations, Ctrl-C,
scikit-learn callbacks, space) each do what they say: against finite
differences of the cost, the optimisers' formulas, and equivalent fits."""

import signal
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

import skdnn._trainers
from skdnn import DeepBinaryClassifier, LogisticRegressionGD
from skdnn._engine import compute_cost, forward_propagation, predict_logit
from skdnn._trainers import GradientTrainer, SampleSpaceTrainer
from skdnn.activations import ACTIVATIONS, sigmoid
from skdnn.initializers import initialize_parameters
from skdnn.utils import _gradient_difference as relative_difference
from skdnn.utils import _numerical_gradients

try:
    from sklearn.callback import ProgressBar, ScoringMonitor
except ImportError:  # scikit-learn < 1.9
    ScoringMonitor = ProgressBar = None

needs_callbacks = pytest.mark.skipif(
    ScoringMonitor is None,
    reason="sklearn.callback (experimental, scikit-learn >= 1.9) is not importable",
)

SOLVERS = ["gd", "momentum", "adam"]


def small_deep(**params):
    defaults = {
        "hidden_layer_sizes": (6, 4),
        "learning_rate": 0.1,
        "max_iter": 30,
        "random_state": 0,
        "space": "feature",
    }
    return DeepBinaryClassifier(**{**defaults, **params})


def small_logistic(**params):
    defaults = {"learning_rate": 0.1, "max_iter": 30, "space": "feature"}
    return LogisticRegressionGD(**{**defaults, **params})


@pytest.fixture(
    params=[pytest.param(small_deep, id="deep"), pytest.param(small_logistic, id="lr")]
)
def make(request):
    """Each test taking ``make`` runs once per estimator: ``make(**params)``."""
    return request.param


@pytest.fixture(scope="module")
def data():
    """60 samples, 5 unit-scaled features, two classes."""
    return make_classification(
        n_samples=60, n_features=5, n_informative=3, n_redundant=0, random_state=0
    )


@pytest.fixture(scope="module")
def weights(data):
    return np.random.RandomState(1).uniform(0.3, 3.0, size=data[0].shape[0])


@pytest.fixture(scope="module")
def medium():
    """200 samples, 6 features, classes not well separated."""
    return make_classification(
        n_samples=200, n_features=6, n_informative=4, class_sep=1.0, random_state=0
    )


@pytest.fixture(scope="module")
def noisy():
    """Few samples, 20 % of the labels flipped: a layer of 30 units overfits
    them within a few epochs, so the validation loss turns up early."""
    return make_classification(
        n_samples=120, n_features=10, n_informative=3, flip_y=0.2, random_state=0
    )


def assert_same_parameters(a, b, rtol=1e-12):
    for key in ("coefs_", "intercepts_"):
        for p, q in zip(getattr(a, key), getattr(b, key), strict=True):
            np.testing.assert_allclose(p, q, rtol=rtol, atol=1e-14)


def assert_identical_parameters(a, b):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(p, q)


def flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


def numerical_gradient(coefs, intercepts, cost):
    """Central differences of ``cost()`` for every parameter, flattened."""
    return flat(_numerical_gradients(coefs + intercepts, cost, epsilon=1e-6))


def reference_steps(solver, gradients, learning_rate, momentum, beta_1, beta_2, eps):
    """Course 2's update rules, written out: the change of the parameters at
    each update given the gradients of all updates so far."""
    steps, v, s = [], 0.0, 0.0
    for t, g in enumerate(gradients, start=1):
        if solver == "gd":
            steps.append(-learning_rate * g)
        elif solver == "momentum":
            v = momentum * v + (1 - momentum) * g
            steps.append(-learning_rate * v)
        else:
            v = beta_1 * v + (1 - beta_1) * g
            s = beta_2 * s + (1 - beta_2) * g * g
            v_hat, s_hat = v / (1 - beta_1**t), s / (1 - beta_2**t)
            steps.append(-learning_rate * v_hat / (np.sqrt(s_hat) + eps))
    return steps


@pytest.fixture
def recorded_updates(monkeypatch):
    """The parameters after every update of a feature-space fit, in order."""
    after = []
    step = GradientTrainer.step

    def recording(self, X, y, sample_weight):
        cost = step(self, X, y, sample_weight)
        after.append(self.params.copies())
        return cost

    monkeypatch.setattr(GradientTrainer, "step", recording)
    return after


@pytest.fixture
def recorded_masks(monkeypatch):
    """The dropout masks of every update, one list per update."""
    masks = []
    draw = skdnn._trainers.draw_dropout_masks

    def recording(*args, **kwargs):
        dropout = draw(*args, **kwargs)
        masks.append(dropout)
        return dropout

    monkeypatch.setattr(skdnn._trainers, "draw_dropout_masks", recording)
    return masks


# -- 1. mini-batches ------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_one_batch_of_all_samples_is_full_batch(make, data, weights, solver, weighted):
    X, y = data
    sample_weight = weights if weighted else None
    full = make(solver=solver, batch_size=None).fit(X, y, sample_weight=sample_weight)
    # shuffled every epoch: only the order of the sums changes
    one_batch = make(solver=solver, batch_size=X.shape[0], shuffle=True)
    one_batch.fit(X, y, sample_weight=sample_weight)
    # (Adam divides by sqrt(s): the order of the sums shows at 1.5e-10)
    np.testing.assert_allclose(one_batch.loss_curve_, full.loss_curve_, rtol=1e-9)
    assert_same_parameters(one_batch, full, rtol=1e-9)
    assert one_batch.t_ == full.t_ == 30 * X.shape[0]


@pytest.mark.parametrize("batch_size", [7, 20, 60, None])
def test_t_counts_the_samples_seen_as_in_mlpclassifier(data, batch_size):
    X, y = data
    est = small_deep(batch_size=batch_size, max_iter=4).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 4
    assert est.t_ == 4 * X.shape[0]


def test_shuffle_changes_the_batches(data):
    X, y = data
    fits = [
        small_deep(batch_size=10, shuffle=s, max_iter=5).fit(X, y)
        for s in (False, True)
    ]
    assert not np.allclose(fits[0].coefs_[0], fits[1].coefs_[0])


# -- 2. momentum and Adam against plain gradient descent -----------------------


def test_momentum_and_adam_beat_gd_on_a_stiff_problem(medium):
    """One feature 20 times larger: at this step, gradient descent bounces
    across the steep direction (measured final cost 8.5) while momentum
    averages the oscillation out (0.535) and Adam rescales it (0.530); the
    optimum is about 0.530."""
    X, y = medium
    X = X * np.array([1, 1, 1, 1, 1, 20.0])
    final = {
        solver: small_logistic(solver=solver, max_iter=100).fit(X, y).loss_curve_[-1]
        for solver in SOLVERS
    }
    assert final["gd"] > 2.0
    assert final["momentum"] < 0.6
    assert final["adam"] < 0.6


def test_adam_beats_gd_on_a_small_step(medium):
    """Deep net, small step: Adam's normalised steps are much longer than
    the small gradients (measured 0.42 against 0.69 for gd)."""
    X, y = medium
    final = {
        solver: small_deep(
            hidden_layer_sizes=(8, 4), solver=solver, learning_rate=0.01, max_iter=100
        )
        .fit(X, y)
        .loss_curve_[-1]
        for solver in ("gd", "adam")
    }
    assert final["adam"] < final["gd"] - 0.15


# -- 3. every optimiser's update against finite differences --------------------

GRADIENT_CASES = {
    "deep-tanh": (small_deep, {"activation": "tanh"}, False),
    "deep-relu-alpha-weighted": (
        small_deep,
        {"activation": "relu", "alpha": 0.7},
        True,
    ),
    "lr-alpha-weighted": (small_logistic, {"alpha": 0.5}, True),
}


@pytest.mark.parametrize(
    "solver, hyper",
    [
        ("gd", {}),
        ("momentum", {"momentum": 0.8}),
        ("adam", {}),
        # epsilon of the size of the gradients: the step depends on |g|
        ("adam", {"epsilon": 0.05, "beta_1": 0.8, "beta_2": 0.9}),
    ],
    ids=["gd", "momentum", "adam", "adam-large-epsilon"],
)
@pytest.mark.parametrize("batch_size", [None, 25], ids=["full-batch", "mini-batch"])
@pytest.mark.parametrize(
    "make_estimator, params, weighted",
    GRADIENT_CASES.values(),
    ids=list(GRADIENT_CASES),
)
def test_updates_follow_finite_difference_gradients(
    data,
    weights,
    recorded_updates,
    make_estimator,
    params,
    weighted,
    solver,
    hyper,
    batch_size,
):
    """Each update ``theta_t - theta_{t-1}`` is the optimiser's formula applied
    to the central-difference gradient of the cost of that update's batch at
    ``theta_{t-1}``: three full-batch epochs, or the batches of rows 0-24,
    25-49 and 50-59 (``shuffle=False``) of one epoch."""
    X, y = data
    sample_weight = weights if weighted else np.ones(X.shape[0])
    est = make_estimator(
        solver=solver,
        learning_rate=0.05,
        batch_size=batch_size,
        shuffle=False,
        max_iter=3 if batch_size is None else 1,
        random_state=3,
        **params,
        **hyper,
    )
    est.fit(X, y, sample_weight=sample_weight if weighted else None)
    hidden = [W.shape[1] for W in est.coefs_[:-1]]
    activation = est._hidden_activations(len(hidden))
    coefs, intercepts = initialize_parameters(
        [X.shape[1], *hidden, 1], est.init, random_state=3
    )
    batches = (
        [slice(None)] * 3
        if batch_size is None
        else [slice(0, 25), slice(25, 50), slice(50, 60)]
    )
    assert len(recorded_updates) == 3
    assert est.t_ == (3 if batch_size is None else 1) * X.shape[0]

    gradients = []
    for t, rows in enumerate(batches):
        Xb, yb, sb = X[rows], y[rows].astype(float), sample_weight[rows]

        def cost(coefs=coefs, intercepts=intercepts, Xb=Xb, yb=yb, sb=sb):
            Z_L = forward_propagation(Xb, coefs, intercepts, activation)[-1]
            return compute_cost(Z_L, yb, sb, coefs, est.alpha)

        gradients.append(numerical_gradient(coefs, intercepts, cost))
        expected = reference_steps(
            solver,
            gradients,
            0.05,
            est.momentum,
            est.beta_1,
            est.beta_2,
            est.epsilon,
        )[-1]
        new_coefs, new_intercepts = recorded_updates[t]
        actual = flat(new_coefs + new_intercepts) - flat(coefs + intercepts)
        assert relative_difference(actual, expected) < 1e-7, f"update {t + 1}"
        coefs, intercepts = new_coefs, new_intercepts
    for W, W_last in zip(est.coefs_, coefs, strict=True):
        np.testing.assert_array_equal(W, W_last)


def test_the_gradient_check_can_fail(data):
    """The check above tells the optimisers' formulas apart and catches a
    gradient off by 1 %."""
    X, y = data
    est = small_deep(solver="gd", learning_rate=0.05, max_iter=1, random_state=3)
    est.fit(X, y)
    coefs, intercepts = initialize_parameters([5, 6, 4, 1], "xavier", random_state=3)
    gradient = numerical_gradient(
        coefs,
        intercepts,
        lambda: compute_cost(
            forward_propagation(X, coefs, intercepts, "relu")[-1],
            y.astype(float),
            np.ones(60),
            coefs,
            0.0,
        ),
    )
    actual = flat(est.coefs_ + est.intercepts_) - flat(coefs + intercepts)
    assert relative_difference(actual, -0.05 * gradient) < 1e-7
    assert relative_difference(actual, -0.05 * 1.01 * gradient) > 1e-3
    wrong = reference_steps("momentum", [gradient], 0.05, 0.9, 0.9, 0.999, 1e-8)[0]
    assert relative_difference(actual, wrong) > 0.5


# -- 4. learning-rate decay --------------------------------------------------------


def test_decay_halves_the_second_epoch_by_warm_start(make, data):
    """Decay 1: epoch 1 uses lr / 2. Warm start keeps the parameters (plain
    gradient descent has no other state)."""
    X, y = data
    decayed = make(learning_rate=0.1, learning_rate_decay=1.0, max_iter=2).fit(X, y)
    steps = make(learning_rate=0.1, max_iter=1).fit(X, y)
    steps.set_params(
        warm_start=True, learning_rate=0.05, learning_rate_decay=0.0, max_iter=1
    ).fit(X, y)
    assert_same_parameters(decayed, steps)
    np.testing.assert_allclose(decayed.loss_curve_, steps.loss_curve_, rtol=1e-12)
    plain = make(learning_rate=0.1, max_iter=2).fit(X, y)
    assert not np.allclose(decayed.coefs_[0], plain.coefs_[0], rtol=1e-6, atol=0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_decay_divides_the_step_of_epoch_e_by_1_plus_decay_e(make, data, solver):
    """partial_fit keeps the optimiser's state, so any solver can be stepped
    by hand with lr / (1 + decay e) for e = 0, 1, 2."""
    X, y = data
    decayed = make(solver=solver, learning_rate=0.1, learning_rate_decay=1.0)
    decayed.set_params(max_iter=3).fit(X, y)
    by_hand = make(solver=solver)
    for epoch in range(3):
        by_hand.set_params(learning_rate=0.1 / (1 + epoch)).partial_fit(X, y)
    assert_same_parameters(decayed, by_hand)
    np.testing.assert_allclose(decayed.loss_curve_, by_hand.loss_curve_, rtol=1e-12)


def test_decay_counts_the_epochs_of_warm_start_and_partial_fit(make, data):
    X, y = data
    params = {"learning_rate": 0.2, "learning_rate_decay": 0.5}
    whole = make(max_iter=4, **params).fit(X, y)
    warm = make(max_iter=2, warm_start=True, **params).fit(X, y).fit(X, y)
    assert_same_parameters(whole, warm)
    partial = make(**params)
    for _ in range(4):
        partial.partial_fit(X, y)
    assert_same_parameters(whole, partial)


# -- 5. early stopping ----------------------------------------------------------------


def validation_split(X, y, sample_weight, est):
    """The split of ``early_stopping``: with an int ``random_state``, drawn
    from a generator of its own seeded with it (the same split every fit)."""
    assert isinstance(est.random_state, int)
    _, X_val, _, y_val, _, sw_val = train_test_split(
        X,
        y,
        sample_weight,
        test_size=est.validation_fraction,
        stratify=y,
        random_state=est.random_state,
    )
    return X_val, y_val, sw_val


@pytest.mark.parametrize(
    "solver, learning_rate, space",
    [("gd", 0.5, "feature"), ("gd", 0.5, "sample"), ("adam", 0.03, "feature")],
)
def test_early_stopping_keeps_the_best_epoch(noisy, solver, learning_rate, space):
    X, y = noisy
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=X.shape[0])
    params = {
        "hidden_layer_sizes": (30,),
        "solver": solver,
        "learning_rate": learning_rate,
        "early_stopping": True,
        "validation_fraction": 0.25,
        "n_iter_no_change": 8,
        "space": space,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = small_deep(max_iter=500, **params).fit(X, y, sample_weight=sample_weight)

    n = est.n_iter_
    curve = np.array(est.validation_loss_curve_)
    assert n < 500
    assert len(curve) == len(est.validation_scores_) == len(est.loss_curve_) == n
    assert est.best_validation_loss_ == curve.min()
    best = int(curve.argmin())
    assert best == n - 1 - 8  # patience epochs after the best, then stop
    assert curve[-1] > est.best_validation_loss_  # the last epoch is not kept

    X_val, y_val, sw_val = validation_split(X, y, sample_weight, est)
    proba = est.predict_proba(X_val)
    loss = log_loss(y_val, proba, sample_weight=sw_val)
    np.testing.assert_allclose(loss, est.best_validation_loss_, rtol=1e-10)
    assert not np.isclose(loss, curve[-1], rtol=1e-6)
    accuracy = accuracy_score(y_val, est.predict(X_val), sample_weight=sw_val)
    assert est.validation_scores_[best] == pytest.approx(accuracy, rel=1e-12)

    # the kept model is the one of epoch `best`: the same fit stopped there
    with pytest.warns(ConvergenceWarning, match=f"max_iter={best + 1}"):
        stopped = small_deep(max_iter=best + 1, **params)
        stopped.fit(X, y, sample_weight=sample_weight)
    assert_same_parameters(est, stopped, rtol=1e-10)
    assert stopped.validation_loss_curve_ == est.validation_loss_curve_[: best + 1]


def test_without_early_stopping_no_validation(data):
    est = small_deep().fit(*data)
    assert est.validation_loss_curve_ == []
    # MLPClassifier's names: None without early stopping
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert est.best_loss_ == min(est.loss_curve_) and est.loss_ == est.loss_curve_[-1]
    assert not hasattr(est, "best_validation_loss_")


def test_warm_start_with_early_stopping_keeps_the_validation_split(noisy):
    """A warm-started fit must validate on the rows held out before: rows the
    first fit trained on are not held out."""
    X, y = noisy
    params = {
        "hidden_layer_sizes": (30,),
        "learning_rate": 0.5,
        "early_stopping": True,
        "validation_fraction": 0.25,
        "max_iter": 3,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = small_deep(warm_start=True, **params).fit(X, y)
        X_val, y_val, sw_val = validation_split(X, y, np.ones(len(y)), est)
        est.fit(X, y)
    loss = log_loss(y_val, est.predict_proba(X_val))
    np.testing.assert_allclose(
        loss,
        est.best_validation_loss_,
        rtol=1e-10,
        err_msg="the warm-started fit validated on other rows than the first fit",
    )


# -- 6. partial_fit ----------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_partial_fit_k_times_is_fit_k_epochs(make, data, solver):
    X, y = data
    whole = make(solver=solver, max_iter=6).fit(X, y)
    partial = make(solver=solver)
    for k in range(1, 7):
        partial.partial_fit(X, y)
        assert partial.n_iter_ == len(partial.loss_curve_) == k
        assert partial.t_ == k * X.shape[0]
    assert_same_parameters(whole, partial)
    np.testing.assert_allclose(partial.loss_curve_, whole.loss_curve_, rtol=1e-12)


@pytest.mark.parametrize("solver", SOLVERS)
def test_partial_fit_over_chunks_is_mini_batch_fit(make, data, solver):
    X, y = data
    chunk, n_epochs = 25, 3  # chunks of rows 0-24, 25-49, 50-59
    whole = make(solver=solver, batch_size=chunk, shuffle=False, max_iter=n_epochs)
    whole.fit(X, y)
    partial = make(solver=solver)
    for _ in range(n_epochs):
        for start in range(0, X.shape[0], chunk):
            rows = slice(start, start + chunk)
            partial.partial_fit(X[rows], y[rows], classes=[0, 1])
    assert_same_parameters(whole, partial)
    assert whole.t_ == partial.t_ == n_epochs * X.shape[0]
    assert partial.n_iter_ == 9
    assert len(partial.loss_curve_) == 9


def test_partial_fit_keeps_counting_with_mini_batches(data):
    X, y = data
    est = small_deep(batch_size=25)
    for k in range(1, 4):
        est.partial_fit(X, y)
        assert est.n_iter_ == len(est.loss_curve_) == k
        assert est.t_ == k * X.shape[0]


def test_partial_fit_after_fit_continues(data):
    X, y = data
    whole = small_deep(solver="adam", max_iter=5).fit(X, y)
    est = small_deep(solver="adam", max_iter=3).fit(X, y)
    est.partial_fit(X, y).partial_fit(X, y)
    assert_same_parameters(whole, est)
    assert est.n_iter_ == 5


def test_partial_fit_first_call_needs_both_classes(data):
    X, y = data
    est = small_deep()
    with pytest.raises(ValueError, match="classes="):
        est.partial_fit(X[y == 0], y[y == 0])
    assert not hasattr(est, "coefs_")
    est.partial_fit(X[y == 0], y[y == 0], classes=[0, 1])
    np.testing.assert_array_equal(est.classes_, [0, 1])
    est.partial_fit(X[y == 1], y[y == 1])  # later calls: one class is fine
    assert est.n_iter_ == 2


def test_partial_fit_rejects_labels_outside_classes(data):
    X, y = data
    with pytest.raises(ValueError, match="not in classes="):
        small_deep().partial_fit(X, y * 2, classes=[0, 1])
    est = small_deep().partial_fit(X, y, classes=[0, 1])
    coefs = [W.copy() for W in est.coefs_]
    with pytest.raises(ValueError, match="not in classes_"):
        est.partial_fit(X, np.where(y == 1, 5, 0))
    with pytest.raises(ValueError, match="differs from the classes"):
        est.partial_fit(X, y, classes=[0, 2])
    assert est.n_iter_ == 1  # unchanged by the failed calls
    for W, before in zip(est.coefs_, coefs, strict=True):
        np.testing.assert_array_equal(W, before)


def test_partial_fit_rejects_balanced_class_weight(data):
    X, y = data
    with pytest.raises(ValueError, match="class_weight='balanced'.*partial_fit"):
        small_deep(class_weight="balanced").partial_fit(X, y)
    # a dict is the way: it equals fit with the same dict
    weights = {0: 1.0, 1: 3.0}
    est = small_deep(class_weight=weights)
    for _ in range(3):
        est.partial_fit(X, y)
    assert_same_parameters(est, small_deep(class_weight=weights, max_iter=3).fit(X, y))


def test_partial_fit_draws_new_dropout_masks_every_call(data, recorded_masks):
    """Dropout switches off other units at every update, whether the epochs
    come from one fit or from calls of partial_fit."""
    X, y = data
    est = small_deep(dropout=0.5)
    for _ in range(3):
        est.partial_fit(X, y)
    first_layer = [dropout[0][0] for dropout in recorded_masks]
    assert len(first_layer) == 3
    for a in range(3):
        for b in range(a + 1, 3):
            assert not np.array_equal(first_layer[a], first_layer[b]), (
                f"calls {a + 1} and {b + 1} of partial_fit drew the same mask"
            )


# -- 7. warm_start ----------------------------------------------------------------


def test_warm_start_continues_where_fit_stopped(make, data):
    X, y = data
    whole = make(max_iter=10).fit(X, y)
    warm = make(max_iter=5, warm_start=True).fit(X, y)
    coefs_after_five = [W.copy() for W in warm.coefs_]
    warm.fit(X, y)
    assert_same_parameters(whole, warm)
    np.testing.assert_allclose(warm.loss_curve_, whole.loss_curve_, rtol=1e-12)
    assert warm.n_iter_ == 10
    assert warm.t_ == 10 * X.shape[0]
    # without warm_start the second fit starts over
    cold = make(max_iter=5).fit(X, y).fit(X, y)
    for W, W5 in zip(cold.coefs_, coefs_after_five, strict=True):
        np.testing.assert_array_equal(W, W5)
    assert cold.n_iter_ == 5


def test_warm_start_rejects_new_layers_and_keeps_the_model(data):
    X, y = data
    est = small_deep(max_iter=5, warm_start=True).fit(X, y)
    before = {key: value for key, value in vars(est).items() if key.endswith("_")}
    coefs = [W.copy() for W in est.coefs_]
    est.set_params(hidden_layer_sizes=(6, 3))
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        est.fit(X, y)
    after = {key: value for key, value in vars(est).items() if key.endswith("_")}
    assert after.keys() == before.keys()
    assert est.n_iter_ == 5 and len(est.loss_curve_) == 5
    for W, W_before in zip(est.coefs_, coefs, strict=True):
        np.testing.assert_array_equal(W, W_before)
    # back to the fitted layers: it continues
    est.set_params(hidden_layer_sizes=(6, 4)).fit(X, y)
    assert est.n_iter_ == 10


def test_warm_start_rejects_other_classes(make, data):
    X, y = data
    est = make(max_iter=5, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start"):
        est.fit(X, np.where(y == 1, 2, 0))
    np.testing.assert_array_equal(est.classes_, [0, 1])
    assert est.n_iter_ == 5


# -- 8. class_weight ----------------------------------------------------------------


@pytest.fixture(scope="module")
def imbalanced():
    return make_classification(
        n_samples=60, n_features=5, n_informative=3, weights=[0.75], random_state=2
    )


def test_balanced_class_weight_is_its_sample_weight(make, imbalanced):
    X, y = imbalanced
    counts = np.bincount(y)
    assert counts[0] > 2 * counts[1]  # imbalanced enough to matter
    balanced = make(class_weight="balanced").fit(X, y)
    weighted = make().fit(X, y, sample_weight=len(y) / (2 * counts[y]))
    assert_same_parameters(balanced, weighted)
    np.testing.assert_allclose(balanced.loss_curve_, weighted.loss_curve_, rtol=1e-12)
    plain = make().fit(X, y)
    assert not np.allclose(balanced.coefs_[0], plain.coefs_[0])


def test_dict_class_weight_times_sample_weight(make, imbalanced, weights):
    X, y = imbalanced
    labels = np.array(["dog", "cat"])[y]  # class weights are keyed by label
    class_weight = {"dog": 0.5, "cat": 4.0}
    per_sample = np.where(y == 1, 4.0, 0.5)
    by_dict = make(class_weight=class_weight).fit(X, labels)
    by_weight = make().fit(X, labels, sample_weight=per_sample)
    assert_same_parameters(by_dict, by_weight)
    both = make(class_weight=class_weight).fit(X, labels, sample_weight=weights)
    product = make().fit(X, labels, sample_weight=weights * per_sample)
    assert_same_parameters(both, product)
    np.testing.assert_allclose(both.loss_curve_, product.loss_curve_, rtol=1e-12)


# -- 9. dropout -----------------------------------------------------------------------


def relu_forward(X, est):
    """The network's logit in plain NumPy, every unit on."""
    A = X
    for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1], strict=True):
        A = np.maximum(A @ W + b, 0)
    return (A @ est.coefs_[-1] + est.intercepts_[-1]).ravel()


def test_dropout_is_off_at_prediction(data):
    X, y = data
    est = small_deep(dropout=0.5, max_iter=20).fit(X, y)
    proba = est.predict_proba(X)
    np.testing.assert_array_equal(proba, est.predict_proba(X))  # no randomness
    z = predict_logit(X, est.coefs_, est.intercepts_, "relu")
    np.testing.assert_allclose(proba[:, 1], sigmoid(z), rtol=1e-12)
    np.testing.assert_allclose(proba[:, 1], sigmoid(relu_forward(X, est)), rtol=1e-12)


def test_dropout_seeds(data):
    X, y = data
    first, again, other = (
        small_deep(dropout=0.3, random_state=seed).fit(X, y) for seed in (0, 0, 1)
    )
    assert_identical_parameters(first, again)
    assert first.loss_curve_ == again.loss_curve_
    assert not np.allclose(first.coefs_[0], other.coefs_[0])
    without = small_deep(dropout=0.0, random_state=0).fit(X, y)
    assert not np.allclose(first.coefs_[0], without.coefs_[0])
    assert first.loss_curve_[0] != without.loss_curve_[0]  # same start, masked


def test_dropout_masks_are_inverted_and_fresh(data, recorded_masks):
    """Per layer: the share of units switched off is the rate, the others are
    scaled by 1 / keep_prob, and each update draws a new mask."""
    X, y = data
    X = np.tile(X, (10, 1))  # 600 samples, for the proportions
    y = np.tile(y, 10)
    small_deep(hidden_layer_sizes=(20, 10), dropout=[0.25, 0.0], max_iter=2).fit(X, y)
    assert len(recorded_masks) == 2
    for dropout in recorded_masks:
        (mask, keep_prob), second = dropout
        assert second is None  # rate 0: no mask
        assert keep_prob == 0.75 and mask.shape == (600, 20)
        assert set(np.unique(mask)) == {0.0, 1 / 0.75}
        assert (mask == 0).mean() == pytest.approx(0.25, abs=0.03)
    assert not np.array_equal(recorded_masks[0][0][0], recorded_masks[1][0][0])


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_dropout_update_follows_the_masked_gradient(
    data, recorded_masks, recorded_updates, activation
):
    """One update with dropout is -lr times the finite-difference gradient of
    the cost of the network with that update's masks."""
    X, y = data
    # 16 units in the first layer: no sample has every unit dropped or dead,
    # which would put the second layer's relu exactly at its kink (Z = b = 0),
    # where finite differences see a slope of 1/2
    est = small_deep(hidden_layer_sizes=(16, 4), activation=activation, max_iter=1)
    est.set_params(dropout=[0.5, 0.2])
    est.fit(X, y)
    coefs, intercepts = initialize_parameters([5, 16, 4, 1], "xavier", random_state=0)
    (masks,) = recorded_masks
    A = X
    for W, b, (mask, _) in zip(coefs[:-1], intercepts[:-1], masks, strict=True):
        A = A @ W + b
        assert np.abs(A).min() > 1e-4  # no pre-activation at a kink
        ACTIVATIONS[activation](A)
        A *= mask

    def cost():
        Z_L = forward_propagation(X, coefs, intercepts, activation, dropout=masks)[-1]
        return compute_cost(Z_L, y.astype(float), np.ones(60), coefs, 0.0)

    gradient = numerical_gradient(coefs, intercepts, cost)
    actual = flat(est.coefs_ + est.intercepts_) - flat(coefs + intercepts)
    assert relative_difference(actual, -0.1 * gradient) < 1e-7


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_dropout_trains_saturating_layers(data, activation):
    X, y = data
    est = small_deep(activation=activation, dropout=0.3, max_iter=100)
    est.set_params(solver="adam", learning_rate=0.05).fit(X, y)
    curve = np.array(est.loss_curve_)
    assert curve[-10:].mean() < curve[:10].mean() - 0.1
    coefs, intercepts = initialize_parameters([5, 6, 4, 1], "xavier", random_state=0)
    start = predict_logit(X, coefs, intercepts, activation)
    assert log_loss(y, est.predict_proba(X)) < log_loss(y, sigmoid(start)) - 0.1


def test_dropout_per_layer_list(data):
    X, y = data
    listed = small_deep(dropout=[0.3, 0.3]).fit(X, y)
    assert_identical_parameters(listed, small_deep(dropout=0.3).fit(X, y))
    first_only = small_deep(dropout=[0.3, 0.0]).fit(X, y)
    assert not np.allclose(first_only.coefs_[0], listed.coefs_[0])
    with pytest.raises(ValueError, match="dropout"):
        small_deep(dropout=[0.3]).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        small_deep(dropout=[0.3, 0.3, 0.3]).fit(X, y)


def test_dropout_is_not_for_the_sample_space(data):
    with pytest.raises(ValueError, match="space='sample'"):
        small_deep(dropout=0.2, space="sample").fit(*data)


# -- 10. one activation per hidden layer --------------------------------------------


def test_per_layer_activations(data):
    X, y = data
    relu = small_deep(activation="relu").fit(X, y)
    assert_identical_parameters(small_deep(activation=["relu", "relu"]).fit(X, y), relu)
    tanh = small_deep(activation="tanh").fit(X, y)
    mixed = small_deep(activation=["tanh", "relu"]).fit(X, y)
    assert not np.allclose(mixed.coefs_[0], relu.coefs_[0])
    assert not np.allclose(mixed.coefs_[0], tanh.coefs_[0])
    # tanh in the first hidden layer, relu in the second, in that order
    (W1, W2, W3), (b1, b2, b3) = mixed.coefs_, mixed.intercepts_
    z = np.maximum(np.tanh(X @ W1 + b1) @ W2 + b2, 0) @ W3 + b3
    np.testing.assert_allclose(mixed.decision_function(X), z.ravel(), rtol=1e-12)


@pytest.mark.parametrize(
    "activation", [["relu"], ["relu", "relu", "relu"], ["relu", "swish"], "swish"]
)
def test_bad_activation_lists(data, activation):
    with pytest.raises(ValueError, match="activation"):
        small_deep(activation=activation).fit(*data)


# -- 11. Ctrl-C in a real process ---------------------------------------------------

CTRL_C_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    from skdnn import DeepBinaryClassifier

    rng = np.random.RandomState(0)
    X = rng.standard_normal((100, 8))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    params = dict(hidden_layer_sizes=(8, 4), learning_rate=0.05, random_state=0)
    est = DeepBinaryClassifier(max_iter=10**6, verbose=1, **params)
    try:
        est.fit(X, y)
    except KeyboardInterrupt:  # goes on to the caller, once est is fitted
        print("interrupted yes")
    print("n_iter_", est.n_iter_, len(est.loss_curve_))
    print("proba", *est.predict_proba(X[:3])[:, 1])
    same = DeepBinaryClassifier(max_iter=est.n_iter_, **params).fit(X, y)
    print("same", all(np.array_equal(a, b) for a, b in zip(est.coefs_, same.coefs_)))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_in_a_real_process(tmp_path):
    stderr_path = tmp_path / "stderr.txt"
    with open(stderr_path, "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-c", CTRL_C_SCRIPT],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines, started = [], threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Cost after iteration"):
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(60), f"training never started: {lines}"
        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=60)
    finally:
        proc.kill()
    reader.join(10)
    proc.stdout.close()
    err = stderr_path.read_text()
    assert returncode == 0, err
    assert "ConvergenceWarning" in err and "interrupted" in err, err
    assert "Traceback" not in err

    results = {line.split()[0]: line.split()[1:] for line in lines if " " in line}
    n_iter, n_losses = map(int, results["n_iter_"])
    assert 1 <= n_iter == n_losses < 10**6
    proba = np.array(results["proba"], dtype=float)
    assert proba.shape == (3,) and np.isfinite(proba).all()
    assert results["same"] == ["True"]  # the parameters of a whole epoch
    assert results["interrupted"] == ["yes"]  # and the KeyboardInterrupt went on


# -- 12. scikit-learn's callbacks ------------------------------------------------------


class RecordingCallback:
    """Records every hook; ``on_fit_task_end`` asks to stop after ``stop_after``
    epochs."""

    def __init__(self, X, stop_after=None):
        self.X, self.stop_after = X, stop_after
        self.calls, self.epoch_proba = [], []

    def setup(self, estimator, context):
        self.calls.append("setup")

    def teardown(self, estimator, context):
        self.calls.append("teardown")

    def on_fit_task_begin(
        self,
        estimator,
        context,
        *,
        X=None,
        y=None,
        metadata=None,
        fitted_estimator=None,
    ):
        self.calls.append(f"begin {context.task_name}")

    def on_fit_task_end(
        self,
        estimator,
        context,
        *,
        X=None,
        y=None,
        metadata=None,
        fitted_estimator=None,
    ):
        self.calls.append(f"end {context.task_name}")
        if context.task_name != "epoch":
            self.final_proba = fitted_estimator.predict_proba(self.X)
            return False
        assert fitted_estimator is not estimator
        self.epoch_proba.append(fitted_estimator.predict_proba(self.X))
        return len(self.epoch_proba) == self.stop_after


@needs_callbacks
def test_callback_is_called_every_epoch(data):
    X, y = data
    callback = RecordingCallback(X)
    est = small_deep(max_iter=4).set_callbacks(callback).fit(X, y)
    epochs = ["begin epoch", "end epoch"] * 4
    assert callback.calls == ["setup", "begin fit", *epochs, "end fit", "teardown"]
    # the fitted_estimator of epoch k predicts as a fit of k epochs
    for k, proba in enumerate(callback.epoch_proba, start=1):
        expected = small_deep(max_iter=k).fit(X, y).predict_proba(X)
        np.testing.assert_allclose(proba, expected, rtol=1e-12)
    np.testing.assert_array_equal(callback.final_proba, est.predict_proba(X))


@needs_callbacks
def test_callback_stops_the_fit(data):
    X, y = data
    callback = RecordingCallback(X, stop_after=3)
    with warnings.catch_warnings():
        # tol is set, so reaching max_iter would warn: a callback stop does not
        warnings.simplefilter("error", ConvergenceWarning)
        est = small_deep(max_iter=50, tol=0.0).set_callbacks(callback).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 3
    assert callback.calls.count("end epoch") == 3
    three = small_deep(max_iter=3).fit(X, y)
    assert_same_parameters(est, three)
    np.testing.assert_array_equal(est.predict(X), three.predict(X))
    assert np.isfinite(est.predict_proba(X)).all()


@needs_callbacks
@pytest.mark.parametrize(
    "labels",
    [[0, 1], [-1, 1], ["cat", "dog"]],
    ids=["zero-one", "minus-one-one", "strings"],
)
def test_scoring_monitor_records_the_accuracy_of_every_epoch(data, labels):
    X, y = data
    y = np.array(labels)[y]
    monitor = ScoringMonitor(scoring="accuracy")
    est = small_deep(max_iter=4).set_callbacks(monitor).fit(X, y)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == est.n_iter_ == 4
    expected = [small_deep(max_iter=k).fit(X, y).score(X, y) for k in range(1, 5)]
    np.testing.assert_allclose([row["accuracy"] for row in rows], expected)


@needs_callbacks
def test_progress_bar(data):
    pytest.importorskip("rich", reason="sklearn's ProgressBar needs rich")
    est = small_deep(max_iter=5).set_callbacks(ProgressBar()).fit(*data)
    assert est.n_iter_ == 5


# -- 13. space ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"solver": "adam"}, {"solver": "momentum"}, {"batch_size": 10}],
    ids=["adam", "momentum", "mini-batch"],
)
def test_sample_space_rejects_what_it_cannot_do(make, data, params):
    with pytest.raises(ValueError, match="space='sample'"):
        make(space="sample", **params).fit(*data)


def test_sample_space_rejects_partial_fit(make, data):
    with pytest.raises(ValueError, match="space='sample'.*partial_fit"):
        make(space="sample").partial_fit(*data)


@pytest.fixture(scope="module")
def wide():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(30, 200))
    return X, (X[:, :5].sum(axis=1) > 2.5).astype(int)


@pytest.mark.parametrize("solver, uses_sample_space", [("adam", 0), ("gd", 1)])
def test_auto_space_falls_back_to_the_feature_space(
    wide, monkeypatch, solver, uses_sample_space
):
    X, y = wide
    built = []
    init = SampleSpaceTrainer.__init__

    def counting(self, *args, **kwargs):
        built.append(None)
        init(self, *args, **kwargs)

    monkeypatch.setattr(SampleSpaceTrainer, "__init__", counting)
    params = {"solver": solver, "learning_rate": 0.01, "max_iter": 20}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # 20 small steps have not separated the classes yet, and it says so
        warnings.filterwarnings("ignore", "The fitted model predicts", Warning)
        auto = small_deep(space="auto", **params).fit(X, y)
    assert len(built) == uses_sample_space
    feature = small_deep(space="feature", **params).fit(X, y)
    if solver == "adam":
        assert_identical_parameters(auto, feature)
    else:
        assert_same_parameters(auto, feature, rtol=1e-8)
    assert auto.loss_curve_[-1] < auto.loss_curve_[0]
