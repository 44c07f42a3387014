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

Bad paths, columns or files end the command with one line naming the problem
on stderr and exit code 2, without a traceback.
"""

import argparse
import ast
import contextlib
import csv
import json
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import (
    DeepBinaryClassifier,
    DeepClassifier,
    DeepRegressor,
    LogisticRegressionGD,
    __version__,
)
from ._solvers import OPTIMIZERS
from .activations import ACTIVATIONS
from .datasets import load_catvnoncat
from .persistence import load_model, save_model
from .preprocessing import fold_scaler

#: ``--model``: the estimator each name builds.
MODELS = {
    "deep": DeepBinaryClassifier,
    "logistic": LogisticRegressionGD,
    "classifier": DeepClassifier,
    "regressor": DeepRegressor,
}

#: ``--solver``: the estimators' own solvers.
SOLVERS = sorted({*OPTIMIZERS, "lbfgs"})

#: Exit code of a command that failed on bad input (argparse uses it too).
EXIT_BAD_INPUT = 2


class CommandError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


# -- parsing ---------------------------------------------------------------------


def _layer_sizes(text):
    """Parse ``"20,7,5"`` (or ``""`` for no hidden layer) into a tuple."""
    try:
        sizes = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 20,7,5; got {text!r}"
        ) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive; got {text!r}")
    return sizes


_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _grid_values(text):
    """Candidate values from ``"0,0.01,0.1"`` or ``"(20,7,5);(64,32)"``:
    Python literals (``ast.literal_eval``, never ``eval``) separated by ``;``
    or top-level ``,``; a bare word such as ``adam`` is a string."""
    try:
        values = ast.literal_eval(f"[{text.replace(';', ',')}]")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        values = []
        for token in re.split(r"[;,]", text):
            token = token.strip()
            try:
                values.append(ast.literal_eval(token))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                if not _BARE_WORD.fullmatch(token):
                    raise ValueError(f"{token!r} is not a Python literal") from None
                values.append(token)
    if not values:
        raise ValueError("no values")
    return values


def _grid_entry(text):
    """Parse one ``--grid NAME=VALUES`` into ``(name, [values])``."""
    name, sep, values = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise CommandError(
            f"--grid expects NAME=VALUES such as alpha=0,0.01,0.1; got {text!r}"
        )
    try:
        return name, _grid_values(values)
    except ValueError as exc:
        raise CommandError(
            f"--grid {text}: {exc}; write Python literals separated by ';' or "
            "',', e.g. hidden_layer_sizes='(20,7,5);(64,32)'"
        ) from None


def _add_data_options(parser):
    """The data options shared by ``train`` and ``search``."""
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=["breast_cancer", "catvnoncat"],
        default=None,
        help="built-in data (default: breast_cancer); catvnoncat is the course's "
        "cat images, read from --data-home, $SKDNN_DATA or ~/skdnn_data, with "
        "the course's train/test split",
    )
    data.add_argument(
        "--data", type=Path, metavar="FILE.csv", help="your own data: a CSV file"
    )
    data.add_argument(
        "--target", metavar="COLUMN", help="the column of --data to predict"
    )
    data.add_argument(
        "--data-home", type=Path, help="folder holding catvnoncat/ (see --dataset)"
    )
    data.add_argument(
        "--test-size",
        type=float,
        default=0.25,
        help="fraction held out for the final accuracy (default: 0.25; "
        "catvnoncat uses its own test set)",
    )


def _add_model_options(parser):
    """The model options shared by ``train`` and ``search``."""
    model = parser.add_argument_group("model")
    model.add_argument(
        "--model",
        choices=list(MODELS),
        default="deep",
        help="deep: DeepBinaryClassifier (the course's); logistic: "
        "LogisticRegressionGD; classifier: DeepClassifier (any number of "
        "classes); regressor: DeepRegressor (default: deep)",
    )
    model.add_argument(
        "--hidden-layer-sizes",
        type=_layer_sizes,
        default=None,
        metavar="N,N,...",
        help="widths of the hidden layers (default: the model's, 20,7,5 for deep)",
    )
    model.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default=None,
        help="hidden activation (default: the model's, relu)",
    )
    model.add_argument(
        "--solver",
        choices=SOLVERS,
        default=None,
        help="update rule (default: the model's: gd, the course's gradient "
        "descent, for deep and logistic; adam for classifier and regressor)",
    )
    model.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="step size (default: the model's, 0.0075 deep / 0.005 logistic)",
    )
    model.add_argument(
        "--alpha", type=float, default=None, help="L2 penalty (default: the model's)"
    )
    model.add_argument(
        "--max-iter",
        type=int,
        default=None,
        help="iterations (default: the model's, 2500 deep / 2000 logistic)",
    )
    model.add_argument(
        "--batch-size", type=int, default=None, help="mini-batch size (full batch)"
    )
    model.add_argument(
        "--scaler",
        choices=["standard", "none"],
        default=None,
        help="StandardScaler before the model (default: standard, except none "
        "for catvnoncat, whose pixels the course only divides by 255)",
    )
    model.add_argument(
        "--random-state",
        type=int,
        default=1,
        help="seed of the split, the folds and the weights (default: 1, the "
        "course's np.random.seed(1))",
    )


def _add_parallel_options(group):
    """``--n-jobs`` and ``--scheduler``, shared by ``train`` and ``search``."""
    group.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="fits to run at once in the cross-validation or search (default: "
        "1; -1 uses every core, or every dask worker with --scheduler); each "
        "fit limits its BLAS threads so that fits x threads <= cores",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the fits on this dask.distributed scheduler (for example "
        "tcp://10.0.0.5:8786), through joblib's dask backend; needs the "
        "distributed extra: pip install 'skdnn[distributed]'",
    )


def build_parser():
    """The argument parser of ``skdnn`` (also used to document the CLI)."""
    parser = argparse.ArgumentParser(
        prog="skdnn",
        description="The deep-learning course's networks as scikit-learn estimators.",
    )
    parser.add_argument("--version", action="version", version=f"skdnn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train",
        help="cross-validate, train and evaluate a model",
        description=(
            "Cross-validate a model, train it on the training split (showing "
            "the cost) and report the held-out accuracy. Without --dataset or "
            "--data: StandardScaler + DeepBinaryClassifier on scikit-learn's "
            "breast-cancer data."
        ),
    )
    _add_data_options(train)
    _add_model_options(train)
    run = train.add_argument_group("run and output")
    run.add_argument(
        "--cv", type=int, default=5, help="cross-validation folds; 0 skips (5)"
    )
    _add_parallel_options(run)
    run.add_argument(
        "--out", type=Path, metavar="MODEL.h5", help="save the trained model here"
    )
    run.add_argument(
        "--plot", type=Path, metavar="LOSS.png", help="save the cost curve here"
    )
    run.add_argument(
        "--quiet", action="store_true", help="no cost lines or progress bar"
    )
    train.set_defaults(handler=_train)

    search = commands.add_parser(
        "search",
        help="grid search of hyper-parameters by cross-validation",
        description=(
            "Cross-validate every combination of the hyper-parameter values "
            "given with --grid (on the training split, the same data and model "
            "options as 'skdnn train'), print the candidates ranked by mean "
            "accuracy, then refit the best one and report its held-out "
            "accuracy. Example: skdnn search --grid "
            "hidden_layer_sizes='(20,7,5);(64,32)' --grid alpha=0,0.01,0.1"
        ),
    )
    _add_data_options(search)
    _add_model_options(search)
    run = search.add_argument_group("search")
    run.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="a hyper-parameter of the model and its candidate values, "
        "separated by ';' or ',' and written as Python literals: "
        "alpha=0,0.01,0.1  hidden_layer_sizes='(20,7,5);(64,32)'  "
        "solver=gd,adam (bare words are strings); repeat for more parameters",
    )
    run.add_argument("--cv", type=int, default=5, help="cross-validation folds (5)")
    _add_parallel_options(run)
    search.set_defaults(handler=_search)

    predict = commands.add_parser(
        "predict",
        help="predict with a saved model",
        description=(
            "Predict the class of every row of FILE (a CSV with the model's "
            "feature columns, or a .npy array of rows or of images) with a "
            "model saved by 'skdnn train --out'."
        ),
    )
    predict.add_argument("model", type=Path, metavar="MODEL.h5")
    predict.add_argument("file", type=Path, metavar="FILE")
    predict.add_argument(
        "--proba", action="store_true", help="also write the class probabilities"
    )
    predict.add_argument(
        "--output", type=Path, metavar="OUT.csv", help="write here (default: stdout)"
    )
    predict.set_defaults(handler=_predict)

    info = commands.add_parser(
        "info",
        help="describe a saved model",
        description="Print what a model file holds.",
    )
    info.add_argument("model", type=Path, metavar="MODEL.h5")
    info.set_defaults(handler=_info)
    _add_export_command(commands)
    return parser


# -- data --------------------------------------------------------------------------


def read_csv(path, target=None, features=None):
    """Read a CSV file with a header row into ``(X, y, feature_names)``.

    ``X`` holds the columns named in ``features`` (default: every column but
    ``target``), which must be numeric; ``y`` keeps its labels as text
    unless they are all numbers. Errors name the file, column and line.
    """
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise CommandError(f"{path} needs a header row and at least one data row")
    header, rows = [name.strip() for name in rows[0]], rows[1:]
    if target is not None and target not in header:
        raise CommandError(
            f"{path} has no column {target!r}; its columns are {', '.join(header)}"
        )
    if features is None:
        features = [name for name in header if name != target]
    missing = [name for name in features if name not in header]
    if missing:
        raise CommandError(
            f"{path} lacks the model's feature column(s) {', '.join(missing)}"
        )
    columns = {name: i for i, name in enumerate(header)}
    X = np.empty((len(rows), len(features)))
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise CommandError(
                f"{path}, line {line}: {len(row)} values for {len(header)} columns"
            )
        for j, name in enumerate(features):
            try:
                X[line - 2, j] = float(row[columns[name]])
            except ValueError:
                raise CommandError(
                    f"{path}, line {line}: column {name!r} holds "
                    f"{row[columns[name]]!r}, not a number"
                ) from None
    y = None
    if target is not None:
        y = np.array([row[columns[target]].strip() for row in rows])
        try:
            y = y.astype(float)
        except ValueError:
            pass
        else:
            if np.all(y == np.round(y)):
                y = y.astype(int)
    return X, y, features


def _training_data(args):
    """``(name, X_train, X_test, y_train, y_test, feature_names)``."""
    if args.data is not None and args.dataset is not None:
        raise CommandError("give either --dataset or --data, not both")
    if args.data is None and args.target is not None:
        raise CommandError("--target goes with --data FILE.csv")
    if args.dataset == "catvnoncat":
        try:
            train = load_catvnoncat("train", data_home=args.data_home)
            test = load_catvnoncat("test", data_home=args.data_home)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc).splitlines()[0]) from None
        return "catvnoncat", train.data, test.data, train.target, test.target, None
    if args.data is not None:
        if args.target is None:
            raise CommandError("--data needs --target COLUMN, the column to predict")
        X, y, names = read_csv(args.data, args.target)
        name = args.data.name
    else:
        X, y = load_breast_cancer(return_X_y=True)
        name, names = "breast_cancer", None
    if not 0 < args.test_size < 1:
        raise CommandError(f"--test-size must be between 0 and 1; got {args.test_size}")
    try:
        stratify = None if _is_regression(args) else y
        split = train_test_split(
            X,
            y,
            test_size=args.test_size,
            stratify=stratify,
            random_state=args.random_state,
        )
    except ValueError as exc:
        raise CommandError(f"cannot split {name} for testing: {exc}") from None
    return (name, *split[:2], *split[2:], names)


def _read_rows(path, model):
    """The rows of ``path`` (CSV or .npy) as the model's feature matrix."""
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    if path.suffix == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise CommandError(f"{path} is not a NumPy .npy array: {exc}") from None
        if X.ndim > 2:  # images, flattened and scaled as in the course
            X = X.reshape(X.shape[0], -1) / 255.0
        return X
    names = getattr(model, "feature_names_in_", None)
    X, _, _ = read_csv(path, features=None if names is None else list(names))
    return X


