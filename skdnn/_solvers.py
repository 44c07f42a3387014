"""Course step 6, one iteration at a time: the state of a gradient-descent fit.

A solver owns the parameters being trained and every buffer an iteration
needs, allocated once per fit. The estimator's loop (``_base.py``) calls
``forward_cost()`` then ``backward_update(learning_rate)`` ``max_iter`` times,
then ``finish()``.

Two solvers give the same iterates (up to rounding):

* :class:`GradientDescent` keeps every ``W[l]`` explicitly (feature space).
* :class:`SampleSpaceGradientDescent` keeps ``W[1]`` in the row space of
  ``X``. Every update of plain gradient descent adds
  ``-(learning_rate/sum(s)) X.T @ dZ[1]`` to ``W[1]`` and the L2 term scales
  it, so after any number of iterations::

      W[1] = c * W1_0 + X.T @ C        (c a scalar, C of shape (m, n_1))

  With ``G = X @ X.T`` and ``P = X @ W1_0`` computed once,
  ``Z[1] = X @ W[1] + b = c P + G C + b`` costs ``O(m^2 n_1)`` instead of
  ``O(m n_0 n_1)``: much cheaper when there are more features than samples
  (the cat images: 209 samples, 12288 features). ``W[1]`` itself is formed
  once, at the end.
"""

import numpy as np

from ._engine import (
    backward_propagation,
    compute_cost,
    forward_propagation,
    output_delta,
    update_parameters,
)
from .activations import ACTIVATIONS, DERIVATIVES


class GradientDescent:
    """Full-batch gradient descent with every weight matrix explicit.

    Parameters
    ----------
    X : ndarray of shape (m, n_0)
        Training data; never copied.
    y, sample_weight : ndarray of shape (m,)
    coefs, intercepts : lists of ndarray
        Initial parameters, updated in place.
    activation : str
    alpha : float
    """

    def __init__(self, X, y, sample_weight, coefs, intercepts, activation, alpha):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.coefs, self.intercepts = coefs, intercepts
        self.activation, self.alpha = activation, alpha
        m, dtype = X.shape[0], X.dtype
        self._Z = [np.empty((m, W.shape[1]), dtype=dtype) for W in coefs]
        self._grads = (
            [np.empty_like(W) for W in coefs],
            [np.empty_like(b) for b in intercepts],
            [np.empty((m, W.shape[1]), dtype=dtype) for W in coefs],
        )
        self._cache = None

    def forward_cost(self):
        """Steps 2 and 3: forward pass and cost of the current parameters."""
        self._cache = forward_propagation(
            self.X, self.coefs, self.intercepts, self.activation, out=self._Z
        )
        return compute_cost(
            self._cache[-1], self.y, self.sample_weight, self.coefs, self.alpha
        )

    def backward_update(self, learning_rate):
        """Steps 4 and 5, from the cache of the last :meth:`forward_cost`."""
        grads = backward_propagation(
            self._cache,
            self.y,
            self.sample_weight,
            self.coefs,
            self.activation,
            self.alpha,
            out=self._grads,
        )
        update_parameters(self.coefs, self.intercepts, *grads, learning_rate)

    def finish(self):
        """Write the final parameters into ``coefs`` and free the buffers."""
        self._cache = self._Z = self._grads = None


