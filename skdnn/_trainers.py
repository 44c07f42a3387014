"""Course step 6, the training loop's machinery: parameters, objectives and
trainers.

* :class:`PackedParameters` holds every ``W[l]`` and ``b[l]`` of a fit in
  **one flat buffer** ``theta`` (the arrays are views of it) and their
  gradients in another, ``grad``. An optimiser update is a few whole-buffer
  calls, a snapshot is one copy, and L-BFGS sees one vector.
* An *objective* computes course steps 2-4 on a batch: it returns the cost
  ``J`` and writes ``dJ/dtheta`` into ``grad``. :class:`BatchObjective` does
  it in memory; :class:`skdnn._dask.BlockwiseObjective` sums it over the row
  blocks of a dask array.
* A *trainer* runs epochs. Every trainer has the same protocol::

      step(X, y, sample_weight) -> cost     forward, cost, backward, update
      run(data, epochs, on_epoch)           epochs until on_epoch says stop
      logit(X)                              Z[L] of the current parameters
      snapshot() / restore(snapshot)        for early stopping
      parameters()                          copies of (coefs, intercepts)
      finish()                              final parameters in place, free

  :class:`GradientTrainer` (any optimiser of :data:`~skdnn._solvers.OPTIMIZERS`,
  any objective, any batch size), :class:`SampleSpaceTrainer` (plain
  full-batch gradient descent with ``W[1]`` kept in the row space of ``X``)
  and :class:`LbfgsTrainer` (scipy's L-BFGS-B on ``theta``).

The sample space
----------------
Every gradient-descent update adds ``-(learning_rate/sum(s)) X.T @ dZ[1]``
to ``W[1]`` and the L2 term scales it, so after any number of iterations::

    W[1] = c * W1_0 + X.T @ C        (c a scalar, C of shape (m, n_1))

With ``G = X @ X.T`` and ``P = X @ W1_0`` computed once,
``Z[1] = X @ W[1] + b = c P + G C + b`` costs ``O(m^2 n_1)`` instead of
``O(m n_0 n_1)``: much cheaper when there are more features than samples
(the cat images: 209 samples, 12288 features). ``W[1]`` itself is formed
once, at the end. Both give the same iterates up to rounding.
"""

import numpy as np
import scipy.optimize
from sklearn.utils import gen_batches

from ._engine import (
    backward_propagation,
    column_ones,
    compute_cost,
    draw_dropout_masks,
    forward_propagation,
    output_delta,
    update_parameters,
)
from ._parallel import other_blas_one_thread
from ._rows import RowChunks, widest
from ._warnings import warn_convergence
from .activations import ACTIVATIONS, DERIVATIVES

# -- the parameters ------------------------------------------------------------