# -- train ---------------------------------------------------------------------


def _make_model(args):
    """The ``--model`` estimator with the options given (others: its own
    defaults)."""
    estimator = MODELS[args.model]
    given = {
        "alpha": args.alpha,
        "solver": args.solver,
        "learning_rate": args.learning_rate,
        "max_iter": args.max_iter,
        "hidden_layer_sizes": args.hidden_layer_sizes,
        "activation": args.activation,
    }
    names = estimator().get_params()
    params = {k: v for k, v in given.items() if v is not None and k in names}
    if args.batch_size is not None:
        params["batch_size"] = args.batch_size
    return estimator(random_state=args.random_state, **params)


def _is_regression(args):
    return args.model == "regressor"


def _folds(args):
    """Cross-validation folds: stratified for the classifiers."""
    cv = KFold if _is_regression(args) else StratifiedKFold
    return cv(args.cv, shuffle=True, random_state=args.random_state)


def _score_name(args):
    return "R²" if _is_regression(args) else "accuracy"


def _held_out(model, X_test, y_test, args):
    """``held-out accuracy: 0.9510 (136/143)``, or the R² of a regressor."""
    if _is_regression(args):
        return f"{model.score(X_test, y_test):.4f}"
    correct = int((model.predict(X_test) == y_test).sum())
    return f"{correct / y_test.shape[0]:.4f} ({correct}/{y_test.shape[0]})"


