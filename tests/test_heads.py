"""The output heads (skdnn.heads): every head x hidden activation passes the
gradient check, in one pass and in chunks on two threads, and each head's
loss is the textbook one."""

import numpy as np
import pytest
from scipy.special import expit, softmax

from skdnn._rows import RowChunks
from skdnn._trainers import BatchObjective, PackedParameters
from skdnn.activations import ACTIVATIONS
from skdnn.heads import HEADS
from skdnn.initializers import initialize_parameters
from skdnn.utils import _gradient_difference, _numerical_gradients

#: Per head: the width of the output layer and a target of that width.
N_OUTPUTS = {"logistic": 2, "softmax": 3, "identity": 2, "relu": 2}


def _target(head, rng, m):
    k = N_OUTPUTS[head]
    if head == "softmax":
        return np.eye(k)[rng.randint(k, size=m)]
    if head == "logistic":
        return rng.randint(2, size=(m, k)).astype(float)
    return rng.standard_normal((m, k)) + (head == "relu") * 1.0


@pytest.mark.parametrize("threads", [1, 2], ids=["one-pass", "chunks-on-2-threads"])
@pytest.mark.parametrize("alpha", [0.0, 0.3], ids=["no-l2", "l2"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("head", sorted(HEADS))
def test_every_head_and_activation_passes_the_gradient_check(
    monkeypatch, head, activation, alpha, threads
):
    if threads > 1:  # chunks of 8 rows (the widest layer has 5 units)
        monkeypatch.setattr(RowChunks, "ELEMENTS", 8 * 5)
    rng = np.random.RandomState(0)
    m, k = 30, N_OUTPUTS[head]
    X, Y = rng.standard_normal((m, 4)), _target(head, rng, m)
    sample_weight = rng.uniform(0.2, 2.0, size=m)
    coefs, intercepts = initialize_parameters(
        [4, 5, k], "xavier", np.random.RandomState(1), dtype=np.float64
    )
    # biases off zero: a row whose ReLU units are all off would otherwise put
    # the relu head exactly on its kink, where no derivative exists
    intercepts = [rng.uniform(0.1, 0.3, size=b.shape) for b in intercepts]
    params = PackedParameters(coefs, intercepts, np.float64)
    objective = BatchObjective(
        params, [activation], alpha, [1.0], None, m, head, threads
    )
    assert objective.chunks.workers(m) == threads  # 4 chunks of 8 rows, or 1
    objective(X, Y, sample_weight)
    grad = params.grad.copy()

    def cost():
        return objective(X, Y, sample_weight)

    (gradapprox,) = _numerical_gradients([params.theta], cost, 1e-6)
    objective.close()
    assert _gradient_difference(grad, gradapprox) < 1e-7


def test_losses_are_the_textbook_ones():
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((6, 3)) * 3
    Y01 = rng.randint(2, size=(6, 3)).astype(float)
    onehot = np.eye(3)[rng.randint(3, size=6)]
    A = expit(Z)
    np.testing.assert_allclose(
        HEADS["logistic"].loss(Z, Y01),
        -(Y01 * np.log(A) + (1 - Y01) * np.log(1 - A)).sum(axis=1),
    )
    np.testing.assert_allclose(
        HEADS["softmax"].loss(Z, onehot),
        -(onehot * np.log(softmax(Z, axis=1))).sum(axis=1),
    )
    np.testing.assert_allclose(
        HEADS["identity"].loss(Z, Y01), 0.5 * ((Z - Y01) ** 2).sum(axis=1)
    )
    np.testing.assert_allclose(
        HEADS["relu"].loss(Z, Y01), 0.5 * ((np.maximum(Z, 0) - Y01) ** 2).sum(axis=1)
    )


@pytest.mark.parametrize("head", ["logistic", "softmax"])
def test_classifier_losses_are_finite_for_huge_logits(head):
    Z = np.array([[1e300, -1e300, 0.0], [-1e300, 1e300, 5.0]])
    Y = np.eye(3)[[0, 1]]
    assert np.isfinite(HEADS[head].loss(Z, Y)).all()
    assert np.isfinite(HEADS[head].delta(Z, Y)).all()


@pytest.mark.parametrize("head", sorted(HEADS))
def test_the_baseline_is_the_best_constant_prediction(head):
    rng = np.random.RandomState(0)
    Y = _target(head, rng, 200)
    w = rng.uniform(0.5, 2, size=200)
    baseline = HEADS[head].baseline(Y, w)
    p = np.average(Y, axis=0, weights=w)
    if head == "logistic":
        Z = np.log(p / (1 - p))
    elif head == "softmax":
        Z = np.log(p)
    else:
        Z = p
    best = np.average(HEADS[head].loss(np.tile(Z, (200, 1)), Y), weights=w)
    assert baseline == pytest.approx(best, rel=1e-10)
