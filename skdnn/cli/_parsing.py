"""Parsing the command line: the argument parser, the option types and
``--grid``. The choices come from the tables of the other modules
(:data:`~._building.MODELS`, :data:`~._reading.DATASETS`, the estimators'
``_parameter_constraints``), never restated here."""

import argparse
import ast
import re
from pathlib import Path

from .. import __version__
from ._building import MODELS, choices
from ._errors import EXIT_BAD_INPUT
from ._reading import DATASETS


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, as every error of the
    command line: ``skdnn train: error: ...`` (no usage block)."""

    def error(self, message):
        self.exit(
            EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n"
        )


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


def _encoding(name):
    """``--encoding``: a text encoding Python knows (``utf-8``, ``latin-1``)."""
    try:
        "a".encode(name)  # LookupError for unknown names and non-text codecs
    except LookupError:
        raise argparse.ArgumentTypeError(
            f"unknown text encoding {name!r}; common ones are utf-8, latin-1, "
            "cp1252 and utf-16"
        ) from None
    return name


_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NOT_LITERAL = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


def _grid_values(text):
    """Candidate values from ``"0,0.01,0.1"`` or ``"(20,7,5);(64,32)"``:
    Python literals (``ast.literal_eval``, never ``eval``) separated by ``;``
    or top-level ``,``; a bare word such as ``adam`` is a string."""
    try:
        values = ast.literal_eval(f"[{text.replace(';', ',')}]")
    except _NOT_LITERAL:
        values = []
        for token in re.split(r"[;,]", text):
            token = token.strip()
            try:
                values.append(ast.literal_eval(token))
            except _NOT_LITERAL:
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
        raise argparse.ArgumentTypeError(
            f"expects NAME=VALUES such as alpha=0,0.01,0.1; got {text!r}"
        )
    try:
        return name, _grid_values(values)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text}: {exc}; write Python literals separated by ';' or ',', "
            "e.g. hidden_layer_sizes='(20,7,5);(64,32)'"
        ) from None


def _defaults(parameter):
    """``"deep 0.0075, logistic 0.005, ..."``: each model's own default of
    ``parameter``, for the help texts."""
    shown = []
    for name, model in MODELS.items():
        value = model.estimator().get_params().get(parameter)
        if isinstance(value, tuple):
            value = ",".join(map(str, value))
        if value is not None:
            shown.append(f"{name} {value}")
    return "the model's: " + ", ".join(shown)


def _add_data_options(parser):
    """The data options shared by ``train`` and ``search``."""
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=list(DATASETS),
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
        "--drop",
        type=_column_names,
        default=(),
        metavar="COLUMN,...",
        help="columns of --data that are not features (identifiers, free "
        "text, leaks of the target); the model file does not ask for them",
    )
    _add_encoding(data, "--data")
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


def _column_names(text):
    """``"id,name"`` into ``("id", "name")``."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"expected column names; got {text!r}")
    return names


def _add_encoding(group, what):
    group.add_argument(
        "--encoding",
        type=_encoding,
        default="utf-8",
        metavar="NAME",
        help=f"text encoding of the CSV file {what} (default: utf-8; for "
        "example latin-1 or cp1252 for files from older spreadsheets)",
    )


