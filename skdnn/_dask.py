"""Training on a ``dask.array``: data that does not fit in one process.

Full-batch gradient descent is a sum over samples. With ``S = sum(s)`` over
the *whole* training set, the cost and the gradients split over row blocks
``X[k]``::

    J      = sum_k J_k            + alpha/(2S) sum_l ||W[l]||^2
    dW[l]  = sum_k dW[l]_k        + (alpha/S) W[l]
    db[l]  = sum_k db[l]_k

where ``J_k``, ``dW[l]_k`` and ``db[l]_k`` are the course's forward and
backward steps run on block ``k`` alone with the normaliser ``S``
(``sw_sum=S`` in :func:`~skdnn._engine.compute_cost` and
:func:`~skdnn._engine.backward_propagation`). Each iteration sends the
parameters to the blocks, runs :func:`block_cost_and_gradients` where each
block lives (the workers of a ``dask.distributed`` cluster, or threads of
this process), adds the results pairwise in a fixed order and updates the
parameters here, with any optimiser. The model is the in-memory model up to
rounding; no process ever holds more than a few blocks of ``X``.

Mini-batch training streams the blocks in order instead: one block at a time
comes to this process and is cut into mini-batches.

``y`` and ``sample_weight`` are held in memory (``n_features`` times smaller
than ``X``); only ``X`` is trained on where its blocks are. Early stopping
needs ``fit``'s explicit validation set (``X_val``, ``y_val``): it is scored
after every epoch, so it is held in memory too, computed once if it comes
as dask arrays; the rows of a dask ``X`` are not split off.
"""

import threading
import uuid
from itertools import pairwise

import numpy as np
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import _check_feature_names, _check_n_features

from . import _trainers
from ._engine import (
    compute_cost,
    draw_dropout_masks,
    forward_propagation,
)
from ._parallel import blas_thread_limit

#: How to get dask, named in every error about a missing dask.
EXTRA = "pip install 'skdnn[distributed]'"


def is_dask_collection(X):
    """Whether ``X`` comes from dask, without importing dask."""
    module = type(X).__module__
    return module == "dask" or module.startswith("dask.")


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        raise ImportError(
            f"X is a dask collection; training on it needs dask.array: {EXTRA}"
        ) from exc
    return dask, da


def check_array(estimator, X, reset, float_dtypes):
    """What ``validate_data`` checks, without loading ``X``: a 2-D dask array
    with known chunk sizes, a number dtype (kept if in ``float_dtypes``, else
    float64) and the fitted number of features. Finiteness is checked block
    by block as the blocks are read. Returns ``X`` with one block of columns.
    """
    _, da = _import_dask()
    if not isinstance(X, da.Array):
        raise TypeError(
            f"X is a {type(X).__module__}.{type(X).__name__}; skdnn takes a "
            "dask.array.Array. Convert a dask DataFrame with "
            "X.to_dask_array(lengths=True)."
        )
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D dask array, got a {X.ndim}D one of shape {X.shape}."
        )
    if any(np.isnan(size) for size in X.chunks[0]):
        raise ValueError(
            "X has blocks of unknown size; call X.compute_chunk_sizes() first."
        )
    for axis, what in enumerate(["sample", "feature"]):
        if X.shape[axis] < 1:
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={X.shape}) while a "
                "minimum of 1 is required."
            )
    if X.dtype not in float_dtypes:
        if X.dtype.kind not in "biuf":
            raise ValueError(
                f"X has dtype {X.dtype}; skdnn trains on numbers (float64 or "
                "float32, or integers and booleans, which become float64)."
            )
        X = X.astype(np.float64)
    _check_n_features(estimator, X, reset=reset)
    _check_feature_names(estimator, X, reset=reset)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def to_numpy(values):
    """``y`` or ``sample_weight`` in memory (computed if a dask array)."""
    if is_dask_collection(values):
        return np.asarray(values.compute())
    return values


def in_memory(values):
    """``values`` computed if a dask collection, else as they are: ``fit``'s
    validation set, scored after every epoch, so read once (a dask DataFrame
    becomes a pandas one, with its column names)."""
    if is_dask_collection(values):
        return values.compute()
    return values


# -- what runs where the blocks are ---------------------------------------------

#: ``{thread: (fit, rows, Z, deltas)}``: the activation and delta buffers of
#: the blocks computed in this process, one set per thread for the fit that
#: last used it. Fresh arrays for every block at every iteration cost more in
#: page faults than the products themselves on large blocks (200 000 x 100,
#: hidden (64, 32), one block: 371 ms per iteration against 235 ms reused and
#: 215 ms in memory).
_workspaces = {}
_workspaces_lock = threading.Lock()


def _workspace(fit, rows, widths, dtype):
    """``(Z, deltas)`` for a block of ``rows`` rows of ``fit``: one
    ``(rows, n_l)`` array per layer each, this thread's, grown for a larger
    block."""
    thread = threading.get_ident()
    with _workspaces_lock:
        kept = _workspaces.get(thread)
    if kept is None or kept[0] != fit or kept[1] < rows:
        if kept is not None and kept[0] == fit:
            rows = max(rows, kept[1])
        buffers = [_trainers.layer_buffers(rows, widths, dtype) for _ in "Zd"]
        kept = (fit, rows, *buffers)
        with _workspaces_lock:
            _workspaces[thread] = kept
    return [[A[:rows] for A in buffers] for buffers in kept[2:]]


