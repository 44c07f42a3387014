"""Building the model: the estimator from the options, the steps before it,
the pipeline, the parameter grid, and what a model file holds.

:func:`feature_steps` is the one place that decides what comes before the
network, and :func:`saved_model` the one place that decides what ``--out``
writes.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import type_of_target

from .. import DeepBinaryClassifier, DeepClassifier, DeepRegressor, LogisticRegressionGD
from .._recommended import tabular_params
from ..preprocessing import TabularEncoder, fold_scaler
from ._errors import CommandError, n_rows, one_line


@dataclass(frozen=True)
class Model:
    """An entry of :data:`MODELS`: the estimator, what ``--help`` says of it,
    and its task: ``"binary"`` (two classes), ``"classes"`` (any number) or
    ``"regression"``."""

    estimator: type
    help: str
    task: str
    tabular: bool = True  # takes tabular_params on a CSV file (recommend)


#: ``--model``: the estimator each name builds.
MODELS = {
    "deep": Model(
        DeepBinaryClassifier, "DeepBinaryClassifier (the course's)", "binary"
    ),
    "logistic": Model(
        LogisticRegressionGD, "LogisticRegressionGD", "binary", tabular=False
    ),
    "classifier": Model(
        DeepClassifier, "DeepClassifier (any number of classes)", "classes"
    ),
    "regressor": Model(DeepRegressor, "DeepRegressor", "regression"),
}

#: The options of ``skdnn train`` and ``skdnn search`` that set a parameter
#: of the estimator of the same name (when it has one).
PARAMETERS = (
    "hidden_layer_sizes",
    "activation",
    "solver",
    "learning_rate",
    "alpha",
    "max_iter",
    "batch_size",
)


def choices(parameter):
    """The values of ``parameter`` that the models' own
    ``_parameter_constraints`` accept as strings (``--solver``,
    ``--activation``), sorted."""
    found = set()
    for model in MODELS.values():
        for constraint in model.estimator._parameter_constraints.get(parameter, []):
            if isinstance(constraint, StrOptions):
                found |= constraint.options - constraint.deprecated
    return sorted(found)


def is_regression(args):
    return MODELS[args.model].task == "regression"


def make_estimator(args):
    """The ``--model`` estimator with the options given (others: its own
    defaults), its parameters checked before any work."""
    estimator = MODELS[args.model].estimator
    names = estimator().get_params()
    params = {
        name: getattr(args, name)
        for name in PARAMETERS
        if getattr(args, name) is not None and name in names
    }
    model = estimator(random_state=args.random_state, **params)
    try:
        model._validate_params()
    except (ValueError, TypeError) as exc:
        raise CommandError(str(exc)) from None
    return model


#: Options that choose a gradient method: given any of them, a CSV file's
#: fit keeps the model's own defaults rather than :func:`recommend`'s.
GRADIENT_OPTIONS = ("solver", "learning_rate", "batch_size")


def recommend(estimator, args, X):
    """On the user's CSV file (``--data``), the settings measured best for
    tabular data (:func:`skdnn._recommended.tabular_params`: L-BFGS,
    ``alpha=10``, one hidden layer of 100), unless an option names a solver
    (or a learning rate or batch size, which choose a gradient method) or
    the model is the logistic regression; options given explicitly win.
    Returns the lines that say so, for the report."""
    if args.data is None or not MODELS[args.model].tabular:
        return []
    if any(getattr(args, name) is not None for name in GRADIENT_OPTIONS):
        return []
    given = {name for name in PARAMETERS if getattr(args, name) is not None}
    params = {
        name: value
        for name, value in tabular_params(*X.shape).items()
        if name not in given
    }
    estimator.set_params(**params)
    shown = ", ".join(f"{name}={value!r}" for name, value in params.items())
    note = f"settings for tabular data (no --solver given): {shown}"
    if "max_iter" in params:
        note += (
            "; L-BFGS stops at 100 iterations on purpose (200 gave the same "
            "AUC in twice the time), so its max_iter warnings are expected"
        )
    return [note]


def _some(labels, show, n=5):
    """``"a, b, c"``, or the first ``n`` labels and ``...``."""
    return ", ".join(map(show, labels[:n].tolist())) + (
        ", ..." if len(labels) > n else ""
    )


def check_target(args, y, column):
    """Refuse, in one line and before any fit, a target that ``--model``
    cannot learn, and say which model can."""
    model, suggest = MODELS[args.model], None
    numeric = np.issubdtype(np.asarray(y).dtype, np.number)
    kind = type_of_target(y) if numeric else "text"
    labels = np.unique(y)
    if model.task == "regression" and not numeric:
        what, suggest = f"holds text ({_some(labels, repr)})", "classes"
        needs = "predicts numbers"
    elif model.task != "regression" and kind == "continuous":
        what, suggest = "holds continuous numbers", "regression"
        needs = "predicts classes"
    elif model.task == "binary" and len(labels) > 2:
        what, suggest = f"has {len(labels)} classes ({_some(labels, str)})", "classes"
        needs = "takes exactly two"
    if suggest is not None:
        better = next(name for name, m in MODELS.items() if m.task == suggest)
        raise CommandError(
            f"{column} {what}; --model {args.model} ({model.estimator.__name__}) "
            f"{needs}: use --model {better}"
        )


def check_numeric(frame):
    """Refuse a feature column that is not all finite numbers, naming the
    column and the first line (the frame's index holds the line numbers)."""
    source = frame.attrs.get("source", "the data")
    for name in frame.columns:
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column):
            numbers = pd.to_numeric(column, errors="coerce")
            text = numbers.isna() & column.notna()
            if text.any():
                line = text.idxmax()
                raise CommandError(
                    f"{source}, line {line}: column {name!r} holds "
                    f"{column[line]!r}, not a number"
                )
            column = numbers
        missing = column.isna()
        if missing.any():
            raise CommandError(
                f"{source}, line {missing.idxmax()}: column {name!r} is empty or "
                f"NaN ({n_rows(missing.sum())} in all); this model takes no missing "
                "values (it was not trained on a CSV file): fill them in, or drop "
                "those rows"
            )
        infinite = ~np.isfinite(column.to_numpy(dtype=float))
        if infinite.any():
            line = column.index[infinite.argmax()]
            raise CommandError(
                f"{source}, line {line}: column {name!r} holds {column[line]}, "
                "not a finite number"
            )


