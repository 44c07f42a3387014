"""Search and cross-validation on dask.distributed through joblib, BLAS
threads when fits run at once, and ``skdnn search``.

One ``LocalCluster`` of two single-threaded worker processes serves the whole
module; data, networks and iteration counts are small so the file runs in
well under two minutes on two cores.
"""

import pickle
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import threadpoolctl
from joblib import parallel_backend
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier, LogisticRegressionGD, _parallel
from skdnn._parallel import blas_thread_limit, blas_threads
from skdnn.cli import main

distributed = pytest.importorskip(
    "distributed",
    reason="dask.distributed is not installed: pip install 'skdnn[distributed]'",
)
cloudpickle = pytest.importorskip("cloudpickle")

# The workers cannot import this test module: ship its classes by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

N_JOBS = 2
CORES = _parallel.cpu_count()
GRID = {
    "deepbinaryclassifier__hidden_layer_sizes": [(8,), (6, 4)],
    "deepbinaryclassifier__alpha": [0.0, 0.1],
}


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return X[::2], y[::2]  # 285 samples


def _pipe(**params):
    return make_pipeline(
        StandardScaler(),
        DeepBinaryClassifier(learning_rate=0.05, max_iter=60, random_state=0, **params),
    )


def _folds():
    return StratifiedKFold(3, shuffle=True, random_state=0)


def _scores(results):
    return {k: v for k, v in results.items() if re.fullmatch(r".*test_score", k)}


# -- cheap to ship -----------------------------------------------------------------


@pytest.mark.parametrize("n_samples", [200, 2000])
def test_fitted_model_pickles_to_little_more_than_its_weights(n_samples):
    rng = np.random.RandomState(0)
    X = rng.randn(n_samples, 50)
    y = (X[:, 0] + 0.5 * rng.randn(n_samples) > 0).astype(int)
    model = DeepBinaryClassifier(hidden_layer_sizes=(64, 32), max_iter=20)
    model.fit(X, y)
    weights = sum(a.nbytes for a in model.coefs_ + model.intercepts_)
    size = len(pickle.dumps(model))
    # weights, the loss curve and a few kB of parameters; no buffer of X
    assert weights < size < weights + 8000, (size, weights)
    for name, value in vars(model).items():
        if isinstance(value, np.ndarray):
            assert n_samples not in value.shape, name


def test_adam_keeps_only_its_moments_for_partial_fit():
    X, y = load_breast_cancer(return_X_y=True)
    model = DeepBinaryClassifier(hidden_layer_sizes=(64, 32), solver="adam")
    model.set_params(max_iter=5, learning_rate=1e-3).fit(X, y)
    weights = sum(a.nbytes for a in model.coefs_ + model.intercepts_)
    # the weights and Adam's two moments, which partial_fit continues from
    assert len(pickle.dumps(model)) < 3 * weights + 8000


# -- search and cross-validation on the cluster --------------------------------------


def test_grid_search_on_dask_matches_n_jobs_1(data, client):
    X, y = data
    sequential = GridSearchCV(_pipe(), GRID, cv=_folds(), n_jobs=1).fit(X, y)
    with parallel_backend("dask"):
        on_dask = GridSearchCV(_pipe(), GRID, cv=_folds()).fit(X, y)
    assert len(sequential.cv_results_["params"]) == 4
    for key, scores in _scores(sequential.cv_results_).items():
        np.testing.assert_array_equal(on_dask.cv_results_[key], scores, err_msg=key)
    assert on_dask.best_params_ == sequential.best_params_
    # the fits ran on both workers
    assert len(client.scheduler_info()["workers"]) == 2


