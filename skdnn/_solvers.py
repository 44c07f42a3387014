"""Course step 6 and course 2's optimisers: the state of a fit.

A *trainer* owns the parameters being trained and every buffer an iteration
needs, allocated once per fit. The estimator's loop (``_base.py``) calls, for
each (mini-)batch, ``forward_cost(X, y, s)`` then ``backward_update(lr)``, and
``finish()`` at the end.

* :class:`FeatureSpaceTrainer` keeps every ``W[l]`` explicitly and updates
  them with an optimiser from :data:`OPTIMIZERS` (``gd``, ``momentum``,
  ``adam``).
* :class:`SampleSpaceTrainer` (plain full-batch gradient descent only) keeps
  ``W[1]`` in the row space of ``X``. Every gradient-descent update adds
  ``-(learning_rate/sum(s)) X.T @ dZ[1]`` to ``W[1]`` and the L2 term scales
  it, so after any number of iterations::

      W[1] = c * W1_0 + X.T @ C        (c a scalar, C of shape (m, n_1))

  With ``G = X @ X.T`` and ``P = X @ W1_0`` computed once,
  ``Z[1] = X @ W[1] + b = c P + G C + b`` costs ``O(m^2 n_1)`` instead of
  ``O(m n_0 n_1)``: much cheaper when there are more features than samples
  (the cat images: 209 samples, 12288 features). ``W[1]`` itself is formed
  once, at the end. Both trainers give the same iterates up to rounding.
"""

import numpy as np

from ._engine import (
    backward_propagation,
    compute_cost,
    draw_dropout_masks,
    forward_propagation,
    output_delta,
    predict_logit,
    update_parameters,
)
from .activations import ACTIVATIONS, DERIVATIVES

# -- optimisers (course 2, "Optimization algorithms") -------------------------


class GradientDescentOptimizer:
    """``theta := theta - learning_rate * dtheta`` (course 1, step 5).

    Its trainers compute ``learning_rate * dtheta`` directly (the ``scale``
    of :func:`~skdnn._engine.backward_propagation`) and pass
    ``learning_rate=1``: one pass over the weights instead of two.
    """

    #: update() may get gradients already multiplied by the learning rate
    takes_scaled_gradients = True

    def __init__(self, coefs, intercepts, **hyper_parameters):
        pass

    def update(self, coefs, intercepts, coef_grads, intercept_grads, learning_rate):
        update_parameters(coefs, intercepts, coef_grads, intercept_grads, learning_rate)


class MomentumOptimizer:
    """Gradient descent with momentum (``update_parameters_with_momentum``).

    The update::

        v := beta v + (1 - beta) dtheta
        theta := theta - learning_rate v
    """

    takes_scaled_gradients = False

    def __init__(self, coefs, intercepts, *, momentum, **hyper_parameters):
        self.beta = momentum
        self.velocities = [np.zeros_like(p) for p in coefs + intercepts]

    def update(self, coefs, intercepts, coef_grads, intercept_grads, learning_rate):
        grads = coef_grads + intercept_grads
        for theta, v, g in zip(coefs + intercepts, self.velocities, grads, strict=True):
            v *= self.beta
            g *= 1 - self.beta
            v += g
            theta -= learning_rate * v


class AdamOptimizer:
    """Adam (``update_parameters_with_adam``), with bias correction.

    The update::

        v := beta_1 v + (1 - beta_1) dtheta        v_hat = v / (1 - beta_1^t)
        s := beta_2 s + (1 - beta_2) dtheta^2      s_hat = s / (1 - beta_2^t)
        theta := theta - learning_rate v_hat / (sqrt(s_hat) + epsilon)
    """

    takes_scaled_gradients = False

    def __init__(self, coefs, intercepts, *, beta_1, beta_2, epsilon, **hyper):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.v = [np.zeros_like(p) for p in coefs + intercepts]
        self.s = [np.zeros_like(p) for p in coefs + intercepts]

    def update(self, coefs, intercepts, coef_grads, intercept_grads, learning_rate):
        self.t += 1
        v_correction = 1 - self.beta_1**self.t
        s_correction = 1 - self.beta_2**self.t
        grads = coef_grads + intercept_grads
        for theta, v, s, g in zip(
            coefs + intercepts, self.v, self.s, grads, strict=True
        ):
            v *= self.beta_1
            v += (1 - self.beta_1) * g
            s *= self.beta_2
            s += (1 - self.beta_2) * g * g
            step = np.sqrt(s / s_correction)
            step += self.epsilon
            np.divide(v / v_correction, step, out=step)
            step *= learning_rate
            theta -= step


