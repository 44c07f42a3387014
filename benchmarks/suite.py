"""``python -m benchmarks``: run every measurement, print the tables and write
them, with the machine's description, to ``benchmarks/RESULTS.md``."""

import argparse
import itertools
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from skdnn import DeepBinaryClassifier

from . import contenders, memory, report, timing, workloads
from .contenders import fit_quietly, mlp_estimator, skdnn_estimator

DEFAULT_OUTPUT = Path(__file__).parent / "RESULTS.md"
PREDICT_ROWS = (1, 10_000)
MS = 1e3


class Suite:
    """The settings of one run and the sections it measures."""

    def __init__(self, quick, repeats, workload_names):
        self.quick = quick
        self.repeats = repeats
        self.workloads = [workloads.workloads(quick)[n] for n in workload_names]
        self.sources = {}
        self.started = time.perf_counter()
        # "Many" repeats for predict_proba, scaled with --repeats.
        self.predict_repeats = {1: 40 * repeats, 10_000: 2 * repeats + 1}
        self.e2e_iterations = 250 if quick else 2500
        self.e2e_repeats = 1 if quick else min(repeats, 3)

    def log(self, message):
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)

    def datasets(self):
        """Every selected ``(workload, dtype, Dataset)``, made one at a time."""
        for workload in self.workloads:
            for dtype in workloads.DTYPES:
                data = workloads.load(workload, dtype)
                self.sources[workload.name] = data.source
                yield workload, dtype, data

    # -- the sections ------------------------------------------------------------

    def fit_per_iteration(self):
        rows = []
        for workload, dtype, data in self.datasets():
            self.log(f"fit time per iteration: {workload.name} {dtype}")
            available = contenders.available(workload)
            runners = {c.key: c.build(workload, data.X, data.y) for c in available}
            with timing.OthersCpu() as others:
                results = timing.per_iteration(
                    runners, workload.iterations, self.repeats
                )
            floor, mlp = results["floor"][0], results["mlp"][0]
            for c in available:
                seconds, trained_in = results[c.key]
                row = [workload.name, dtype, c.label, trained_in, seconds * MS]
                rows.append(row + [seconds / floor, seconds / mlp, others.percent])
        return rows

    def predict_latency(self, predict_rows=PREDICT_ROWS):
        rows = []
        for workload, dtype, data in self.datasets():
            self.log(f"predict_proba latency: {workload.name} {dtype}")
            k_lo = workload.iterations[0]
            fitted = {
                name: fit_quietly(
                    make(workload.hidden, len(data.y), k_lo), data.X, data.y
                )
                for name, make in (("skdnn", skdnn_estimator), ("mlp", mlp_estimator))
            }
            for n_rows in predict_rows:
                # Rows recycled from the training data: a C-contiguous copy.
                X = data.X[np.arange(n_rows) % data.X.shape[0]]
                latency = timing.medians(
                    {
                        name: lambda est=est, X=X: est.predict_proba(X)
                        for name, est in fitted.items()
                    },
                    self.predict_repeats[n_rows],
                )
                skdnn, mlp = latency["skdnn"], latency["mlp"]
                row = [workload.name, dtype, n_rows, self.predict_repeats[n_rows]]
                rows.append(row + [skdnn * MS, mlp * MS, skdnn / mlp])
        return rows

    def peak_memory(self):
        rows = []
        for workload, dtype in itertools.product(self.workloads, workloads.DTYPES):
            for c in contenders.available(workload):
                self.log(f"peak memory: {workload.name} {dtype} {c.key}")
                mem = memory.peak_memory(workload.name, dtype, c.key, self.quick)
                traced = mem["tracemalloc_mib"]
                if c is contenders.TORCH:
                    traced = "n/a (own allocator)"
                row = [workload.name, dtype, c.label, mem["data_mib"]]
                rows.append(row + [mem["rss_mib"], traced])
        return rows

    def end_to_end(self):
        """The course's run: default ``DeepBinaryClassifier(random_state=1)``
        against MLPClassifier, both for ``e2e_iterations`` on the cat data."""
        cat = workloads.workloads(self.quick)["cat"]
        data = workloads.load(cat, "float64")
        self.sources["cat"] = data.source
        n = self.e2e_iterations
        self.log(f"end to end: cat float64, {n} iterations")
        makers = {
            "skdnn": lambda: DeepBinaryClassifier(max_iter=n, random_state=1),
            "mlp": lambda: mlp_estimator(cat.hidden, len(data.y), n, random_state=1),
        }
        fitted = {}

        def fit(name):
            fitted[name] = fit_quietly(makers[name](), data.X, data.y)

        seconds = timing.medians(
            {name: lambda name=name: fit(name) for name in makers},
            self.e2e_repeats,
            warmup=False,
        )
        skdnn, mlp = seconds["skdnn"], seconds["mlp"]
        row = [f"cat float64, {n} iterations", self.e2e_repeats, skdnn, mlp]
        costs = [fitted[name].loss_curve_[-1] for name in ("skdnn", "mlp")]
        return [row + [skdnn / mlp, *costs]]


