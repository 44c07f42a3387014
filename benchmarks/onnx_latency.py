"""Prediction latency of the ONNX export: onnxruntime running the graph of
``skdnn.to_onnx`` against skdnn's own ``predict_proba``, side by side in one
process, on 1 row and on 10 000 rows.

Run it with ``python -m benchmarks.onnx_latency [--quick]`` (needs the onnx
extra: ``pip install "skdnn[onnx]"``). The models are those of the
``predict_proba latency`` table of ``python -m benchmarks``: the
workloads of :mod:`benchmarks.workloads` (the cat images, 12288 features and
hidden (20, 7, 5); the tall table, 100 features and hidden (256, 128)), in
float64 and float32, fitted for ``k_lo`` iterations. The graph is exported
with ``zipmap=False`` (probabilities as one tensor, in the model's dtype)
and runs in an ``InferenceSession`` with onnxruntime's default options (all
graph optimisations, one intra-op thread per core) on the CPU provider. The
two calls alternate (A B A B ...) and every time is a median.

The section it writes replaces its own earlier one in ``--output``
(default ``benchmarks/RESULTS.md``) or is appended to it; the rest of the
file, written by ``python -m benchmarks``, is left as it is.
"""

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

import skdnn

from . import timing, workloads
from .contenders import fit_quietly, skdnn_estimator
from .report import load_average, table

TITLE = "## ONNX export: onnxruntime against predict_proba"
DEFAULT_OUTPUT = Path(__file__).parent / "RESULTS.md"
ROWS = (1, 10_000)
MS = 1e3
HEADERS = [
    "workload",
    "dtype",
    "rows",
    "repeats",
    "skdnn predict_proba (ms)",
    "onnxruntime (ms)",
    "onnxruntime / skdnn",
    "max abs difference",
    "others' CPU %",
]


def _session(ort, model, X):
    """An onnxruntime session of ``model``'s graph (probabilities tensor)."""
    onnx_model = skdnn.to_onnx(model, X[:1], options={"zipmap": False})
    return ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _case(ort, workload, dtype, repeats):
    """The rows of one workload and dtype: fit, export, time both ways."""
    data = workloads.load(workload, dtype)
    k_lo = workload.iterations[0]
    model = fit_quietly(
        skdnn_estimator(workload.hidden, len(data.y), k_lo), data.X, data.y
    )
    session = _session(ort, model, data.X)
    name = session.get_inputs()[0].name
    rows = []
    for n_rows in ROWS:
        X = data.X[np.arange(n_rows) % data.X.shape[0]]  # C-contiguous rows
        calls = {
            "skdnn": lambda X=X: model.predict_proba(X),
            "onnxruntime": lambda X=X: session.run(["probabilities"], {name: X}),
        }
        with timing.OthersCpu() as others:
            seconds = timing.medians(calls, repeats[n_rows])
        difference = np.abs(calls["onnxruntime"]()[0] - calls["skdnn"]()).max()
        skdnn_s, ort_s = seconds["skdnn"], seconds["onnxruntime"]
        rows.append(
            [workload.name, dtype, n_rows, repeats[n_rows], skdnn_s * MS]
            + [ort_s * MS, ort_s / skdnn_s, f"{difference:.2g}", others.percent]
        )
    return rows, data.source


#: What the section says about the measurement, after the command.
DESCRIPTION = (
    "The models are those of the predict_proba latency table (the workloads "
    "of `benchmarks/workloads.py`, fitted for `k_lo` iterations), exported "
    "by `skdnn.to_onnx(model, X[:1], options={'zipmap': False})` "
    "(probabilities as one tensor, in the model's dtype) and run by an "
    "onnxruntime `InferenceSession` with its default options (every graph "
    "optimisation, one intra-op thread per core) on the CPU provider; the "
    "rows are training rows (recycled up to 10 000), C-contiguous, in the "
    "model's dtype. The two calls alternate (A B A B ...), each time is the "
    "median of the given number of calls. *onnxruntime / skdnn* below 1: "
    "onnxruntime is faster. *max abs difference*: the largest difference "
    "between the two probabilities on those rows. *others' CPU %*: share of "
    "all cores that other processes used meanwhile (from `/proc/stat`)."
)


def _section(ort, command, rows, sources, seconds, loads):
    """The Markdown section: what was run, the table, the versions."""
    import onnx
    import skl2onnx

    lines = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}; skdnn {skdnn.__version__}, "
        f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, skl2onnx "
        f"{skl2onnx.__version__}, numpy {np.__version__}; os.cpu_count() = "
        f"{os.cpu_count()}; 1-minute load average {loads[0]:.2f} at the start, "
        f"{loads[1]:.2f} at the end",
        *(f"- {name}: {source}" for name, source in sources.items()),
    ]
    return "\n\n".join(
        [
            TITLE,
            f"Written by `{command}` in {seconds:.0f} s. {DESCRIPTION}",
            table(HEADERS, rows),
            "\n".join(lines),
        ]
    )


def write_section(path, section):
    """Write ``section`` into the Markdown file ``path``.

    It replaces the section headed ``TITLE`` (up to the next ``## ``
    heading) or is appended; the file is created if need be.

    Parameters
    ----------
    path : pathlib.Path
        The results file, ``benchmarks/RESULTS.md`` by default.
    section : str
        The section's Markdown, starting with ``TITLE``.
    """
    text = path.read_text() if path.is_file() else ""
    start = text.find(TITLE + "\n")
    if start < 0:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section + "\n"
    else:
        end = text.find("\n## ", start + len(TITLE))
        rest = "" if end < 0 else text[end:]
        text = text[:start] + section + "\n" + rest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv=None):
    """Run the benchmark, print its section and write it into ``--output``.

    Parameters
    ----------
    argv : list of str, default=None
        The command line's arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.onnx_latency",
        description="Time onnxruntime on skdnn's ONNX export against "
        "predict_proba, on 1 and 10 000 rows.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats, tall workload shrunk"
    )
    parser.add_argument("--workload", choices=["cat", "tall", "all"], default="all")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        import onnxruntime as ort
    except ImportError:
        raise SystemExit(
            'this benchmark needs the onnx extra: pip install "skdnn[onnx]"'
        ) from None
    repeats = {1: 40 if args.quick else 200, 10_000: 3 if args.quick else 11}
    names = ["cat", "tall"] if args.workload == "all" else [args.workload]
    start, loads = time.perf_counter(), [load_average()]
    rows, sources = [], {}
    for name in names:
        workload = workloads.workloads(args.quick)[name]
        for dtype in workloads.DTYPES:
            print(f"onnx latency: {name} {dtype}", file=sys.stderr, flush=True)
            case_rows, sources[name] = _case(ort, workload, dtype, repeats)
            rows += case_rows
    loads.append(load_average())
    argv = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m benchmarks.onnx_latency", shlex.join(argv)])
    section = _section(
        ort, command.strip(), rows, sources, time.perf_counter() - start, loads
    )
    write_section(args.output, section)
    print(section)


if __name__ == "__main__":
    main()