class PackedParameters:
    """Every ``W[l]`` and ``b[l]`` in one flat vector, layer by layer.

    ``theta = [W[1].ravel(), b[1], W[2].ravel(), b[2], ...]``; ``coefs[l-1]``
    and ``intercepts[l-1]`` are views of it of shapes ``(n_{l-1}, n_l)`` and
    ``(n_l,)``, and ``coef_grads``, ``intercept_grads`` the same views of
    ``grad``. ``b[1]`` and layers ``2 .. L`` are the contiguous tail
    ``theta[tail:]``: everything but ``W[1]``.

    Parameters
    ----------
    coefs, intercepts : lists of ndarray
        Initial values, copied in.
    dtype : numpy dtype
    """

    def __init__(self, coefs, intercepts, dtype):
        sizes = [W.size + b.size for W, b in zip(coefs, intercepts, strict=True)]
        self.theta = np.empty(sum(sizes), dtype=dtype)
        self.grad = np.zeros_like(self.theta)
        self.coefs, self.intercepts = self._views(self.theta, coefs)
        self.coef_grads, self.intercept_grads = self._views(self.grad, coefs)
        for view, value in zip(
            self.coefs + self.intercepts, coefs + intercepts, strict=True
        ):
            view[...] = value
        self.tail = coefs[0].size
        self._is_coef = self._penalised = None  # built by add_penalty, once

    @staticmethod
    def _views(flat, coefs):
        """``(coefs, intercepts)`` as views of ``flat``, shaped like ``coefs``."""
        views, offset = ([], []), 0
        for W in coefs:
            n_in, n_out = W.shape
            views[0].append(flat[offset : offset + n_in * n_out].reshape(n_in, n_out))
            offset += n_in * n_out
            views[1].append(flat[offset : offset + n_out])
            offset += n_out
        assert offset == flat.size
        return views

    def add_penalty(self, cost, alpha, sw_sum):
        """Course 2's L2 term on every ``W[l]`` (not the ``b[l]``), for a
        batch of total weight ``sw_sum``: returns
        ``cost + alpha/(2 sum(s)) sum_l ||W[l]||^2`` and adds
        ``(alpha/sum(s)) W[l]`` to the gradients in ``grad``.

        The objectives compute their batch's data term and call this once,
        so the term is the same in memory and on dask blocks. On the whole
        buffer, through the 0/1 vector of the weights' positions, it is
        four NumPy calls for any number of layers.
        """
        if not alpha:
            return cost
        if self._is_coef is None:
            self._is_coef = np.zeros_like(self.theta)
            self._penalised = np.empty_like(self.theta)
            for view in self._views(self._is_coef, self.coefs)[0]:
                view[...] = 1
        scale = alpha / sw_sum
        # W[l], b[l] = 0, into a scratch of its own
        penalised = np.multiply(self.theta, self._is_coef, out=self._penalised)
        squared_norm = np.vdot(penalised, penalised)
        penalised *= scale
        self.grad += penalised
        return float(cost + scale / 2 * squared_norm)

    def copies(self):
        """Ordinary arrays (not views) of the current ``coefs``, ``intercepts``."""
        return [W.copy() for W in self.coefs], [b.copy() for b in self.intercepts]


# -- objectives: course steps 2-4 -------------------------------------------------


def layer_buffers(rows, widths, dtype):
    """One empty ``(rows, n_l)`` array per layer of width ``n_l``: the
    buffers a forward or backward pass over ``rows`` rows writes into."""
    return [np.empty((rows, n), dtype=dtype) for n in widths]


def cost_and_gradients(X, y, sample_weight, network, dropout, sw_sum, out=None):
    """Steps 2-4 on rows of a batch: their share of ``J`` (no L2 term), and
    their gradients written into ``out``.

    Parameters
    ----------
    X : ndarray of shape (r, n_0)
    y : ndarray of shape (r,) or (r, k)
    sample_weight : ndarray of shape (r,)
    network : tuple (coefs, intercepts, activations, head)
    dropout : list or None
        The rows' masks (see :func:`~skdnn._engine.forward_propagation`).
    sw_sum : float
        ``sum(s)`` of the whole batch: the shares of its rows add up.
    out : tuple (Z, deltas, coef_grads, intercept_grads), optional
        Buffers: one ``(>= r, n_l)`` array per layer for ``Z[l]`` and one
        for ``dZ[l]``, and the gradients' arrays; new ones by default.

    Returns
    -------
    cost : float
    coef_grads, intercept_grads : lists of ndarray
    """
    coefs, intercepts, activations, head = network
    r, n_layers = X.shape[0], len(coefs)
    Z, deltas, coef_grads, intercept_grads = out or (
        None,
        [None] * n_layers,
        [None] * n_layers,
        [None] * n_layers,
    )
    cache = forward_propagation(
        X,
        coefs,
        intercepts,
        activations,
        out=None if Z is None else [A[:r] for A in Z],
        dropout=dropout,
    )
    cost = compute_cost(cache[-1], y, sample_weight, [], 0.0, sw_sum=sw_sum, head=head)
    grads = backward_propagation(
        cache,
        y,
        sample_weight,
        coefs,
        activations,
        0.0,  # the L2 term is added once, by the objective
        out=(coef_grads, intercept_grads, [d if d is None else d[:r] for d in deltas]),
        dropout=dropout,
        sw_sum=sw_sum,
        head=head,
    )
    return cost, *grads


def _rows_of(dropout, rows):
    """The dropout masks of ``rows`` (a slice) of the batch."""
    if dropout is None:
        return None
    return [None if d is None else (d[0][rows], d[1]) for d in dropout]