def test_randomized_search_on_dask_matches_n_jobs_1(data, client):
    X, y = data
    distributions = {"deepbinaryclassifier__alpha": [0.0, 0.01, 0.1, 1.0]}
    search = RandomizedSearchCV(
        _pipe(hidden_layer_sizes=(8,)),
        distributions,
        n_iter=3,
        cv=_folds(),
        random_state=0,
    )
    sequential = search.fit(X, y).cv_results_
    with parallel_backend("dask"):
        on_dask = search.fit(X, y).cv_results_
    assert on_dask["params"] == sequential["params"]
    for key, scores in _scores(sequential).items():
        np.testing.assert_array_equal(on_dask[key], scores, err_msg=key)


@pytest.mark.parametrize(
    "estimator",
    [
        _pipe(hidden_layer_sizes=(8,)),
        # unscaled, this data makes gradient descent diverge (cost 0.69 -> 1e3)
        make_pipeline(StandardScaler(), LogisticRegressionGD(max_iter=100)),
    ],
    ids=["deep", "logistic"],
)
def test_cross_validate_on_dask_matches_n_jobs_1(data, client, estimator):
    X, y = data
    sequential = cross_validate(estimator, X, y, cv=_folds(), n_jobs=1)
    with parallel_backend("dask"):
        on_dask = cross_validate(estimator, X, y, cv=_folds(), return_estimator=True)
    np.testing.assert_array_equal(on_dask["test_score"], sequential["test_score"])
    assert all(hasattr(e, "classes_") for e in on_dask["estimator"])


# -- BLAS threads --------------------------------------------------------------------


class ThreadProbe(DeepBinaryClassifier):
    """Records the BLAS threads it sees inside its training loop (where
    ``blas_thread_limit`` applies) as ``blas_threads_``; with ``barrier``,
    waits there until that many fits are inside."""

    barrier = None

    def _train(self, *args, **kwargs):
        if self.barrier is not None:
            self.barrier.wait()
        self.blas_threads_ = max(
            lib["num_threads"]
            for lib in threadpoolctl.threadpool_info()
            if lib["user_api"] == "blas"
        )
        if self.barrier is not None:
            self.barrier.wait()
        return super()._train(*args, **kwargs)


def _threads_seen(data, **backend):
    X, y = data
    X = StandardScaler().fit_transform(X)  # unscaled, lr=0.05 diverges
    probe = ThreadProbe(hidden_layer_sizes=(8,), max_iter=5, learning_rate=0.05)
    with parallel_backend(**backend):
        results = cross_validate(probe, X, y, cv=4, return_estimator=True)
    return [estimator.blas_threads_ for estimator in results["estimator"]]


def test_a_single_fit_keeps_every_blas_thread(data):
    assert _threads_seen(data, backend="sequential") == [blas_threads()] * 4