OPTIMIZERS = {
    "gd": GradientDescentOptimizer,
    "momentum": MomentumOptimizer,
    "adam": AdamOptimizer,
}


# -- trainers ------------------------------------------------------------------


class ExplicitParameters:
    """What early stopping and callbacks ask of a trainer that holds every
    ``W[l]`` and ``b[l]`` explicitly, in ``coefs`` and ``intercepts``."""

    def snapshot(self):
        """A copy of the current parameters, for :meth:`restore`."""
        return [p.copy() for p in self.coefs + self.intercepts]

    def restore(self, snapshot):
        for p, saved in zip(self.coefs + self.intercepts, snapshot, strict=True):
            p[...] = saved

    def parameters(self):
        """Copies of the current ``coefs_`` and ``intercepts_``."""
        return [W.copy() for W in self.coefs], [b.copy() for b in self.intercepts]


class FeatureSpaceTrainer(ExplicitParameters):
    """Trains ``coefs`` and ``intercepts`` in place, any optimiser, any batch.

    Parameters
    ----------
    coefs, intercepts : lists of ndarray
        Initial parameters, updated in place.
    activations : list of str
        One hidden activation per hidden layer.
    alpha : float
    optimizer : object
        An instance of one of :data:`OPTIMIZERS`.
    keep_probs : list of float
        Dropout keep probability per hidden layer (1 = no dropout).
    rng : RandomState
        Draws the dropout masks.
    max_rows : int
        Largest batch; the buffers are allocated for it once.
    """

    def __init__(
        self,
        coefs,
        intercepts,
        activations,
        alpha,
        optimizer,
        keep_probs,
        rng,
        max_rows,
    ):
        self.coefs, self.intercepts = coefs, intercepts
        self.activations, self.alpha = activations, alpha
        self.optimizer, self.keep_probs, self.rng = optimizer, keep_probs, rng
        dtype = coefs[0].dtype
        widths = [W.shape[1] for W in coefs]
        self._Z = [np.empty((max_rows, n), dtype=dtype) for n in widths]
        self._deltas = [np.empty((max_rows, n), dtype=dtype) for n in widths]
        self._coef_grads = [np.empty_like(W) for W in coefs]
        self._intercept_grads = [np.empty_like(b) for b in intercepts]
        self._batch = None

    def forward_cost(self, X, y, sample_weight):
        """Steps 2 and 3 on one batch: forward pass (with dropout, if any) and
        cost of the current parameters."""
        m = X.shape[0]
        dropout = None
        if any(p < 1 for p in self.keep_probs):
            hidden = [W.shape[1] for W in self.coefs[:-1]]
            dropout = draw_dropout_masks(self.rng, m, hidden, self.keep_probs, X.dtype)
        cache = forward_propagation(
            X,
            self.coefs,
            self.intercepts,
            self.activations,
            out=[Z[:m] for Z in self._Z],
            dropout=dropout,
        )
        self._batch = (cache, y, sample_weight, dropout)
        return compute_cost(cache[-1], y, sample_weight, self.coefs, self.alpha)

    def backward_update(self, learning_rate):
        """Steps 4 and 5 on the batch of the last :meth:`forward_cost`."""
        cache, y, sample_weight, dropout = self._batch
        m = y.shape[0]
        scale = learning_rate if self.optimizer.takes_scaled_gradients else 1.0
        coef_grads, intercept_grads = backward_propagation(
            cache,
            y,
            sample_weight,
            self.coefs,
            self.activations,
            self.alpha,
            out=(
                self._coef_grads,
                self._intercept_grads,
                [d[:m] for d in self._deltas],
            ),
            dropout=dropout,
            scale=scale,
        )
        self.optimizer.update(
            self.coefs,
            self.intercepts,
            coef_grads,
            intercept_grads,
            learning_rate / scale,
        )

    def logit(self, X):
        """``Z[L]`` of the current parameters, without dropout."""
        return predict_logit(X, self.coefs, self.intercepts, self.activations)

    def finish(self):
        """Leave the final parameters in ``coefs`` and free the buffers."""
        self._Z = self._deltas = self._coef_grads = self._intercept_grads = None
        self._batch = None