class _Workspace:
    """One thread's buffers for chunks of up to ``rows`` rows: ``Z[l]`` and
    ``dZ[l]`` per layer, and a scratch gradient (flat, in the layout of
    ``theta``) for the chunks of a slot after its first."""

    def __init__(self, params, rows):
        dtype = params.theta.dtype
        widths = [W.shape[1] for W in params.coefs]
        self.Z = layer_buffers(rows, widths, dtype)
        self.deltas = layer_buffers(rows, widths, dtype)
        self._params, self._scratch = params, None

    def out(self, slot_grad):
        """``out`` for :func:`cost_and_gradients`, into ``slot_grad`` (a
        :class:`_SlotGradient`) or, when ``None``, into the scratch."""
        if slot_grad is not None:
            return (self.Z, self.deltas, *slot_grad.views)
        if self._scratch is None:
            self._scratch = _SlotGradient(self._params)
        return (self.Z, self.deltas, *self._scratch.views)

    def add_scratch(self, slot_grad):
        slot_grad.flat += self._scratch.flat


class _SlotGradient:
    """The gradients of one slot of chunks: flat, in the layout of ``theta``
    (``params.grad`` itself for the first slot), and their views."""

    def __init__(self, params, flat=None):
        self.flat = np.zeros_like(params.theta) if flat is None else flat
        # the views once, not per batch: 3 us of adam's 190 us per batch
        self.views = PackedParameters._views(self.flat, params.coefs)


class ChunkedLogits:
    """``Z[L]`` of many rows with the current parameters, without dropout,
    a chunk of rows at a time (:class:`~skdnn._rows.RowChunks`) through
    activation buffers that are reused, the parts on the chunks' threads.

    No activations of all the rows are ever allocated: on a million rows a
    hidden layer of 256 would take 2 GB, and fresh memory costs page faults
    on first touch (measured here: 80 MB of new activations made a 20 ms
    product take 110-140 ms in a fit's final pass).

    Parameters
    ----------
    params : PackedParameters
    activations : list of str
    chunks : RowChunks, optional
        How to split the rows; one thread by default.
    buffers : list of list of ndarray, optional
        Per thread, one ``(rows, n_l)`` buffer per layer to compute in (the
        objective's own, free between its steps); where they are missing or
        smaller than a chunk, buffers of a chunk are made on first use.
    """

    def __init__(self, params, activations, chunks=None, buffers=None):
        self.params, self.activations = params, activations
        if chunks is None:
            chunks = RowChunks(width=widest(params.coefs))
        self.chunks = chunks
        self._buffers = buffers

    def __call__(self, X):
        """``Z_L`` of shape ``(m, k)``."""
        p, m = self.params, X.shape[0]
        Z_L = np.empty((m, p.coefs[-1].shape[1]), dtype=p.theta.dtype)
        buffers = self._chunk_buffers(m)

        def slot(worker, i, chunks):
            for start, stop in chunks:
                out = [Z[: stop - start] for Z in buffers[worker]]
                cache = forward_propagation(
                    X[start:stop], p.coefs, p.intercepts, self.activations, out=out
                )
                Z_L[start:stop] = cache[-1]

        self.chunks.map(slot, m)
        return Z_L

    def _chunk_buffers(self, m):
        """Buffers for every thread, each as large as the chunks of ``m``."""
        rows = max(b - a for chunks in self.chunks.slots(m) for a, b in chunks)
        workers, buffers = self.chunks.workers(m), self._buffers
        if (
            buffers is None
            or len(buffers) < workers
            or min(b[0].shape[0] for b in buffers[:workers]) < rows
        ):
            dtype = self.params.theta.dtype
            widths = [W.shape[1] for W in self.params.coefs]
            buffers = [layer_buffers(rows, widths, dtype) for _ in range(workers)]
            self._buffers = buffers
        return buffers

    def close(self):
        """Free the buffers."""
        self._buffers = None


