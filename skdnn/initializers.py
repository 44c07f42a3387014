"""Weight initialisations (the course's step 1), as one lookup table.

Every entry of :data:`INITIALIZERS` has the signature
``init(rng, n_l, n_prev) -> W`` and returns the course's weight matrix
``W[l]`` of shape ``(n_l, n_prev)``. Drawing in the course's shape and order
(``randn(n_l, n_prev)`` for layer 1, 2, ... from one ``RandomState``) is what
makes ``random_state=1`` equal to the course's ``np.random.seed(1)``, digit for
digit. :func:`initialize_parameters` then stores the transpose, the
scikit-learn orientation ``(n_in, n_out)``. Biases always start at zero.
"""

import numpy as np
from sklearn.utils import check_random_state


def init_xavier(rng, n_l, n_prev):
    """``W = randn(n_l, n_prev) / sqrt(n_prev)`` (the course's deep model)."""
    return rng.standard_normal((n_l, n_prev)) / np.sqrt(n_prev)


def init_he(rng, n_l, n_prev):
    """``W = randn(n_l, n_prev) * sqrt(2 / n_prev)`` (He et al., for ReLU)."""
    return rng.standard_normal((n_l, n_prev)) * np.sqrt(2.0 / n_prev)


def init_random(rng, n_l, n_prev):
    """``W = randn(n_l, n_prev) * 0.01`` (the course's first networks)."""
    return rng.standard_normal((n_l, n_prev)) * 0.01


def init_zeros(rng, n_l, n_prev):
    """``W = zeros((n_l, n_prev))``: logistic regression only, since zero weights
    make every hidden unit of a layer compute the same thing."""
    return np.zeros((n_l, n_prev))


INITIALIZERS = {
    "xavier": init_xavier,
    "he": init_he,
    "random": init_random,
    "zeros": init_zeros,
}


def initialize_parameters(layer_sizes, init, random_state=None, dtype=np.float64):
    """Course step 1: initialise ``W[l]`` and ``b[l]`` for every layer.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``layers_dims`` of the course: ``[n_0, n_1, ..., n_L]`` with ``n_0`` the
        number of features and ``n_L = 1``.
    init : str
        A key of :data:`INITIALIZERS`.
    random_state : None, int or RandomState
        Turned into a ``RandomState`` with ``check_random_state``; the draws
        are ``randn(n_l, n_prev)`` for ``l = 1, 2, ..., L`` in that order.
    dtype : numpy dtype
        The weights are drawn in float64 and then cast, so float32 training
        starts from the same weights rounded.

    Returns
    -------
    coefs : list of ndarray
        ``coefs[l - 1]`` is ``W[l].T``, shape ``(n_{l-1}, n_l)``, C-contiguous.
    intercepts : list of ndarray
        ``intercepts[l - 1]`` is ``b[l].ravel()``, shape ``(n_l,)``, zeros.
    """
    rng = check_random_state(random_state)
    draw = INITIALIZERS[init]
    coefs, intercepts = [], []
    for n_prev, n_l in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        W = draw(rng, n_l, n_prev)
        assert W.shape == (n_l, n_prev)
        coefs.append(np.ascontiguousarray(W.T, dtype=dtype))
        intercepts.append(np.zeros(n_l, dtype=dtype))
    return coefs, intercepts
