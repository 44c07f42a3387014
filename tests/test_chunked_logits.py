"""``ChunkedLogits``: the logits of many rows a chunk at a time through
reused buffers are those of one forward pass over all the rows (up to
rounding), and a fit that uses them (early stopping's validation, the final
check) gives the same model whatever the chunk size."""

from itertools import pairwise

import numpy as np
import pytest

import skdnn._trainers
from skdnn import DeepClassifier
from skdnn._engine import forward_propagation
from skdnn._trainers import ChunkedLogits, PackedParameters


def _params(rng, sizes, dtype):
    coefs = [rng.standard_normal((a, b)) for a, b in pairwise(sizes)]
    intercepts = [rng.standard_normal(b) for b in sizes[1:]]
    return PackedParameters(coefs, intercepts, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows", [1, 7, 50, 64])
@pytest.mark.parametrize("given", [None, 3, 100])
def test_chunks_give_the_whole_forward_pass(monkeypatch, dtype, rows, given):
    monkeypatch.setattr(ChunkedLogits, "ROWS", rows)
    rng = np.random.default_rng(0)
    params = _params(rng, [6, 9, 4, 3], dtype)
    X = rng.standard_normal((50, 6)).astype(dtype)
    buffers = None
    if given is not None:
        buffers = [np.empty((given, n), dtype) for n in (9, 4, 3)]
    logits = ChunkedLogits(params, ["relu", "tanh"], buffers)
    got = logits(X)
    want = forward_propagation(X, params.coefs, params.intercepts, ["relu", "tanh"])
    assert got.dtype == dtype and got.shape == (50, 3)
    # equal up to rounding: BLAS may sum a product of other row counts in
    # another order
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, want[-1], rtol=tol, atol=tol)
    # a second call reuses the buffers and still agrees
    np.testing.assert_allclose(logits(X[:13]), want[-1][:13], rtol=tol, atol=tol)


def test_buffers_too_small_are_replaced_not_overrun(monkeypatch):
    monkeypatch.setattr(ChunkedLogits, "ROWS", 16)
    rng = np.random.default_rng(1)
    params = _params(rng, [3, 5, 1], np.float64)
    small = [np.empty((2, 5)), np.empty((2, 1))]
    logits = ChunkedLogits(params, ["relu"], small)
    logits(rng.standard_normal((40, 3)))
    assert logits._buffers[0].shape == (16, 5)  # chunks of ROWS, not of 2
    logits.close()
    assert logits._buffers is None


def test_fit_does_not_depend_on_the_chunk_size(monkeypatch):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 4))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 1)
    # batches of 5 rows: the objective's buffers are smaller than the 30
    # validation rows, so ChunkedLogits makes buffers of ROWS rows: one chunk
    # of 4096, or five chunks of 7
    params = dict(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=30, batch_size=5
    )
    whole = DeepClassifier(random_state=0, **params).fit(X, y)
    monkeypatch.setattr(ChunkedLogits, "ROWS", 7)
    calls = []
    forward = skdnn._trainers.forward_propagation

    def counted(X, *args, **kwargs):
        calls.append(X.shape[0])
        return forward(X, *args, **kwargs)

    monkeypatch.setattr(skdnn._trainers, "forward_propagation", counted)
    chunked = DeepClassifier(random_state=0, **params).fit(X, y)
    assert 7 in calls  # the validation rows did go through chunks of 7
    assert chunked.n_iter_ == whole.n_iter_
    np.testing.assert_allclose(
        chunked.validation_scores_, whole.validation_scores_, rtol=0, atol=1e-12
    )
    for a, b in zip(chunked.coefs_, whole.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
