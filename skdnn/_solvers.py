"""Course step 5 and course 2's optimisers: how the parameters move.

Every optimiser updates **one flat vector** ``theta`` of all the network's
parameters (see :class:`~skdnn._trainers.PackedParameters`) from the flat
vector of their gradients ``dtheta``, so that an update is a few
whole-buffer NumPy calls. It owns the learning rate and its schedule, as
scikit-learn's ``BaseOptimizer`` does: the trainer tells it when an epoch
starts (:meth:`BaseOptimizer.start_epoch`), it sets ``learning_rate`` to the
course 2 decay ``learning_rate_init / (1 + decay * epoch)``, and nothing else
in skdnn scales a gradient.

Adding an optimiser is one class and one entry of :data:`OPTIMIZERS`.
"""

import math

import numpy as np

from ._engine import update_parameters


class BaseOptimizer:
    """The learning rate and its schedule, shared by every optimiser.

    Parameters
    ----------
    n_parameters : int
        Length of the flat parameter vector.
    dtype : numpy dtype
        Its dtype (float32 or float64).
    learning_rate_init : float
        The step size of the first epoch (the estimator's ``learning_rate``).
    decay : float, default=0.0
        Course 2's decay: epoch ``e`` uses
        ``learning_rate_init / (1 + decay * e)``.
    """

    def __init__(self, n_parameters, dtype, learning_rate_init, decay=0.0, **_):
        self.learning_rate_init = learning_rate_init
        self.decay = decay
        self.learning_rate = learning_rate_init

    def start_epoch(self, epoch):
        """Set ``learning_rate`` for epoch ``epoch`` (counted from 0 over the
        whole life of the estimator, warm starts included)."""
        self.learning_rate = self.learning_rate_init / (1 + self.decay * epoch)

    def update(self, theta, dtheta):
        """Move ``theta`` in place; ``dtheta`` may be overwritten."""
        raise NotImplementedError


class GradientDescentOptimizer(BaseOptimizer):
    """``theta := theta - learning_rate * dtheta`` (course 1, step 5)."""

    def update(self, theta, dtheta):
        update_parameters(theta, dtheta, self.learning_rate)


class MomentumOptimizer(BaseOptimizer):
    """The course's momentum (``update_parameters_with_momentum``).

    A running average of the gradients::

        v := beta v + (1 - beta) dtheta
        theta := theta - learning_rate v
    """

    def __init__(self, n_parameters, dtype, learning_rate_init, *, momentum, **kw):
        super().__init__(n_parameters, dtype, learning_rate_init, **kw)
        self.beta = momentum
        self.velocity = np.zeros(n_parameters, dtype=dtype)

    def update(self, theta, dtheta):
        v = self.velocity
        v *= self.beta
        dtheta *= 1 - self.beta
        v += dtheta
        update_parameters(theta, v, self.learning_rate)


class SGDOptimizer(BaseOptimizer):
    """scikit-learn's ``solver="sgd"`` (``SGDOptimizer``).

    The same update, so that MLPClassifier's settings carry over::

        v := momentum v - learning_rate dtheta
        theta := theta + v                                   (plain)
        theta := theta + momentum v - learning_rate dtheta   (Nesterov)
    """

    def __init__(
        self,
        n_parameters,
        dtype,
        learning_rate_init,
        *,
        momentum,
        nesterovs_momentum,
        **kw,
    ):
        super().__init__(n_parameters, dtype, learning_rate_init, **kw)
        self.momentum = momentum
        self.nesterov = nesterovs_momentum
        self.velocity = np.zeros(n_parameters, dtype=dtype)

    def update(self, theta, dtheta):
        v = self.velocity
        v *= self.momentum
        update_parameters(v, dtheta, self.learning_rate)  # v -= lr dtheta
        if self.nesterov:
            update_parameters(theta, v, -self.momentum)  # theta += momentum v
            update_parameters(theta, dtheta, self.learning_rate)
        else:
            theta += v


class AdamOptimizer(BaseOptimizer):
    """Adam (``update_parameters_with_adam``).

    With bias correction::

        v := beta_1 v + (1 - beta_1) dtheta        v_hat = v / (1 - beta_1^t)
        s := beta_2 s + (1 - beta_2) dtheta^2      s_hat = s / (1 - beta_2^t)
        theta := theta - learning_rate v_hat / (sqrt(s_hat) + epsilon)
    """

    def __init__(
        self, n_parameters, dtype, learning_rate_init, *, beta_1, beta_2, epsilon, **kw
    ):
        super().__init__(n_parameters, dtype, learning_rate_init, **kw)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.v = np.zeros(n_parameters, dtype=dtype)
        self.s = np.zeros(n_parameters, dtype=dtype)
        self._step = np.empty(n_parameters, dtype=dtype)

    def update(self, theta, dtheta):
        self.t += 1
        v_correction = 1 - self.beta_1**self.t
        s_correction = 1 - self.beta_2**self.t
        v, s, step = self.v, self.s, self._step
        v *= self.beta_1
        np.multiply(dtheta, 1 - self.beta_1, out=step)
        v += step  # v := beta_1 v + (1 - beta_1) dtheta
        np.multiply(dtheta, dtheta, out=dtheta)
        dtheta *= 1 - self.beta_2
        s *= self.beta_2
        s += dtheta  # s := beta_2 s + (1 - beta_2) dtheta^2
        # v_hat / (sqrt(s_hat) + eps) = c v / (sqrt(s) + eps c), c = sqrt(s_corr);
        # Python floats (math, not np.sqrt) keep float32 math in float32, and
        # the scratch buffer spares every allocation
        c = math.sqrt(s_correction)
        np.sqrt(s, out=step)
        step += self.epsilon * c
        np.divide(v, step, out=step)
        step *= self.learning_rate * c / v_correction
        theta -= step

    def __getstate__(self):
        state = dict(vars(self))
        state["_step"] = None  # scratch space, rebuilt on unpickling
        return state

    def __setstate__(self, state):
        vars(self).update(state)
        self._step = np.empty_like(self.v)


#: The gradient-based optimisers, by ``solver`` name. ``"lbfgs"`` is not an
#: optimiser of this kind: scipy drives it (see :mod:`skdnn._trainers`).
OPTIMIZERS = {
    "gd": GradientDescentOptimizer,
    "momentum": MomentumOptimizer,
    "sgd": SGDOptimizer,
    "adam": AdamOptimizer,
}