@pytest.mark.parametrize("backend", ["loky", "dask", "threading"])
def test_each_parallel_fit_sees_at_most_cores_over_n_jobs_blas_threads(
    data, backend, request, monkeypatch
):
    if backend == "dask":
        request.getfixturevalue("client")
    if backend == "threading":
        # fits share this process: make both be inside their fit at once
        monkeypatch.setattr(
            ThreadProbe, "barrier", threading.Barrier(N_JOBS, timeout=30)
        )
    before = blas_threads()
    seen = _threads_seen(data, backend=backend, n_jobs=N_JOBS)
    print(f"{backend}: BLAS threads inside each fit {seen} on {CORES} cores")
    assert len(seen) == 4
    assert max(seen) <= max(1, CORES // N_JOBS), seen
    assert blas_threads() == before  # this process's limits are back


def test_the_limit_is_lifted_after_the_fits(data):
    before = blas_threads()
    _threads_seen(data, backend="threading", n_jobs=N_JOBS)
    assert blas_threads() == before
    assert _parallel._state["running"] == 0


def test_skdnn_blas_threads_fixes_the_limit(data, monkeypatch):
    before = blas_threads()
    monkeypatch.setenv("SKDNN_BLAS_THREADS", "1")
    assert _threads_seen(data, backend="sequential") == [1] * 4
    assert blas_threads() == before
    monkeypatch.setenv("SKDNN_BLAS_THREADS", "many")
    with pytest.raises(ValueError, match="SKDNN_BLAS_THREADS must be a positive"):
        with blas_thread_limit():
            pass
    assert _parallel._state["running"] == 0


# -- skdnn search --------------------------------------------------------------------

SEARCH = [
    "search",
    "--grid",
    "hidden_layer_sizes=(8,);(6,4)",
    "--grid",
    "alpha=0,0.1",
    "--max-iter",
    "60",
    "--learning-rate",
    "0.05",
    "--cv",
    "3",
]


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "skdnn", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _table(out):
    """The ranked rows: (rank, mean, std, params)."""
    rows = re.findall(r"^\s*(\d+)\s+(\d\.\d{4}) ± (\d\.\d{4})\s+(.+)$", out, re.M)
    return [(int(r), float(m), float(s), p) for r, m, s, p in rows]


@pytest.fixture(scope="module")
def sequential_search():
    result = _run(*SEARCH)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_search_prints_the_ranked_table(sequential_search):
    out = sequential_search
    table = _table(out)
    assert len(table) == 4, out
    assert [rank for rank, *_ in table] == sorted(rank for rank, *_ in table)
    assert table[0][0] == 1
    means = [mean for _, mean, _, _ in table]
    assert means == sorted(means, reverse=True)
    assert {params for *_, params in table} == {
        "alpha=0, hidden_layer_sizes=(8,)",
        "alpha=0, hidden_layer_sizes=(6, 4)",
        "alpha=0.1, hidden_layer_sizes=(8,)",
        "alpha=0.1, hidden_layer_sizes=(6, 4)",
    }
    best = re.search(r"best params: (.+)", out).group(1)
    assert best == table[0][3]
    assert (
        float(re.search(r"best cross-validation accuracy: (\S+)", out)[1])
        == (table[0][1])
    )
    assert re.search(r"held-out accuracy of the best, refitted: 0\.9\d+", out)


def test_search_with_n_jobs_gives_the_same_table(sequential_search):
    result = _run(*SEARCH, "--n-jobs", "2")
    assert result.returncode == 0, result.stderr
    assert _table(result.stdout) == _table(sequential_search)


@pytest.mark.slow
def test_search_and_train_on_a_scheduler(cluster, sequential_search):
    address = cluster.scheduler_address
    result = _run(*SEARCH, "--scheduler", address)
    assert result.returncode == 0, result.stderr
    assert f"dask scheduler {address}: 2 workers" in result.stdout
    assert _table(result.stdout) == _table(sequential_search)

    train = ["train", "--max-iter", "60", "--learning-rate", "0.05", "--quiet"]
    local = _run(*train, "--cv", "3")
    remote = _run(*train, "--cv", "3", "--n-jobs", "2", "--scheduler", address)
    assert remote.returncode == 0, remote.stderr
    assert "3-fold cross-validation accuracy" in remote.stdout

    def folds(out):
        return re.search(r"accuracy:\n(.+)\n", out).group(1)

    assert folds(remote.stdout) == folds(local.stdout)


SEARCH_ERRORS = {
    "no grid": (["search"], "give at least one --grid"),
    "no equals sign": (["search", "--grid", "alpha"], "expects NAME=VALUES"),
    "unbalanced bracket": (
        ["search", "--grid", "hidden_layer_sizes=(8,;(6,4)"],
        "not a Python literal",
    ),
    "code, not a literal": (
        ["search", "--grid", "alpha=__import__('os').getcwd()"],
        "not a Python literal",
    ),
    "unknown parameter": (["search", "--grid", "n_layers=1,2"], "has no parameter"),
    "bad value": (["search", "--grid", "alpha=-1,0"], "alpha"),
    "twice": (["search", "--grid", "alpha=0", "--grid", "alpha=1"], "given twice"),
    "bad cv": (["search", "--grid", "alpha=0", "--cv", "1"], "--cv"),
    "bad n_jobs": (["search", "--grid", "alpha=0", "--n-jobs", "0"], "--n-jobs"),
}


@pytest.mark.parametrize("args, message", SEARCH_ERRORS.values(), ids=SEARCH_ERRORS)
def test_search_errors_are_one_line_with_exit_code_2(args, message, capsys):
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skdnn search: error:"), lines
    assert message in lines[0]


def test_a_bad_grid_is_one_line_from_the_shell():
    result = _run("search", "--grid", "alpha=0;(1")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "not a Python literal" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["search", "--grid", "alpha=0", "--scheduler", "tcp://127.0.0.1:8786"],
        ["train", "--scheduler", "tcp://127.0.0.1:8786"],
    ],
    ids=["search", "train"],
)
def test_scheduler_without_dask_names_the_extra(args, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "needs the distributed extra: pip install 'skdnn[distributed]'" in lines[0]


def test_unreachable_scheduler_is_one_line_within_the_timeout():
    start = time.perf_counter()
    result = _run(
        *SEARCH, "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "1"
    )
    assert time.perf_counter() - start < 30  # the default connect timeout is 30 s
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "skdnn search: error: cannot connect to the dask scheduler at "
        "tcp://127.0.0.1:9: Timed out trying to connect to tcp://127.0.0.1:9 after 1 s"
    )


