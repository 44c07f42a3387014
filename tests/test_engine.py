"""The engine against independent references: central finite differences for
every gradient, the course's draw order, and stable sigmoid / log-sigmoid."""

import numpy as np
import pytest

from skdnn._engine import (
    backward_propagation,
    compute_cost,
    forward_propagation,
    linear_forward,
)
from skdnn.activations import (
    ACTIVATIONS,
    DERIVATIVES,
    log_sigmoid,
    sigmoid,
)
from skdnn.initializers import INITIALIZERS, initialize_parameters
from skdnn.utils import _gradient_difference as relative_difference
from skdnn.utils import _numerical_gradients

HIDDEN_ACTIVATIONS = sorted(ACTIVATIONS)


def _cost(X, y, sample_weight, coefs, intercepts, activation, alpha):
    cache = forward_propagation(X, coefs, intercepts, activation)
    return compute_cost(cache[-1], y, sample_weight, coefs, alpha)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("alpha", [0.0, 0.7])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("hidden", [(), (5,), (6, 4, 3)])
def test_backward_matches_finite_differences(activation, alpha, weighted, hidden):
    rng = np.random.RandomState(0)
    m, n = 13, 4
    X = rng.standard_normal((m, n))
    y = (rng.uniform(size=m) > 0.5).astype(float)
    sample_weight = rng.uniform(0.1, 3, size=m) if weighted else np.ones(m)
    coefs, intercepts = initialize_parameters([n, *hidden, 1], "xavier", rng)
    # non-zero biases, so that their gradients are exercised away from zero
    for b in intercepts:
        b += rng.uniform(-0.5, 0.5, size=b.shape)

    cache = forward_propagation(X, coefs, intercepts, activation)
    coef_grads, intercept_grads = backward_propagation(
        cache, y, sample_weight, coefs, activation, alpha
    )
    numerical = _numerical_gradients(
        coefs + intercepts,
        lambda: _cost(X, y, sample_weight, coefs, intercepts, activation, alpha),
        epsilon=1e-6,
    )
    analytic = np.concatenate([g.ravel() for g in coef_grads + intercept_grads])
    approx = np.concatenate([g.ravel() for g in numerical])
    assert relative_difference(analytic, approx) < 1e-7


def test_gradient_check_detects_a_wrong_gradient():
    """The check above can fail: a derivative off by 1 % is caught."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((10, 3))
    y = (rng.uniform(size=10) > 0.5).astype(float)
    sw = np.ones(10)
    coefs, intercepts = initialize_parameters([3, 4, 1], "xavier", rng)
    cache = forward_propagation(X, coefs, intercepts, "tanh")
    coef_grads, intercept_grads = backward_propagation(cache, y, sw, coefs, "tanh", 0.0)
    coef_grads[0] *= 1.01
    numerical = _numerical_gradients(
        coefs + intercepts,
        lambda: _cost(X, y, sw, coefs, intercepts, "tanh", 0.0),
        epsilon=1e-6,
    )
    analytic = np.concatenate([g.ravel() for g in coef_grads + intercept_grads])
    approx = np.concatenate([g.ravel() for g in numerical])
    assert relative_difference(analytic, approx) > 1e-4


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_activation_derivative_table_matches_finite_differences(activation):
    z = np.linspace(-3, 3, 61)
    z = z[np.abs(z) > 1e-3]  # away from the kink of relu / leaky_relu
    eps = 1e-6
    plus, minus, a = z + eps, z - eps, z.copy()
    for arr in (plus, minus, a):
        ACTIVATIONS[activation](arr)
    dz = np.ones_like(z)
    DERIVATIVES[activation](a, dz)
    np.testing.assert_allclose(dz, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-9)


def test_tables_name_the_same_activations():
    assert set(ACTIVATIONS) == set(DERIVATIVES)
    assert ACTIVATIONS["logistic"] is ACTIVATIONS["sigmoid"]


def test_initialization_follows_the_course_draw_order():
    """``random_state=1`` is the course's ``np.random.seed(1)`` followed by
    ``randn(n_l, n_prev) / sqrt(n_prev)`` for l = 1, 2, ... in order."""
    layers_dims = [12, 5, 3, 1]
    # the course's own global-state calls, on purpose
    np.random.seed(1)  # noqa: NPY002
    course = {}
    for l in range(1, len(layers_dims)):
        course[l] = np.random.randn(  # noqa: NPY002
            layers_dims[l], layers_dims[l - 1]
        ) / np.sqrt(layers_dims[l - 1])
    coefs, intercepts = initialize_parameters(layers_dims, "xavier", 1)
    for l, (W, b) in enumerate(zip(coefs, intercepts, strict=True), start=1):
        np.testing.assert_array_equal(W, course[l].T)
        assert W.flags.c_contiguous
        np.testing.assert_array_equal(b, np.zeros(layers_dims[l]))


@pytest.mark.parametrize("init", sorted(INITIALIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initializers_shapes_and_dtype(init, dtype):
    coefs, intercepts = initialize_parameters([7, 4, 1], init, 0, dtype=dtype)
    assert [W.shape for W in coefs] == [(7, 4), (4, 1)]
    assert [b.shape for b in intercepts] == [(4,), (1,)]
    assert all(a.dtype == dtype for a in coefs + intercepts)


def test_init_scales():
    rng_dims = [400, 300, 1]
    std = {
        init: initialize_parameters(rng_dims, init, 0)[0][0].std()
        for init in ("xavier", "he", "random")
    }
    assert std["xavier"] == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert std["he"] == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert std["random"] == pytest.approx(0.01, rel=0.02)
    assert not initialize_parameters(rng_dims, "zeros", 0)[0][0].any()


def test_sigmoid_and_log_sigmoid_are_stable():
    z = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    with np.errstate(all="raise"):
        s = sigmoid(z)
        ls = log_sigmoid(z)
        ls_neg = log_sigmoid(-z)
    assert np.all(np.isfinite(ls)) and np.all(np.isfinite(ls_neg))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    np.testing.assert_allclose(ls[:2], z[:2])  # log(sigmoid(z)) ~ z for z << 0
    np.testing.assert_allclose(ls[2:4], np.log(s[2:4]))
    # more accurate than log(sigmoid(z)), which rounds to 0 here
    assert ls[4] == pytest.approx(-np.exp(-40.0), rel=1e-12)


def test_cost_is_finite_for_huge_logits():
    Z_L = np.array([[1e4], [-1e4], [1e4]])
    y = np.array([0.0, 1.0, 1.0])
    J = compute_cost(Z_L, y, np.ones(3), [], 0.0)
    assert J == pytest.approx(2e4 / 3)


def test_cost_of_zero_logits_is_log2_and_alpha_adds_the_l2_term():
    W = np.array([[1.0], [2.0]])
    J0 = compute_cost(np.zeros((4, 1)), np.array([0, 1, 0, 1.0]), np.ones(4), [W], 0)
    J1 = compute_cost(np.zeros((4, 1)), np.array([0, 1, 0, 1.0]), np.ones(4), [W], 2)
    assert J0 == pytest.approx(np.log(2))
    assert J1 - J0 == pytest.approx(2 / (2 * 4) * 5)


def test_linear_forward_is_the_course_formula_transposed():
    rng = np.random.RandomState(3)
    W_course, b_course = rng.standard_normal((4, 6)), rng.standard_normal((4, 1))
    A_prev_course = rng.standard_normal((6, 9))
    Z = linear_forward(A_prev_course.T, W_course.T, b_course.ravel())
    np.testing.assert_allclose(Z, (W_course @ A_prev_course + b_course).T)
