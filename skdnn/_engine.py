"""The course's steps 2-5 (forward, cost, backward, update) as plain functions.

Notation and orientation
------------------------
The course stores samples as **columns**: ``X`` is ``(n_x, m)``, ``W[l]`` is
``(n_l, n_{l-1})`` and ``Z[l] = W[l] A[l-1] + b[l]``. scikit-learn stores
samples as **rows**. This engine works in rows so that ``X`` is never copied
or transposed:

=============  ==========================  ==============================
course         course shape                here (rows), shape
=============  ==========================  ==============================
``X = A[0]``   ``(n_0, m)``                ``X``, ``(m, n_0)``
``W[l]``       ``(n_l, n_{l-1})``          ``coefs[l-1] = W[l].T``, ``(n_{l-1}, n_l)``
``b[l]``       ``(n_l, 1)``                ``intercepts[l-1]``, ``(n_l,)``
``Z[l]``       ``(n_l, m)``                ``A[l-1] @ W + b``, ``(m, n_l)``
``A[l]``       ``(n_l, m)``                ``g(Z[l])``, ``(m, n_l)``
``dZ[l]``      ``(n_l, m)``                ``(m, n_l)``
=============  ==========================  ==============================

Every formula is the transpose of the course's, so the numbers are the same.
The course's output layer is ``LINEAR -> SIGMOID``; the output layer and
its loss come from the table :data:`skdnn.heads.HEADS` (sigmoid, softmax,
identity, relu), and hidden layers use activations from
:mod:`skdnn.activations`.

Sample weights ``s`` (all ones by default) generalise the course's ``1/m`` to
``s_i / sum(s)``; with unit weights every formula below is the course's.
"""

import functools

import numpy as np

from .activations import ACTIVATIONS, DERIVATIVES
from .heads import HEADS


@functools.lru_cache(maxsize=16)
def column_ones(m, dtype):
    """A read-only vector of ``m`` ones: ``column_ones(m) @ dZ`` sums the rows
    of ``dZ`` 2-3x faster than ``dZ.sum(axis=0)`` (measured from 200 x 100 to
    20 000 x 256), the ``db`` of every layer."""
    ones = np.ones(m, dtype=dtype)
    ones.flags.writeable = False
    return ones


def linear_forward(A_prev, W, b, out=None):
    """Course step 2, linear part: ``Z[l] = W[l] A[l-1] + b[l]``.

    In rows: ``Z = A_prev @ W + b``.

    Parameters
    ----------
    A_prev : ndarray of shape (m, n_{l-1})
        Activations of the previous layer (``X`` for layer 1).
    W : ndarray of shape (n_{l-1}, n_l)
        ``coefs_[l-1]``, the course's ``W[l]`` transposed.
    b : ndarray of shape (n_l,)
        ``intercepts_[l-1]``, the course's ``b[l]`` raveled.
    out : ndarray of shape (m, n_l), optional
        Buffer to write ``Z`` into.

    Returns
    -------
    Z : ndarray of shape (m, n_l)
    """
    assert A_prev.shape[1] == W.shape[0] and b.shape == (W.shape[1],)
    Z = np.matmul(A_prev, W, out=out)
    Z += b
    return Z


def hidden_activations(activation, n_hidden):
    """One activation name per hidden layer: ``activation`` is a name shared
    by every hidden layer or a sequence with one name per hidden layer."""
    if isinstance(activation, str):
        return [activation] * n_hidden
    activation = list(activation)
    assert len(activation) == n_hidden
    return activation


def forward_propagation(X, coefs, intercepts, activation, out=None, dropout=None):
    """Course step 2: ``[LINEAR -> g] x (L-1) -> LINEAR`` (``L_model_forward``).

    For ``l = 1 .. L-1``: ``Z[l] = A[l-1] @ W + b`` and ``A[l] = g(Z[l])``
    (computed in place). The last layer is left linear: it returns the logit
    ``Z[L]``, and ``A[L] = g(Z[L])`` (sigmoid for the course) is taken where
    it is needed, so that the cost can use the stable ``log_sigmoid(Z[L])``.

    With inverted dropout (course 2, ``forward_propagation_with_dropout``)
    hidden layer ``l`` is then multiplied by its mask ``D[l] / keep_prob``:
    a fraction ``1 - keep_prob`` of the units is switched off and the rest
    scaled up, so the expected ``A[l]`` is unchanged and prediction needs no
    dropout.

    Parameters
    ----------
    X : ndarray of shape (m, n_0)
    coefs, intercepts : lists of ndarray
        The network's ``W`` and ``b``, see :func:`linear_forward`.
    activation : str or list of str
        Hidden-layer activation, a key of ``ACTIVATIONS``, or one per hidden
        layer.
    out : list of ndarray, optional
        One buffer per layer, ``out[l-1]`` of shape ``(m, n_l)``.
    dropout : list, optional
        One entry per hidden layer: ``None`` or ``(mask, keep_prob)`` with
        ``mask = D[l] / keep_prob`` of shape ``(m, n_l)`` (see
        :func:`draw_dropout_masks`).

    Returns
    -------
    cache : list of ndarray
        ``[A[0] = X, A[1], ..., A[L-1], Z[L]]``: what the backward pass needs
        (the course's ``caches``). ``Z[L]`` has shape ``(m, k)``, ``k = 1``
        for the course.
    """
    n_layers = len(coefs)
    activations = hidden_activations(activation, n_layers - 1)
    cache = [X]
    for l in range(1, n_layers + 1):
        Z = linear_forward(
            cache[-1],
            coefs[l - 1],
            intercepts[l - 1],
            None if out is None else out[l - 1],
        )
        if l < n_layers:
            ACTIVATIONS[activations[l - 1]](Z)  # A[l] = g(Z[l]), in place
            if dropout is not None and dropout[l - 1] is not None:
                Z *= dropout[l - 1][0]  # A[l] = A[l] * D[l] / keep_prob
        cache.append(Z)
    return cache


