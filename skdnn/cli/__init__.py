"""The ``skdnn`` command line: ``train``, ``search``, ``predict``, ``info`` and
``export``.

``skdnn train`` with no arguments runs the main job on built-in data: it
cross-validates ``StandardScaler`` + ``DeepBinaryClassifier`` on
scikit-learn's breast-cancer data, trains it on the training split (showing
the cost as it goes) and reports the held-out accuracy. Flags choose the data
(``--dataset``, or ``--data FILE.csv --target COLUMN``), the model and its
hyper-parameters, and write a model file (``--out``) and the cost curve
(``--plot``). ``--n-jobs`` runs the cross-validation fits in parallel and
``--scheduler ADDRESS`` on a dask.distributed cluster.

``skdnn search`` cross-validates a grid of hyper-parameters given on the
command line (``--grid alpha=0,0.01,0.1``) on the same data and prints the
candidates ranked by mean accuracy.

Bad options, paths, columns or files end the command with one line naming the
problem on stderr and exit code 2, without a traceback, before any fit.

The pieces: ``_parsing`` (the parser), ``_reading`` (CSV files, ``.npy``
arrays, the built-in data sets), ``_building`` (the estimator, the steps
before it, the pipeline, what a model file holds), ``_running`` (the folds and
the search candidates, here or on dask, with progress lines), ``_reporting``
(what is printed and written) and ``_commands`` (the commands).
"""

import os
import sys

from ._commands import COMMANDS
from ._errors import EXIT_BAD_INPUT, CommandError
from ._parsing import build_parser

__all__ = ["build_parser", "main"]


def main(argv=None):
    """Entry point of the ``skdnn`` console command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (one line)
        return exc.code
    try:
        return COMMANDS[args.command](args)
    except CommandError as exc:  # bad input: one line, no traceback
        print(f"skdnn {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `skdnn info model.h5 | head`: the reader left
        # Python flushes stdout again at exit; point it at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
