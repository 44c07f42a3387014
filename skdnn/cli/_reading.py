"""Reading data: CSV files (through pandas), ``.npy`` arrays and the built-in
data sets. Errors name the file, the column and the line."""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from ..datasets import load_catvnoncat
from ._errors import CommandError, n_rows, one_line


@dataclass
class Data:
    """Features and target; ``test`` is a data set's own ``(X, y)`` test set
    (else a split is held out); ``scaler`` the default of ``--scaler``."""

    name: str
    X: object
    y: np.ndarray
    test: tuple = None
    scaler: str = "standard"
    target: str = "the target"


def _breast_cancer(args):
    return Data("breast_cancer", *load_breast_cancer(return_X_y=True))


def _catvnoncat(args):
    """The course's cat pictures, with the course's train/test split; the
    pixels come divided by 255, so no scaler by default."""
    try:
        train = load_catvnoncat("train", data_home=args.data_home)
        test = load_catvnoncat("test", data_home=args.data_home)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(one_line(exc)) from None
    return Data(
        "catvnoncat", train.data, train.target, (test.data, test.target), "none"
    )


#: ``--dataset``: the built-in data sets.
DATASETS = {"breast_cancer": _breast_cancer, "catvnoncat": _catvnoncat}


def _read_frame(path, encoding):
    """The CSV file ``path`` as read by pandas; its index holds the line
    numbers of the file (the header is line 1) and ``attrs["source"]`` its
    name, for the error messages."""
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    try:
        frame = pd.read_csv(
            path, encoding=encoding, skipinitialspace=True, skip_blank_lines=False
        )
    except UnicodeDecodeError:
        raise CommandError(_undecodable(path, encoding)) from None
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except pd.errors.ParserError as exc:
        raise CommandError(_parser_error(path, exc)) from None
    if frame.empty:
        raise CommandError(f"{path} needs a header row and at least one data row")
    frame.columns = [str(name).strip() for name in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame.attrs["source"] = str(path)
    return frame


def _undecodable(path, encoding):
    """Where and why ``path`` does not decode as ``encoding``, and the remedy."""
    data = path.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = f"byte {exc.start} (0x{data[exc.start]:02x}, line {line})"
    else:  # pandas read it in pieces; the whole file decodes
        where = "a byte"
    return (
        f"{path}: {where} is not valid {encoding}; give the file's encoding, "
        "e.g. --encoding latin-1"
    )


def _parser_error(path, exc):
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found is None:
        return f"{path} is not a CSV file pandas can read: {one_line(exc)}"
    columns, line, values = found.groups()
    return f"{path}, line {line}: {values} values for {columns} columns"


def _target(column, name, source):
    """The target column as an array: numbers (integers when they all are),
    else text labels; a missing value is refused."""
    missing = column.isna()
    if missing.any():
        raise CommandError(
            f"{source}, line {missing.idxmax()}: the target column {name!r} is "
            f"empty or NaN ({n_rows(missing.sum())} in all); every row needs a "
            "target: drop the rows without one"
        )
    types = pd.api.types
    if types.is_bool_dtype(column) or not types.is_numeric_dtype(column):
        return column.astype(str).str.strip().to_numpy(dtype=str)
    y = column.to_numpy()
    if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
        y = y.astype(int)
    return y


def _check_columns(path, frame, names, what):
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise CommandError(
            f"{path} has no column {missing[0]!r} ({what}); its columns are "
            f"{', '.join(map(str, frame.columns))}"
        )


def read_csv(path, target=None, encoding="utf-8", drop=()):
    """Read a CSV file with a header row into ``(X, y)``.

    ``X`` is a DataFrame of every column but ``target`` and those in
    ``drop``, as pandas read them (its index holds the file's line numbers);
    ``y`` the target as an array, its labels kept as text unless they are
    all numbers (``None`` without a ``target``).
    """
    frame = _read_frame(path, encoding)
    _check_columns(path, frame, drop, "--drop")
    frame = frame.drop(columns=list(drop))
    if target is None:
        return frame, None
    _check_columns(path, frame, [target], "--target")
    y = _target(frame[target], target, path)
    return frame.drop(columns=target), y


def training_data(args):
    """The ``--dataset`` or ``--data FILE.csv --target COLUMN`` of ``skdnn
    train`` and ``skdnn search``, as :class:`Data`."""
    if args.data is not None and args.dataset is not None:
        raise CommandError("give either --dataset or --data, not both")
    if args.data is None and (args.target is not None or args.drop):
        given = "--target" if args.target is not None else "--drop"
        raise CommandError(f"{given} goes with --data FILE.csv")
    if args.data is None:
        return DATASETS[args.dataset or "breast_cancer"](args)
    if args.target is None:
        raise CommandError("--data needs --target COLUMN, the column to predict")
    if args.target in args.drop:
        raise CommandError(f"--drop names the target column {args.target!r}")
    X, y = read_csv(args.data, args.target, args.encoding, args.drop)
    if X.shape[1] == 0:
        raise CommandError(f"{args.data} has no feature column left")
    return Data(args.data.name, X, y, target=f"the target column {args.target!r}")


def held_out(data, args, stratify):
    """``(X_train, X_test, y_train, y_test)``: the data set's own test set, or
    a ``--test-size`` split (stratified on the classes when ``stratify``)."""
    if data.test is not None:
        return data.X, data.test[0], data.y, data.test[1]
    if not 0 < args.test_size < 1:
        raise CommandError(f"--test-size must be between 0 and 1; got {args.test_size}")
    try:
        return train_test_split(
            data.X,
            data.y,
            test_size=args.test_size,
            stratify=data.y if stratify else None,
            random_state=args.random_state,
        )
    except ValueError as exc:
        raise CommandError(f"cannot split {data.name} for testing: {exc}") from None


def read_rows(path, encoding="utf-8"):
    """The rows ``skdnn predict`` predicts: a CSV file as a DataFrame, or a
    ``.npy`` array (images are flattened and scaled as in the course)."""
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    if path.suffix != ".npy":
        return read_csv(path, encoding=encoding)[0]
    try:
        X = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise CommandError(f"{path} is not a NumPy .npy array: {exc}") from None
    if X.ndim > 2:  # images, flattened and scaled as in the course
        X = X.reshape(X.shape[0], -1) / 255.0
    return X