class BatchObjective:
    """Cost and gradients of one in-memory batch (steps 2, 3 and 4), a
    chunk of rows at a time, the chunks on ``threads`` threads
    (:mod:`skdnn._rows`).

    Parameters
    ----------
    params : PackedParameters
    activations : list of str
        One hidden activation per hidden layer.
    alpha : float
        L2 penalty.
    keep_probs : list of float
        Dropout keep probability per hidden layer (1 = no dropout).
    rng : RandomState
        Draws the dropout masks.
    max_rows : int
        Largest batch; the buffers are allocated for it once.
    head : str
        The output layer and its loss, a key of :data:`skdnn.heads.HEADS`.
    threads : int, default=1
        Threads to split a batch's chunks among.
    """

    def __init__(
        self, params, activations, alpha, keep_probs, rng, max_rows, head, threads=1
    ):
        self.params, self.activations, self.alpha = params, activations, alpha
        self.keep_probs, self.rng, self.head = keep_probs, rng, head
        gradient_bytes = params.grad.nbytes
        self.chunks = RowChunks(threads, widest(params.coefs), gradient_bytes)
        rows = self.chunks.buffer_rows(max_rows)
        workers = range(self.chunks.workers(max_rows))
        self._spaces = [_Workspace(params, rows) for _ in workers]
        self._slot_grads = [_SlotGradient(params, params.grad)] + [
            _SlotGradient(params) for _ in self.chunks.slots(max_rows)[1:]
        ]
        self._dropout = any(p < 1 for p in keep_probs)
        self._hidden = [W.shape[1] for W in params.coefs[:-1]]  # masks' widths
        self._network = (params.coefs, params.intercepts, activations, head)
        buffers = [space.Z for space in self._spaces]
        self.logits = ChunkedLogits(params, activations, self.chunks, buffers)

    def __call__(self, X, y, sample_weight):
        """``J`` of the batch; ``dJ/dtheta`` goes into ``params.grad``."""
        m, p = X.shape[0], self.params
        dropout = None
        if self._dropout:
            dropout = draw_dropout_masks(
                self.rng, m, self._hidden, self.keep_probs, X.dtype
            )
        batch = (X, y, sample_weight, dropout)
        sw_sum = sample_weight.sum()  # once, for the cost and the gradients

        def slot(worker, i, chunks):
            space, grad = self._spaces[worker], self._slot_grads[i]
            return self._slot(space, grad, chunks, batch, sw_sum)

        costs = self.chunks.map(slot, m)
        for grad in self._slot_grads[1 : len(costs)]:  # in the slots' order
            p.grad += grad.flat
        return p.add_penalty(sum(costs), self.alpha, sw_sum)

    def _slot(self, space, grad, chunks, batch, sw_sum):
        """One slot's chunks, on one thread: their cost, their gradients in
        ``grad``."""
        *arrays, dropout = batch
        cost, m = 0.0, arrays[0].shape[0]
        for k, (start, stop) in enumerate(chunks):
            rows = slice(start, stop)
            chunk = arrays if stop - start == m else [a[rows] for a in arrays]
            cost += cost_and_gradients(
                *chunk,
                self._network,
                _rows_of(dropout, rows),
                sw_sum,
                out=space.out(grad if k == 0 else None),
            )[0]
            if k:
                space.add_scratch(grad)
        return cost

    def final(self, X, y, sample_weight):
        """``(loss, Z_L)`` of the current parameters (no L2 term, no
        dropout): the check of the last update, which no epoch follows, and
        the logits of the training rows."""
        Z_L = self.logits(X)
        return compute_cost(Z_L, y, sample_weight, [], 0.0, head=self.head), Z_L

    def close(self):
        """Free the buffers and stop the threads."""
        self._spaces = self._slot_grads = None
        self.logits.close()
        self.chunks.close()


# -- trainers ----------------------------------------------------------------------


def run_epochs(trainer, data, epochs, on_epoch):
    """The loop of the gradient trainers: for each epoch, set the learning
    rate, pass over ``data`` (:meth:`TrainingSet.batches`) with
    ``trainer.step`` and hand the epoch's cost to ``on_epoch``, which returns
    true to stop.

    The cost of an epoch of mini-batches is the weighted mean of the batch
    costs, each before its update; a batch with no weight is skipped. The
    first epoch also hands over its first batch's cost, the cost before any
    update.
    """
    for epoch in epochs:
        trainer.optimizer.start_epoch(epoch)
        if data.full_batch:
            if on_epoch(trainer.step(data.X, data.y, data.sample_weight)):
                return
            continue
        total, costs = 0.0, []
        for X, y, sample_weight in data.batches():
            weight = sample_weight.sum()
            if weight > 0:
                costs.append(trainer.step(X, y, sample_weight))
                total += weight * costs[-1]
        start_cost = costs[0] if epoch == epochs[0] and costs else None
        if on_epoch(total / data.weight, start_cost):
            return