def draw_dropout_masks(rng, n_samples, hidden_layer_sizes, keep_probs, dtype):
    """Course 2's dropout masks ``D[l] = (rand(...) < keep_prob) / keep_prob``.

    Parameters
    ----------
    rng : RandomState
    n_samples : int
    hidden_layer_sizes : sequence of int
    keep_probs : sequence of float
        Probability of keeping a unit, per hidden layer; ``1`` means no
        dropout for that layer (its entry is ``None``).
    dtype : numpy dtype

    Returns
    -------
    dropout : list
        Per hidden layer, ``None`` or ``(mask, keep_prob)`` with ``mask`` of
        shape ``(n_samples, n_l)``, as :func:`forward_propagation` takes it.
    """
    dropout = []
    for n_l, keep_prob in zip(hidden_layer_sizes, keep_probs, strict=True):
        if keep_prob >= 1:
            dropout.append(None)
            continue
        mask = (rng.random_sample((n_samples, n_l)) < keep_prob).astype(dtype)
        mask /= keep_prob
        dropout.append((mask, keep_prob))
    return dropout


def _as_2d(y, Z_L):
    """The target as ``(m, k)``, like ``Z_L``; a 1-D ``y`` is one output."""
    Y = y[:, np.newaxis] if y.ndim == 1 else y
    assert Y.shape == Z_L.shape, (Y.shape, Z_L.shape)
    return Y


def compute_cost(
    Z_L,
    y,
    sample_weight,
    coefs,
    alpha,
    extra_squared_norm=0.0,
    sw_sum=None,
    head="logistic",
):
    """Course step 3: the cost ``J`` (``compute_cost``).

    ``J = (1/m) sum_i loss_i + alpha/(2m) sum ||W||^2``, with the loss of the
    output ``head`` (:data:`skdnn.heads.HEADS`). For the course's sigmoid
    output it is the cross-entropy
    ``-(1/m) sum(y log(a) + (1 - y) log(1 - a))``, with ``log(a)`` and
    ``log(1 - a)`` computed as ``log_sigmoid(z)`` and ``log_sigmoid(-z)``,
    finite for any finite ``z``. With sample weights ``1/m`` becomes
    ``s_i / sum(s)``.

    Parameters
    ----------
    Z_L : ndarray of shape (m, k)
        Output logits from :func:`forward_propagation`.
    y : ndarray of shape (m, k), or (m,) when k = 1
        Targets (labels in {0, 1} or one-hot rows for the classifiers), same
        dtype as ``Z_L``.
    sample_weight : ndarray of shape (m,)
    coefs : list of ndarray
        Weights, for the L2 term.
    alpha : float
        L2 penalty (course 2's lambda).
    extra_squared_norm : float, default=0.0
        Squared norm of weights not in ``coefs`` (the sample-space solver
        keeps ``W[1]`` implicitly and passes its norm here).
    sw_sum : float, optional
        The normaliser ``sum(s)``; by default ``sample_weight.sum()``. A
        block of a larger batch passes the whole batch's, so that the costs
        of the blocks add up to the batch's cost.
    head : str, default="logistic"
        A key of :data:`skdnn.heads.HEADS`.

    Returns
    -------
    J : float
    """
    assert sample_weight.shape == (Z_L.shape[0],)
    loss = HEADS[head].loss(Z_L, _as_2d(y, Z_L))
    if sw_sum is None:
        sw_sum = sample_weight.sum()
    J = np.dot(sample_weight, loss) / sw_sum
    if alpha:
        squared_norm = extra_squared_norm + sum(np.vdot(W, W) for W in coefs)
        J += alpha / (2 * sw_sum) * squared_norm
    return float(J)