class SampleSpaceTrainer:
    """Full-batch plain gradient descent with ``W[1] = c W1_0 + X.T @ C``.

    ``coefs[0]`` holds ``W1_0`` until :meth:`finish` turns it into the
    trained ``W[1]``. Every call of :meth:`forward_cost` must pass the ``X``
    given here.

    Parameters
    ----------
    X : ndarray of shape (m, n_0)
    coefs, intercepts, activations, alpha
        As for :class:`FeatureSpaceTrainer`.
    """

    def __init__(self, X, coefs, intercepts, activations, alpha):
        self.X = X
        self.coefs, self.intercepts = coefs, intercepts
        self.activations, self.alpha = activations, alpha
        W1_0 = coefs[0]
        self._G = X @ X.T  # (m, m)
        self._P = X @ W1_0  # (m, n_1)
        self._C = np.zeros_like(self._P)
        self._c = 1.0
        self._W1_0_squared_norm = np.vdot(W1_0, W1_0)
        m, widths = X.shape[0], [W.shape[1] for W in coefs]
        self._Z = [np.empty((m, n), dtype=X.dtype) for n in widths]
        self._deltas = [np.empty((m, n), dtype=X.dtype) for n in widths]
        self._coef_grads = [None] + [np.empty_like(W) for W in coefs[1:]]
        self._intercept_grads = [np.empty_like(b) for b in intercepts]
        self._cache = None
        self._rows = None  # (X, X @ W1_0, X @ X_train.T) for logit

    def _forward(self, GC, P, out=None):
        """``[A[1], ..., Z[L]]`` of rows whose ``G C`` is ``GC`` (completed
        in place) and ``X @ W1_0`` is ``P``: ``Z[1] = c P + G C + b[1]``,
        then the other layers as usual."""
        Z1 = GC
        if self._c != 1.0:
            Z1 += self._c * P
        else:
            Z1 += P
        Z1 += self.intercepts[0]  # Z[1] = c P + G C + b[1]
        if len(self.coefs) == 1:
            return [Z1]
        ACTIVATIONS[self.activations[0]](Z1)  # A[1] = g(Z[1])
        return forward_propagation(
            Z1, self.coefs[1:], self.intercepts[1:], self.activations[1:], out=out
        )

    def _first_layer_squared_norm(self, GC):
        """``||W[1]||^2 = c^2 ||W1_0||^2 + 2c <P, C> + <C, G C>``."""
        c, C = self._c, self._C
        return (
            c * c * self._W1_0_squared_norm
            + 2 * c * np.vdot(self._P, C)
            + np.vdot(C, GC)
        )

    def forward_cost(self, X, y, sample_weight):
        assert X is self.X, "the sample-space trainer trains on one X"
        self._y, self._sample_weight = y, sample_weight
        Z1 = np.matmul(self._G, self._C, out=self._Z[0])  # G C
        first_norm = self._first_layer_squared_norm(Z1) if self.alpha else 0.0
        rest = self._forward(Z1, self._P, out=self._Z[1:])
        self._cache = [X, *rest]
        return compute_cost(
            self._cache[-1],
            y,
            sample_weight,
            self.coefs[1:],
            self.alpha,
            extra_squared_norm=first_norm,
        )

    def backward_update(self, learning_rate):
        y, sample_weight = self._y, self._sample_weight
        if len(self.coefs) > 1:
            A1 = self._cache[1]
            coef_grads, intercept_grads, dZ1 = backward_propagation(
                self._cache[1:],
                y,
                sample_weight,
                self.coefs[1:],
                self.activations[1:],
                self.alpha,
                out=(
                    self._coef_grads[1:],
                    self._intercept_grads[1:],
                    self._deltas[1:],
                ),
                return_input_gradient=True,
                scale=learning_rate,  # lr dtheta, and dA[1] times lr
            )
            DERIVATIVES[self.activations[0]](A1, dZ1)  # dZ[1] = dA[1] * g'(Z[1])
            update_parameters(
                self.coefs[1:], self.intercepts[1:], coef_grads, intercept_grads, 1.0
            )
        else:
            dZ1 = output_delta(self._cache[-1], y, sample_weight, out=self._deltas[0])
            dZ1 *= learning_rate / sample_weight.sum()
        # dZ1 now holds lr inv dZ[1], with inv = 1 / sum(s)
        inv_sw_sum = 1 / sample_weight.sum()
        # W[1] := W[1] - lr (inv X.T dZ[1] + alpha inv W[1])
        #       = (1 - lr alpha inv) W[1] - lr inv X.T dZ[1]
        decay = 1 - learning_rate * self.alpha * inv_sw_sum
        if decay != 1:
            self._c *= decay
            self._C *= decay
        self._C -= dZ1
        # b[1] := b[1] - lr inv sum(dZ[1]); dZ1 already holds lr inv dZ[1]
        self.intercepts[0] -= dZ1.sum(axis=0)

    def _first_coef(self):
        """``W[1]``, formed: ``c W1_0 + X.T @ C`` (after :meth:`finish`,
        ``coefs[0]`` holds it)."""
        if self._C is None:
            return self.coefs[0].copy()
        return self._c * self.coefs[0] + self.X.T @ self._C

    def logit(self, X):
        """``Z[L]`` of other rows (the validation set of early stopping),
        through their ``X @ W1_0`` and ``X @ X_train.T``, computed once, so
        that ``W[1]`` is never formed."""
        if self._rows is None or self._rows[0] is not X:
            self._rows = (X, X @ self.coefs[0], X @ self.X.T)
        _, P, G = self._rows
        return self._forward(G @ self._C, P)[-1].ravel()

    def snapshot(self):
        return (self._c, self._C.copy(), [p.copy() for p in self.coefs[1:]]), [
            b.copy() for b in self.intercepts
        ]

    def restore(self, snapshot):
        (self._c, C, coefs), intercepts = snapshot
        self._C[...] = C
        for p, saved in zip(
            self.coefs[1:] + self.intercepts, coefs + intercepts, strict=True
        ):
            p[...] = saved

    def parameters(self):
        coefs = [self._first_coef(), *(W.copy() for W in self.coefs[1:])]
        return coefs, [b.copy() for b in self.intercepts]

    def finish(self):
        self.coefs[0][...] = self._first_coef()
        self._G = self._P = self._C = self._Z = self._deltas = self._cache = None
        self._rows = None
        self._coef_grads = self._intercept_grads = None


def choose_space(n_samples, n_features, n_first, max_iter):
    """What ``space="auto"`` picks: ``"sample"`` when the sample space costs
    fewer multiply-adds over the whole fit (and ``G`` is smaller than ``X``),
    else ``"feature"``.

    Feature space: ``2 m n_0 n_1`` per iteration (forward and backward
    products with ``X``). Sample space: ``m^2 n_0 + 2 m n_0 n_1`` once (``G``,
    ``P``, the final ``W[1]``) and ``m^2 n_1`` per iteration.
    """
    m, n0, n1 = n_samples, n_features, n_first
    feature = 2 * m * n0 * n1 * max_iter
    sample = m * m * n0 + 2 * m * n0 * n1 + m * m * n1 * max_iter
    return "sample" if n0 > m and sample < feature else "feature"