def release_workspaces(fit):
    """Free the buffers of ``fit`` in this process."""
    with _workspaces_lock:
        for thread in [t for t, kept in _workspaces.items() if kept[0] == fit]:
            del _workspaces[thread]


def block_cost_and_gradients(X, target, network, dropout, check_finite):
    """One block's share of the cost and gradients (no L2 term).

    Parameters
    ----------
    X : ndarray of shape (m_k, n_0)
        The block.
    target : tuple (y, sample_weight) of ndarrays of shape (m_k,)
    network : tuple (coefs, intercepts, activations, head, sw_sum, fit)
        The parameters, the hidden activations, the output head, ``sum(s)``
        over the whole training set and the fit's name for its buffers (see
        :func:`release_workspaces`).
    dropout : tuple (seed, keep_probs) or None
        Masks for this block are drawn from ``RandomState(seed)``.
    check_finite : bool
        Raise if the block holds NaN or infinity.

    Returns
    -------
    cost : float
    coef_grads, intercept_grads : lists of ndarray
    """
    if check_finite:
        assert_all_finite(X, input_name="X")
    (y, sample_weight), (coefs, intercepts, activations, head, sw_sum, fit) = (
        target,
        network,
    )
    X = X.astype(coefs[0].dtype, copy=False)
    widths = [W.shape[1] for W in coefs]
    Z, deltas = _workspace(fit, X.shape[0], widths, X.dtype)
    masks = None
    if dropout is not None:
        seed, keep_probs = dropout
        hidden = [W.shape[1] for W in coefs[:-1]]
        masks = draw_dropout_masks(
            np.random.RandomState(seed), X.shape[0], hidden, keep_probs, X.dtype
        )
    # blocks computed at once in this process share its BLAS threads
    with blas_thread_limit():
        return _trainers.cost_and_gradients(
            X,
            y,
            sample_weight,
            (coefs, intercepts, activations, head),
            masks,
            sw_sum,
            out=(Z, deltas, [None] * len(coefs), [None] * len(coefs)),
        )


def block_cost(X, target, network):
    """One block's share of the loss (no L2 term); arguments as for
    :func:`block_cost_and_gradients`."""
    (y, sample_weight), (coefs, intercepts, activations, head, sw_sum, _) = (
        target,
        network,
    )
    X = X.astype(coefs[0].dtype, copy=False)
    with blas_thread_limit():
        Z_L = forward_propagation(X, coefs, intercepts, activations)[-1]
    return compute_cost(Z_L, y, sample_weight, [], 0.0, sw_sum=sw_sum, head=head)


def _add(a, b):
    """Sum of two results of the block functions (floats or nested lists of
    arrays). New arrays: a task must not change its inputs, which a cluster
    may keep and reuse."""
    if isinstance(a, list | tuple):
        return type(a)(_add(x, y) for x, y in zip(a, b, strict=True))
    return a + b


