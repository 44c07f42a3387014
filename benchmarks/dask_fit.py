"""Full-batch training on a ``dask.array``: the fit time per iteration of
``DeepBinaryClassifier`` on the same ``X`` in memory and as a dask array of
1, 4 and 16 row blocks (dask's default threaded scheduler, in this process),
and optionally on the workers of a ``distributed.LocalCluster``.

Run it with ``python -m benchmarks.dask_fit [--quick] [--no-distributed]``
(needs ``pip install 'skdnn[distributed]'``; without ``distributed`` only the
LocalCluster row is left out). Two workloads:

- ``cat``: the course's cat images (found through ``$SKDNN_DATA``; a synthetic
  array of the same shape otherwise), 209 x 12288, hidden (20, 7, 5): small
  ``X``, a few ms per iteration, where a per-iteration overhead shows;
- ``tall``: the synthetic table of :mod:`benchmarks.workloads` with hidden
  (64, 32), sized for about 100 ms or more per in-memory iteration.

Each repeat fits every way with ``max_iter = k_lo`` and ``k_hi``; the time per
iteration is ``(t_hi - t_lo) / (k_hi - k_lo)``, which cancels what a fit costs
whatever its length (validation, weight init, dask's first pass over the
blocks, the final cost pass). *setup* is what remains of the ``k_lo`` fit. The
ways alternate within each repeat (A B C A B C ...); every time is a median.
Compare rows, not absolute numbers: nothing is asserted.

Every dask way uses ``space="feature"``, the in-memory algorithm of the
``numpy, space='feature'`` row, which is the baseline of the overhead and
ratio columns. On the cat data the in-memory default (``space="auto"``)
trains in the much cheaper sample space, which dask input never uses: its row
shows what a user gives up by passing a dask array there.
"""

import argparse
import contextlib
import logging
import statistics
import time
import warnings

import numpy as np

from skdnn import DeepBinaryClassifier
from skdnn._parallel import blas_threads, cpu_count

from .report import load_average, machine_info, table
from .timing import OthersCpu, alternate
from .workloads import CAT_SHAPE, TALL_FEATURES, Workload, load

BASE = "numpy, space='feature'"
BLOCKS = (1, 4, 16)
DISTRIBUTED_BLOCKS = 4
CLUSTER = f"distributed, 2 workers x 1 thread, {DISTRIBUTED_BLOCKS} blocks"


def _workloads(quick):
    """The two workloads; ``iterations`` is ``(k_lo, k_hi)``. The cat one
    starts at 10 so that ``space="auto"`` picks the sample space for both
    fits of a difference (see :func:`benchmarks.workloads.workloads`)."""
    return [
        Workload("cat", (20, 7, 5), *CAT_SHAPE, (10, 60) if quick else (10, 160)),
        Workload(
            "tall",
            (64, 32),
            50_000 if quick else 200_000,
            TALL_FEATURES,
            (1, 4) if quick else (2, 12),
        ),
    ]


def _fit(X, y, hidden, space, k, client=None):
    """A model fitted for ``max_iter=k`` iterations (all of them: checked),
    on ``client``'s workers if one is given."""
    clf = DeepBinaryClassifier(
        hidden_layer_sizes=hidden, max_iter=k, random_state=1, space=space
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        if client is None:
            clf.fit(X, y)
        else:
            with client.as_current():
                clf.fit(X, y)
    if clf.n_iter_ != k:
        raise RuntimeError(f"the fit stopped after {clf.n_iter_} of {k} iterations")
    return clf


def _measure(workload, y, ways, repeats):
    """Time the ``ways``, ``{name: (X, space, client)}``.

    Returns ``{name: (ms per iteration, setup ms)}``, the ``k_hi`` model of
    each way and the others' CPU % during the timings.
    """
    k_lo, k_hi = workload.iterations
    models = {}

    def fit(name, k):
        X, space, client = ways[name]
        models[name] = _fit(X, y, workload.hidden, space, k, client)

    for name in ways:  # warm-up: imports, page faults, threads
        fit(name, k_lo)
    fns = {}
    for name in ways:
        fns[name, k_lo] = lambda name=name: fit(name, k_lo)
        fns[name, k_hi] = lambda name=name: fit(name, k_hi)
    with OthersCpu() as others:
        times = alternate(fns, repeats, warmup=False)
    results = {}
    for name in ways:
        lo, hi = times[name, k_lo], times[name, k_hi]
        per_iteration = statistics.median(
            (b - a) / (k_hi - k_lo) for a, b in zip(lo, hi, strict=True)
        )
        setup = statistics.median(lo) - k_lo * per_iteration
        results[name] = (1e3 * per_iteration, 1e3 * setup)
    return results, models, others.percent


def _max_weight_difference(model, reference):
    return max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(
            model.coefs_ + model.intercepts_,
            reference.coefs_ + reference.intercepts_,
            strict=True,
        )
    )


def _dask_name(n_blocks):
    return f"dask threads, {n_blocks} block{'s' if n_blocks > 1 else ''}"