SECTIONS = [
    (
        "fit_per_iteration",
        "Fit time per iteration",
        "Full-batch gradient descent, one iteration = forward, cost, backward, "
        "update. Each repeat fits with `max_iter = k_hi` and `k_lo` and takes "
        "`(t_hi - t_lo) / (k_hi - k_lo)`, which cancels what a fit costs "
        "whatever its length (validation, copies, init). The floor is the "
        "matrix products alone (forward `A[l-1] @ W[l]`, backward "
        "`A[l-1].T @ dZ[l]` and `dZ[l] @ W[l].T` for l >= 2) into "
        "preallocated outputs; an implementation that skips some of these "
        "products (for example by working with the samples' Gram matrix when "
        "there are more features than samples, skdnn's default on the cat "
        "data; the `space='feature'` row is its textbook algorithm) can go "
        "below 1. *trained in* is the dtype of the fitted weights. *others' "
        "CPU %*: share of all cores that other processes used during that "
        "workload and dtype's timings (from `/proc/stat`); well above 0, the "
        "times of that group are inflated by competition.",
        [
            "workload",
            "dtype",
            "contender",
            "trained in",
            "ms / iteration",
            "/ floor",
            "/ MLPClassifier",
            "others' CPU %",
        ],
    ),
    (
        "predict_latency",
        "predict_proba latency",
        "Models fitted for `k_lo` iterations on the workload; the rows are "
        "training rows (recycled up to 10 000), C-contiguous, in the dtype "
        "the model was trained in. Median of the given number of alternating calls.",
        [
            "workload",
            "dtype",
            "rows",
            "repeats",
            "skdnn (ms)",
            "MLPClassifier (ms)",
            "skdnn / MLPClassifier",
        ],
    ),
    (
        "peak_memory",
        "Peak memory of one fit",
        "Each fit (`k_lo + 1` iterations) in its own fresh process. "
        "*ru_maxrss growth*: `resource.getrusage(RUSAGE_SELF).ru_maxrss` "
        "after the fit minus the same just before it, with the "
        "data loaded (everything: NumPy, PyTorch, and the pages of BLAS's "
        "packing buffers that the fit's large products touch first, a fixed "
        "few tens of MiB). *tracemalloc peak*: "
        "peak of `tracemalloc` started just before the fit (Python and NumPy "
        "allocations only). *X* is the size of the training data, not "
        "included in either.",
        [
            "workload",
            "dtype",
            "contender",
            "X (MiB)",
            "ru_maxrss growth (MiB)",
            "tracemalloc peak (MiB)",
        ],
    ),
    (
        "end_to_end",
        "End to end: the course's cat run",
        "`DeepBinaryClassifier(random_state=1)` with its defaults (hidden "
        "(20, 7, 5), relu, learning_rate 0.0075) against MLPClassifier set up "
        "for the same algorithm, same number of iterations, whole fit timed. "
        "The final costs (cross-entropy before the last update) show that "
        "both trained.",
        [
            "fit",
            "repeats",
            "skdnn (s)",
            "MLPClassifier (s)",
            "skdnn / MLPClassifier",
            "final cost skdnn",
            "final cost MLPClassifier",
        ],
    ),
]


