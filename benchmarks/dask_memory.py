"""Peak memory of a full-batch fit on a dask array read from an HDF5 file,
against the same fit on ``X`` loaded into memory.

Run it with ``python -m benchmarks.dask_memory [--quick] [--rows N]
[--features N] [--block-rows N [N ...]] [--dir DIR]``. It writes a synthetic
float64 HDF5 file (``X``: standard normal, written chunk by chunk so that
writing never holds ``X``; ``y = X @ w > 0`` for a random ``w``) into
``--dir`` (a temporary directory removed at the end by default; a file
already in ``--dir`` with the same shape and chunks is reused). Full mode:
600 000 x 256 (1.1 GiB of ``X``) and blocks of 5 000, 20 000 and 100 000
rows; quick mode: 50 000 x 256 (98 MiB) and blocks of 5 000 and 20 000 rows.
The HDF5 chunks are ``c x n_features`` with ``c`` the largest common divisor
of the block sizes (unless that makes chunks under 1 MiB: then the smallest
block size), so every dask block is read as whole HDF5 chunks.

Every measurement runs ``DeepBinaryClassifier(hidden_layer_sizes=(16,),
learning_rate=0.1, max_iter=3)`` in its own fresh Python process (started
through a shell, as in :mod:`benchmarks.memory`, so that its ``ru_maxrss``
starts from the shell's few MiB). The child opens the file, loads ``y``,
imports dask and skdnn and warms them up with a 1-iteration fit on one sample
of each class (a 2-block dask array for the dask ways), then takes its
baseline and fits:

``dask``
    on ``da.from_array(f["X"], chunks=(block_rows, -1))`` with dask's default
    threaded scheduler: each iteration reads every block from the file, where
    a pool thread computes its share of the cost and gradients.
``in memory``
    on ``X = f["X"][:]``, loaded after the baseline: the load is counted.

Two children per row: one reports ``ru_maxrss`` after the fit minus
``ru_maxrss`` at the baseline (everything resident: NumPy, HDF5 and BLAS
buffers, malloc's free lists, thread stacks), and the time of the fit (with
the load, for the in-memory way); the other the peak of ``tracemalloc``
started at the baseline (the Python and NumPy allocations only, NumPy's array
buffers included, exact to the byte). The file has just been written and sits
in the page cache, which is not part of the process's resident size: h5py
reads with ``read()`` into NumPy arrays, it does not map the file.

In full mode two last rows repeat the smallest blocks with glibc's malloc
tuned through the child's environment, to see how much of the resident growth
above the tracemalloc peak is freed memory that malloc keeps. glibc gives each
thread that allocates an arena of its own and keeps memory freed into an arena
for reuse; and after the first free of an ``mmap``-ed block it raises its
``mmap`` threshold to that block's size (up to 32 MiB), so later blocks of
that size come from the arenas and stay there once freed.
``MALLOC_ARENA_MAX=1`` makes all threads share one arena;
``MALLOC_TRIM_THRESHOLD_=0`` returns free memory at the top of the heap at
once and, like any of these settings, freezes the ``mmap`` threshold at
128 KiB, so that every block is mapped and unmapped. Nothing is asserted.
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

from .memory import MIB, _maxrss_bytes, run_through_shell
from .report import load_average, machine_info, table

HIDDEN = (16,)
ITERATIONS = 3
FULL = {"rows": 600_000, "features": 256, "block_rows": [5_000, 20_000, 100_000]}
QUICK = {"rows": 50_000, "features": 256, "block_rows": [5_000, 20_000]}
MALLOC_ENVS = [{"MALLOC_ARENA_MAX": "1"}, {"MALLOC_TRIM_THRESHOLD_": "0"}]
IN_MEMORY = "in memory"


# -- the data ---------------------------------------------------------------------


def _chunk_rows(block_rows, n_rows, n_features):
    """Rows of an HDF5 chunk: every block size is a multiple of it if that
    leaves chunks of at least 1 MiB; at most the rows of ``X`` and 4 GiB."""
    rows = math.gcd(*block_rows)
    if rows * n_features * 8 < MIB:
        rows = min(block_rows)
    return max(1, min(rows, n_rows, (2**32 - 1) // (n_features * 8)))


def write_data(path, n_rows, n_features, chunk_rows, seed=0):
    """Write ``X`` (float64, standard normal) and ``y = X @ w > 0`` (uint8)
    to ``path`` one HDF5 chunk at a time, unless a file of that shape and
    chunking is there already. Returns the seconds it took (0 if reused)."""
    import h5py

    path = Path(path)
    if path.exists():
        with h5py.File(path, "r") as f:
            if (
                f["X"].shape == (n_rows, n_features)
                and f["X"].chunks == (chunk_rows, n_features)
                and f["y"].shape == (n_rows,)
            ):
                return 0.0
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(n_features)
    partial = path.with_name(path.name + ".part")  # renamed once complete
    with h5py.File(partial, "w") as f:
        X = f.create_dataset(
            "X", (n_rows, n_features), dtype="f8", chunks=(chunk_rows, n_features)
        )
        y = f.create_dataset("y", (n_rows,), dtype="u1")
        for a in range(0, n_rows, chunk_rows):
            b = min(a + chunk_rows, n_rows)
            X_k = rng.standard_normal((b - a, n_features))
            X[a:b] = X_k
            y[a:b] = X_k @ w > 0
    partial.replace(path)
    return time.perf_counter() - start


# -- one measurement, in a child process ------------------------------------------


def _current_rss_bytes():
    """The resident size now (Linux), or ``nan``."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE")


