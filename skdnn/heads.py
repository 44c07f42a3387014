"""Output layers and their losses, as one lookup table (:data:`HEADS`).

A *head* is the course's last step for one kind of target: the output
activation ``A[L] = g(Z[L])``, the loss of each sample computed stably from
the logits ``Z[L]``, and the output delta ``dZ[L] = dJ/dZ[L]`` (per sample,
before the weights ``s_i / sum(s)``). Every array is 2-D, ``(m, k)`` with
``k`` outputs; the losses are ``(m,)``.

* ``logistic``: ``A = sigmoid(Z)``, loss
  ``-sum_k y log(a) + (1 - y) log(1 - a)``, ``dZ = A - Y``;
* ``softmax``: ``A = softmax(Z)``, loss ``-sum_k y log(a)``, ``dZ = A - Y``;
* ``identity``: ``A = Z``, loss ``1/2 ||a - y||^2``, ``dZ = A - Y``;
* ``relu``: ``A = max(0, Z)``, loss ``1/2 ||a - y||^2``,
  ``dZ = (A - Y) [Z > 0]``.

``logistic`` is binary and multilabel (independent sigmoids), ``softmax``
multiclass (categorical cross-entropy, through ``log_softmax``).
The names are scikit-learn's ``out_activation_`` values (``relu`` is the
seeds' housing-price neuron). Sigmoid with cross-entropy and softmax with
categorical cross-entropy both simplify to ``a - y`` (course 1 week 4,
course 2 week 3), which is exact even where ``a`` rounds to 0 or 1.
Every loss is finite for every finite ``z``.

Adding a head is one :class:`Head` entry here and one gradient check.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import expit, log_expit, xlogy


class Head(NamedTuple):
    """One output layer and its loss.

    Attributes
    ----------
    activation : callable
        ``activation(Z) -> A`` (a new array).
    loss : callable
        ``loss(Z, Y) -> (m,)``, each sample's loss, stable for any finite ``Z``.
    delta : callable
        ``delta(Z, Y, out) -> dZ``: ``dloss/dZ`` per sample, written into
        ``out`` (of the shape of ``Z``) when given.
    baseline : callable
        ``baseline(Y, w) -> float``: the mean loss (weights ``w``) of the best
        constant prediction, the cost a fit that learns nothing ends at.
    start_bias : callable or None
        ``start_bias(Y, w) -> (k,)``: the output layer's bias at the start of
        a fit, instead of the course's zeros.
    """

    activation: object
    loss: object
    delta: object
    baseline: object
    start_bias: object = None


def logistic_loss(Z, Y):
    """Cross-entropy of independent sigmoids,
    ``-sum_k (y log(a) + (1 - y) log(1 - a))`` with ``a = sigmoid(z)``.

    For labels ``y`` in {0, 1} the loss of one output is ``-log_sigmoid(z)``
    (``y = 1``) or ``-log_sigmoid(-z)`` (``y = 0``), that is
    ``-log_sigmoid((2y - 1) z)``: the same numbers as the two-term formula
    (the flip of sign is exact), accurate even where the loss is tiny
    (``softplus(z) - y z`` would cancel), in three passes instead of six.
    """
    signed = Y + Y
    signed -= 1
    signed *= Z
    loss = log_expit(signed, out=signed)
    return -loss.sum(axis=1)


def _weighted_mean(Y, w):
    return np.average(Y, axis=0, weights=w)


def logistic_baseline(Y, w):
    """Sum over the outputs of the entropy of each output's weighted mean."""
    p = _weighted_mean(Y, w)
    return float(np.sum(-xlogy(p, p) - xlogy(1 - p, 1 - p)))


def softmax_baseline(Y, w):
    """The entropy of the weighted class shares."""
    p = _weighted_mean(Y, w)
    return float(np.sum(-xlogy(p, p)))


def squared_baseline(Y, w):
    """Half the weighted variance of each output, summed."""
    return float(
        0.5 * np.sum(np.average((Y - _weighted_mean(Y, w)) ** 2, axis=0, weights=w))
    )


def logistic_delta(Z, Y, out=None):
    """``dZ = sigmoid(z) - y``."""
    dZ = expit(Z, out=out)
    dZ -= Y
    return dZ


def softmax_activation(Z):
    """``a = exp(z) / sum_k exp(z)``, stable."""
    return np.exp(log_softmax(Z))


def log_softmax(Z, out=None):
    """``log(softmax(z)) = z - max(z) - log(sum(exp(z - max(z))))``, stable
    (nothing above 0 is exponentiated), in NumPy: a few passes, against
    scipy's more general one that cost 5x more per batch."""
    S = np.subtract(Z, Z.max(axis=1, keepdims=True), out=out)
    S -= np.log(np.exp(S).sum(axis=1, keepdims=True))
    return S


def softmax_loss(Z, Y):
    """Categorical cross-entropy ``-sum_k y log(softmax(z))``, through the
    stable :func:`log_softmax`."""
    return -np.einsum("ij,ij->i", Y, log_softmax(Z))


def softmax_delta(Z, Y, out=None):
    """``dZ = softmax(z) - y``, as ``exp(log_softmax(z)) - y``."""
    dZ = log_softmax(Z, out=out)
    np.exp(dZ, out=dZ)
    dZ -= Y
    return dZ


def identity_activation(Z):
    """``a = z`` (a copy)."""
    return Z.copy()


def squared_loss(Z, Y):
    """``1/2 ||z - y||^2`` per sample (MLPRegressor's convention)."""
    residual = Z - Y
    return 0.5 * np.einsum("ij,ij->i", residual, residual)


def squared_delta(Z, Y, out=None):
    """``dZ = z - y``."""
    return np.subtract(Z, Y, out=out)


def relu_activation(Z):
    """``a = max(0, z)``."""
    return np.maximum(Z, 0)


def relu_squared_loss(Z, Y):
    """``1/2 ||max(0, z) - y||^2`` per sample."""
    return squared_loss(relu_activation(Z), Y)


def relu_start_bias(Y, w):
    """The positive part of the target's weighted mean: a ReLU output that
    starts off for every sample (``z < 0``) has no gradient and never moves,
    which a zero bias and a negative first weight would give."""
    return np.maximum(_weighted_mean(Y, w), 0)


def relu_squared_delta(Z, Y, out=None):
    """``dZ = (max(0, z) - y) * [z > 0]``."""
    dZ = np.subtract(np.maximum(Z, 0), Y, out=out)
    dZ *= Z > 0
    return dZ


#: The heads, by ``out_activation_`` name.
HEADS = {
    "logistic": Head(expit, logistic_loss, logistic_delta, logistic_baseline),
    "softmax": Head(softmax_activation, softmax_loss, softmax_delta, softmax_baseline),
    "identity": Head(
        identity_activation, squared_loss, squared_delta, squared_baseline
    ),
    "relu": Head(
        relu_activation,
        relu_squared_loss,
        relu_squared_delta,
        squared_baseline,
        relu_start_bias,
    ),
}
