"""Running the fits: the cross-validation folds and the search candidates,
here or on a dask cluster, with a progress line as each one ends.

The lines are printed by this process, as the results come back from
joblib, so they show the same with ``--n-jobs`` (worker processes) and
``--scheduler`` (remote workers). scikit-learn 1.9's
``sklearn.callback.ProgressBar`` does not do this here: ``cross_val_score``
does not propagate callbacks (each fold's fit is its own root, in its
worker), ``GridSearchCV`` calls them in the workers (reaching this process
through a local socket, not from a remote dask worker), and it draws with
``rich`` on a terminal only.
"""

import contextlib
import math
import sys
import time
import warnings

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    ParameterGrid,
    StratifiedKFold,
)
from sklearn.utils import _safe_indexing
from sklearn.utils.parallel import Parallel, delayed

from ._errors import CommandError, last_line, one_line
from ._reporting import format_params, progress_lines

#: What ``--scheduler`` says when dask.distributed is not installed.
NEEDS_DISTRIBUTED = "needs the distributed extra: pip install 'skdnn[distributed]'"


def check_parallel(args):
    """Fail early on a bad ``--n-jobs`` or a ``--scheduler`` without dask."""
    if args.n_jobs == 0:
        raise CommandError("--n-jobs must be a positive number or -1; got 0")
    if args.scheduler is not None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise CommandError(f"--scheduler {NEEDS_DISTRIBUTED}") from None
        _check_address(args.scheduler)
    if not args.scheduler_timeout > 0:
        raise CommandError(
            f"--scheduler-timeout must be a positive number of seconds; got "
            f"{args.scheduler_timeout}"
        )


def _check_address(address):
    """Refuse a scheduler address that dask cannot parse, before any work
    and without a ``Client`` (whose failure to start can leave dask's shared
    event loop unusable for the next one in the process)."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location)
    except ValueError as exc:
        raise CommandError(
            f"--scheduler {address}: {exc}; give an address such as tcp://10.0.0.5:8786"
        ) from None


@contextlib.contextmanager
def parallel_backend(args):
    """Where the fits run: joblib's default (``--n-jobs`` local processes),
    or with ``--scheduler`` the workers of that dask cluster, through
    joblib's dask backend; connecting gives up after
    ``--scheduler-timeout`` seconds."""
    check_parallel(args)
    if args.scheduler is None:
        yield
        return
    from distributed import Client

    try:
        client = Client(args.scheduler, timeout=args.scheduler_timeout)
    except Exception as exc:  # a bad address, a refusal, a timeout, garbage
        raise CommandError(
            f"cannot connect to the dask scheduler at {args.scheduler}: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    with client:
        n_workers = len(client.scheduler_info().get("workers", {}))
        print(f"dask scheduler {args.scheduler}: {n_workers} workers")
        with joblib.parallel_backend("dask"):
            yield


def folds(args, regression):
    """Cross-validation folds: stratified for the classifiers."""
    cv = KFold if regression else StratifiedKFold
    return cv(args.cv, shuffle=True, random_state=args.random_state)


@contextlib.contextmanager
def fit_errors(what):
    """A fit that fails on the data or the parameters ends the command with
    one line: the cause (the first failing fit's, for many)."""
    try:
        yield
    except ValueError as exc:
        raise CommandError(f"{what} failed: {one_line(exc)}") from None
    except MemoryError as exc:
        raise CommandError(
            f"not enough memory for {what}: {last_line(exc)}; use narrower "
            "--hidden-layer-sizes or a smaller --batch-size"
        ) from None


@contextlib.contextmanager
def convergence_notes(notes):
    """Collect the ``ConvergenceWarning`` messages of the fits inside into
    the list ``notes`` (each once), instead of letting them print their
    file, line and source line to stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            if str(warning.message) not in notes:
                notes.append(str(warning.message))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def _fit_fold(fold, model, X, y, train, test):
    """Fit ``model`` on the rows ``train``: ``(fold, its score on test, the
    seconds it took, its convergence warnings)``."""
    start, notes = time.perf_counter(), []
    with convergence_notes(notes):
        model.fit(_safe_indexing(X, train), _safe_indexing(y, train))
    score = model.score(_safe_indexing(X, test), _safe_indexing(y, test))
    return fold, score, time.perf_counter() - start, notes


def cross_validate(model, X, y, cv, n_jobs, say):
    """The score of a clone of ``model`` on each fold of ``cv`` (what
    ``cross_val_score`` gives), ``say``-ing a line as each fold ends; the
    folds' convergence warnings are printed once each, with how many folds
    gave them, on stderr."""
    splits = list(cv.split(X, y))
    scores, warned = np.empty(len(splits)), {}
    with fit_errors("cross-validation"):
        for i, score, seconds, notes in Parallel(
            n_jobs=n_jobs, return_as="generator_unordered"
        )(
            delayed(_fit_fold)(i, clone(model), X, y, train, test)
            for i, (train, test) in enumerate(splits)
        ):
            scores[i] = score
            say(f"fold {i + 1}/{len(splits)} done: {score:.4f} ({seconds:.1f} s)")
            for note in notes:
                warned[note] = warned.get(note, 0) + 1
    for note, count in warned.items():
        print(f"warning ({count} of {len(splits)} folds): {note}", file=sys.stderr)
    return scores


class _SearchInRounds(GridSearchCV):
    """``GridSearchCV`` that evaluates its candidates a round at a time
    (through ``_run_search``, its hook for subclasses), to say a line after
    each candidate; ``round_size`` candidates at once keep ``n_jobs``
    workers busy. The results are ``GridSearchCV``'s."""

    round_size, say = 1, staticmethod(progress_lines(quiet=True))

    def _run_search(self, evaluate_candidates, callback_ctx=None):
        candidates = list(ParameterGrid(self.param_grid))
        n_folds = self.cv.get_n_splits()
        self.say(
            f"searching {len(candidates)} candidates x {n_folds} folds = "
            f"{len(candidates) * n_folds} fits"
        )
        for start in range(0, len(candidates), self.round_size):
            results = evaluate_candidates(candidates[start : start + self.round_size])
            for i in range(start, min(start + self.round_size, len(candidates))):
                seconds = n_folds * (
                    results["mean_fit_time"][i] + results["mean_score_time"][i]
                )
                self.say(
                    f"candidate {i + 1}/{len(candidates)} done: "
                    f"{results['mean_test_score'][i]:.4f} ± "
                    f"{results['std_test_score'][i]:.4f} ({seconds:.1f} s): "
                    f"{format_params(results['params'][i])}"
                )
        if self.refit:
            self.say("refitting the best candidate on the whole training split")


def grid_search(model, grid, cv, n_jobs, say):
    """A ``GridSearchCV`` of ``model`` over ``grid``, unfitted: its first
    failing fit raises (``error_score="raise"``), and it says a line per
    candidate."""
    search = _SearchInRounds(model, grid, cv=cv, n_jobs=n_jobs, error_score="raise")
    search.say = say
    # rounds of whole candidates whose fits fill the workers evenly
    workers = joblib.effective_n_jobs(n_jobs)
    search.round_size = math.lcm(workers, cv.get_n_splits()) // cv.get_n_splits()
    return search
