"""What is timed: the same network, ``[LINEAR -> RELU] x (L-1) -> LINEAR ->
SIGMOID``, trained by full-batch gradient descent, four ways.

Each contender is built once per workload and dtype into a *runner*
``run(k)`` that trains for ``k`` iterations from a fresh start and returns
the name of the dtype its parameters were trained in (to check that nothing
was silently upcast).
"""

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import pairwise

import numpy as np
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skdnn import DeepBinaryClassifier
from skdnn._trainers import PackedParameters

from .workloads import LEARNING_RATE


def skdnn_estimator(hidden, n_samples, max_iter, random_state=0, **params):
    """``DeepBinaryClassifier`` with the benchmark's network (``n_samples`` is
    unused: the signature matches :func:`mlp_estimator`)."""
    return DeepBinaryClassifier(
        hidden,
        "relu",
        learning_rate=LEARNING_RATE,
        max_iter=max_iter,
        random_state=random_state,
        **params,
    )


def mlp_estimator(hidden, n_samples, max_iter, random_state=0):
    """``MLPClassifier`` made to run the course's algorithm: one batch of all
    samples per epoch, plain gradient steps, no L2 term, no early stop."""
    return MLPClassifier(
        hidden_layer_sizes=hidden,
        activation="relu",
        solver="sgd",
        batch_size=n_samples,
        learning_rate="constant",
        learning_rate_init=LEARNING_RATE,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        shuffle=False,
        tol=0.0,
        n_iter_no_change=2**31 - 1,
        max_iter=max_iter,
        random_state=random_state,
    )