def output_delta(Z_L, y, sample_weight, out=None, head="logistic"):
    """Course step 4, output layer: ``dZ[L] = s * dloss/dZ[L]``.

    For the course's sigmoid output, ``dZ[L] = s * (A[L] - y)``: the course
    gets there in two steps, ``dA[L] = -(y/a - (1-y)/(1-a))`` and
    ``dZ[L] = dA[L] * a (1 - a)``; sigmoid and cross-entropy together
    simplify to ``a - y``, which is also exact where ``a`` rounds to 0 or 1.
    Every head's delta is in :data:`skdnn.heads.HEADS`.

    Parameters
    ----------
    Z_L : ndarray of shape (m, k)
    y : ndarray of shape (m, k), or (m,) when k = 1
    sample_weight : ndarray of shape (m,)
    out : ndarray of shape (m, k), optional
    head : str, default="logistic"

    Returns
    -------
    dZ_L : ndarray of shape (m, k)
    """
    assert sample_weight.shape == (Z_L.shape[0],)
    dZ = HEADS[head].delta(Z_L, _as_2d(y, Z_L), out=out)
    dZ *= sample_weight[:, np.newaxis]
    return dZ


def linear_backward(dZ, A_prev, W, inv_sw_sum, alpha, dW_out=None, db_out=None):
    """Course step 4, linear part (``linear_backward``): ``dW[l]`` and ``db[l]``.

    In rows::

        dW[l] = (1/sum(s)) A[l-1].T @ dZ[l] + (alpha/sum(s)) W[l]
        db[l] = (1/sum(s)) sum over samples of dZ[l]

    Parameters
    ----------
    dZ : ndarray of shape (m, n_l)
    A_prev : ndarray of shape (m, n_{l-1})
    W : ndarray of shape (n_{l-1}, n_l)
    inv_sw_sum : float
        ``1 / sum(s)``, the course's ``1/m``.
    alpha : float
    dW_out, db_out : ndarray, optional
        Buffers of the shapes of ``W`` and ``b``.

    Returns
    -------
    dW : ndarray of shape (n_{l-1}, n_l)
    db : ndarray of shape (n_l,)
    """
    dW = np.matmul(A_prev.T, dZ, out=dW_out)
    if inv_sw_sum != 1:
        dW *= inv_sw_sum
    if alpha:  # dW += (alpha / sum(s)) W, in place
        update_parameters(dW.reshape(-1), W.reshape(-1), -alpha * inv_sw_sum)
    db = np.matmul(column_ones(dZ.shape[0], dZ.dtype), dZ, out=db_out)  # sum of rows
    if inv_sw_sum != 1:
        db *= inv_sw_sum
    return dW, db