def _fit(X, y, max_iter):
    from skdnn import DeepBinaryClassifier

    clf = DeepBinaryClassifier(
        hidden_layer_sizes=HIDDEN, learning_rate=0.1, max_iter=max_iter, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        clf.fit(X, y)
    return clf


def measure(path, way, block_rows, probe):
    """In this process: one fit as documented above; ``probe`` is ``"rss"``
    or ``"tracemalloc"``. Returns a dict of numbers."""
    import dask.array as da
    import h5py

    with h5py.File(path, "r") as f:
        y = f["y"][:]
        one_of_each = np.sort(np.unique(y, return_index=True)[1])
        X_few, y_few = f["X"][one_of_each], y[one_of_each]
        if way == IN_MEMORY:
            _fit(X_few, y_few, 1)
        else:
            _fit(da.from_array(X_few, chunks=(1, -1)), y_few, 1)
        del X_few
        rss_before, baseline = _current_rss_bytes(), _maxrss_bytes()
        if probe == "tracemalloc":
            tracemalloc.start()
        try:
            start = time.perf_counter()
            if way == IN_MEMORY:
                X = f["X"][:]
            else:
                X = da.from_array(f["X"], chunks=(block_rows, -1))
            clf = _fit(X, y, ITERATIONS)
            seconds = time.perf_counter() - start
            traced_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        after = _maxrss_bytes()
        del X
    return {
        "rss_growth_mib": (after - baseline) / MIB,
        "tracemalloc_mib": traced_peak / MIB if probe == "tracemalloc" else None,
        "seconds": seconds,
        "n_iter": clf.n_iter_,
        # baseline ru_maxrss above the resident size then: the fit's growth
        # is underestimated by up to this much
        "baseline_slack_mib": (baseline - rss_before) / MIB,
        "rss_after_mib": (_current_rss_bytes() - rss_before) / MIB,
    }


def run_child(path, way, block_rows, probe, env=None):
    """:func:`measure` in a fresh process, started through a shell (see
    :func:`benchmarks.memory.peak_memory`), with ``env`` added to its
    environment."""
    command = [sys.executable, "-m", "benchmarks.dask_memory", "--child"]
    command += [str(path), way, str(block_rows), probe]
    return run_through_shell(command, env)


# -- the report -------------------------------------------------------------------


def _rows(n):
    """``n`` with a space between thousands: 20 000."""
    return f"{n:_}".replace("_", " ")


def _env_text(env):
    return ", ".join(f"{k}={v}" for k, v in env.items())


def _memory_available():
    """``MemAvailable`` of /proc/meminfo in bytes, or ``None``."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _row(path, way, block_rows, shape, env=None, label=None):
    """One table row (both children) and the rss child's dict."""
    n_rows, n_features = shape
    x_mib = n_rows * n_features * 8 / MIB
    rss = run_child(path, way, block_rows, "rss", env)
    traced = run_child(path, way, block_rows, "tracemalloc", env)
    if way == IN_MEMORY:
        name, block, blocks = label or IN_MEMORY, "-", "-"
    else:
        name = label or f"dask, {_rows(block_rows)} rows / block"
        block = min(block_rows, n_rows) * n_features * 8 / MIB
        blocks = -(-n_rows // block_rows)
    row = [
        name,
        x_mib,
        block,
        blocks,
        rss["rss_growth_mib"],
        traced["tracemalloc_mib"],
        rss["rss_growth_mib"] / x_mib,
        rss["seconds"],
    ]
    return row, rss


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask_memory")
    parser.add_argument(
        "--quick", action="store_true", help="50 000 x 256 (98 MiB), 2 block sizes"
    )
    parser.add_argument("--rows", type=int, help="rows of X (600 000, quick 50 000)")
    parser.add_argument("--features", type=int, help="columns of X (256)")
    parser.add_argument(
        "--block-rows",
        type=int,
        nargs="+",
        help="rows per dask block, one row of the table each "
        "(5 000 20 000 100 000; quick 5 000 20 000)",
    )
    parser.add_argument(
        "--dir", help="where to write the HDF5 file (kept; default: a temporary one)"
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        path, way, block_rows, probe = args.child
        print(json.dumps(measure(path, way, int(block_rows), probe)))
        return

    try:
        import dask
        import h5py
    except ImportError:
        raise SystemExit(
            "this benchmark needs dask.array and h5py: pip install 'skdnn[distributed]'"
        ) from None
    defaults = QUICK if args.quick else FULL
    n_rows = args.rows or defaults["rows"]
    n_features = args.features or defaults["features"]
    block_sizes = args.block_rows or [b for b in defaults["block_rows"] if b < n_rows]
    block_sizes = block_sizes or [n_rows]
    shape = (n_rows, n_features)
    x_bytes = n_rows * n_features * 8
    chunk_rows = _chunk_rows(block_sizes, n_rows, n_features)

    start = time.perf_counter()
    print(
        "# Peak memory of DeepBinaryClassifier.fit on a dask array from HDF5 "
        f"({'quick' if args.quick else 'full'} mode)\n"
    )
    for line in machine_info():
        print(f"- {line}")
    print(
        f"- dask {dask.__version__}, h5py {h5py.__version__} (HDF5 "
        f"{h5py.version.hdf5_version}); dask's default threaded scheduler, "
        f"{dask.config.get('num_workers', None) or os.cpu_count()} threads; "
        f"load average before {load_average():.2f}"
    )

    with tempfile.TemporaryDirectory(prefix="skdnn-dask-memory-") as tmp:
        folder = Path(args.dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"dask_memory_{n_rows}x{n_features}_chunk{chunk_rows}.h5"
        written = write_data(path, n_rows, n_features, chunk_rows)
        print(
            f"- X: {n_rows} x {n_features} float64, {x_bytes / MIB:.0f} MiB in "
            f"{path} (HDF5 chunks of {chunk_rows} rows, "
            + (f"written in {written:.0f} s" if written else "reused")
            + f"); hidden {HIDDEN}, {ITERATIONS} iterations of full-batch "
            "gradient descent (and the final cost pass)\n",
            flush=True,
        )

        results = {}  # name: (table row, the rss child's dict)
        available = _memory_available()
        if available is None or available > 2 * x_bytes + 2**30:
            results[IN_MEMORY] = _row(path, IN_MEMORY, 0, shape)
        else:
            print(
                f"(no in-memory row: {available / MIB:.0f} MiB available, X "
                f"needs {x_bytes / MIB:.0f} MiB)\n"
            )
        for block_rows in block_sizes:
            results[block_rows] = _row(path, "dask", block_rows, shape)
        smallest = min(block_sizes)
        for env in [] if args.quick else MALLOC_ENVS:
            label = results[smallest][0][0] + ", " + _env_text(env)
            results[label] = _row(path, "dask", smallest, shape, env, label)
    rows = [row for row, _ in results.values()]

    print(
        table(
            [
                "way",
                "X size MiB",
                "block MiB",
                "blocks",
                "ru_maxrss growth MiB",
                "tracemalloc peak MiB",
                "growth / X size",
                "seconds",
            ],
            rows,
        )
    )
    print(
        "\n*ru_maxrss growth*: the child's peak resident size after the fit "
        "minus before it (for the in-memory way, before loading X); "
        "*tracemalloc peak*: Python and NumPy allocations during the same fit "
        "(in a second child); *seconds*: the fit (with the load, in memory). "
        + (
            "The rows with MALLOC_ settings are the smallest blocks again with "
            "that setting in the child's environment: MALLOC_ARENA_MAX=1, one "
            "malloc arena for all threads; MALLOC_TRIM_THRESHOLD_=0, free heap "
            "top returned at once and the mmap threshold fixed at 128 KiB (each "
            "block mapped and unmapped). "
            if not args.quick
            else ""
        )
        + "Residual resident memory after each fit, baseline slack "
        "(ru_maxrss above the resident size at the baseline) and iterations "
        "run: "
        + "; ".join(
            f"{row[0]}: {r['rss_after_mib']:.0f} MiB, "
            f"{r['baseline_slack_mib']:.1f} MiB, {r['n_iter']}"
            for row, r in results.values()
        )
        + ".\n"
    )
    dask_rows = [results[b][0] for b in block_sizes]
    peaks = ", ".join(
        f"{row[4]:.0f} MiB = {100 * row[6]:.1f} % of X with {_rows(b)} rows / block "
        f"(tracemalloc peak {row[5] / row[2]:.1f} blocks)"
        for b, row in zip(block_sizes, dask_rows, strict=True)
    )
    conclusion = (
        f"- dask fit on X of {x_bytes / MIB:.0f} MiB: driver peak (ru_maxrss "
        f"growth) {peaks}"
    )
    if IN_MEMORY in results:
        row = results[IN_MEMORY][0]
        conclusion += f"; in memory {row[4]:.0f} MiB = {100 * row[6]:.0f} % of X"
    print(conclusion)
    print(
        f"\n{time.perf_counter() - start:.0f} s in all; load average after "
        f"{load_average():.2f}"
    )


if __name__ == "__main__":
    main()