class _ProgressBar:
    """A one-line progress bar on a terminal, through scikit-learn's callback
    API; shown once a fit has run for ``delay`` seconds."""

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


def _show_progress(model, quiet):
    """Cost lines on a pipe or file, a progress bar on a terminal."""
    classifier = model[-1]
    if quiet:
        return
    if sys.stdout.isatty() and hasattr(classifier, "set_callbacks"):
        try:
            classifier.set_callbacks(_ProgressBar(sys.stdout))
            return
        except TypeError:  # no usable callback API: fall back to lines
            pass
    classifier.set_params(verbose=1)


def _last_line(exc):
    """The last line of an error message, without an ``SomeError: `` prefix.

    When every cross-validation fit fails, scikit-learn raises a
    ``ValueError`` holding their tracebacks; its last line is the error of
    the last fit.
    """
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return re.sub(r"^[A-Za-z_][\w.]*(Error|Exception): ", "", lines[-1])


def _train(args):
    name, X_train, X_test, y_train, y_test, names = _training_data(args)
    scaler = args.scaler or ("none" if name == "catvnoncat" else "standard")
    classifier = _make_model(args)
    try:
        classifier._validate_params()  # a bad value fails here, before any work
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.cv == 1 or args.cv < 0:
        raise CommandError(
            f"--cv must be 0 (no cross-validation) or at least 2; got {args.cv}"
        )
    if args.cv:
        _check_parallel(args)
    if args.plot is not None:
        _check_can_plot()
    steps = [StandardScaler()] if scaler == "standard" else []
    model = make_pipeline(*steps, classifier)

    print(
        f"skdnn {__version__}: {classifier!r}"
        + (" after StandardScaler" if steps else "")
    )
    print(
        f"data: {name}, {X_train.shape[0] + X_test.shape[0]} samples, "
        f"{X_train.shape[1]} features; training on {X_train.shape[0]}, "
        f"holding out {X_test.shape[0]}"
    )
    if args.cv:
        folds = _folds(args)
        with _parallel_backend(args):
            try:
                scores = cross_val_score(
                    model, X_train, y_train, cv=folds, n_jobs=args.n_jobs
                )
            except ValueError as exc:
                raise CommandError(
                    f"cross-validation failed: {_last_line(exc)}"
                ) from None
        print(f"{args.cv}-fold cross-validation {_score_name(args)}:")
        print("  " + "  ".join(f"{s:.4f}" for s in scores))
        print(f"  mean {np.mean(scores):.4f} ± {np.std(scores):.4f}")

    print("training on the whole training split:")
    _show_progress(model, args.quiet)
    try:
        model.fit(X_train, y_train)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    except MemoryError as exc:
        raise CommandError(
            f"not enough memory to train: {_last_line(exc)}; use narrower "
            "--hidden-layer-sizes or a smaller --batch-size"
        ) from None
    print(f"held-out {_score_name(args)}: {_held_out(model, X_test, y_test, args)}")
    fitted = model[-1]
    fitted.set_params(verbose=0)
    if steps:
        fitted = fold_scaler(model[0], fitted)
    if names is not None:
        fitted.feature_names_in_ = np.asarray(names, dtype=object)
    if args.out is not None:
        _save(fitted, args.out)
        print(f"model saved to {args.out}")
    if args.plot is not None:
        _plot(fitted, args.plot)
        print(f"cost curve saved to {args.plot}")
    return 0