def backward_propagation(
    cache,
    y,
    sample_weight,
    coefs,
    activation,
    alpha,
    out=None,
    return_input_gradient=False,
    dropout=None,
    sw_sum=None,
    head="logistic",
):
    """Course step 4: the gradients of ``J`` (``L_model_backward``).

    Output layer: ``dZ[L] = s * (A[L] - y)`` (:func:`output_delta`, for the
    output ``head``). Then for
    ``l = L .. 1``: ``dW[l]`` and ``db[l]`` (:func:`linear_backward`) and,
    going down a layer (``activation_backward``)::

        dA[l-1] = dZ[l] @ W[l].T
        dZ[l-1] = dA[l-1] * g'(Z[l-1])

    With dropout (``backward_propagation_with_dropout``) the units switched
    off in the forward pass get no gradient: ``dA[l-1] *= D[l-1] / keep_prob``
    before the activation's derivative.

    ``dA[0]``, the gradient with respect to ``X``, is not computed unless
    asked for: training never needs it.

    Every step above is linear in ``dZ[L]``, so the ``1/sum(s)`` of every
    gradient is applied once, to ``dZ[L]`` (a column), rather than to each
    ``dW[l]``. The results are the true gradients of ``J``: the step size
    is the optimiser's business (:mod:`skdnn._solvers`).

    Parameters
    ----------
    cache : list of ndarray
        The output of :func:`forward_propagation`, ``[A[0], ..., Z[L]]``.
        Nothing in it is modified.
    y, sample_weight : ndarray of shape (m,)
    coefs : list of ndarray
    activation : str or list of str
        Hidden-layer activation, a key of ``DERIVATIVES``, or one per hidden
        layer.
    alpha : float
    out : tuple (coef_grads, intercept_grads, deltas), optional
        Buffers: lists shaped like ``coefs``, like the intercepts, and like
        ``cache[1:]`` (one ``(m, n_l)`` array per layer, for ``dZ[l]``).
    return_input_gradient : bool, default=False
        Also return ``dA[0] = dZ[1] @ W[1].T``, of the shape of ``cache[0]``.
    dropout : list, optional
        The masks the forward pass used (see :func:`forward_propagation`).
    sw_sum : float, optional
        The normaliser ``sum(s)``, as in :func:`compute_cost`: with the whole
        batch's, the gradients of its blocks add up to the batch's gradient
        (``alpha=0`` then, the L2 term being added once).
    head : str, default="logistic"
        The output layer, a key of :data:`skdnn.heads.HEADS`.

    Returns
    -------
    coef_grads, intercept_grads : lists of ndarray
        ``dW`` and ``db`` in the shapes of ``coefs`` and the intercepts.
    dA0 : ndarray of shape (m, n_0)
        Only when ``return_input_gradient`` is true.
    """
    n_layers = len(coefs)
    activations = hidden_activations(activation, n_layers - 1)
    coef_grads, intercept_grads, deltas = out or (
        [None] * n_layers,
        [None] * n_layers,
        [None] * n_layers,
    )
    factor = 1 / (sample_weight.sum() if sw_sum is None else sw_sum)

    dZ = output_delta(cache[-1], y, sample_weight, out=deltas[-1], head=head)
    dZ *= factor  # 1 / sum(s), once for every gradient
    for l in range(n_layers, 0, -1):
        A_prev, W = cache[l - 1], coefs[l - 1]
        # dZ carries 1 / sum(s) already: (alpha / sum(s)) W remains
        coef_grads[l - 1], intercept_grads[l - 1] = linear_backward(
            dZ,
            A_prev,
            W,
            1.0,
            alpha * factor,
            coef_grads[l - 1],
            intercept_grads[l - 1],
        )
        if l > 1:
            if dZ.shape[1] == 1:  # one output: a rank-1 product, same numbers
                # einsum's outer product: 1.6-1.9x faster than the broadcast
                # dZ * W.T (200 x 100 to 20 000 x 128), itself 2-3x faster
                # than the matmul of a 1-column dZ
                dA_prev = np.einsum("ik,jk->ij", dZ, W, out=deltas[l - 2])
            else:
                dA_prev = np.matmul(dZ, W.T, out=deltas[l - 2])
            g_prime = DERIVATIVES[activations[l - 2]]
            if dropout is not None and dropout[l - 2] is not None:
                mask, keep_prob = dropout[l - 2]
                dA_prev *= mask
                # g' from A[l-1] before dropout: A * keep_prob on kept units
                # (the dropped ones have dA = 0 whatever g' is)
                A_prev = A_prev * keep_prob
            g_prime(A_prev, dA_prev)  # dZ[l-1] = dA[l-1] * g'(Z[l-1]), in place
            dZ = dA_prev
    if return_input_gradient:
        return coef_grads, intercept_grads, dZ @ coefs[0].T
    return coef_grads, intercept_grads


def update_parameters(theta, dtheta, learning_rate):
    """Course step 5: ``theta := theta - learning_rate * dtheta``, in place.

    ``theta`` is every parameter of the network in one flat vector (the
    ``W[l]`` and ``b[l]`` are views of it, see
    :class:`~skdnn._trainers.PackedParameters`), so the course's loop over
    layers is one NumPy expression.

    Not scipy's BLAS ``axpy``, although it makes one pass instead of two:
    scipy loads its own OpenBLAS, whose threads go on spinning after the
    call and then compete with NumPy's for the cores. Measured on 2 cores,
    the forward pass after an ``axpy`` update took 48 ms instead of 24 ms
    (20 000 x 100, hidden (256, 128)), and a whole fit 1.7x longer.

    Parameters
    ----------
    theta : ndarray of shape (n_parameters,)
        Updated in place.
    dtheta : ndarray of shape (n_parameters,)
        The gradient, same dtype; left unchanged.
    learning_rate : float
        The step size, the course's ``alpha``.
    """
    assert theta.shape == dtheta.shape and theta.ndim == 1
    assert theta.dtype == dtheta.dtype
    theta -= learning_rate * dtheta


def predict_logit(X, coefs, intercepts, activation):
    """Course step 7 without the threshold: the logit ``Z[L]``, shape ``(m,)``.

    ``predict`` is ``Z[L] > 0``, which is the course's ``A[L] > 0.5``.

    Parameters
    ----------
    X : ndarray of shape (m, n_0)
        Samples, one per row.
    coefs, intercepts : lists of ndarray
        The network's ``W`` and ``b``, see :func:`linear_forward`.
    activation : str or list of str
        Hidden-layer activation, as in :func:`forward_propagation`.

    Returns
    -------
    Z_L : ndarray of shape (m,) for one output, else (m, k)
        The output layer's logit for each sample.
    """
    Z_L = forward_propagation(X, coefs, intercepts, activation)[-1]
    return Z_L.ravel() if Z_L.shape[1] == 1 else Z_L
