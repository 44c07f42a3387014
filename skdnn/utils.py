"""Debugging tools for the course's networks."""

import copy
import warnings
from numbers import Real

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    check_X_y,
    validate_data,
)

from ._engine import (
    backward_propagation,
    compute_cost,
    forward_propagation,
    linear_forward,
)
from .activations import ACTIVATIONS
from .initializers import initialize_parameters

#: Hidden activations with a kink at ``z = 0``: where a pre-activation sits
#: there, the cost has no gradient and finite differences average two slopes.
KINKED_ACTIVATIONS = {"relu", "leaky_relu"}


def _current_or_initial_parameters(estimator, X, y):
    """The parameters to check, as float64 copies, and ``y`` encoded as 0/1.

    A fitted estimator gives its ``coefs_`` and ``intercepts_``; an unfitted
    one gives the initial parameters its ``fit`` would start from. The
    estimator itself is never modified.
    """
    try:
        check_is_fitted(estimator)
        fitted = True
    except NotFittedError:
        fitted = False

    if fitted:
        X, y = validate_data(estimator, X, y, dtype=np.float64, reset=False)
        check_classification_targets(y)
        classes = estimator.classes_
        unknown = np.setdiff1d(np.unique(y), classes)
        if unknown.size:
            raise ValueError(
                f"y has labels {unknown.tolist()} that the estimator was not "
                f"fitted on; its classes_ are {classes.tolist()}."
            )
        coefs = [np.array(W, dtype=np.float64) for W in estimator.coefs_]
        intercepts = [np.array(b, dtype=np.float64) for b in estimator.intercepts_]
    else:
        estimator._validate_params()
        X, y = check_X_y(X, y, dtype=np.float64, estimator=estimator)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.shape[0] != 2:
            raise ValueError(
                "Only binary classification is supported; y has "
                f"{classes.shape[0]} classes."
            )
        layer_sizes = [X.shape[1], *estimator._hidden_layer_sizes(), 1]
        # a copy, so that a RandomState instance is not advanced by the check
        random_state = copy.deepcopy(estimator.random_state)
        coefs, intercepts = initialize_parameters(
            layer_sizes, estimator.init, random_state, dtype=np.float64
        )
    y01 = (y == classes[1]).astype(np.float64)
    return X, y01, coefs, intercepts


def _count_near_kink(X, coefs, intercepts, activations, epsilon):
    """How many hidden pre-activations ``z`` of kinked units lie so close to
    0 that a step of ``epsilon`` in one parameter may cross the kink."""
    count = 0
    A_prev = X
    for W, b, activation in zip(coefs[:-1], intercepts[:-1], activations, strict=True):
        Z = linear_forward(A_prev, W, b)
        if activation in KINKED_ACTIVATIONS:
            margin = 10 * epsilon * max(1.0, np.abs(A_prev).max())
            count += np.count_nonzero(np.abs(Z) <= margin)
        ACTIVATIONS[activation](Z)
        A_prev = Z
    return count


