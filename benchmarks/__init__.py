"""Benchmarks of skdnn against scikit-learn's MLPClassifier, the BLAS floor
and (when it imports) PyTorch.

Run from the repository root::

    python -m benchmarks            # full suite, writes benchmarks/RESULTS.md
    python -m benchmarks --quick    # under 2 minutes on 2 cores
    python -m benchmarks --workload cat --repeats 7 --output /tmp/RESULTS.md

What is measured, each for the workloads "cat" (the course's 209 x 12288
images, hidden (20, 7, 5)) and "tall" (100 000 x 100 synthetic, hidden
(256, 128)) in float64 and float32:

- fit time per gradient-descent iteration (:mod:`benchmarks.timing`) of the
  contenders of :mod:`benchmarks.contenders`;
- ``predict_proba`` latency for 1 and 10 000 rows, skdnn against
  MLPClassifier;
- peak memory of one fit, each in its own process (:mod:`benchmarks.memory`);
- the course's 2500-iteration cat run end to end, skdnn against MLPClassifier.

The cat images are read from ``$SKDNN_DATA/catvnoncat/train_catvnoncat.h5``;
without them a synthetic array of the same shape stands in, and the results
say so. The suite times whichever skdnn is imported.

Measured on their own (see the "Other benchmarks" section of RESULTS.md):
``python -m benchmarks.solvers`` (:mod:`benchmarks.solvers`: whole fits,
mini-batch Adam, L-BFGS, 1-row prediction and the issue-14 estimators, each
ratio next to its target, written to ``benchmarks/RESULTS-solvers.md``),
``benchmarks.dask_fit``, ``benchmarks.dask_memory``, ``benchmarks.training``
and ``benchmarks.distributed``.
"""