def check_features(frame):
    """Fit a :class:`~skdnn.preprocessing.TabularEncoder` on the whole CSV
    frame once, before any fit, so that a column it refuses (infinite, empty,
    too many categories) ends the command in one line; return the lines that
    say what the encoding does to this file (one-hot columns, missing
    values)."""
    source = frame.attrs.get("source", "the data")
    try:
        encoder = TabularEncoder().fit(frame)
    except ValueError as exc:
        raise CommandError(f"{source}: {one_line(exc)}") from None
    notes = []
    if encoder.categorical_columns_.size:
        shown = ", ".join(
            f"{frame.columns[j]} ({len(c)})"
            for j, c in zip(
                encoder.categorical_columns_, encoder.categories_, strict=True
            )
        )
        notes.append(f"one-hot encoded (categories): {shown}")
    missing = frame.isna().sum()
    if missing.any():
        columns = ", ".join(f"{k} ({n})" for k, n in missing[missing > 0].items())
        notes.append(
            f"missing values, filled in training and in predict alike (numbers: "
            f"the training mean; categories: none of their columns): {columns}"
        )
    return notes


def feature_steps(X, scaler="standard"):
    """The steps of the pipeline before the network, for the features ``X``
    as read; ``scaler`` is ``--scaler`` (``"standard"`` or ``"none"``). A
    CSV file's frame goes through a :class:`~skdnn.preprocessing.TabularEncoder`
    first: text and categorical columns one-hot, missing values filled (see
    :func:`check_features`)."""
    steps = [TabularEncoder()] if isinstance(X, pd.DataFrame) else []
    return steps + ([StandardScaler()] if scaler == "standard" else [])


def pipeline(steps, estimator):
    """The model that the commands cross-validate and train."""
    return make_pipeline(*steps, estimator)


def saved_model(model):
    """What ``--out`` writes for the fitted pipeline ``model``: the network,
    with any ``StandardScaler`` folded into its first layer, so that the file
    predicts on raw features; behind a ``TabularEncoder`` (a CSV file),
    ``make_pipeline(encoder, network)``, which model files hold as data."""
    network = model[-1]
    network.set_params(verbose=0)
    steps = [step for _, step in model.steps[:-1]]
    encoder = steps.pop(0) if steps and isinstance(steps[0], TabularEncoder) else None
    for scaler in reversed(steps):
        network = fold_scaler(scaler, network)
    return network if encoder is None else make_pipeline(encoder, network)


def network_of(model):
    """The network of a model file: itself, or the last step of its
    pipeline."""
    return model[-1] if isinstance(model, Pipeline) else model


def prediction_input(model, X):
    """What the model file ``model`` predicts on, from the rows ``X`` read
    by ``skdnn predict``: a CSV file's columns picked by name (others, such
    as the target, are left out), or an array's columns named as the
    model's features."""
    names = getattr(model, "feature_names_in_", None)
    if not isinstance(X, pd.DataFrame):
        if names is not None and X.ndim == 2 and X.shape[1] == len(names):
            return pd.DataFrame(X, columns=names)
        return X
    if names is not None:
        missing = [name for name in names if name not in X.columns]
        if missing:
            source = X.attrs.get("source", "the data")
            raise CommandError(
                f"{source} lacks the model's feature column(s) "
                f"{', '.join(map(str, missing))}"
            )
        X = X[list(names)]
    if not isinstance(model, Pipeline):  # a network takes numbers only
        check_numeric(X)
    return X if names is not None else X.to_numpy()


def param_grid(entries, estimator, prefix):
    """The ``--grid`` entries ``[(name, values), ...]`` as a scikit-learn
    parameter grid for the pipeline step ``prefix``; every name and value is
    checked first."""
    if not entries:
        raise CommandError(
            "give at least one --grid NAME=VALUES, e.g. --grid alpha=0,0.01,0.1"
        )
    valid = estimator.get_params(deep=False)
    grid = {}
    for name, values in entries:
        if name not in valid:
            raise CommandError(
                f"--grid {name}: {type(estimator).__name__} has no parameter "
                f"{name!r}; its parameters are {', '.join(sorted(valid))}"
            )
        if f"{prefix}__{name}" in grid:
            raise CommandError(f"--grid {name} is given twice")
        for value in values:
            try:
                clone(estimator).set_params(**{name: value})._validate_params()
            except (ValueError, TypeError) as exc:
                raise CommandError(
                    f"--grid {name}={value!r}: {str(exc).splitlines()[0]}"
                ) from None
        grid[f"{prefix}__{name}"] = values
    return grid
