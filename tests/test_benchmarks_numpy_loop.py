"""The benchmarks' bare NumPy loop runs the course's algorithm: from the
same weights, its iterates are those of skdnn's engine (forward, backward,
update), so the whole-fit section compares like with like."""

from itertools import pairwise

import numpy as np
import pytest

from benchmarks.contenders import numpy_loop
from skdnn._engine import backward_propagation, forward_propagation


def _engine_steps(X, y, coefs, intercepts, k, learning_rate):
    sample_weight = np.ones(X.shape[0], X.dtype)
    for _ in range(k):
        cache = forward_propagation(X, coefs, intercepts, "relu")
        grads = backward_propagation(
            cache, y.astype(X.dtype), sample_weight, coefs, "relu", 0.0
        )
        for theta, grad in zip(coefs + intercepts, grads[0] + grads[1], strict=True):
            theta -= learning_rate * grad


def _problem(dtype, seed):
    """60 x 5 rows, labels, and a network (5, 8, 4, 1) of random weights."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 5)).astype(dtype)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    sizes = [5, 8, 4, 1]
    coefs = [rng.standard_normal((a, b)).astype(dtype) for a, b in pairwise(sizes)]
    intercepts = [rng.standard_normal(b).astype(dtype) for b in sizes[1:]]
    return X, y, coefs, intercepts


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_loop_matches_the_engine(dtype):
    X, y, coefs, intercepts = _problem(dtype, seed=0)
    first = coefs[0].copy()
    ours = [c.copy() for c in coefs], [b.copy() for b in intercepts]
    numpy_loop(X, y, *ours, k=5, learning_rate=0.1)
    _engine_steps(X, y, coefs, intercepts, 5, 0.1)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for got, want in zip(ours[0] + ours[1], coefs + intercepts, strict=True):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    # and it moved: five steps at 0.1 change the first layer
    assert np.abs(ours[0][0] - first).max() > 1e-3


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_adam_epochs_match_skdnns_trainer(dtype):
    from benchmarks.contenders import numpy_adam_epochs
    from skdnn._solvers import AdamOptimizer
    from skdnn._trainers import (
        BatchObjective,
        GradientTrainer,
        PackedParameters,
        TrainingSet,
    )

    X, y, coefs, intercepts = _problem(dtype, seed=1)
    hp = (0.01, 0.3, 16, 0.9, 0.999, 1e-8)
    ours = [c.copy() for c in coefs], [b.copy() for b in intercepts]
    numpy_adam_epochs(X, y, *ours, 3, np.random.RandomState(7), hp)

    params = PackedParameters(coefs, intercepts, dtype)
    objective = BatchObjective(
        params, ["relu"] * 2, 0.3, [1.0] * 2, None, 16, "logistic"
    )
    optimizer = AdamOptimizer(
        params.theta.size, dtype, 0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    )
    trainer = GradientTrainer(params, objective, optimizer, ["relu"] * 2)
    weights = np.ones(60, dtype)
    data = TrainingSet(X, y.astype(dtype), weights, 16, True, np.random.RandomState(7))
    trainer.run(data, [0, 1, 2], lambda cost, start=None: False)
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    for got, want in zip(
        ours[0] + ours[1], params.coefs + params.intercepts, strict=True
    ):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    assert np.abs(ours[0][0] - coefs[0]).max() > 1e-3  # and it moved
