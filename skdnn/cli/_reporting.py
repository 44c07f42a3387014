"""Reporting: what the commands print (progress, scores, tables), and the
files they write (model files, the cost curve, predictions), each output path
checked before any work."""

import csv
import functools
import os
import sys
import time

import numpy as np

from .. import __version__
from ..persistence import save_model
from ._errors import CommandError

# -- progress --------------------------------------------------------------------


def _silent(text):
    pass


def progress_lines(quiet):
    """The function that prints a progress line (``fold 3/5 done: ...``),
    flushed at once so that a pipe or a log shows it as it happens; nothing
    with ``--quiet``. (A module's function, so that it pickles.)"""
    return _silent if quiet else functools.partial(print, flush=True)


class IterationBar:
    """A one-line progress bar of a fit's iterations on a terminal, through
    scikit-learn's callback API; shown once the fit has run for ``delay``
    seconds."""

    def __init__(self, stream, delay=0.5):
        self.stream, self.delay = stream, delay

    def setup(self, estimator, context):
        self.start, self.done, self.shown = time.monotonic(), 0, False
        self.total = context.max_subtasks or 1

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.parent is None:
            return False
        self.done += 1
        if self.shown or time.monotonic() - self.start >= self.delay:
            self.shown = True
            width = 30
            filled = int(width * self.done / self.total)
            self.stream.write(
                f"\rtraining [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done}/{self.total} iterations"
            )
            self.stream.flush()
        return False

    def teardown(self, estimator, context):
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def show_training_progress(model, quiet):
    """The final fit's progress: the course's cost lines on a pipe or a
    file, an :class:`IterationBar` on a terminal, nothing with ``--quiet``."""
    network = model[-1]
    if quiet:
        return
    if sys.stdout.isatty() and hasattr(network, "set_callbacks"):
        try:
            network.set_callbacks(IterationBar(sys.stdout))
            return
        except TypeError:  # no usable callback API: fall back to lines
            pass
    network.set_params(verbose=1)


# -- what train and search print ---------------------------------------------------


def describe(job, doing):
    """The first two lines: the model (``doing`` is ``"training"`` or
    ``"searching"``) and the data."""
    network = job.model[-1]
    before = [type(step).__name__ for _, step in job.model.steps[:-1]]
    shown = repr(network) if doing == "training" else type(network).__name__
    print(
        f"skdnn {__version__}: {'searching ' if doing == 'searching' else ''}"
        f"{shown}" + (f" after {' + '.join(before)}" if before else "")
    )
    n_train, n_test = job.X_train.shape[0], job.X_test.shape[0]
    print(
        f"data: {job.name}, {n_train + n_test} samples, {job.X_train.shape[1]} "
        f"features; {doing} on {n_train}, holding out {n_test}"
    )
    for note in job.notes:
        print(f"  {note}")


def score_name(regression):
    return "R²" if regression else "accuracy"


def print_scores(scores, regression):
    """The cross-validation scores, their mean and spread."""
    print(f"{len(scores)}-fold cross-validation {score_name(regression)}:")
    print("  " + "  ".join(f"{s:.4f}" for s in scores))
    print(f"  mean {np.mean(scores):.4f} ± {np.std(scores):.4f}")


def held_out(model, X_test, y_test, regression, of=""):
    """``held-out accuracy: 0.9510 (136/143)``, or the R² of a regressor;
    ``of`` follows the score's name."""
    what = f"held-out {score_name(regression)}{of}"
    if regression:
        return f"{what}: {model.score(X_test, y_test):.4f}"
    correct = int((model.predict(X_test) == y_test).sum())
    return f"{what}: {correct / y_test.shape[0]:.4f} ({correct}/{y_test.shape[0]})"


def format_params(params):
    """``alpha=0.1, hidden_layer_sizes=(8,)``, without the pipeline prefix."""
    return ", ".join(f"{k.split('__', 1)[-1]}={v!r}" for k, v in params.items())


def print_search(search, regression):
    """The ranked table of a fitted ``GridSearchCV``, then the best."""
    score = score_name(regression)
    results = search.cv_results_
    order = np.argsort(results["rank_test_score"], kind="stable")
    print(
        f"{len(order)} candidates x {search.n_splits_} folds, ranked by mean "
        f"cross-validation {score}:"
    )
    print(f"{'rank':>4}  {f'{score} (mean ± std)':<21}  params")
    for i in order:
        mean, std = results["mean_test_score"][i], results["std_test_score"][i]
        print(
            f"{results['rank_test_score'][i]:>4}  "
            f"{f'{mean:.4f} ± {std:.4f}':<21}  {format_params(results['params'][i])}"
        )
    print(f"best params: {format_params(search.best_params_)}")
    print(f"best cross-validation {score}: {search.best_score_:.4f}")


# -- files -----------------------------------------------------------------------

#: The options that name a file a command writes.
OUTPUTS = ("out", "plot", "output")


def _cannot_write(path):
    """Why ``path`` cannot be written, or ``None``."""
    folder = path.parent
    if path.is_dir():
        return "it is a folder; give a file name"
    if not folder.exists():
        return f"the folder {folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if path.exists():
        return None if os.access(path, os.W_OK) else "permission denied"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"permission denied in the folder {folder}"
    return None


def check_outputs(args):
    """Refuse, before any work, an output file (``--out``, ``--plot``,
    ``--output``, ``MODEL.onnx``) that cannot be written, and ``--plot``
    without matplotlib."""
    for option in OUTPUTS:
        path = getattr(args, option, None)
        if path is not None and (problem := _cannot_write(path)):
            raise CommandError(f"cannot write {path}: {problem}")
    if getattr(args, "plot", None) is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CommandError(
                '--plot needs matplotlib: pip install "skdnn[plot]"'
            ) from None


def save(estimator, path):
    try:
        save_model(estimator, path)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


def plot(estimator, path):
    """The cost curve of ``estimator``, as an image file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot import LossCurveDisplay

    display = LossCurveDisplay.from_estimator(estimator)
    try:
        display.figure_.savefig(path)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot write {path}: {exc}") from None
    finally:
        plt.close(display.figure_)


def write_predictions(predictions, proba, classes, path):
    """The predictions (and probabilities) as CSV, to ``path`` or stdout."""
    header = ["prediction"]
    if predictions.ndim == 2:  # multilabel or several regression outputs
        header = [f"prediction_{j}" for j in range(predictions.shape[1])]
    if proba is not None:
        header += [f"proba_{label}" for label in classes]
    out = sys.stdout
    if path is not None:
        try:
            out = path.open("w", newline="")
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from None
    try:
        writer = csv.writer(out)
        writer.writerow(header)
        for i, label in enumerate(predictions):
            row = list(label) if predictions.ndim == 2 else [label]
            row += [] if proba is None else [f"{p:.17g}" for p in proba[i]]
            writer.writerow(row)
    finally:
        if out is not sys.stdout:
            out.close()