class GradientTrainer:
    """Feature space: any optimiser, any objective, any batch.

    Parameters
    ----------
    params : PackedParameters
    objective : BatchObjective or skdnn._dask.BlockwiseObjective
    optimizer : object
        One of :data:`~skdnn._solvers.OPTIMIZERS`, over ``params.theta``.
    activations : list of str
    """

    def __init__(self, params, objective, optimizer, activations):
        self.params, self.objective = params, objective
        self.optimizer, self.activations = optimizer, activations

    def step(self, X, y, sample_weight):
        """Steps 2-5 on one batch; returns the cost before the update."""
        cost = self.objective(X, y, sample_weight)
        self.optimizer.update(self.params.theta, self.params.grad)
        return cost

    run = run_epochs

    def logit(self, X):
        """``Z[L]`` of the current parameters, without dropout, in the
        shape of :func:`~skdnn._engine.predict_logit`'s."""
        Z_L = self.objective.logits(X)
        return Z_L.ravel() if Z_L.shape[1] == 1 else Z_L

    def snapshot(self):
        """A copy of the current parameters, for :meth:`restore`."""
        return self.params.theta.copy()

    def restore(self, snapshot):
        self.params.theta[...] = snapshot

    def parameters(self):
        """Copies of the current ``coefs_`` and ``intercepts_``."""
        return self.params.copies()

    def final(self, data):
        """``(loss, Z_L)`` of the final parameters on the training set (after
        :meth:`finish`); ``Z_L`` is None where the rows are not in memory."""
        return data.final(self.objective)

    def finish(self):
        """Leave the final parameters in ``params``."""


class LbfgsTrainer(GradientTrainer):
    """scipy's L-BFGS-B on the flat ``theta``, full batch.

    scipy's vector is float64 (as in MLPClassifier); the cost and the
    gradient are computed by the objective in the parameters' own dtype.
    An "epoch" is one L-BFGS iteration: ``on_epoch`` gets the cost at the
    new iterate, and can stop the minimisation (early stopping, callbacks,
    Ctrl-C).

    Parameters
    ----------
    params, objective, activations
        As for :class:`GradientTrainer`.
    max_fun : int
        Most cost-and-gradient evaluations.
    gtol : float
        Stop when the largest gradient component is below it.
    """

    def __init__(self, params, objective, activations, max_fun, gtol):
        super().__init__(params, objective, None, activations)
        self.max_fun, self.gtol = max_fun, gtol

    def step(self, X, y, sample_weight):
        raise TypeError("L-BFGS takes whole iterations: use run()")

    def _cost_and_gradient(self, x, data):
        self.params.theta[...] = x
        cost = self.objective(data.X, data.y, data.sample_weight)
        return cost, self.params.grad.astype(np.float64)

    def run(self, data, epochs, on_epoch):
        """Minimise for at most ``len(epochs)`` iterations; warn with
        ``ConvergenceWarning`` when scipy stops on ``max_iter`` or ``max_fun``."""

        def callback(intermediate_result):
            self.params.theta[...] = intermediate_result.x
            if on_epoch(float(intermediate_result.fun)):
                raise StopIteration

        with other_blas_one_thread():  # scipy's BLAS, inside L-BFGS-B
            result = scipy.optimize.minimize(
                self._cost_and_gradient,
                self.params.theta.astype(np.float64),
                args=(data,),
                method="L-BFGS-B",
                jac=True,
                callback=callback,
                options={
                    "maxiter": len(epochs),
                    "maxfun": self.max_fun,
                    "gtol": self.gtol,
                },
            )
        self.params.theta[...] = result.x
        if result.nit == 0:  # converged at the start (a zero gradient)
            on_epoch(float(result.fun))
        if result.status == 1:  # stopped on maxiter or maxfun
            over_fun = result.nfev >= self.max_fun
            limit, value = (
                ("max_fun", self.max_fun) if over_fun else ("max_iter", len(epochs))
            )
            warn_convergence(
                f"lbfgs stopped on {limit}={value} before converging "
                f"({result.message}); raise {limit} or scale the features."
            )
        elif result.status == 2:  # the line search failed
            warn_convergence(
                f"lbfgs stopped early: {result.message}. The cost may be "
                "at a minimum to the precision of its dtype, or badly scaled: "
                "scale the features, or try solver='adam'."
            )


