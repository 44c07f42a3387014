"""``fit`` on a ``dask.array``: full-batch gradient descent summed over row
blocks gives the in-memory model; mini-batches and ``partial_fit`` stream the
blocks in order; an HDF5-backed array trains within a few blocks of memory;
prediction stays lazy; bad input gets the usual errors.

Equality is measured as the largest relative difference of the loss curves
(``max |J_dask / J_memory - 1|``) and of the weights.
"""

import sys
import tracemalloc

import h5py
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier, LogisticRegressionGD, _dask

da = pytest.importorskip(
    "dask.array", reason="dask is not installed: pip install 'skdnn[distributed]'"
)
dask = pytest.importorskip("dask")

#: Row blocks of the 209 training cats: even, uneven, one block.
CAT_BLOCKS = [50, 64, (100, 9, 100), 209]


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _blocks(X, rows):
    return da.from_array(X, chunks=(rows, -1))


def _relative(a, b):
    return float(np.max(np.abs(np.asarray(a) / np.asarray(b) - 1)))


def _assert_same_model(a, b, rtol):
    assert len(a.loss_curve_) == len(b.loss_curve_)
    assert _relative(a.loss_curve_, b.loss_curve_) < rtol
    for W_a, W_b in zip(
        a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True
    ):
        assert W_a.dtype == W_b.dtype
        np.testing.assert_allclose(W_a, W_b, rtol=rtol, atol=rtol * np.abs(W_a).max())


# -- full batch: exact ----------------------------------------------------------


@pytest.mark.parametrize("rows", CAT_BLOCKS)
def test_deep_fit_on_cat_blocks_is_the_in_memory_fit(catvnoncat, rows):
    X, y = catvnoncat[:2]
    # every iteration sums the same blocks, so 20 show it; the course's 2 500
    # run on blocks in test_the_course_figures_hold_on_cat_blocks (slow)
    model = DeepBinaryClassifier(random_state=1, max_iter=20)
    in_memory = clone(model).fit(X, y)  # in the sample space, as auto picks
    blockwise = clone(model).fit(_blocks(X, rows), y)
    _assert_same_model(blockwise, in_memory, rtol=1e-10)


@pytest.mark.parametrize("rows", CAT_BLOCKS)
def test_logistic_fit_on_cat_blocks_is_the_in_memory_fit(catvnoncat, rows):
    X, y = catvnoncat[:2]
    model = LogisticRegressionGD(max_iter=20)
    # the sample space, as auto picks at the course's 2 000 iterations
    in_memory = clone(model).set_params(space="sample").fit(X, y)
    blockwise = clone(model).fit(_blocks(X, rows), y)
    _assert_same_model(blockwise, in_memory, rtol=1e-10)


@pytest.mark.parametrize("rows", [50, (100, 9, 100)])
def test_float32_cat_blocks_train_in_float32_like_the_in_memory_fit(catvnoncat, rows):
    X, y = catvnoncat[:2]
    X = X.astype(np.float32)
    # the feature space, as on blocks: only the order of the block sums differs
    model = DeepBinaryClassifier(random_state=1, max_iter=20, space="feature")
    in_memory = clone(model).fit(X, y)
    blockwise = clone(model).fit(_blocks(X, rows), y)
    assert blockwise.coefs_[0].dtype == np.float32
    # float32 sums in another order: rounding of float32, not of float64
    _assert_same_model(blockwise, in_memory, rtol=2e-5)


