"""Gradient checking as the course does it, for the tests: central
differences of a cost, and the ratio that compares them with a gradient."""

import numpy as np


def numerical_gradients(params, cost, epsilon=1e-6):
    """Central differences ``(J(theta + e) - J(theta - e)) / 2e`` for every
    entry of every array in ``params`` (perturbed in place, then restored)."""
    grads = []
    for theta in params:
        grad = np.zeros_like(theta)
        for idx in np.ndindex(theta.shape):
            saved = theta[idx]
            theta[idx] = saved + epsilon
            plus = cost()
            theta[idx] = saved - epsilon
            minus = cost()
            theta[idx] = saved
            grad[idx] = (plus - minus) / (2 * epsilon)
        grads.append(grad)
    return grads


def relative_difference(a, b):
    """The course's gradient-checking ratio ``||a - b|| / (||a|| + ||b||)``."""
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))