class SampleSpaceTrainer(GradientTrainer):
    """Full-batch plain gradient descent with ``W[1] = c W1_0 + X.T @ C``.

    ``params.coefs[0]`` holds ``W1_0`` until :meth:`finish` turns it into the
    trained ``W[1]``; ``b[1]`` and layers ``2 .. L`` (the tail of ``theta``)
    are updated explicitly with the optimiser's learning rate. Every step
    must pass the ``X`` given here.

    Parameters
    ----------
    X : ndarray of shape (m, n_0)
    params : PackedParameters
    optimizer : GradientDescentOptimizer
    activations : list of str
    alpha : float
    head : str
    """

    def __init__(self, X, params, optimizer, activations, alpha, head):
        keep_probs = [1.0] * len(activations)
        objective = BatchObjective(
            params, activations, alpha, keep_probs, None, 0, head
        )
        super().__init__(params, objective, optimizer, activations)
        self.X, self.alpha, self.head = X, alpha, head
        W1_0 = params.coefs[0]
        self._G = X @ X.T  # (m, m)
        self._P = X @ W1_0  # (m, n_1)
        self._C = np.zeros_like(self._P)
        self._c = 1.0
        self._W1_0_squared_norm = np.vdot(W1_0, W1_0)
        m, widths = X.shape[0], [W.shape[1] for W in params.coefs]
        self._Z = layer_buffers(m, widths, X.dtype)
        self._deltas = layer_buffers(m, widths, X.dtype)
        self._rows = None  # (X, X @ W1_0, X @ X_train.T) for logit

    def _forward(self, GC, P, out=None):
        """``[A[1], ..., Z[L]]`` of rows whose ``G C`` is ``GC`` (completed
        in place) and ``X @ W1_0`` is ``P``: ``Z[1] = c P + G C + b[1]``,
        then the other layers as usual."""
        p, Z1 = self.params, GC
        if self._c != 1.0:
            Z1 += self._c * P
        else:
            Z1 += P
        Z1 += p.intercepts[0]  # Z[1] = c P + G C + b[1]
        if len(p.coefs) == 1:
            return [Z1]
        ACTIVATIONS[self.activations[0]](Z1)  # A[1] = g(Z[1])
        return forward_propagation(
            Z1, p.coefs[1:], p.intercepts[1:], self.activations[1:], out=out
        )

    def _first_layer_squared_norm(self, GC):
        """``||W[1]||^2 = c^2 ||W1_0||^2 + 2c <P, C> + <C, G C>``."""
        c, C = self._c, self._C
        return (
            c * c * self._W1_0_squared_norm
            + 2 * c * np.vdot(self._P, C)
            + np.vdot(C, GC)
        )

    def step(self, X, y, sample_weight):
        assert X is self.X, "the sample-space trainer trains on one X"
        p = self.params
        Z1 = np.matmul(self._G, self._C, out=self._Z[0])  # G C
        first_norm = self._first_layer_squared_norm(Z1) if self.alpha else 0.0
        cache = [X, *self._forward(Z1, self._P, out=self._Z[1:])]
        sw_sum = sample_weight.sum()  # once, for the cost and the gradients
        cost = compute_cost(
            cache[-1],
            y,
            sample_weight,
            p.coefs[1:],
            self.alpha,
            first_norm,
            sw_sum=sw_sum,
            head=self.head,
        )
        dZ1 = self._first_delta(cache, y, sample_weight, sw_sum)
        # db[1] = sum of the rows of dZ[1]; then b[1] and layers 2 .. L at once
        np.matmul(column_ones(X.shape[0], X.dtype), dZ1, out=p.intercept_grads[0])
        lr = self.optimizer.learning_rate
        update_parameters(p.theta[p.tail :], p.grad[p.tail :], lr)
        self._update_first_layer(dZ1, sw_sum)
        return cost

    def _first_delta(self, cache, y, sample_weight, sw_sum):
        """``dZ[1]``, the true gradient of ``J`` with respect to ``Z[1]``;
        the gradients of layers ``2 .. L`` go into ``params.grad``."""
        p = self.params
        if len(p.coefs) == 1:
            dZ1 = output_delta(
                cache[-1], y, sample_weight, out=self._deltas[0], head=self.head
            )
            dZ1 *= 1 / sw_sum
            return dZ1
        _, _, dZ1 = backward_propagation(
            cache[1:],
            y,
            sample_weight,
            p.coefs[1:],
            self.activations[1:],
            self.alpha,
            out=(p.coef_grads[1:], p.intercept_grads[1:], self._deltas[1:]),
            return_input_gradient=True,
            sw_sum=sw_sum,
            head=self.head,
        )
        DERIVATIVES[self.activations[0]](cache[1], dZ1)  # dZ[1] = dA[1] g'(Z[1])
        return dZ1

    def _update_first_layer(self, dZ1, sw_sum):
        """``W[1] := (1 - lr alpha / sum(s)) W[1] - lr X.T dZ[1]`` through
        ``c`` and ``C``."""
        lr = self.optimizer.learning_rate
        decay = 1 - lr * self.alpha / sw_sum
        if decay != 1:
            self._c *= decay
            self._C *= decay
        update_parameters(self._C.reshape(-1), dZ1.reshape(-1), lr)

    def _first_coef(self):
        """``W[1]``, formed: ``c W1_0 + X.T @ C``."""
        if self._C is None:
            return self.params.coefs[0].copy()
        return self._c * self.params.coefs[0] + self.X.T @ self._C

    def logit(self, X):
        """``Z[L]`` of other rows (the validation set of early stopping),
        through their ``X @ W1_0`` and ``X @ X_train.T``, computed once, so
        that ``W[1]`` is never formed."""
        if self._rows is None or self._rows[0] is not X:
            self._rows = (X, X @ self.params.coefs[0], X @ self.X.T)
        _, P, G = self._rows
        Z_L = self._forward(G @ self._C, P)[-1]
        return Z_L.ravel() if Z_L.shape[1] == 1 else Z_L

    def snapshot(self):
        return self._c, self._C.copy(), self.params.theta.copy()

    def restore(self, snapshot):
        self._c, C, theta = snapshot
        self._C[...] = C
        self.params.theta[...] = theta

    def parameters(self):
        coefs, intercepts = self.params.copies()
        coefs[0] = self._first_coef()
        return coefs, intercepts

    def finish(self):
        self.params.coefs[0][...] = self._first_coef()
        self._G = self._P = self._C = self._Z = self._deltas = self._rows = None


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