def check_gradients(estimator, X, y, epsilon=1e-7, sample_weight=None):
    """Compare backpropagation with finite differences: the course's gradient check.

    For every parameter ``theta_i`` (every entry of every ``W[l]`` and
    ``b[l]``), the two-sided difference ::

        gradapprox_i = (J(theta_i + epsilon) - J(theta_i - epsilon)) / (2 epsilon)

    is compared with the gradient ``grad`` from backward propagation
    (:func:`skdnn._engine.backward_propagation`), through ::

        difference = ||grad - gradapprox|| / (||grad|| + ||gradapprox||)

    ``J`` is the estimator's cost: cross-entropy plus its L2 penalty
    ``alpha``, with its hidden activation(s) and ``sample_weight``, and
    without dropout (as the course checks gradients). The course's rule of
    thumb: below ``1e-7`` the gradient is right; above ``1e-3`` it is almost
    certainly wrong.

    This is a debugging tool, and slow: it runs two forward passes per
    parameter. Use a small network and a few samples.

    Parameters
    ----------
    estimator : DeepBinaryClassifier or LogisticRegressionGD
        If fitted, the check is made at its current parameters ``coefs_`` and
        ``intercepts_``. If not fitted, it is made at the initial parameters
        its ``fit`` would start from: drawn with its ``init`` and
        ``random_state`` (a ``RandomState`` instance is copied, not
        advanced). The estimator is not modified either way.
    X : array-like of shape (n_samples, n_features)
        Samples at which the cost is evaluated.
    y : array-like of shape (n_samples,)
        Their labels: two classes, or for a fitted estimator labels among its
        ``classes_`` (``classes_[1]`` is encoded as 1).
    epsilon : float, default=1e-7
        The step of the finite differences.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the cost, as in ``fit``; ``None`` gives every sample
        weight 1.

    Returns
    -------
    difference : float
        ``||grad - gradapprox|| / (||grad|| + ||gradapprox||)``, 0 when both
        gradients are zero.

    See Also
    --------
    skdnn._engine.backward_propagation : The gradient being checked.

    Notes
    -----
    The check runs in float64 whatever the estimator's dtype: with
    ``epsilon=1e-7``, float32 rounding would swamp the differences.

    With ``relu`` or ``leaky_relu``, a unit whose input lies within
    ``epsilon`` of 0 for some sample makes the finite difference straddle the
    kink, where the cost has no gradient: the check can then report a large
    difference although backpropagation is right, and a ``UserWarning`` says
    so. At a fresh initialisation the biases are zero, so a sample that
    switches off every unit of a layer puts the next layer's units exactly on
    the kink; check a fitted estimator (or wider layers) then.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skdnn import DeepBinaryClassifier
    >>> from skdnn.utils import check_gradients
    >>> X, y = make_classification(n_samples=20, n_features=4, random_state=0)
    >>> clf = DeepBinaryClassifier((3, 2), activation="tanh", max_iter=10,
    ...                            random_state=0).fit(X, y)
    >>> check_gradients(clf, X, y) < 1e-7
    True
    """
    if not (isinstance(epsilon, Real) and 0 < epsilon < 1):
        raise ValueError(f"epsilon must be a float in (0, 1); got {epsilon!r}.")
    X, y01, coefs, intercepts = _current_or_initial_parameters(estimator, X, y)
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight sums to zero: the cost is undefined.")
    activation = estimator._hidden_activations(len(coefs) - 1)
    alpha = estimator.alpha

    near_kink = _count_near_kink(X, coefs, intercepts, activation, epsilon)
    if near_kink:
        warnings.warn(
            f"{near_kink} hidden pre-activation(s) of relu or leaky_relu units "
            "are within epsilon of the kink at z = 0, where the cost has no "
            "gradient: the check may report a large difference although "
            "backpropagation is right. This is common right after "
            "initialisation, when the biases are zero and a sample switches "
            "off every unit of a layer; check a fitted estimator instead.",
            UserWarning,
            stacklevel=2,
        )

    def cost():
        Z_L = forward_propagation(X, coefs, intercepts, activation)[-1]
        return compute_cost(Z_L, y01, sample_weight, coefs, alpha)

    cache = forward_propagation(X, coefs, intercepts, activation)
    coef_grads, intercept_grads = backward_propagation(
        cache, y01, sample_weight, coefs, activation, alpha
    )

    # The course's dictionary_to_vector order: W1, b1, W2, b2, ...
    parameters, gradients = [], []
    for l in range(len(coefs)):
        parameters += [coefs[l], intercepts[l]]
        gradients += [coef_grads[l], intercept_grads[l]]

    grad = np.concatenate([g.ravel() for g in gradients])
    gradapprox = np.concatenate(
        [g.ravel() for g in _numerical_gradients(parameters, cost, epsilon)]
    )
    return _gradient_difference(grad, gradapprox)


def _numerical_gradients(params, cost, epsilon):
    """The course's ``gradapprox``: central differences
    ``(J(theta + e) - J(theta - e)) / 2e`` of ``cost()`` for every entry of
    every array in ``params`` (perturbed in place, then restored), one array
    per parameter."""
    grads = []
    for theta in params:
        grad = np.zeros_like(theta)
        for index in np.ndindex(theta.shape):
            saved = theta[index]
            theta[index] = saved + epsilon
            J_plus = cost()
            theta[index] = saved - epsilon
            J_minus = cost()
            theta[index] = saved
            grad[index] = (J_plus - J_minus) / (2 * epsilon)
        grads.append(grad)
    return grads


def _gradient_difference(grad, gradapprox):
    """The course's ratio ``||grad - gradapprox|| / (||grad|| +
    ||gradapprox||)``, 0 when both are zero."""
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(grad - gradapprox) / denominator)