@pytest.mark.slow
def test_the_course_figures_hold_on_cat_blocks(catvnoncat, course_figures):
    X, y, X_test, y_test = catvnoncat
    published = course_figures["l_layer"]["costs"]
    model = DeepBinaryClassifier(random_state=1).fit(_blocks(X, 70), y)
    for iteration, cost in published.items():
        assert model.loss_curve_[int(iteration)] == pytest.approx(cost, rel=1e-10)
    assert model.score(X, y) == course_figures["l_layer"]["train_accuracy"]
    assert model.score(X_test, y_test) == course_figures["l_layer"]["test_accuracy"]


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "momentum", "momentum": 0.9, "max_iter": 40},
        {"solver": "adam", "learning_rate": 0.01, "max_iter": 40},
        {"alpha": 0.5, "class_weight": "balanced", "max_iter": 40},
        {"learning_rate_decay": 0.1, "tol": 3e-3, "n_iter_no_change": 3},
        {"activation": ["tanh", "leaky_relu"], "hidden_layer_sizes": (6, 4)},
    ],
    ids=["momentum", "adam", "alpha-class_weight", "decay-tol", "activations"],
)
def test_every_full_batch_option_gives_the_in_memory_model(cancer, params):
    X, y = cancer
    params = {"hidden_layer_sizes": (8,), "learning_rate": 0.1, **params}
    model = DeepBinaryClassifier(random_state=0, max_iter=60).set_params(**params)
    weights = np.linspace(0.5, 2, X.shape[0])
    in_memory = clone(model).fit(X, y, sample_weight=weights)
    blockwise = clone(model).fit(_blocks(X, 100), y, sample_weight=weights)
    _assert_same_model(blockwise, in_memory, rtol=1e-10)
    assert blockwise.n_iter_ == in_memory.n_iter_
    if "tol" in params:  # the stopping rule stopped both fits at one epoch
        assert blockwise.n_iter_ < blockwise.max_iter


def test_y_and_sample_weight_may_be_dask_arrays(cancer):
    X, y = cancer
    weights = np.linspace(0.5, 2, X.shape[0])
    model = LogisticRegressionGD(learning_rate=0.1, max_iter=20)
    in_memory = clone(model).fit(X, y, sample_weight=weights)
    blockwise = clone(model).fit(
        _blocks(X, 100),
        da.from_array(y, chunks=100),
        sample_weight=da.from_array(weights, chunks=100),
    )
    _assert_same_model(blockwise, in_memory, rtol=1e-10)


def test_warm_start_continues_on_blocks(cancer):
    X, y = cancer
    model = DeepBinaryClassifier(
        hidden_layer_sizes=(8,), learning_rate=0.1, random_state=0, max_iter=20
    )
    whole = clone(model).set_params(max_iter=40).fit(X, y)
    resumed = clone(model).set_params(warm_start=True).fit(_blocks(X, 100), y)
    resumed.fit(_blocks(X, 150), y)
    _assert_same_model(resumed, whole, rtol=1e-10)


def test_dropout_on_blocks_is_reproducible_and_learns(cancer):
    X, y = cancer
    model = DeepBinaryClassifier(
        hidden_layer_sizes=(16,), dropout=0.2, learning_rate=0.1, max_iter=100
    )
    first = clone(model).set_params(random_state=3).fit(_blocks(X, 100), y)
    again = clone(model).set_params(random_state=3).fit(_blocks(X, 100), y)
    other = clone(model).set_params(random_state=4).fit(_blocks(X, 100), y)
    assert first.loss_curve_ == again.loss_curve_
    assert first.loss_curve_ != other.loss_curve_
    assert first.score(X, y) > 0.95


def _block_reads(X, rows, log):
    """``X`` in blocks that append their first row to ``log`` when read."""

    def read(block, block_info=None):
        log.append(block_info[0]["array-location"][0][0])
        return block

    return _blocks(X, rows).map_blocks(read, dtype=X.dtype)


def test_full_batch_reads_each_block_once_per_iteration(cancer):
    X, y = cancer
    log = []
    model = LogisticRegressionGD(learning_rate=0.1, max_iter=7)
    model.fit(_block_reads(X, 200, log), y)
    # 7 iterations, then the cost of the last update: 8 passes over 3 blocks
    assert sorted(log) == sorted([0, 200, 400] * 8)