# -- the training data ---------------------------------------------------------------


class TrainingSet:
    """``X``, ``y`` and ``sample_weight`` of a fit, and how an epoch cuts
    them into batches.

    Parameters
    ----------
    X : ndarray of shape (m, n_0)
    y, sample_weight : ndarray of shape (m,)
    batch_size : int or None
        ``None``: one full batch per epoch.
    shuffle : bool
        Reshuffle the rows every epoch (mini-batches only).
    rng : RandomState
    """

    def __init__(self, X, y, sample_weight, batch_size, shuffle, rng):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.batch_size, self.shuffle, self.rng = batch_size, shuffle, rng
        self.full_batch = batch_size is None
        self.n_samples = X.shape[0]
        self.weight = sample_weight.sum()

    def final(self, objective):
        """``(loss, Z_L)`` of ``objective``'s current parameters on the whole
        set (see :meth:`BatchObjective.final`)."""
        return objective.final(self.X, self.y, self.sample_weight)

    def max_rows(self):
        """The most rows a batch can have."""
        return min(self.batch_size or self.n_samples, self.n_samples)

    def parts(self):
        """``(X, y, sample_weight)`` of each part an epoch shuffles on its
        own: the whole set in memory (a dask array gives its row blocks)."""
        yield self.X, self.y, self.sample_weight

    def batches(self):
        """The mini-batches of one epoch, shuffled within each part."""
        for X, y, sample_weight in self.parts():
            m = X.shape[0]
            order = self.rng.permutation(m) if self.shuffle else np.arange(m)
            for batch in gen_batches(m, self.batch_size):
                rows = order[batch]
                # take: 6.6 us where X[rows] takes 8.9 (200 x 50 rows)
                yield (
                    X.take(rows, axis=0),
                    y.take(rows, axis=0),
                    sample_weight.take(rows),
                )