#: The benchmarks that run on their own, and the files they write.
OTHER_BENCHMARKS = """\
Not part of this run; each runs with its own command.

- `python -m benchmarks.solvers` writes `benchmarks/RESULTS-solvers.md`: the
  course's 2500-iteration cat run as a whole fit (and its costs against the
  published ones), mini-batch Adam per epoch (float64 and float32), a whole
  8-iteration full-batch fit against the matmul floor, L-BFGS's time to
  MLPClassifier's final loss, 1-row `predict_proba` (this suite's
  measurement), and `DeepClassifier` / `DeepRegressor` against
  MLPClassifier / MLPRegressor (issue 14), each ratio next to its target.
- `python -m benchmarks.dask_fit` and `python -m benchmarks.dask_memory`
  print the tables of `benchmarks/RESULTS-dask.md`: fits on a `dask.array`.
- `python -m benchmarks.training` and `python -m benchmarks.distributed`
  print their tables: cross-validated accuracy on scikit-learn's data sets,
  and a grid search on a dask cluster."""


def render(suite, results, command, loads, seconds):
    """The whole RESULTS.md text."""
    mode = (
        "**quick** mode (fewer repeats and iterations, tall workload shrunk to "
        f"{workloads.workloads(quick=True)['tall'].n_rows} rows, "
        f"end-to-end run of {suite.e2e_iterations} iterations)"
        if suite.quick
        else "full mode"
    )
    iterations = "; ".join(
        f"{w.name}: {w.n_rows} rows, k_lo = {w.iterations[0]}, k_hi = {w.iterations[1]}"
        for w in suite.workloads
    )
    parts = [
        "# skdnn benchmarks",
        f"Written by `{command}` in {seconds:.0f} s, {mode}, "
        f"alternating repeats (A B C A B C ...): {suite.repeats}; every time "
        f"is a median. {iterations}. Times depend on the machine (below) and "
        "on whatever else ran on it: compare rows within a table.",
    ]
    for key, title, text, headers in SECTIONS:
        if key in results:
            parts += [f"## {title}", text, report.table(headers, results[key])]
    parts += ["## Other benchmarks", OTHER_BENCHMARKS]
    sources = [f"- {name}: {source}" for name, source in suite.sources.items()]
    parts += ["## Data", "\n".join(sources)]
    machine = report.machine_info() + [
        f"1-minute load average: {loads[0]:.2f} at the start, {loads[1]:.2f} at the end"
    ]
    parts += ["## Machine", "\n".join(f"- {line}" for line in machine)]
    if contenders.torch_version() is None:
        parts += [
            "## Not measured",
            "- PyTorch loop: `torch` does not import in this environment.",
        ]
    return "\n\n".join(parts) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time skdnn against MLPClassifier, the matmul floor and "
        "(when it imports) PyTorch; write a Markdown table.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="few repeats and iterations, tall workload shrunk (under 2 min)",
    )
    parser.add_argument("--workload", choices=["cat", "tall", "all"], default="all")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="alternating repeats per timing (default 5, or 3 with --quick)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    names = ["cat", "tall"] if args.workload == "all" else [args.workload]

    suite = Suite(args.quick, repeats, names)
    load_before = report.load_average()
    results = {
        key: getattr(suite, key)()
        for key, *_ in SECTIONS
        if key != "end_to_end" or "cat" in names
    }
    seconds = time.perf_counter() - suite.started
    argv = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m benchmarks", shlex.join(argv)]).strip()
    text = render(
        suite, results, command, (load_before, report.load_average()), seconds
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    suite.log(f"wrote {args.output}")
