"""Activation functions and their derivatives, as two lookup tables.

The course (week 3, "Activation functions") names sigmoid, tanh, ReLU, leaky
ReLU and, for a regression output, the identity. Each entry of
:data:`ACTIVATIONS` computes ``A = g(Z)`` **in place** on an array ``Z`` of
shape ``(n_samples, n_units)``. Each entry of :data:`DERIVATIVES` takes the
activation output ``A`` and the upstream gradient ``dA`` and turns ``dA`` into
``dZ = dA * g'(Z)`` in place (the course's ``activation_backward``). Every
derivative here can be written from ``A`` alone, so the forward pass only has
to keep ``A[l]`` for the backward pass.

Adding an activation means adding one function to each table.
"""

import numpy as np
from scipy.special import expit, log_expit

#: Slope of leaky ReLU for negative inputs, as in the course: ``max(0.01 z, z)``.
LEAKY_RELU_SLOPE = 0.01


def sigmoid(z, out=None):
    """Numerically stable logistic sigmoid ``1 / (1 + exp(-z))``.

    Never overflows, whatever the magnitude of ``z`` (``scipy.special.expit``).

    Parameters
    ----------
    z : ndarray
        Logits.
    out : ndarray, optional
        Array of the shape of ``z`` to write the result into.

    Returns
    -------
    a : ndarray
        ``sigmoid(z)``, in (0, 1) up to rounding.
    """
    return expit(z, out=out)


def log_sigmoid(z, out=None):
    """Numerically stable ``log(sigmoid(z)) = -log(1 + exp(-z))``.

    Exact for large ``|z|``: ``log_sigmoid(-800)`` is ``-800``, not ``-inf``
    (``scipy.special.log_expit``).

    Parameters
    ----------
    z : ndarray
        Logits.
    out : ndarray, optional
        Array of the shape of ``z`` to write the result into.

    Returns
    -------
    log_a : ndarray
        ``log(sigmoid(z))``, finite for every finite ``z``.
    """
    return log_expit(z, out=out)


# -- forward: A = g(Z), computed in place on Z --------------------------------


def inplace_identity(Z):
    """``g(z) = z``: nothing to do."""


def inplace_relu(Z):
    """``g(z) = max(0, z)``."""
    np.maximum(Z, 0, out=Z)


def inplace_leaky_relu(Z):
    """``g(z) = max(0.01 z, z)``."""
    np.maximum(Z, LEAKY_RELU_SLOPE * Z, out=Z)


def inplace_tanh(Z):
    """``g(z) = tanh(z)``."""
    np.tanh(Z, out=Z)


def inplace_sigmoid(Z):
    """``g(z) = 1 / (1 + exp(-z))`` (stable)."""
    sigmoid(Z, out=Z)


ACTIVATIONS = {
    "identity": inplace_identity,
    "relu": inplace_relu,
    "leaky_relu": inplace_leaky_relu,
    "tanh": inplace_tanh,
    "sigmoid": inplace_sigmoid,
    "logistic": inplace_sigmoid,
}


# -- backward: dZ = dA * g'(Z), computed in place on dA from A = g(Z) ------------


def inplace_identity_derivative(A, dA):
    """``g'(z) = 1``: ``dZ = dA``."""


def inplace_relu_derivative(A, dA):
    """``g'(z) = 1 if z > 0 else 0``; ``z > 0`` exactly where ``a > 0``."""
    # a multiply by the 0/1 mask is ~10x faster than a masked assignment
    np.multiply(dA, A > 0, out=dA)


def inplace_leaky_relu_derivative(A, dA):
    """``g'(z) = 1 if z > 0 else 0.01``; ``z > 0`` exactly where ``a > 0``."""
    one, slope = dA.dtype.type(1), dA.dtype.type(LEAKY_RELU_SLOPE)
    np.multiply(dA, np.where(A > 0, one, slope), out=dA)


def inplace_tanh_derivative(A, dA):
    """``g'(z) = 1 - tanh(z)**2 = 1 - a**2``."""
    dA *= 1 - A**2


def inplace_sigmoid_derivative(A, dA):
    """``g'(z) = sigmoid(z) (1 - sigmoid(z)) = a (1 - a)``."""
    dA *= A * (1 - A)


DERIVATIVES = {
    "identity": inplace_identity_derivative,
    "relu": inplace_relu_derivative,
    "leaky_relu": inplace_leaky_relu_derivative,
    "tanh": inplace_tanh_derivative,
    "sigmoid": inplace_sigmoid_derivative,
    "logistic": inplace_sigmoid_derivative,
}