def _row_blocks(da, X, n_blocks):
    """``X`` as a dask array of ``n_blocks`` row blocks (the last smaller)."""
    return da.from_array(X, chunks=(-(-X.shape[0] // n_blocks), -1))


def _workload(workload, repeats, da, distributed):
    """Table rows and the conclusion line of one workload."""
    data = load(workload, "float64")
    X, y = data.X, data.y
    k_lo, k_hi = workload.iterations
    shape = f"{X.shape[0]} x {X.shape[1]}"
    print(
        f"- {workload.name}: {data.source}; hidden {workload.hidden}, float64, "
        f"k_lo = {k_lo}, k_hi = {k_hi}, {repeats} repeats",
        flush=True,
    )
    ways = {BASE: (X, "feature", None)}
    if workload.wide:
        ways["numpy, space='auto' (default)"] = (X, "auto", None)
    for n in BLOCKS:
        ways[_dask_name(n)] = (_row_blocks(da, X, n), "feature", None)
    # The cluster's worker processes would compete with the other ways:
    # time those first, then the cluster way against the in-memory fit again.
    results, models, others = _measure(workload, y, ways, repeats)
    others = {name: others for name in results}
    use_cluster = distributed is not None and not workload.wide
    if use_cluster:
        with contextlib.ExitStack() as stack:
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(
                distributed.Client(cluster, set_as_default=False)
            )
            with warnings.catch_warnings(), client.as_current():
                warnings.simplefilter("ignore")  # "Sending large graph": once, here
                X_persisted = client.persist(_row_blocks(da, X, DISTRIBUTED_BLOCKS))
                distributed.wait(X_persisted)
            pair = {BASE: ways[BASE], CLUSTER: (X_persisted, "feature", client)}
            pair_results, pair_models, pair_others = _measure(
                workload, y, pair, repeats
            )
        # the cluster row, scaled to the base time of the main measurement
        ms, setup = pair_results[CLUSTER]
        results[CLUSTER] = (ms * results[BASE][0] / pair_results[BASE][0], setup)
        models[CLUSTER] = pair_models[CLUSTER]
        others[CLUSTER] = pair_others

    base_ms = results[BASE][0]
    rows = [
        [
            workload.name,
            shape,
            name,
            ms,
            "-" if name == BASE else ms - base_ms,
            ms / base_ms,
            setup,
            f"{_max_weight_difference(models[name], models[BASE]):.1e}",
            f"{others[name]:.1f}",
        ]
        for name, (ms, setup) in results.items()
    ]
    overheads = {n: results[_dask_name(n)][0] - base_ms for n in BLOCKS}
    low, high = min(overheads.values()), max(overheads.values())
    each = ", ".join(
        f"{o:.2f} with {_dask_name(n).split(', ')[1]}" for n, o in overheads.items()
    )
    conclusion = (
        f"- {workload.name} ({shape}): dask's threaded scheduler costs "
        f"{low:.2f} to {high:.2f} ms more per iteration ({each}); at this X "
        f"size that is {100 * low / base_ms:.0f} % to "
        f"{100 * high / base_ms:.0f} % of an in-memory iteration "
        f"({base_ms:.2f} ms, space='feature')"
    )
    if use_cluster:
        extra = results[CLUSTER][0] - base_ms
        conclusion += (
            f"; the 2-worker LocalCluster {extra:.2f} ms more "
            f"({100 * extra / base_ms:.0f} %)"
        )
    return rows, conclusion


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask_fit")
    parser.add_argument(
        "--quick", action="store_true", help="smaller tall X, fewer iterations"
    )
    parser.add_argument("--repeats", type=int, help="timed runs (3, quick 2)")
    parser.add_argument(
        "--no-distributed",
        action="store_true",
        help="skip the LocalCluster row of the tall workload",
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 3)
    try:
        import dask
        import dask.array as da
        from dask.system import CPU_COUNT
    except ImportError:
        raise SystemExit(
            "this benchmark needs dask.array: pip install 'skdnn[distributed]'"
        ) from None
    distributed = None
    if not args.no_distributed:
        try:
            import distributed
        except ImportError:
            print("distributed is not installed: no LocalCluster row")

    logging.getLogger("distributed").setLevel(logging.ERROR)  # no closing chatter
    start = time.perf_counter()
    print(
        f"# DeepBinaryClassifier.fit on a dask array "
        f"({'quick' if args.quick else 'full'} mode)\n"
    )
    for line in machine_info():
        print(f"- {line}")
    print(
        f"- dask {dask.__version__}"
        + (f", distributed {distributed.__version__}" if distributed else "")
        + f"; {cpu_count()} cores, {blas_threads()} BLAS threads in this "
        f"process; the threaded scheduler runs blocks on "
        f"{dask.config.get('num_workers', None) or CPU_COUNT} threads, "
        "which share the BLAS threads (skdnn._parallel); load average before "
        f"{load_average():.2f}\n"
    )

    rows, conclusions = [], []
    for workload in _workloads(args.quick):
        workload_rows, conclusion = _workload(workload, repeats, da, distributed)
        rows += workload_rows
        conclusions.append(conclusion)

    print()
    print(
        table(
            [
                "workload",
                "X",
                "way",
                "ms / iteration",
                "overhead ms / iteration",
                "/ in-memory",
                "setup ms",
                "max |weight - in-memory|",
                "others' CPU %",
            ],
            rows,
        )
    )
    print(
        "\n*overhead* and */ in-memory* are against the numpy, space='feature' "
        "row (the same algorithm); *setup* is the k_lo fit minus k_lo "
        "iterations (noisy: it can come out slightly negative); *max |weight - "
        "in-memory|* compares the k_hi models; *others' CPU %* is the share of "
        "all cores used by other processes during the timings of the row. The "
        "LocalCluster row is timed after the others, alternating with the "
        "in-memory fit alone (its workers would slow the other ways down); its "
        "ratio is the one of that pair, and its ms are scaled to the main "
        "in-memory time (its others' CPU % counts its own workers).\n"
    )
    print("\n".join(conclusions))
    print(
        f"\n{repeats} alternating repeats after a warm-up, "
        f"{time.perf_counter() - start:.0f} s in all; load average after "
        f"{load_average():.2f}"
    )


if __name__ == "__main__":
    main()
