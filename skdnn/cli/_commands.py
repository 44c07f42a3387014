"""The commands: ``train``, ``search``, ``predict``, ``info`` and ``export``.

``train`` and ``search`` share one preparation step, :func:`prepare`: every
check of the options, the data, the target and the output files runs there,
before any fit.
"""

import json
import sys
import time
from dataclasses import dataclass

import pandas as pd

from ..persistence import load_model
from . import _building, _reading, _reporting, _running
from ._errors import CommandError, one_line


@dataclass
class Job:
    """What :func:`prepare` hands ``train`` and ``search``."""

    name: str
    model: object  # the pipeline: feature steps, then the network
    X_train: object
    X_test: object
    y_train: object
    y_test: object
    regression: bool
    notes: list  # what the preprocessing does to this data, for the report


def _check_cv(args):
    if args.command == "train" and (args.cv == 1 or args.cv < 0):
        raise CommandError(
            f"--cv must be 0 (no cross-validation) or at least 2; got {args.cv}"
        )
    if args.command == "search" and args.cv < 2:
        raise CommandError(f"--cv must be at least 2; got {args.cv}")


def prepare(args):
    """The options checked, the data read, the target checked and the
    pipeline built, for ``train`` and ``search``: a :class:`Job`."""
    estimator = _building.make_estimator(args)
    _check_cv(args)
    _running.check_parallel(args)
    _reporting.check_outputs(args)
    data = _reading.training_data(args)
    _building.check_target(args, data.y, data.target)
    notes = _building.recommend(estimator, args, data.X)
    if isinstance(data.X, pd.DataFrame):
        notes += _building.check_features(data.X)
    steps = _building.feature_steps(data.X, args.scaler or data.scaler)
    regression = _building.is_regression(args)
    split = _reading.held_out(data, args, stratify=not regression)
    model = _building.pipeline(steps, estimator)
    return Job(data.name, model, *split, regression, notes)


def train(args):
    job = prepare(args)
    _reporting.describe(job, "training")
    if args.cv:
        with _running.parallel_backend(args):
            scores = _running.cross_validate(
                job.model,
                job.X_train,
                job.y_train,
                _running.folds(args, job.regression),
                args.n_jobs,
                _reporting.progress_lines(args.quiet),
            )
        _reporting.print_scores(scores, job.regression)
    print("training on the whole training split:")
    _reporting.show_training_progress(job.model, args.quiet)
    notes = []
    with _running.fit_errors("training"), _running.convergence_notes(notes):
        job.model.fit(job.X_train, job.y_train)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    print(_reporting.held_out(job.model, job.X_test, job.y_test, job.regression))
    fitted = _building.saved_model(job.model)
    if args.out is not None:
        _reporting.save(fitted, args.out)
        print(f"model saved to {args.out}")
    if args.plot is not None:
        _reporting.plot(_building.network_of(fitted), args.plot)
        print(f"cost curve saved to {args.plot}")
    return 0


def search(args):
    job = prepare(args)
    grid = _building.param_grid(args.grid, job.model[-1], job.model.steps[-1][0])
    _reporting.describe(job, "searching")
    start = time.perf_counter()
    with _running.parallel_backend(args):
        searcher = _running.grid_search(
            job.model,
            grid,
            _running.folds(args, job.regression),
            args.n_jobs,
            _reporting.progress_lines(args.quiet),
        )
        notes = []
        with _running.fit_errors("search"), _running.convergence_notes(notes):
            searcher.fit(job.X_train, job.y_train)
    for note in notes:
        print(f"warning (in the search): {note}", file=sys.stderr)
    seconds = time.perf_counter() - start
    _reporting.print_search(searcher, job.regression)
    print(
        _reporting.held_out(
            searcher, job.X_test, job.y_test, job.regression, " of the best, refitted"
        )
    )
    print(f"search took {seconds:.1f} s")
    return 0


def _load(path):
    try:
        return load_model(path)
    except FileNotFoundError:
        raise CommandError(f"no such model file: {path}") from None
    except (OSError, ValueError) as exc:
        raise CommandError(one_line(exc)) from None