def fit_quietly(estimator, X, y):
    """Fit, hiding MLPClassifier's "maximum iterations reached" warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _estimator_runner(make_estimator):
    """Runner factory for an estimator: ``run(k)`` fits with ``max_iter=k``."""

    def build(workload, X, y):
        def run(k):
            est = make_estimator(workload.hidden, X.shape[0], k)
            return fit_quietly(est, X, y).coefs_[0].dtype.name

        return run

    return build


def _start_weights(workload, dtype, rng):
    """The weights the floor and the bare NumPy loop start from:
    ``N(0, 1) / sqrt(n_in)`` per layer, drawn from ``rng`` in layer order."""
    return [
        (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
        for n_in, n_out in pairwise(workload.layer_sizes())
    ]


def _floor_runner(workload, X, y):
    """Only the matrix products of one iteration, into preallocated outputs.

    With 0-based layers ``l`` (the course's ``l + 1``), ``A[0] = X``:
    forward ``Z[l] = A[l] @ W[l]`` for every layer, backward
    ``dW[l] = A[l].T @ dZ[l]`` for every layer and ``dZ[l-1] = dZ[l] @ W[l].T``
    for ``l >= 1``. No bias, activation, cost or update: what the products
    of the textbook algorithm cost by themselves with this BLAS, a floor for
    any implementation that computes them all.
    """
    rng = np.random.default_rng(0)
    dtype, m = X.dtype, X.shape[0]
    sizes = workload.layer_sizes()
    W = _start_weights(workload, dtype, rng)
    Z = [np.empty((m, n_out), dtype) for n_out in sizes[1:]]
    A = [X, *Z[:-1]]
    dW = [np.empty_like(w) for w in W]
    # dZ of the output layer is read before it is written: fill it.
    dZ = [np.empty((m, n), dtype) for n in sizes[1:-1]]
    dZ.append(rng.standard_normal((m, 1)).astype(dtype))

    def run(k):
        for _ in range(k):
            for l in range(len(W)):
                np.matmul(A[l], W[l], out=Z[l])
            for l in reversed(range(len(W))):
                np.matmul(A[l].T, dZ[l], out=dW[l])
                if l:
                    np.matmul(dZ[l], W[l].T, out=dZ[l - 1])
        return dtype.name

    return run


def numpy_loop(X, y, coefs, intercepts, k, learning_rate=LEARNING_RATE):
    """``k`` iterations of the whole algorithm as bare NumPy calls, updating
    ``coefs`` and ``intercepts`` in place: the floor's products plus the
    element-wise work no implementation of it can skip (bias, ReLU and its
    derivative, the sigmoid's delta, the bias gradients, the update), with
    no validation, no cost and no bookkeeping.

    The buffers are allocated once per call, as a fit would; the arithmetic
    is the course's (``tests/test_benchmarks_numpy_loop.py`` checks it
    against skdnn's engine).
    """
    m, dtype, last = X.shape[0], X.dtype, len(coefs) - 1
    Z = [np.empty((m, W.shape[1]), dtype) for W in coefs]
    dZ = [np.empty_like(z) for z in Z]
    dW, db = [np.empty_like(W) for W in coefs], [np.empty_like(b) for b in intercepts]
    Y, ones, A = y.astype(dtype).reshape(-1, 1), np.ones(m, dtype), [X, *Z[:-1]]
    for _ in range(k):
        for l, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
            np.matmul(A[l], W, out=Z[l])
            Z[l] += b
            if l < last:
                np.maximum(Z[l], 0, out=Z[l])
        np.subtract(1 / (1 + np.exp(-Z[last])), Y, out=dZ[last])
        dZ[last] *= 1 / m
        for l in reversed(range(len(coefs))):
            np.matmul(A[l].T, dZ[l], out=dW[l])
            np.matmul(ones, dZ[l], out=db[l])
            if l:
                np.matmul(dZ[l], coefs[l].T, out=dZ[l - 1])
                np.multiply(dZ[l - 1], A[l] > 0, out=dZ[l - 1])
        for theta, grad in zip(coefs + intercepts, dW + db, strict=True):
            theta -= learning_rate * grad


def numpy_adam_epochs(X, y, coefs, intercepts, epochs, rng, hp):
    """``epochs`` epochs of mini-batch Adam as bare NumPy calls, updating
    ``coefs`` and ``intercepts`` (views of one flat vector, as skdnn's and
    MLPClassifier's updates are whole-vector) in place: per batch, the
    gather of its rows, the forward pass with ReLU, the sigmoid's delta, the
    backward pass, the L2 term and Adam's update. No cost, no validation, no
    bookkeeping: what plain NumPy reaches on this machine, a bound for
    section 2 of ``benchmarks/solvers.py``.

    ``hp``: ``(learning_rate, alpha, batch_size, beta_1, beta_2, epsilon)``;
    ``coefs``, ``intercepts`` and ``hp`` as in skdnn's ``PackedParameters``
    and ``AdamOptimizer`` (``tests/test_benchmarks_numpy_loop.py`` checks it
    against skdnn's fit).
    """
    alpha, batch = hp[1], hp[2]
    m, dtype, last = X.shape[0], X.dtype, len(coefs) - 1
    packed = PackedParameters(coefs, intercepts, dtype)  # skdnn's layout
    theta, grad = packed.theta, packed.grad
    views = packed.coefs, packed.intercepts
    grad_views = packed.coef_grads, packed.intercept_grads
    is_coef = np.zeros_like(theta)
    for view in PackedParameters._views(is_coef, coefs)[0]:
        view[...] = 1
    penalised = np.empty_like(theta)
    v, s, step = np.zeros_like(theta), np.zeros_like(theta), np.empty_like(theta)
    Z = [np.empty((batch, W.shape[1]), dtype) for W in coefs]
    dZ = [np.empty_like(z) for z in Z]
    Y, t = y.astype(dtype), 0
    for _ in range(epochs):
        order = rng.permutation(m)
        for start in range(0, m, batch):
            rows = order[start : start + batch]
            r = rows.size
            A = [X.take(rows, axis=0), *(z[:r] for z in Z[:-1])]
            for l, (W, b) in enumerate(zip(*views, strict=True)):
                out = np.matmul(A[l], W, out=Z[l][:r])
                out += b
                if l < last:
                    np.maximum(out, 0, out=out)
            delta = expit(Z[last][:r], out=dZ[last][:r])
            delta -= Y.take(rows)[:, None]
            delta *= 1 / r
            for l in reversed(range(last + 1)):
                np.matmul(A[l].T, delta, out=grad_views[0][l])
                np.sum(delta, axis=0, out=grad_views[1][l])
                if l:
                    below = np.matmul(delta, views[0][l].T, out=dZ[l - 1][:r])
                    np.multiply(below, A[l] > 0, out=below)
                    delta = below
            np.multiply(theta, is_coef, out=penalised)
            penalised *= alpha / r
            grad += penalised
            t += 1
            _adam_step(theta, grad, (v, s, step), t, hp)
    for view, value in zip(coefs + intercepts, views[0] + views[1], strict=True):
        view[...] = value


def _adam_step(theta, grad, buffers, t, hp):
    """Adam's update of ``theta`` in place, as skdnn's ``AdamOptimizer``
    computes it (``grad`` is overwritten)."""
    lr, _, _, beta_1, beta_2, eps = hp
    v, s, step = buffers
    v *= beta_1
    np.multiply(grad, 1 - beta_1, out=step)
    v += step
    np.multiply(grad, grad, out=grad)
    grad *= 1 - beta_2
    s *= beta_2
    s += grad
    c = math.sqrt(1 - beta_2**t)  # a Python float: float32 stays float32
    np.sqrt(s, out=step)
    step += eps * c
    np.divide(v, step, out=step)
    step *= lr * c / (1 - beta_1**t)
    theta -= step


def numpy_adam_runner(data, hidden, hp):
    """``run(k)``: :func:`numpy_adam_epochs` for ``k`` epochs on ``data``
    (``X``, ``y``) from He-scaled weights and zero biases (skdnn's
    ``relu`` start), shuffled by ``RandomState(0)``."""
    X, y = data.X, data.y
    sizes = [X.shape[1], *hidden, 1]

    def run(k):
        rng = np.random.RandomState(0)
        coefs = [
            (rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(X.dtype)
            for a, b in pairwise(sizes)
        ]
        intercepts = [np.zeros(b, X.dtype) for b in sizes[1:]]
        numpy_adam_epochs(X, y, coefs, intercepts, k, rng, hp)
        return coefs[0].dtype.name

    return run


def _numpy_loop_runner(workload, X, y):
    """:func:`numpy_loop` from the floor's starting weights: what plain
    NumPy reaches on this machine. The gap between it and the floor is
    NumPy's single-threaded element-wise passes over the ``m x n_l``
    arrays; the gap between skdnn and it is skdnn's own."""
    dtype = X.dtype
    start = _start_weights(workload, dtype, np.random.default_rng(0))

    def run(k):
        coefs = [W.copy() for W in start]
        intercepts = [np.zeros(W.shape[1], dtype) for W in start]
        numpy_loop(X, y, coefs, intercepts, k)
        return coefs[0].dtype.name

    return run


def _torch_runner(workload, X, y):
    """The same network and update written by hand in PyTorch (CPU, autograd
    for the gradients, ``p -= learning_rate * grad`` for the update)."""
    import torch
    import torch.nn.functional as F

    X_t = torch.from_numpy(X)
    y_t = torch.from_numpy(y.astype(X.dtype)).reshape(-1, 1)
    sizes = workload.layer_sizes()

    def run(k):
        gen = torch.Generator().manual_seed(0)
        params = []
        for n_in, n_out in pairwise(sizes):
            W = torch.randn(n_in, n_out, generator=gen, dtype=X_t.dtype)
            W /= n_in**0.5
            b = torch.zeros(n_out, dtype=X_t.dtype)
            params += [W.requires_grad_(), b.requires_grad_()]
        for _ in range(k):
            A = X_t
            for l in range(0, len(params), 2):
                A = torch.addmm(params[l + 1], A, params[l])
                if l + 2 < len(params):
                    A = torch.relu(A)
            loss = F.binary_cross_entropy_with_logits(A, y_t)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads, strict=True):
                    p.sub_(g, alpha=LEARNING_RATE)
        return str(params[0].dtype).removeprefix("torch.")

    return run


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    build: Callable  # (workload, X, y) -> run(k)


FLOOR = Contender("floor", "floor (matmuls only)", _floor_runner)
NUMPY_LOOP = Contender("numpy", "bare NumPy loop", _numpy_loop_runner)
SKDNN = Contender(
    "skdnn", "skdnn DeepBinaryClassifier", _estimator_runner(skdnn_estimator)
)
SKDNN_FEATURE = Contender(
    "skdnn_feature",
    "skdnn DeepBinaryClassifier, space='feature'",
    _estimator_runner(partial(skdnn_estimator, space="feature")),
)
MLP = Contender("mlp", "sklearn MLPClassifier", _estimator_runner(mlp_estimator))
TORCH = Contender("torch", "PyTorch loop (CPU)", _torch_runner)
ALL = {c.key: c for c in (FLOOR, NUMPY_LOOP, SKDNN, SKDNN_FEATURE, MLP, TORCH)}


def torch_version():
    """PyTorch's version, or ``None`` when it does not import."""
    try:
        import torch
    except Exception:  # ImportError, or a broken install (OSError, ...)
        return None
    return torch.__version__


def available(workload):
    """The contenders that can run on ``workload`` here.

    skdnn's textbook algorithm (``space="feature"``) gets a row of its own
    where its default may work in the sample space instead (wide data, and
    an installed skdnn that has the ``space`` parameter); PyTorch runs only
    when it imports.
    """
    has_space = "space" in DeepBinaryClassifier().get_params()
    contenders = [FLOOR, SKDNN]
    contenders += [SKDNN_FEATURE] if workload.wide and has_space else []
    contenders += [MLP] + ([TORCH] if torch_version() else [])
    return contenders
