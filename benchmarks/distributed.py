"""Grid search on dask.distributed: 12 candidates x 5 folds on one and on two
dask workers (single-threaded worker processes of a ``LocalCluster``),
against the same search with ``n_jobs=1`` in this process.

Run it with ``python -m benchmarks.distributed`` (needs the distributed
extra: ``pip install 'skdnn[distributed]'``). It prints the median seconds of
each way over alternating repeats and the ratios; nothing is asserted.

``n_jobs=1`` is what a user gets by default: one fit at a time, with every
BLAS thread of this process. ``n_jobs=1, 1 BLAS thread`` is the same search
with ``SKDNN_BLAS_THREADS=1``, to tell how much of the gain comes from running
fits side by side and how much from BLAS threads that do not pay off on these
small matrices.
"""

import argparse
import logging
import os
import statistics
import time
from contextlib import contextmanager

from joblib import parallel_backend
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import DeepBinaryClassifier
from skdnn._parallel import blas_threads, cpu_count

from .report import load_average, table
from .timing import alternate

GRID = {
    "deepbinaryclassifier__hidden_layer_sizes": [(20, 7, 5), (64, 32), (32,), (16, 8)],
    "deepbinaryclassifier__alpha": [0.0, 0.01, 0.1],
}


def _search(max_iter):
    model = make_pipeline(
        StandardScaler(),
        DeepBinaryClassifier(learning_rate=0.05, max_iter=max_iter, random_state=1),
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=1)
    return GridSearchCV(model, GRID, cv=folds, n_jobs=1)


@contextmanager
def _env(name, value):
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed")
    parser.add_argument("--max-iter", type=int, default=500, help="per fit (500)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (3)")
    args = parser.parse_args(argv)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SystemExit(
            "this benchmark needs the distributed extra: "
            "pip install 'skdnn[distributed]'"
        ) from None

    logging.getLogger("distributed").setLevel(logging.ERROR)  # no closing chatter
    X, y = load_breast_cancer(return_X_y=True)
    n_candidates = len(GRID["deepbinaryclassifier__hidden_layer_sizes"]) * len(
        GRID["deepbinaryclassifier__alpha"]
    )
    print(
        f"grid search: {n_candidates} candidates x 5 folds = {n_candidates * 5} "
        f"fits of {args.max_iter} iterations on breast_cancer {X.shape}; "
        f"{cpu_count()} cores, {blas_threads()} BLAS threads in this process, "
        f"load average before {load_average()}"
    )
    clusters = {
        n: LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        for n in (1, 2)
    }
    clients = {n: Client(cluster) for n, cluster in clusters.items()}
    scores = {}

    def run(name, client=None, blas=None):
        def fn():
            search = _search(args.max_iter)
            if client is None and blas is None:
                search.fit(X, y)
            elif client is None:
                with _env("SKDNN_BLAS_THREADS", blas):
                    search.fit(X, y)
            else:
                with parallel_backend("dask", client=client):
                    search.fit(X, y)
            scores[name] = search.cv_results_["mean_test_score"].tolist()

        return fn

    ways = {
        "n_jobs=1": run("n_jobs=1"),
        "n_jobs=1, 1 BLAS thread": run("n_jobs=1, 1 BLAS thread", blas="1"),
        "dask, 1 worker": run("dask, 1 worker", client=clients[1]),
        "dask, 2 workers": run("dask, 2 workers", client=clients[2]),
    }
    start = time.perf_counter()
    try:
        times = alternate(ways, args.repeats)
    finally:
        for client in clients.values():
            client.close()
        for cluster in clusters.values():
            cluster.close()
    seconds = {name: statistics.median(t) for name, t in times.items()}
    same = all(s == scores["n_jobs=1"] for s in scores.values())
    base = seconds["n_jobs=1"]
    rows = [
        [name, f"{s:.2f}", f"{base / s:.2f}x", f"{seconds['dask, 1 worker'] / s:.2f}x"]
        for name, s in seconds.items()
    ]
    print(
        table(
            ["way", "median s", "speed-up vs n_jobs=1", "vs 1 dask worker"],
            rows,
        )
    )
    two, one = seconds["dask, 2 workers"], seconds["dask, 1 worker"]
    print(
        f"time of 2 workers / 1 worker: {two / one:.2f}; "
        f"2 workers / n_jobs=1: {two / base:.2f}"
    )
    print(f"same cv_results_ scores every way: {same}")
    print(
        f"{args.repeats} alternating repeats after a warm-up, "
        f"{time.perf_counter() - start:.0f} s in all; load average after "
        f"{load_average()}"
    )


if __name__ == "__main__":
    main()