def test_the_blocks_buffers_are_freed_after_a_fit_even_a_failed_one(
    cancer, monkeypatch
):
    X, y = cancer
    kept = []
    compute_block = _dask.block_cost_and_gradients

    def spy(*args):
        result = compute_block(*args)
        kept.append(len(_dask._workspaces))
        return result

    monkeypatch.setattr(_dask, "block_cost_and_gradients", spy)
    model = DeepBinaryClassifier(hidden_layer_sizes=(8,), max_iter=3)
    model.fit(_blocks(X, 100), y)
    assert min(kept) >= 1  # kept between iterations...
    assert _dask._workspaces == {}  # ...and freed at the end
    X_bad = X.copy()
    X_bad[-1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(_blocks(X_bad, 100), y)
    assert _dask._workspaces == {}


# -- mini-batches and partial_fit: streamed -------------------------------------


def test_mini_batches_stream_the_blocks_in_order(cancer):
    X, y = cancer
    log = []
    model = DeepBinaryClassifier(
        hidden_layer_sizes=(8,), solver="adam", batch_size=50, max_iter=3
    )
    model.fit(_block_reads(X, 200, log), y)
    # one block at a time, in order, every epoch (and once for the last cost)
    assert log[:9] == [0, 200, 400] * 3


def test_unshuffled_mini_batches_that_tile_the_blocks_are_the_in_memory_fit(
    cancer,
):
    X, y = cancer
    model = DeepBinaryClassifier(
        hidden_layer_sizes=(8,),
        solver="adam",
        batch_size=50,
        shuffle=False,
        max_iter=5,
        random_state=0,
    )
    in_memory = clone(model).fit(X, y)
    blockwise = clone(model).fit(_blocks(X, 200), y)  # 200 = 4 batches
    _assert_same_model(blockwise, in_memory, rtol=1e-12)


def test_shuffled_mini_batches_on_blocks_learn(cancer):
    X, y = cancer
    model = DeepBinaryClassifier(
        hidden_layer_sizes=(8,), solver="adam", batch_size=32, max_iter=10
    )
    model.set_params(random_state=0).fit(_blocks(X, 100), y)
    assert model.score(X, y) > 0.97
    assert model.t_ == 10 * X.shape[0]  # samples seen, as in MLPClassifier


def test_partial_fit_on_blocks_is_partial_fit_in_memory(cancer):
    X, y = cancer
    model = DeepBinaryClassifier(hidden_layer_sizes=(8,), solver="adam")
    in_memory = clone(model).set_params(random_state=0)
    blockwise = clone(model).set_params(random_state=0)
    for _ in range(3):
        in_memory.partial_fit(X, y, classes=[0, 1])
        blockwise.partial_fit(_blocks(X, 64), y, classes=[0, 1])
    _assert_same_model(blockwise, in_memory, rtol=1e-10)


# -- data on disk -----------------------------------------------------------------


@pytest.fixture(scope="module")
def hdf5_data(tmp_path_factory):
    """80 MB of float64 in an HDF5 file, chunked by 2 000 rows (20 blocks)."""
    path = tmp_path_factory.mktemp("hdf5") / "big.h5"
    rng = np.random.RandomState(0)
    m, n, rows = 40_000, 250, 2_000
    direction = rng.randn(n)
    y = np.empty(m)
    with h5py.File(path, "w") as f:
        X = f.create_dataset("X", (m, n), dtype="f8", chunks=(rows, n))
        for start in range(0, m, rows):
            block = rng.randn(rows, n)
            X[start : start + rows] = block
            y[start : start + rows] = block @ direction > 0
    return path, y, rows


def test_an_hdf5_array_trains_in_a_few_blocks_of_memory(hdf5_data):
    path, y, rows = hdf5_data
    model = DeepBinaryClassifier(
        hidden_layer_sizes=(16,), learning_rate=0.1, max_iter=4, random_state=0
    )
    with h5py.File(path, "r") as f:
        X = da.from_array(f["X"], chunks=(rows, -1))
        tracemalloc.start()
        try:
            blockwise = clone(model).fit(X, y)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        in_memory = clone(model).fit(f["X"][:], y)
    block_bytes = rows * X.shape[1] * 8
    # the threads of the default scheduler each hold a block or two (one
    # being read, one computed on): a few blocks, far from the 80 MB of X
    assert peak < 6 * block_bytes, (peak, block_bytes)
    assert peak < X.nbytes / 3, (peak, X.nbytes)
    _assert_same_model(blockwise, in_memory, rtol=1e-10)


def test_an_hdf5_array_trains_on_a_cluster(hdf5_data, client):
    path, y, rows = hdf5_data
    model = LogisticRegressionGD(learning_rate=0.1, max_iter=3)
    with h5py.File(path, "r") as f:
        on_cluster = clone(model).fit(da.from_array(f["X"], chunks=(rows, -1)), y)
        in_memory = clone(model).fit(f["X"][:], y)
    _assert_same_model(on_cluster, in_memory, rtol=1e-10)


@pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")
def test_cat_blocks_on_a_cluster_are_the_in_memory_fit(catvnoncat, client):
    X, y = catvnoncat[:2]
    model = DeepBinaryClassifier(random_state=1, max_iter=10)
    blocks = client.persist(_blocks(X, 50))
    _assert_same_model(clone(model).fit(blocks, y), clone(model).fit(X, y), 1e-10)
    # the workers freed the buffers their blocks kept between iterations
    kept = client.run(lambda: len(_dask._workspaces))
    assert set(kept.values()) == {0}


# -- prediction -------------------------------------------------------------------


def test_prediction_on_a_dask_array_is_lazy_and_equal(cancer):
    X, y = cancer
    model = DeepBinaryClassifier(hidden_layer_sizes=(8,), max_iter=30).fit(X, y)
    X_blocks = _blocks(X, 100)
    for method in ["decision_function", "predict_proba", "predict_log_proba"]:
        lazy = getattr(model, method)(X_blocks)
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(lazy.compute(), getattr(model, method)(X))
    labels = model.predict(X_blocks)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), model.predict(X))
    assert model.score(X_blocks, y) == model.score(X, y)