def _tree_sum(dask, parts):
    """Pairwise sum of delayed results, in a fixed order (so the rounding is
    the same whatever the scheduler does) and ``log2(n)`` deep."""
    add = dask.delayed(_add, pure=False)
    while len(parts) > 1:
        parts = [add(*parts[i : i + 2]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]  # fmt: skip
    return parts[0]


# -- the driver's side ------------------------------------------------------------


def _row_blocks(X):
    """``[((start, stop), block)]`` for the non-empty row blocks of ``X``,
    each block a ``dask.delayed`` object."""
    bounds = np.cumsum((0, *X.chunks[0])).tolist()
    blocks = zip(pairwise(bounds), X.to_delayed()[:, 0], strict=True)
    return [((a, b), block) for (a, b), block in blocks if b > a]


class _Blocks:
    """The non-empty row blocks of ``X`` with their slices of ``y`` and
    ``sample_weight``, sent once to where the blocks are computed."""

    def __init__(self, X, y, sample_weight):
        self.dask, _ = _import_dask()
        row_blocks = _row_blocks(X)
        self.rows = [rows for rows, _ in row_blocks]
        self.X = [block for _, block in row_blocks]
        targets = [
            self.dask.delayed((y[a:b], sample_weight[a:b]), pure=False, traverse=False)
            for a, b in self.rows
        ]
        self.targets = list(self.dask.persist(*targets))
        self.sw_sum = sample_weight.sum()
        self.name = uuid.uuid4().hex  # of the buffers of block_cost_and_gradients

    def release(self):
        """Free the blocks' buffers, here and on the workers of the current
        ``distributed`` client if there is one."""
        release_workspaces(self.name)
        try:
            from distributed import Client

            client = Client.current()
        except (ImportError, ValueError):  # no cluster: blocks were computed here
            return
        client.run(release_workspaces, self.name)

    def loss(self, objective):
        """The loss (no L2 term) of ``objective``'s current parameters,
        activations and head, summed over the blocks where they are."""
        p, network = objective.params, (objective.activations, objective.head)
        return float(self.sum(block_cost, p.coefs, p.intercepts, network))

    def sum(self, function, coefs, intercepts, network, per_block=None):
        """``sum_k function(X[k], (y[k], s[k]), network, *per_block[k])``,
        computed where the blocks are; ``network`` is ``(activations, head)``
        and goes there as ``(coefs, intercepts, activations, head, sum(s),
        name)``, sent once."""
        dask = self.dask
        network = dask.delayed(
            (coefs, intercepts, *network, self.sw_sum, self.name),
            pure=False,
            traverse=False,
        )
        call = dask.delayed(function, pure=False)
        parts = [
            call(X_k, target, network, *(() if per_block is None else per_block[k]))
            for k, (X_k, target) in enumerate(zip(self.X, self.targets, strict=True))
        ]
        return dask.compute(_tree_sum(dask, parts))[0]


class TrainingSet(_trainers.TrainingSet):
    """The training set of a fit on a dask array ``X`` (``y`` and
    ``sample_weight`` in memory): mini-batches stream the row blocks in
    order, one block in this process at a time, shuffled within the block."""

    def max_rows(self):
        return min(super().max_rows(), max(self.X.chunks[0]))

    def final(self, objective):
        """``(loss, None)`` over the blocks, where they are: mini-batches
        train with an in-memory objective, which cannot take the whole X."""
        if isinstance(objective, BlockwiseObjective):
            return objective.final(self.X, self.y, self.sample_weight)
        blocks = _Blocks(self.X, self.y, self.sample_weight)
        try:
            return blocks.loss(objective), None
        finally:
            blocks.release()

    def parts(self):
        """``(X[k], y[k], s[k])`` for each non-empty row block in order, ``X[k]``
        computed into this process (and checked to be finite) one at a time."""
        for (a, b), X_k in _row_blocks(self.X):
            X_k = np.asarray(X_k.compute())
            assert_all_finite(X_k, input_name="X")
            yield X_k, self.y[a:b], self.sample_weight[a:b]


class BlockwiseObjective:
    """Cost and gradients of the whole dask array, summed over its row blocks
    where they are (the objective of a full-batch fit on a dask array, for
    any optimiser and for L-BFGS).

    Use it in a ``with`` block, or call :meth:`close`: that frees the
    buffers the blocks keep from one iteration to the next.

    Parameters
    ----------
    data : TrainingSet
    params : skdnn._trainers.PackedParameters
    activations : list of str
    alpha : float
    keep_probs : list of float
    rng : RandomState
        Draws one dropout seed per block and iteration.
    head : str
        The output layer and its loss.
    """

    def __init__(self, data, params, activations, alpha, keep_probs, rng, head):
        self.X, self.params, self.head = data.X, params, head
        self.activations, self.alpha = activations, alpha
        self.keep_probs, self.rng = keep_probs, rng
        self._blocks = _Blocks(data.X, data.y, data.sample_weight)
        self._checked = False
        self.logits = _trainers.ChunkedLogits(params, activations)  # X_val

    def __call__(self, X, y, sample_weight):
        """``J``; ``dJ/dtheta`` goes into ``params.grad``."""
        assert X is self.X, "the blockwise objective is that of one X"
        blocks, p = self._blocks, self.params
        dropout = [None] * len(blocks.rows)
        if any(keep < 1 for keep in self.keep_probs):
            seeds = self.rng.randint(np.iinfo(np.int32).max, size=len(blocks.rows))
            dropout = [(int(seed), self.keep_probs) for seed in seeds]
        cost, coef_grads, intercept_grads = blocks.sum(
            block_cost_and_gradients,
            p.coefs,
            p.intercepts,
            (self.activations, self.head),
            per_block=[(masks, not self._checked) for masks in dropout],
        )
        self._checked = True
        for view, value in zip(
            p.coef_grads + p.intercept_grads, coef_grads + intercept_grads, strict=True
        ):
            view[...] = value
        return float(p.add_penalty(cost, self.alpha, blocks.sw_sum))

    def final(self, X, y, sample_weight):
        """``(loss, None)``: the loss of the current parameters, summed over
        the blocks (no L2 term); the logits stay where the blocks are."""
        return self._blocks.loss(self), None

    def close(self):
        self._blocks.release()
        self.logits.close()


# -- prediction -----------------------------------------------------------------


def map_rows(X, function, *args, n_columns=None, dtype=None):
    """``function(X_k, *args)`` for each row block ``X_k`` of the dask array
    ``X``, lazily; it returns ``(m_k,)`` or, with ``n_columns``,
    ``(m_k, n_columns)``."""
    if n_columns is None:
        return X.map_blocks(
            function, *args, drop_axis=1, dtype=dtype, meta=np.empty((0,), dtype)
        )
    return X.map_blocks(
        function,
        *args,
        chunks=(X.chunks[0], (n_columns,)),
        dtype=dtype,
        meta=np.empty((0, n_columns), dtype=dtype),
    )