def predict(args):
    _reporting.check_outputs(args)
    model = _load(args.model)
    X = _building.prediction_input(model, _reading.read_rows(args.file, args.encoding))
    if X.ndim != 2 or X.shape[1] != model.n_features_in_:
        shape = "x".join(map(str, X.shape))
        raise CommandError(
            f"{args.file} has rows of shape {shape}; the model takes "
            f"{model.n_features_in_} features"
        )
    if args.proba and not hasattr(model, "predict_proba"):
        raise CommandError(f"--proba needs a classifier; {args.model} is a regressor")
    try:
        predictions = model.predict(X)
        proba = model.predict_proba(X) if args.proba else None
    except ValueError as exc:
        raise CommandError(f"{args.file}: {one_line(exc)}") from None
    classes = getattr(model, "classes_", None)
    _reporting.write_predictions(predictions, proba, classes, args.output)
    return 0


def _network_summary(network, path):
    """What ``skdnn info`` says of a network."""
    return {
        "model": type(network).__name__,
        "file": str(path),
        "layers": [network.n_features_in_, *(W.shape[1] for W in network.coefs_)],
        "classes": [str(c) for c in getattr(network, "classes_", [])] or None,
        "output": network.out_activation_,
        "dtype": str(network.coefs_[0].dtype),
        "iterations": network.n_iter_,
        "final cost": network.loss_curve_[-1] if network.loss_curve_ else None,
        "parameters": {k: repr(v) for k, v in network.get_params().items()},
    }


def _encoder_summary(encoder):
    """What ``skdnn info`` says of a model file's ``TabularEncoder``."""
    names = getattr(encoder, "feature_names_in_", None)
    if names is None:
        names = [f"column {j}" for j in range(encoder.n_features_in_)]
    one_hot = zip(encoder.categorical_columns_, encoder.categories_, strict=True)
    return {
        "numeric columns": ", ".join(names[j] for j in encoder.numeric_columns_)
        or "none",
        "one-hot columns": ", ".join(f"{names[j]} ({len(c)})" for j, c in one_hot)
        or "none",
        "missing values": "numbers: the training mean; categories: none of "
        "their columns",
    }


def _show(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value


def info(args):
    model = _load(args.model)
    network = _building.network_of(model)
    summary = _network_summary(network, args.model)
    if model is not network:
        summary["preprocessing"] = _encoder_summary(model[0])
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
            print(f"{key:<{width}}  {_show(value)}")
    return 0


def export(args):
    from .._to_onnx import to_onnx

    _reporting.check_outputs(args)
    model, note = _exportable(_load(args.model), args.model)
    options = (
        {"zipmap": False} if args.no_zipmap and hasattr(model, "classes_") else None
    )
    try:
        onnx_model = to_onnx(model, options=options)
    except ImportError as exc:
        raise CommandError(str(exc).splitlines()[0]) from None
    except ValueError as exc:
        raise CommandError(f"cannot export {args.model}: {one_line(exc)}") from None
    try:
        args.output.write_bytes(onnx_model.SerializeToString())
    except OSError as exc:
        raise CommandError(
            f"cannot write {args.output}: {exc.strerror or exc}"
        ) from None
    graph = onnx_model.graph
    outputs = ", ".join(output.name for output in graph.output)
    opset = next(
        o.version for o in onnx_model.opset_import if o.domain in ("", "ai.onnx")
    )
    print(
        f"{type(model).__name__} from {args.model} saved to {args.output} "
        f"(ONNX opset {opset}): input {graph.input[0].name!r}, "
        f"{model.n_features_in_} {model.coefs_[0].dtype} features; outputs {outputs}"
        + (f"; {note}" if note else "")
    )
    return 0


def _exportable(model, path):
    """``(network, note)``: what ``skdnn export`` converts. The
    ``TabularEncoder`` of a model trained on a CSV file is not part of the
    ONNX graph: with numeric columns only, the network is exported (the
    encoder passes them through, in the file's order) and the note says what
    the graph does not do; one-hot columns are refused."""
    network = _building.network_of(model)
    if network is model:
        return network, None
    encoder = model[0]
    if encoder.categorical_columns_.size:
        raise CommandError(
            f"cannot export {path}: its preprocessing one-hot encodes text "
            "columns, which the ONNX graph does not hold; skdnn predict takes "
            "the raw rows"
        )
    return network, (
        "the graph takes the numeric columns in the file's order and does not "
        "fill missing values (skdnn info lists the columns)"
    )


#: The handler of each command.
COMMANDS = {
    "train": train,
    "search": search,
    "predict": predict,
    "info": info,
    "export": export,
}