# -- bad input ----------------------------------------------------------------------


def _unchanged(model, action):
    before = {k: v for k, v in vars(model).items()}
    action()
    assert vars(model).keys() == before.keys()
    for key, value in before.items():
        assert vars(model)[key] is value, key


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.nan, "Input X contains NaN"),
        (np.inf, "Input X contains infinity"),
    ],
)
def test_a_non_finite_block_is_refused_and_nothing_changes(cancer, bad, message):
    X, y = cancer
    X = X.copy()
    X[500, 3] = bad  # in the last block
    model = DeepBinaryClassifier(hidden_layer_sizes=(8,), max_iter=5).fit(cancer[0], y)
    for params in [{}, {"solver": "adam", "batch_size": 64}]:
        model.set_params(**params)

        def fit():
            with pytest.raises(ValueError, match=message):
                model.fit(_blocks(X, 200), y)

        _unchanged(model, fit)


@pytest.mark.parametrize(
    "make_X, error, message",
    [
        (lambda X: da.from_array(X[..., None]), ValueError, "2D dask array"),
        (lambda X: _blocks(X, 100)[_blocks(X, 100)[:, 0] > 0], ValueError,
         "compute_chunk_sizes"),
        (lambda X: _blocks(X, 100).astype(str), ValueError, "dtype <U"),
        (lambda X: _blocks(X, 100)[:0], ValueError, "0 sample"),
        (lambda X: dask.bag.from_sequence([1, 2]), TypeError, "to_dask_array"),
    ],
    ids=["3d", "unknown-chunks", "strings", "empty", "bag"],
)  # fmt: skip
def test_bad_dask_input_gets_a_clear_error(cancer, make_X, error, message):
    pytest.importorskip("dask.bag")
    X, y = cancer
    with pytest.raises(error, match=message):
        DeepBinaryClassifier().fit(make_X(X), y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"early_stopping": True}, "early_stopping=True is not available"),
        ({"space": "sample"}, "space='sample' needs X in memory"),
    ],
)
def test_options_that_need_x_in_memory_say_so(cancer, params, message):
    X, y = cancer
    with pytest.raises(ValueError, match=message):
        DeepBinaryClassifier(**params).fit(_blocks(X, 100), y)


def test_a_wrong_target_or_width_names_it(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        DeepBinaryClassifier().fit(_blocks(X, 100), y[:-1])
    model = LogisticRegressionGD(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 29 features"):
        model.predict(_blocks(X[:, 1:], 100))


def test_without_dask_the_error_names_the_extra(cancer, monkeypatch):
    X, y = cancer
    X_blocks = _blocks(X, 100)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    model = DeepBinaryClassifier()
    with pytest.raises(ImportError, match=r"pip install 'skdnn\[distributed\]'"):
        model.fit(X_blocks, y)
    assert not hasattr(model, "coefs_")