def _add_model_options(parser):
    """The model options shared by ``train`` and ``search``."""
    model = parser.add_argument_group("model")
    model.add_argument(
        "--model",
        choices=list(MODELS),
        default="deep",
        help="; ".join(f"{name}: {m.help}" for name, m in MODELS.items())
        + " (default: deep)",
    )
    model.add_argument(
        "--hidden-layer-sizes",
        type=_layer_sizes,
        metavar="N,N,...",
        help="widths of the hidden layers (default: "
        f"{_defaults('hidden_layer_sizes')})",
    )
    model.add_argument(
        "--activation",
        choices=choices("activation"),
        help=f"hidden activation (default: {_defaults('activation')})",
    )
    model.add_argument(
        "--solver",
        choices=choices("solver"),
        help=f"update rule; gd is the course's gradient descent (default: "
        f"{_defaults('solver')})",
    )
    model.add_argument(
        "--learning-rate",
        type=float,
        help=f"step size (default: {_defaults('learning_rate')})",
    )
    model.add_argument(
        "--alpha", type=float, help=f"L2 penalty (default: {_defaults('alpha')})"
    )
    model.add_argument(
        "--max-iter", type=int, help=f"iterations (default: {_defaults('max_iter')})"
    )
    model.add_argument(
        "--batch-size", type=int, help="mini-batch size (default: the model's)"
    )
    model.add_argument(
        "--scaler",
        choices=["standard", "none"],
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


def _add_run_options(parser, title, cv_help):
    """``--cv``, ``--n-jobs``, ``--scheduler`` and ``--quiet``, shared by
    ``train`` and ``search``; returns the group, for the command's own."""
    group = parser.add_argument_group(title)
    group.add_argument("--cv", type=int, default=5, help=cv_help)
    group.add_argument(
        "--n-jobs",
        type=int,
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
    group.add_argument(
        "--scheduler-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up connecting to --scheduler after this long (default: 10)",
    )
    group.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines (folds, candidates), cost lines or progress bar",
    )
    return group


def _add_train(commands):
    train = commands.add_parser(
        "train",
        help="cross-validate, train and evaluate a model",
        description=(
            "Cross-validate a model (a line per fold), train it on the training "
            "split (showing the cost) and report the held-out accuracy. Without "
            "--dataset or --data: StandardScaler + DeepBinaryClassifier on "
            "scikit-learn's breast-cancer data."
        ),
    )
    _add_data_options(train)
    _add_model_options(train)
    run = _add_run_options(
        train, "run and output", "cross-validation folds; 0 skips (5)"
    )
    run.add_argument(
        "--out", type=Path, metavar="MODEL.h5", help="save the trained model here"
    )
    run.add_argument(
        "--plot", type=Path, metavar="LOSS.png", help="save the cost curve here"
    )


def _add_search(commands):
    search = commands.add_parser(
        "search",
        help="grid search of hyper-parameters by cross-validation",
        description=(
            "Cross-validate every combination of the hyper-parameter values "
            "given with --grid (on the training split, the same data and model "
            "options as 'skdnn train'; a line per candidate), print the "
            "candidates ranked by mean accuracy, then refit the best one and "
            "report its held-out accuracy. Example: skdnn search --grid "
            "hidden_layer_sizes='(20,7,5);(64,32)' --grid alpha=0,0.01,0.1"
        ),
    )
    _add_data_options(search)
    _add_model_options(search)
    run = _add_run_options(search, "search", "cross-validation folds (5)")
    run.add_argument(
        "--grid",
        type=_grid_entry,
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="a hyper-parameter of the model and its candidate values, "
        "separated by ';' or ',' and written as Python literals: "
        "alpha=0,0.01,0.1  hidden_layer_sizes='(20,7,5);(64,32)'  "
        "solver=gd,adam (bare words are strings); repeat for more parameters",
    )


def _add_predict(commands):
    predict = commands.add_parser(
        "predict",
        help="predict with a saved model",
        description=(
            "Predict the class of every row of FILE (a CSV with the model's "
            "feature columns, taken by name, or a .npy array of rows or of "
            "images) with a model saved by 'skdnn train --out'."
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
    _add_encoding(predict, "FILE")


def _add_info_and_export(commands):
    info = commands.add_parser(
        "info",
        help="describe a saved model",
        description="Print what a model file holds.",
    )
    info.add_argument("model", type=Path, metavar="MODEL.h5")
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


def build_parser():
    """The argument parser of ``skdnn`` (also used to document the CLI)."""
    parser = _Parser(
        prog="skdnn",
        description="The deep-learning course's networks as scikit-learn estimators.",
    )
    parser.add_argument("--version", action="version", version=f"skdnn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_train, _add_search, _add_predict, _add_info_and_export):
        add(commands)
    return parser