class SampleSpaceGradientDescent(GradientDescent):
    """Full-batch gradient descent with ``W[1] = c W1_0 + X.T @ C`` implicit.

    Same parameters as :class:`GradientDescent`; ``coefs[0]`` holds ``W1_0``
    until :meth:`finish` turns it into the trained ``W[1]``.
    """

    def __init__(self, X, y, sample_weight, coefs, intercepts, activation, alpha):
        super().__init__(X, y, sample_weight, coefs, intercepts, activation, alpha)
        W1_0 = coefs[0]
        self._G = X @ X.T  # (m, m)
        self._P = X @ W1_0  # (m, n_1)
        self._C = np.zeros_like(self._P)
        self._c = 1.0
        self._W1_0_squared_norm = np.vdot(W1_0, W1_0)
        self._grads[0][0] = None  # dW[1] is never formed

    def _first_layer_squared_norm(self, GC):
        """``||W[1]||^2 = c^2 ||W1_0||^2 + 2c <P, C> + <C, G C>``."""
        c, C = self._c, self._C
        return (
            c * c * self._W1_0_squared_norm
            + 2 * c * np.vdot(self._P, C)
            + np.vdot(C, GC)
        )

    def forward_cost(self):
        Z1 = np.matmul(self._G, self._C, out=self._Z[0])  # G C
        first_norm = self._first_layer_squared_norm(Z1) if self.alpha else 0.0
        if self._c != 1.0:
            Z1 += self._c * self._P
        else:
            Z1 += self._P
        Z1 += self.intercepts[0]  # Z[1] = c P + G C + b[1]
        if len(self.coefs) > 1:
            ACTIVATIONS[self.activation](Z1)  # A[1] = g(Z[1])
            rest = forward_propagation(
                Z1, self.coefs[1:], self.intercepts[1:], self.activation, self._Z[1:]
            )
        else:
            rest = [Z1]
        self._cache = [self.X, *rest]
        return compute_cost(
            self._cache[-1],
            self.y,
            self.sample_weight,
            self.coefs[1:],
            self.alpha,
            extra_squared_norm=first_norm,
        )

    def backward_update(self, learning_rate):
        coef_grads, intercept_grads, deltas = self._grads
        if len(self.coefs) > 1:
            A1 = self._cache[1]
            grads = backward_propagation(
                self._cache[1:],
                self.y,
                self.sample_weight,
                self.coefs[1:],
                self.activation,
                self.alpha,
                out=(coef_grads[1:], intercept_grads[1:], deltas[1:]),
                return_input_gradient=True,
            )
            dZ1 = grads[2]
            DERIVATIVES[self.activation](A1, dZ1)  # dZ[1] = dA[1] * g'(Z[1])
            update_parameters(
                self.coefs[1:], self.intercepts[1:], *grads[:2], learning_rate
            )
        else:
            dZ1 = output_delta(
                self._cache[-1], self.y, self.sample_weight, out=deltas[0]
            )
        inv_sw_sum = 1 / self.sample_weight.sum()
        # W[1] := W[1] - lr (inv X.T dZ[1] + alpha inv W[1])
        #       = (1 - lr alpha inv) W[1] - lr inv X.T dZ[1]
        decay = 1 - learning_rate * self.alpha * inv_sw_sum
        if decay != 1:
            self._c *= decay
            self._C *= decay
        dZ1 *= learning_rate * inv_sw_sum
        self._C -= dZ1
        # b[1] := b[1] - lr inv sum(dZ[1]); dZ1 already holds lr inv dZ[1]
        self.intercepts[0] -= dZ1.sum(axis=0)

    def finish(self):
        W1 = self.coefs[0]
        W1 *= self._c
        W1 += self.X.T @ self._C
        self._G = self._P = self._C = None
        super().finish()


SOLVERS = {"feature": GradientDescent, "sample": SampleSpaceGradientDescent}


def choose_space(space, n_samples, n_features, n_first, max_iter):
    """Resolve ``space="auto"``: the sample space when it costs fewer
    multiply-adds over the whole fit (and ``G`` is smaller than ``X``).

    Feature space: ``2 m n_0 n_1`` per iteration (forward and backward
    products with ``X``). Sample space: ``m^2 n_0 + 2 m n_0 n_1`` once (``G``,
    ``P``, the final ``W[1]``) and ``m^2 n_1`` per iteration.
    """
    if space != "auto":
        return space
    m, n0, n1 = n_samples, n_features, n_first
    feature = 2 * m * n0 * n1 * max_iter
    sample = m * m * n0 + 2 * m * n0 * n1 + m * m * n1 * max_iter
    return "sample" if n0 > m and sample < feature else "feature"
