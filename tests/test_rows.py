"""Big batches a chunk of rows at a time, the chunks among threads
(``skdnn._rows``): the chunks cover every row once; the threads run at the
same time and are always waited for; the chunked objective and logits give
the one-pass numbers up to rounding (the gradient check in chunks is in
``test_heads.py``); a fit alone in its process runs its chunks on its cores
with BLAS on one thread, and gives BLAS its threads back."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import skdnn._trainers
from skdnn import DeepBinaryClassifier, DeepClassifier, DeepRegressor, _parallel
from skdnn._engine import (
    backward_propagation,
    compute_cost,
    draw_dropout_masks,
    forward_propagation,
)
from skdnn._parallel import blas_thread_limit, blas_threads, row_threads
from skdnn._rows import RowChunks
from skdnn._trainers import BatchObjective, ChunkedLogits, PackedParameters
from skdnn.heads import HEADS

# -- RowChunks: which rows go where -----------------------------------------------


@given(m=st.integers(1, 20_000), threads=st.integers(1, 5), rows=st.integers(1, 3_000))
def test_slots_cover_every_row_once_in_order(m, threads, rows):
    chunks = RowChunks(threads)
    chunks.rows = rows
    slots = chunks.slots(m)
    assert len(slots) == min(RowChunks.SLOTS, -(-m // rows))
    assert chunks.workers(m) == min(threads, len(slots))
    flat = [chunk for slot in slots for chunk in slot]
    assert flat[0][0] == 0 and flat[-1][1] == m
    assert all(a[1] == b[0] for a, b in pairwise(flat))  # consecutive
    lengths = [stop - start for start, stop in flat]
    assert min(lengths) >= 1 and max(lengths) <= rows
    assert max(lengths) - min(lengths) <= 1  # chunks of nearly equal size
    assert len(flat) == -(-m // rows)  # as few chunks as fit
    counts = [len(slot) for slot in slots]
    assert max(counts) - min(counts) <= 1  # the slots share the chunks evenly
    assert chunks.slots(m) is slots  # worked out once per batch size
    # the slots do not depend on the threads: nor do the sums over them
    other = RowChunks(1 + threads % 3)
    other.rows = rows
    assert other.slots(m) == slots


def test_a_batch_of_one_chunk_is_one_slot():
    rows = RowChunks(4, width=256).rows
    assert rows == 2048
    assert RowChunks(4, width=256).slots(rows) == [[(0, rows)]]
    assert RowChunks(4, width=256).workers(rows) == 1
    assert len(RowChunks(4, width=256).slots(rows + 1)) == 2


def test_the_slots_gradients_fit_in_slot_bytes_but_every_thread_has_one():
    small, big = 1000, RowChunks.SLOT_BYTES // 3
    assert RowChunks(2, gradient_bytes=small).max_slots == RowChunks.SLOTS
    assert RowChunks(2, gradient_bytes=big).max_slots == 3
    assert RowChunks(4, gradient_bytes=big).max_slots == 4
    assert RowChunks(2, gradient_bytes=RowChunks.SLOT_BYTES * 2).max_slots == 2
    chunks = RowChunks(2, gradient_bytes=big)
    chunks.rows = 10
    assert len(chunks.slots(1000)) == 3  # 100 chunks in 3 slots


def test_narrow_networks_get_longer_chunks():
    assert RowChunks(width=16).rows == 16 * RowChunks(width=256).rows
    assert RowChunks(width=10**7).rows == 1


def test_threads_must_be_positive():
    with pytest.raises(ValueError, match="threads must be at least 1; got 0"):
        RowChunks(0)


# -- RowChunks.map: how the slots run ---------------------------------------------


def _two_threads():
    """Two threads and chunks of 10 rows: 20 rows make two slots."""
    chunks = RowChunks(2)
    chunks.rows = 10
    return chunks


def test_map_runs_the_slots_at_once_and_keeps_their_order():
    chunks = _two_threads()
    barrier = threading.Barrier(2, timeout=10)  # only passes if both run at once

    def slot(worker, i, ranges):
        barrier.wait()
        return i, ranges, worker, threading.current_thread().name

    try:
        results = chunks.map(slot, 20)
    finally:
        chunks.close()
    assert [r[:2] for r in results] == [(0, [(0, 10)]), (1, [(10, 20)])]
    assert sorted(r[2] for r in results) == [0, 1]  # each thread its buffers
    names = {r[2]: r[3] for r in results}
    assert names[1].startswith("skdnn-rows") and names[0] != names[1]


def test_a_slow_thread_takes_fewer_slots():
    chunks, done = _two_threads(), []

    def slot(worker, i, ranges):
        if worker == 1:
            time.sleep(0.3)  # as a thread that shares its core would be
        done.append(worker)
        return i

    try:
        assert chunks.map(slot, 80) == list(range(8))
    finally:
        chunks.close()
    assert done.count(0) >= 6  # the calling thread took the others' share


def test_map_waits_for_every_thread_when_one_raises():
    chunks, ended, running = _two_threads(), [], threading.Event()

    def slot(worker, i, ranges):
        if i == 0:
            assert running.wait(10)  # slot 1 is being computed
            raise RuntimeError("slot 0 failed")
        running.set()
        time.sleep(0.2)
        ended.append(i)

    with pytest.raises(RuntimeError, match="slot 0 failed"):
        chunks.map(slot, 20)
    assert ended == [1]  # the other thread had finished writing
    chunks.close()
    assert chunks._pool is None


def test_no_slot_starts_after_one_raised():
    chunks, started = RowChunks(1), []
    chunks.rows = 10

    def slot(worker, i, ranges):
        started.append(i)
        raise RuntimeError("failed")

    with pytest.raises(RuntimeError):
        chunks.map(slot, 80)
    assert started == [0]


def test_the_threads_compute_under_the_callers_errstate():
    chunks = _two_threads()
    barrier = threading.Barrier(2, timeout=10)  # both threads compute

    def slot(worker, i, ranges):
        barrier.wait()
        return np.float64(1.0) / np.float64(0.0)

    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        chunks.map(slot, 20)
    barrier.reset()
    with np.errstate(divide="ignore"):
        assert chunks.map(slot, 20) == [np.inf, np.inf]
    chunks.close()


# -- ChunkedLogits ----------------------------------------------------------------


def _params(rng, sizes, dtype=np.float64):
    coefs = [rng.standard_normal((a, b)) / a**0.5 for a, b in pairwise(sizes)]
    intercepts = [rng.standard_normal(b) for b in sizes[1:]]
    return PackedParameters(coefs, intercepts, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows", [1, 7, 50, 64])
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("given_rows", [None, 3, 100])
def test_chunked_logits_are_the_whole_forward_pass(
    monkeypatch, dtype, rows, threads, given_rows
):
    monkeypatch.setattr(RowChunks, "ELEMENTS", rows * 9)
    rng = np.random.default_rng(0)
    params = _params(rng, [6, 9, 4, 3], dtype)
    X = rng.standard_normal((50, 6)).astype(dtype)
    buffers = None
    if given_rows is not None:
        buffers = [[np.empty((given_rows, n), dtype) for n in (9, 4, 3)]]
    chunks = RowChunks(threads, width=9)
    logits = ChunkedLogits(params, ["relu", "tanh"], chunks, buffers)
    want = forward_propagation(X, params.coefs, params.intercepts, ["relu", "tanh"])
    # equal up to rounding: BLAS may sum a product of other row counts in
    # another order
    tol = 1e-12 if dtype == np.float64 else 1e-5
    try:
        got = logits(X)
        assert got.dtype == dtype and got.shape == (50, 3)
        np.testing.assert_allclose(got, want[-1], rtol=tol, atol=tol)
        # a second call reuses the buffers and still agrees
        again = logits(X[:13])
        np.testing.assert_allclose(again, want[-1][:13], rtol=tol, atol=tol)
    finally:
        chunks.close()


def test_buffers_too_small_are_replaced_not_overrun(monkeypatch):
    monkeypatch.setattr(RowChunks, "ELEMENTS", 16 * 5)
    rng = np.random.default_rng(1)
    params = _params(rng, [3, 5, 1])
    small = [[np.empty((2, 5)), np.empty((2, 1))]]
    logits = ChunkedLogits(params, ["relu"], buffers=small)
    logits(rng.standard_normal((40, 3)))
    # 40 rows in chunks of at most 16: three chunks of 13 or 14 rows
    assert logits._buffers[0][0].shape == (14, 5)
    logits.close()
    assert logits._buffers is None


# -- BatchObjective: the chunks add up to the batch ----------------------------------

#: Per head: the width of the output layer and a target of that width.
WIDTH = {"logistic": 1, "softmax": 3, "identity": 2, "relu": 2}


def _target(head, rng, m):
    if head == "softmax":
        return np.eye(3)[rng.randint(3, size=m)]
    if head == "logistic":
        return rng.randint(2, size=m).astype(float)
    return rng.standard_normal((m, WIDTH[head])) + (head == "relu") * 1.0


def _problem(head, m=60, seed=0):
    rng = np.random.RandomState(seed)
    X, y = rng.standard_normal((m, 4)), _target(head, rng, m)
    sample_weight = rng.uniform(0.2, 2.0, size=m)
    sizes = [4, 6, 5, WIDTH[head]]
    coefs = [rng.standard_normal((a, b)) / a**0.5 for a, b in pairwise(sizes)]
    # biases off zero: no row on the relu head's kink
    intercepts = [rng.uniform(0.1, 0.3, size=b) for b in sizes[1:]]
    return X, y, sample_weight, PackedParameters(coefs, intercepts, np.float64)


def _one_pass(X, y, sample_weight, params, alpha, head, keep_probs, seed):
    """The course engine on the whole batch, in one pass."""
    dropout = None
    if keep_probs[0] < 1:
        dropout = draw_dropout_masks(
            np.random.RandomState(seed), X.shape[0], [6, 5], keep_probs, X.dtype
        )
    acts = ["relu", "tanh"]
    cache = forward_propagation(
        X, params.coefs, params.intercepts, acts, dropout=dropout
    )
    cost = compute_cost(cache[-1], y, sample_weight, params.coefs, alpha, head=head)
    coef_grads, intercept_grads = backward_propagation(
        cache, y, sample_weight, params.coefs, acts, alpha, dropout=dropout, head=head
    )
    grad = np.concatenate(
        [
            g.ravel()
            for pair in zip(coef_grads, intercept_grads, strict=True)
            for g in pair
        ]
    )
    return cost, grad


@pytest.mark.parametrize("keep_prob", [1.0, 0.7], ids=["no-dropout", "dropout"])
@pytest.mark.parametrize("alpha", [0.0, 0.4], ids=["no-l2", "l2"])
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("rows", [7, 25, 60])
@pytest.mark.parametrize("head", sorted(HEADS))
def test_chunked_objective_gives_the_one_pass_cost_and_gradient(
    monkeypatch, head, rows, threads, alpha, keep_prob
):
    monkeypatch.setattr(RowChunks, "ELEMENTS", rows * 6)
    X, y, sample_weight, params = _problem(head)
    keep_probs = [keep_prob, keep_prob]
    want = _one_pass(X, y, sample_weight, params, alpha, head, keep_probs, seed=5)
    objective = BatchObjective(
        params,
        ["relu", "tanh"],
        alpha,
        keep_probs,
        np.random.RandomState(5),
        60,
        head,
        threads,
    )
    try:
        for _ in range(2):  # the second call reuses every buffer
            params.grad[...] = np.nan  # every entry must be written
            objective.rng = np.random.RandomState(5)
            cost = objective(X, y, sample_weight)
            assert cost == pytest.approx(want[0], rel=1e-13)
            np.testing.assert_allclose(params.grad, want[1], rtol=1e-11, atol=1e-14)
        # a smaller batch (a last mini-batch) uses fewer threads
        objective.rng = np.random.RandomState(5)
        small = _one_pass(
            X[:9], y[:9], sample_weight[:9], params, alpha, head, keep_probs, 5
        )
        assert objective(X[:9], y[:9], sample_weight[:9]) == pytest.approx(small[0])
        np.testing.assert_allclose(params.grad, small[1], rtol=1e-11, atol=1e-14)
    finally:
        objective.close()


@pytest.mark.parametrize("head", sorted(HEADS))
def test_the_numbers_do_not_depend_on_the_threads(monkeypatch, head):
    monkeypatch.setattr(RowChunks, "ELEMENTS", 4 * 6)  # 15 chunks, 8 slots
    X, y, sample_weight, params = _problem(head)
    seen = []
    for threads in (1, 2, 3):
        objective = BatchObjective(
            params, ["relu", "tanh"], 0.4, [1.0, 1.0], None, 60, head, threads
        )
        try:
            cost = objective(X, y, sample_weight)
            seen.append((cost, params.grad.copy(), objective.logits(X)))
        finally:
            objective.close()
    for cost, grad, logits in seen[1:]:
        assert cost == seen[0][0]
        np.testing.assert_array_equal(grad, seen[0][1])
        np.testing.assert_array_equal(logits, seen[0][2])


# -- row_threads: who gets the cores ---------------------------------------------------


def _budget():
    return min(blas_threads() or 1, _parallel.cpu_count())


def test_outside_a_fit_there_is_one_row_thread_and_blas_is_left_alone():
    before = blas_threads()
    with row_threads(8) as threads:
        assert threads == 1
        assert blas_threads() == before


def test_a_fit_alone_gets_its_cores_with_blas_on_one_thread():
    before, budget = blas_threads(), _budget()
    with blas_thread_limit(), row_threads(8) as threads:
        assert threads == budget
        assert blas_threads() == (1 if threads > 1 else before)
    assert blas_threads() == before
    assert _parallel._state["running"] == 0


def test_a_fit_with_fewer_chunks_than_cores_leaves_blas_its_threads():
    before, budget = blas_threads(), _budget()
    with blas_thread_limit(), row_threads(budget - 1) as threads:
        assert threads == 1
        assert blas_threads() == before


def test_concurrent_fits_get_one_row_thread_each():
    before = blas_threads()
    with blas_thread_limit(), blas_thread_limit(), row_threads(8) as threads:
        assert threads == 1  # two fits in this process: BLAS divides the cores
    assert blas_threads() == before


def test_skdnn_blas_threads_sets_the_row_threads(monkeypatch):
    monkeypatch.setenv("SKDNN_BLAS_THREADS", "1")
    with blas_thread_limit(), row_threads(8) as threads:
        assert threads == 1


# -- whole fits ----------------------------------------------------------------------


def _threads_of(monkeypatch):
    """Record the thread of every chunk the fits compute."""
    names = []
    compute = skdnn._trainers.cost_and_gradients

    def recorded(*args, **kwargs):
        names.append(threading.current_thread().name)
        return compute(*args, **kwargs)

    monkeypatch.setattr(skdnn._trainers, "cost_and_gradients", recorded)
    return names


def _big(seed=0, m=600):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, 5))
    return X, X[:, 0] - X[:, 1] ** 2 + 0.1 * rng.standard_normal(m)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "make",
    [
        lambda: DeepBinaryClassifier((16, 8), max_iter=6, learning_rate=0.1),
        lambda: DeepClassifier((8,), solver="lbfgs", max_iter=15),
        lambda: DeepRegressor((8,), batch_size=300, max_iter=4),
        lambda: DeepBinaryClassifier(
            (16, 8),
            max_iter=6,
            learning_rate=0.1,
            early_stopping=True,
            validation_fraction=0.5,
        ),
    ],
    ids=["gd", "lbfgs", "adam-batches-of-300", "gd-early-stopping"],
)
def test_a_big_batch_fit_uses_its_cores_and_gives_the_one_thread_model(
    monkeypatch, make
):
    X, target = _big()
    y = target if isinstance(make(), DeepRegressor) else (target > 0).astype(int)
    before, budget = blas_threads(), _budget()
    one = make().set_params(random_state=0)
    with monkeypatch.context() as one_thread:
        one_thread.setenv("SKDNN_BLAS_THREADS", "1")
        one.fit(X, y)
    monkeypatch.setattr(RowChunks, "ELEMENTS", 64 * 16)
    names = _threads_of(monkeypatch)
    chunked = make().set_params(random_state=0).fit(X, y)
    assert blas_threads() == before  # BLAS has its threads back
    assert _parallel._state["running"] == 0
    workers = {name for name in names if name.startswith("skdnn-rows")}
    assert bool(workers) == (budget > 1)
    assert len(names) > chunked.n_iter_  # several chunks a batch
    np.testing.assert_allclose(chunked.loss_curve_, one.loss_curve_, rtol=1e-9)
    if chunked.early_stopping:  # 300 validation rows in chunks of 64
        assert len(chunked.validation_loss_curve_) == chunked.n_iter_
        np.testing.assert_allclose(
            chunked.validation_loss_curve_, one.validation_loss_curve_, rtol=1e-9
        )
    for a, b in zip(chunked.coefs_, one.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_does_not_depend_on_the_chunk_size(monkeypatch):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 4))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 1)
    # batches of 5 rows are one chunk; the 30 validation rows go through
    # ChunkedLogits: one chunk of 2048, or five chunks of 6
    params = dict(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=30, batch_size=5
    )
    whole = DeepClassifier(random_state=0, **params).fit(X, y)
    monkeypatch.setattr(RowChunks, "ELEMENTS", 7 * 8)
    calls = []
    forward = skdnn._trainers.forward_propagation

    def counted(X, *args, **kwargs):
        calls.append(X.shape[0])
        return forward(X, *args, **kwargs)

    monkeypatch.setattr(skdnn._trainers, "forward_propagation", counted)
    chunked = DeepClassifier(random_state=0, **params).fit(X, y)
    assert 6 in calls  # the validation rows did go through chunks of 6
    assert chunked.n_iter_ == whole.n_iter_
    np.testing.assert_allclose(
        chunked.validation_scores_, whole.validation_scores_, rtol=0, atol=1e-12
    )
    for a, b in zip(chunked.coefs_, whole.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_concurrent_threaded_fits_give_their_sequential_models(monkeypatch):
    """Two big-batch fits at once in threads of this process: each gets one
    row thread (running == 2) or, if it started alone, both cores; either
    way the models are the sequential ones and BLAS gets its threads back."""
    monkeypatch.setattr(RowChunks, "ELEMENTS", 64 * 16)
    X, target = _big(seed=3)
    y = (target > 0).astype(int)
    before = blas_threads()

    def fit(seed):
        return DeepBinaryClassifier(
            (16, 8), max_iter=8, learning_rate=0.1, random_state=seed
        ).fit(X, y)

    alone = [fit(0), fit(1)]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(fit, [0, 1]))
    assert blas_threads() == before
    assert _parallel._state["running"] == 0
    for a, b in zip(together, alone, strict=True):
        np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9)


def test_a_chunk_that_raises_stops_the_fit_and_gives_blas_back(monkeypatch):
    monkeypatch.setattr(RowChunks, "ELEMENTS", 64 * 16)
    X, target = _big()
    compute = skdnn._trainers.cost_and_gradients

    def fails_in_a_worker(*args, **kwargs):
        if threading.current_thread().name.startswith("skdnn-rows"):
            raise MemoryError("a chunk failed")
        return compute(*args, **kwargs)

    monkeypatch.setattr(skdnn._trainers, "cost_and_gradients", fails_in_a_worker)
    before = blas_threads()
    estimator = DeepBinaryClassifier((16, 8), max_iter=3)
    if _budget() > 1:
        with pytest.raises(MemoryError, match="a chunk failed"):
            estimator.fit(X, (target > 0).astype(int))
        assert not hasattr(estimator, "coefs_")
    assert blas_threads() == before
    assert _parallel._state["running"] == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("skdnn-rows")]
