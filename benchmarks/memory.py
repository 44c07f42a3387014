"""Peak memory of one fit, each in its own fresh Python process.

The child (``python -m benchmarks.memory WORKLOAD DTYPE CONTENDER``) imports
everything, makes the data and runs a tiny untimed fit on one sample of each
class (lazy imports), then takes its baseline, builds the contender (the
floor's preallocated buffers count) and fits for ``k_lo + 1`` iterations of
the workload (at least two, so that one iteration's gradients may still be
alive while the next one's are made; as many as the timings' short fits, so
that skdnn works in the same space). It reports two numbers:

``rss_mib``
    ``ru_maxrss`` after the fit minus ``ru_maxrss`` at the baseline: how far
    the fit pushed the process's peak resident memory above what it held
    with the data loaded. Counts everything, BLAS buffers and PyTorch's
    allocator included. The data are made without large temporaries, so the
    baseline peak is the resident size at that point.
``tracemalloc_mib``
    The peak of ``tracemalloc`` started at the baseline: the Python and NumPy
    allocations of the fit alone (NumPy reports its array buffers to
    tracemalloc), to the byte, but blind to BLAS and PyTorch.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np

from . import contenders, workloads

MIB = 2**20


def fit_iterations(workload):
    return workload.iterations[0] + 1


def _maxrss_bytes():
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # KiB on Linux


def measure(workload, dtype, contender):
    """In this process: peak memory of one fit, as documented above."""
    data = workloads.load(workload, dtype)
    first_of_each_class = np.unique(data.y, return_index=True)[1]
    X_few, y_few = data.X[first_of_each_class], data.y[first_of_each_class]
    contender.build(workload, X_few, y_few)(1)
    baseline = _maxrss_bytes()
    tracemalloc.start()
    try:
        contender.build(workload, data.X, data.y)(fit_iterations(workload))
        traced_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {
        "data_mib": data.X.nbytes / MIB,
        "rss_mib": (_maxrss_bytes() - baseline) / MIB,
        "tracemalloc_mib": traced_peak / MIB,
    }


def peak_memory(workload_name, dtype, contender_key, quick):
    """Run :func:`measure` in a fresh process and return its dict.

    On Linux a process started straight from this one would begin with this
    one's peak as its own ``ru_maxrss`` (the kernel carries the peak over
    ``exec``), hiding any fit smaller than the suite so far. A shell in
    between forks the measured process, which then starts from the shell's
    few MiB.
    """
    command = [sys.executable, "-m", "benchmarks.memory"]
    command += [workload_name, dtype, contender_key] + (["--quick"] if quick else [])
    return run_through_shell(command)


def run_through_shell(command, env=None):
    """Run ``command`` through a shell (see :func:`peak_memory`), with ``env``
    added to its environment, and return the JSON of its last output line."""
    result = subprocess.run(
        ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command],
        cwd=Path(__file__).parents[1],  # where ``benchmarks`` was imported from
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}"
        )
    return json.loads(result.stdout.splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("workload", choices=sorted(workloads.workloads()))
    parser.add_argument("dtype", choices=workloads.DTYPES)
    parser.add_argument("contender", choices=sorted(contenders.ALL))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    workload = workloads.workloads(args.quick)[args.workload]
    result = measure(workload, args.dtype, contenders.ALL[args.contender])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