@pytest.mark.parametrize(
    "address, message",
    [
        ("nonsense", "missing port number in address 'nonsense'"),
        ("tcp://", "missing port number in address ''"),
        ("http://127.0.0.1:8786", "unknown address scheme 'http'"),
    ],
)
def test_a_bad_scheduler_address_is_one_line_before_any_work(address, message, capsys):
    argv = ["train", "--cv", "2", "--max-iter", "5", "--scheduler", address]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"skdnn train: error: --scheduler {address}: ")
    assert message in lines[0]
    assert lines[0].endswith("give an address such as tcp://10.0.0.5:8786")
    assert out == ""  # before reading the data


def test_scheduler_timeout_must_be_positive(capsys):
    assert main(["train", "--scheduler-timeout", "0"]) == 2
    assert "--scheduler-timeout must be a positive number" in capsys.readouterr().err


def test_search_says_a_line_per_candidate(sequential_search):
    """Each candidate's line, as it ends, gives the mean and spread that the
    ranked table shows for its parameters."""
    out = sequential_search
    said = re.findall(
        r"^candidate (\d)/4 done: (\d\.\d{4}) ± (\d\.\d{4}) \(\d+\.\d s\): (.+)$",
        out,
        re.M,
    )
    assert [int(i) for i, *_ in said] == [1, 2, 3, 4]
    table = {params: (mean, std) for _, mean, std, params in _table(out)}
    assert {p: (float(m), float(s)) for _, m, s, p in said} == table
    assert out.index("searching 4 candidates x 3 folds = 12 fits") < out.index(
        "candidate 1/4"
    )
    assert out.index("refitting the best candidate") < out.index("best params")


def test_search_quiet_says_no_candidate_lines(capsys):
    assert main([*SEARCH, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"^(candidate \d|searching \d|refitting)", out, re.M)
    assert len(_table(out)) == 4


@pytest.mark.parametrize(
    "n_jobs, folds, size", [(None, 3, 1), (1, 5, 1), (2, 3, 2), (2, 5, 2), (4, 2, 2)]
)
def test_search_rounds_fill_the_workers(n_jobs, folds, size):
    """Candidates are evaluated a round at a time, each round a multiple of
    the workers' number of fits."""
    from sklearn.model_selection import StratifiedKFold

    from skdnn.cli._running import grid_search

    search = grid_search(_pipe(), GRID, StratifiedKFold(folds), n_jobs, print)
    assert search.round_size == size
    assert (size * folds) % (n_jobs or 1) == 0