# -- search and parallel runs ---------------------------------------------------

#: What ``--scheduler`` says when dask.distributed is not installed.
NEEDS_DISTRIBUTED = "needs the distributed extra: pip install 'skdnn[distributed]'"


def _check_parallel(args):
    """Fail early on a bad ``--n-jobs`` or a ``--scheduler`` without dask."""
    if args.n_jobs == 0:
        raise CommandError("--n-jobs must be a positive number or -1; got 0")
    if args.scheduler is not None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise CommandError(f"--scheduler {NEEDS_DISTRIBUTED}") from None


@contextlib.contextmanager
def _parallel_backend(args):
    """Where the cross-validation fits run: joblib's default (``--n-jobs``
    local processes), or with ``--scheduler`` the workers of that dask
    cluster, through joblib's dask backend."""
    _check_parallel(args)
    if args.scheduler is None:
        yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise CommandError(f"--scheduler {NEEDS_DISTRIBUTED}") from None
    import joblib

    try:
        client = Client(args.scheduler)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise CommandError(
            f"cannot connect to the dask scheduler at {args.scheduler}: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    with client:
        n_workers = len(client.scheduler_info().get("workers", {}))
        print(f"dask scheduler {args.scheduler}: {n_workers} workers")
        with joblib.parallel_backend("dask"):
            yield


def _check_cv(args):
    if args.cv < 2:
        raise CommandError(f"--cv must be at least 2; got {args.cv}")


def _param_grid(args, classifier, prefix):
    """The ``--grid`` options as a scikit-learn parameter grid for the
    pipeline step ``prefix``; every name and value is checked first."""
    if not args.grid:
        raise CommandError(
            "give at least one --grid NAME=VALUES, e.g. --grid alpha=0,0.01,0.1"
        )
    valid = classifier.get_params(deep=False)
    grid = {}
    for name, values in map(_grid_entry, args.grid):
        if name not in valid:
            raise CommandError(
                f"--grid {name}: {type(classifier).__name__} has no parameter "
                f"{name!r}; its parameters are {', '.join(sorted(valid))}"
            )
        if f"{prefix}__{name}" in grid:
            raise CommandError(f"--grid {name} is given twice")
        for value in values:
            try:
                clone(classifier).set_params(**{name: value})._validate_params()
            except (ValueError, TypeError) as exc:
                raise CommandError(
                    f"--grid {name}={value!r}: {str(exc).splitlines()[0]}"
                ) from None
        grid[f"{prefix}__{name}"] = values
    return grid


def _format_params(params):
    return ", ".join(f"{k.split('__', 1)[-1]}={v!r}" for k, v in params.items())


def _print_results(search, score):
    """The ranked table of a fitted ``GridSearchCV``, then the best;
    ``score`` names the score ("accuracy" or "R²")."""
    results = search.cv_results_
    order = np.argsort(results["rank_test_score"], kind="stable")
    n_candidates = len(order)
    print(
        f"{n_candidates} candidates x {search.n_splits_} folds, ranked by mean "
        f"cross-validation {score}:"
    )
    print(f"{'rank':>4}  {f'{score} (mean ± std)':<21}  params")
    for i in order:
        mean, std = results["mean_test_score"][i], results["std_test_score"][i]
        print(
            f"{results['rank_test_score'][i]:>4}  "
            f"{f'{mean:.4f} ± {std:.4f}':<21}  {_format_params(results['params'][i])}"
        )
    print(f"best params: {_format_params(search.best_params_)}")
    print(f"best cross-validation {score}: {search.best_score_:.4f}")


def _search(args):
    name, X_train, X_test, y_train, y_test, _ = _training_data(args)
    scaler = args.scaler or ("none" if name == "catvnoncat" else "standard")
    classifier = _make_model(args)
    try:
        classifier._validate_params()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    _check_cv(args)
    _check_parallel(args)
    steps = [StandardScaler()] if scaler == "standard" else []
    model = make_pipeline(*steps, classifier)
    grid = _param_grid(args, classifier, model.steps[-1][0])
    print(
        f"skdnn {__version__}: searching {type(classifier).__name__}"
        + (" after StandardScaler" if steps else "")
    )
    print(
        f"data: {name}, {X_train.shape[0] + X_test.shape[0]} samples, "
        f"{X_train.shape[1]} features; searching on {X_train.shape[0]}, "
        f"holding out {X_test.shape[0]}"
    )
    search = GridSearchCV(model, grid, cv=_folds(args), n_jobs=args.n_jobs)
    start = time.perf_counter()
    with _parallel_backend(args):
        try:
            search.fit(X_train, y_train)
        except ValueError as exc:
            raise CommandError(
                f"search failed: {str(exc).strip().splitlines()[-1]}"
            ) from None
    seconds = time.perf_counter() - start
    _print_results(search, _score_name(args))
    print(
        f"held-out {_score_name(args)} of the best, refitted: "
        f"{_held_out(search, X_test, y_test, args)}"
    )
    print(f"search took {seconds:.1f} s")
    return 0


def _save(estimator, path):
    try:
        save_model(estimator, path)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


def _check_can_plot():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError(
            '--plot needs matplotlib: pip install "skdnn[plot]"'
        ) from None


def _plot(estimator, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import LossCurveDisplay

    display = LossCurveDisplay.from_estimator(estimator)
    try:
        display.figure_.savefig(path)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot write {path}: {exc}") from None
    finally:
        plt.close(display.figure_)


# -- predict and info ------------------------------------------------------------


def _load(path):
    try:
        return load_model(path)
    except FileNotFoundError:
        raise CommandError(f"no such model file: {path}") from None
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from None


def _predict(args):
    model = _load(args.model)
    X = _read_rows(args.file, model)
    if X.ndim != 2 or X.shape[1] != model.n_features_in_:
        shape = "x".join(map(str, X.shape))
        raise CommandError(
            f"{args.file} has rows of shape {shape}; the model takes "
            f"{model.n_features_in_} features"
        )
    if args.proba and not hasattr(model, "predict_proba"):
        raise CommandError(f"--proba needs a classifier; {args.model} is a regressor")
    try:
        with warnings.catch_warnings():
            # read_csv took the model's columns by name, in the model's order
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            predictions = model.predict(X)
            proba = model.predict_proba(X) if args.proba else None
    except ValueError as exc:
        raise CommandError(f"{args.file}: {exc}") from None
    header = ["prediction"]
    if predictions.ndim == 2:  # multilabel or several regression outputs
        header = [f"prediction_{j}" for j in range(predictions.shape[1])]
    if proba is not None:
        header += [f"proba_{label}" for label in model.classes_]
    out = sys.stdout
    if args.output is not None:
        try:
            out = args.output.open("w", newline="")
        except OSError as exc:
            raise CommandError(f"cannot write {args.output}: {exc.strerror}") from None
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
    return 0


def _info(args):
    model = _load(args.model)
    layers = [model.n_features_in_, *(W.shape[1] for W in model.coefs_)]
    params = model.get_params()
    summary = {
        "model": type(model).__name__,
        "file": str(args.model),
        "layers": layers,
        "classes": [str(c) for c in getattr(model, "classes_", [])] or None,
        "output": model.out_activation_,
        "dtype": str(model.coefs_[0].dtype),
        "iterations": model.n_iter_,
        "final cost": model.loss_curve_[-1] if model.loss_curve_ else None,
        "parameters": {k: repr(v) for k, v in params.items()},
    }
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        shown = ", ".join(map(str, names[:5]))
        summary["features"] = shown + (", ..." if len(names) > 5 else "")
    width = max(map(len, summary))
    for key, value in summary.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k} = {v}")
        else:
            text = json.dumps(value) if isinstance(value, list) else value
            print(f"{key:<{width}}  {text}")
    return 0


# -- export ------------------------------------------------------------------------


def _add_export_command(commands):
    """``skdnn export MODEL.h5 MODEL.onnx``."""
    export = commands.add_parser(
        "export",
        help="convert a saved model to ONNX",
        description=(
            "Convert a model file written by 'skdnn train --out' to an ONNX "
            "file, which onnxruntime (or any ONNX runtime) runs without Python "
            "or skdnn. Needs the onnx extra: pip install 'skdnn[onnx]'."
        ),
    )
    export.add_argument("model", type=Path, metavar="MODEL.h5")
    export.add_argument("output", type=Path, metavar="MODEL.onnx")
    export.add_argument(
        "--no-zipmap",
        action="store_true",
        help="give a classifier's probabilities as one tensor (n_samples, "
        "n_classes) in the model's dtype, not as a list of {label: "
        "probability} dicts in float32 (ONNX's ZipMap, the default)",
    )
    export.set_defaults(handler=_export)


def _export(args):
    from ._to_onnx import to_onnx

    model = _load(args.model)
    options = (
        {"zipmap": False} if args.no_zipmap and hasattr(model, "classes_") else None
    )
    try:
        onnx_model = to_onnx(model, options=options)
    except ImportError as exc:
        raise CommandError(str(exc).splitlines()[0]) from None
    except ValueError as exc:
        raise CommandError(f"cannot export {args.model}: {exc}") from None
    try:
        args.output.write_bytes(onnx_model.SerializeToString())
    except OSError as exc:
        raise CommandError(
            f"cannot write {args.output}: {exc.strerror or exc}"
        ) from None
    graph = onnx_model.graph
    outputs = ", ".join(output.name for output in graph.output)
    print(
        f"{type(model).__name__} from {args.model} saved to {args.output} "
        f"(ONNX opset {_opset(onnx_model)}): input "
        f"{graph.input[0].name!r}, {model.n_features_in_} "
        f"{model.coefs_[0].dtype} features; outputs {outputs}"
    )
    return 0


def _opset(onnx_model):
    """The version of the main ONNX domain the graph uses."""
    return next(
        o.version for o in onnx_model.opset_import if o.domain in ("", "ai.onnx")
    )


def main(argv=None):
    """Entry point of the ``skdnn`` console command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except CommandError as exc:  # bad input: one line, no traceback
        print(f"skdnn {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `skdnn info model.h5 | head`: the reader left
        # Python flushes stdout again at exit; point it at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
