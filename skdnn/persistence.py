"""Saving fitted models to one HDF5 file, and loading them, without pickle.

A pickle file runs code when it is loaded; a model file written by
:func:`save_model` holds only numbers, strings and JSON texts, and
:func:`load_model` builds the estimator from an explicit table of classes.
Loading never imports or runs anything named by the file.

A file holds one network, or a pipeline ``make_pipeline(TabularEncoder(),
network)``: the network, and the :class:`~skdnn.preprocessing.TabularEncoder`
that turns raw table rows into its input, stored as data in the group
``/preprocessing`` (format version 3).

File layout (format versions 2 and 3)
-------------------------------------
::

    /                        attributes: what the file is
        skdnn_format           "skdnn.model" (the marker of an skdnn model file)
        format_version         2 for a network, 3 for a pipeline with
                               /preprocessing (integer; bumped on incompatible
                               changes)
        skdnn_version          version of skdnn that wrote the file
        estimator              the network's class: "DeepBinaryClassifier",
                               "LogisticRegressionGD", "DeepClassifier" or
                               "DeepRegressor"
        params                 JSON text of the network's get_params(deep=False)
        sha256                 checksum of every other attribute and dataset
    /fitted                  what fit learned; its attributes are the scalars
        n_iter_, n_features_in_, n_layers_, n_outputs_, out_activation_
        (and t_, best_validation_loss_ when the estimator has them)
    /fitted/coefs_/0 .. L-1        datasets, the weights, (n_in, n_out) each
    /fitted/intercepts_/0 .. L-1   datasets, the biases, (n_out,) each
    /fitted/classes_               dataset; its attribute "dtype" is the
                                   numpy dtype of the labels
    /fitted/loss_curve_            dataset, float64 (and validation_loss_curve_,
                                   validation_scores_ when the estimator has them)
    /fitted/feature_names_in_      dataset of UTF-8 strings, when fit saw names
    /preprocessing           version 3 only: the TabularEncoder; attributes
        params                 JSON text of its get_params(deep=False)
        n_features_in_         the number of columns of the raw table
    /preprocessing/numeric_columns_      int64, positions of the numeric columns
    /preprocessing/fill_values_          float64, their training means
    /preprocessing/categorical_columns_  int64, positions of the other columns
    /preprocessing/categories_/0 .. k-1  UTF-8 strings, the sorted categories
                                         of categorical column 0 .. k-1
    /preprocessing/feature_names_in_     UTF-8 strings, the table's column
                                         names, when fit saw names

Weights are stored in their own dtype (float32 or float64), so predictions of
a loaded model are bit-identical to those of the saved one. String labels
and feature names are variable-length UTF-8 strings; every dataset is stored
contiguously, without filters. Attributes are scalars: 64-bit integers and
floats, and variable-length UTF-8 strings.

In ``params``, JSON numbers, strings, booleans, ``null`` and arrays stand for
themselves (arrays are Python lists); a tuple is written
``{"tuple": [...]}``, a NumPy array ``{"ndarray": [...]}`` and a dict
``{"dict": [[key, value], ...]}`` (so that integer keys, such as the class
labels of ``class_weight``, stay integers).

The checksum
------------
``sha256`` is the hexadecimal SHA-256 digest of the items of the file, in
this order (an optional item that is absent is skipped):

1. the root attributes ``skdnn_format``, ``format_version``,
   ``skdnn_version``, ``estimator``, ``params``;
2. the attributes of ``/fitted`` in the order of :data:`SCALARS`;
3. the datasets ``fitted/coefs_/0 .. L-1``, ``fitted/intercepts_/0 .. L-1``,
   ``fitted/classes_``, then the attribute ``dtype`` of ``fitted/classes_``,
   then the datasets of :data:`CURVES` in that order, then
   ``fitted/feature_names_in_``;
4. (version 3) the attributes ``params`` and ``n_features_in_`` of
   ``/preprocessing``, then the datasets ``preprocessing/numeric_columns_``,
   ``preprocessing/fill_values_``, ``preprocessing/categorical_columns_``,
   ``preprocessing/categories_/0 .. k-1``, then
   ``preprocessing/feature_names_in_``.

An item is its key (``@params``, ``fitted@n_iter_``,
``fitted/classes_@dtype``, ``fitted/coefs_/0``: the path of its object, then
``@`` and the attribute's name for an attribute) followed by its value: a
string as ``str`` and its UTF-8 bytes, an integer as ``int`` and its decimal
digits, a float as ``float`` and :meth:`float.hex`, an array of numbers as
``array``, its ``dtype.str`` (``<f8``), its shape (comma-separated integers)
and its bytes in C order, an array of strings as ``strings``, its shape and
the UTF-8 bytes of each string. Every one of these pieces is fed to the hash
preceded by its length in bytes, as 8 little-endian bytes.

What a loader accepts
---------------------
:func:`load_model` accepts only what :func:`save_model` writes:

- a regular file (a FIFO or device is refused before it is opened), whose
  bytes pass the checks of :mod:`skdnn._hdf5_bytes` before HDF5 parses
  them: an HDF5 superblock of 8-byte addresses and lengths, version-1
  object headers, global heaps HDF5 cannot loop on, and string references
  that name heap objects of their own length;
- hard links only: no soft or external link is followed;
- exactly the groups, datasets and attributes above, attributes scalar;
- datasets stored inside the file, contiguously or in chunks (variable-length
  strings contiguously), without external storage, virtual layout or
  filters, each declaring no more bytes than the file has;
- shapes and dtypes checked against the network's layer sizes (from
  ``params`` and ``n_features_in_``) before any array is read, attribute
  dtypes and shapes before any attribute is read;
- strings at most :data:`MAX_STRING_LENGTH` characters, ``params`` at most
  :data:`MAX_PARAMS_LENGTH` characters and :data:`MAX_JSON_DEPTH` levels
  deep;
- finite weights and curves; distinct labels sorted as ``np.unique`` sorts
  them; fitted scalars consistent with the arrays and with the estimator's
  entry of :data:`MODELS` (``n_iter_`` is the length of ``loss_curve_``,
  ``n_outputs_`` and ``out_activation_`` those of the estimator);
- in ``/preprocessing``, what :meth:`TabularEncoder.fit
  <skdnn.preprocessing.TabularEncoder.fit>` makes: parameters the encoder
  accepts; ``int64`` column positions, increasing within each kind, that
  together are ``0 .. n_features_in_ - 1``, each once; one finite ``float64``
  fill value per numeric column; per categorical column 1 to
  ``max_categories`` distinct, sorted strings (each at most
  :data:`MAX_STRING_LENGTH` characters); and as many numeric columns and
  categories as the network's first layer has inputs (checked on the shapes,
  before the arrays are read).

Anything else raises a ``ValueError`` that names the file, whatever h5py or
NumPy would have raised.

Format versions
---------------
Version 2 adds the root attribute ``sha256``; a version 2 file whose
checksum does not match its contents, or that has none, is refused as
damaged ("checksum mismatch"). The layout is otherwise that of version 1,
whose files (without a checksum) still load, with every other check applied.

Version 3 adds the group ``/preprocessing``, and is written only for a
pipeline that has one: a network alone is still written as version 2
(:data:`NETWORK_FORMAT_VERSION`), which skdnn readers older than version 3
read too, while they refuse a version 3 file as newer than theirs rather
than load the network without its encoder. A version 3 file must have
``/preprocessing`` and a checksum; a version 1 or 2 file must not have
``/preprocessing``. :func:`load_model` returns ``make_pipeline(encoder,
network)`` for a version 3 file (with the default step names, as the names
and the pipeline's own parameters are not stored), the network otherwise.
"""

import contextlib
import hashlib
import json
import math
import os
import re
import stat
import uuid
import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils.validation import check_is_fitted

from ._deep import DeepBinaryClassifier, DeepClassifier, DeepRegressor
from ._hdf5_bytes import SIGNATURE, DamagedFile, RawFile
from ._logistic import LogisticRegressionGD
from .preprocessing import TabularEncoder

#: The value of the root attribute ``skdnn_format`` of every model file.
FORMAT_MARKER = "skdnn.model"

#: Newest version of the file layout, written by :func:`save_model` for a
#: pipeline of a :class:`~skdnn.preprocessing.TabularEncoder` and a network.
#: A reader accepts every version up to its own. Version 2 added the
#: ``sha256`` checksum, version 3 the group ``/preprocessing``.
FORMAT_VERSION = 3

#: Version of the file layout written for a network alone: version 2, which
#: skdnn readers older than version 3 read too.
NETWORK_FORMAT_VERSION = 2

#: Longest ``params`` JSON text, in characters, that is saved or loaded.
MAX_PARAMS_LENGTH = 1_000_000

#: Deepest nesting of JSON arrays and objects in ``params``.
MAX_JSON_DEPTH = 32

#: Longest class label or feature name, in characters.
MAX_STRING_LENGTH = 4096

#: Longest of the other string attributes (names, versions, the checksum).
MAX_NAME_LENGTH = 256


class _Rules(NamedTuple):
    """What a file may hold for one estimator class.

    ``n_classes`` is the ``(fewest, most)`` labels of ``classes_`` (``most``
    None: no limit), or None for an estimator without ``classes_`` (a
    regressor). ``outputs(n_classes)`` maps each allowed ``out_activation_``
    to its ``n_outputs_``, the width of the last layer (None: any width).
    A multiclass classifier would be
    ``_Rules(cls, (2, None), lambda k: {"logistic": 1} if k == 2 else
    {"softmax": k})``, a regressor
    ``_Rules(cls, None, lambda _: {"identity": None, "relu": None})``.
    """

    cls: type
    n_classes: tuple | None
    outputs: object


def _binary_outputs(n_classes):
    """One logistic output unit, the probability of ``classes_[1]``."""
    return {"logistic": 1}


def _classifier_outputs(n_classes):
    """Two classes: one logistic unit, or two labels of a multilabel target;
    more: one softmax unit per class, or one logistic unit per label."""
    if n_classes == 2:
        return {"logistic": (1, 2)}
    return {"softmax": n_classes, "logistic": n_classes}


def _regressor_outputs(n_classes):
    """Any number of targets, linear or ReLU."""
    return {"identity": None, "relu": None}


#: The only classes a file may name, with what their files hold. Loading
#: looks the name up here and nowhere else.
MODELS = {
    "DeepBinaryClassifier": _Rules(DeepBinaryClassifier, (2, 2), _binary_outputs),
    "LogisticRegressionGD": _Rules(LogisticRegressionGD, (2, 2), _binary_outputs),
    "DeepClassifier": _Rules(DeepClassifier, (2, None), _classifier_outputs),
    "DeepRegressor": _Rules(DeepRegressor, None, _regressor_outputs),
}

#: The classes of :data:`MODELS` by name.
ESTIMATORS = {name: rules.cls for name, rules in MODELS.items()}

#: Scalar fitted attributes, stored as attributes of ``/fitted``: name ->
#: (type, required).
SCALARS = {
    "n_iter_": (int, True),
    "n_features_in_": (int, True),
    "n_layers_": (int, True),
    "n_outputs_": (int, True),
    "out_activation_": (str, True),
    "t_": (int, False),
    "best_validation_loss_": (float, False),
}

#: Fitted lists of floats, stored as float64 datasets: name -> required.
CURVES = {
    "loss_curve_": True,
    "validation_loss_curve_": False,
    "validation_scores_": False,
}

#: Root attributes, in checksum order (``sha256`` itself comes on top).
_HEADER = ("skdnn_format", "format_version", "skdnn_version", "estimator", "params")

#: The attributes of ``/preprocessing``, in checksum order: name -> type.
ENCODER_SCALARS = {"params": str, "n_features_in_": int}

#: The arrays of numbers of ``/preprocessing``, in checksum order, and their
#: exact dtype (``categories_`` and ``feature_names_in_`` are strings).
ENCODER_ARRAYS = {
    "numeric_columns_": np.dtype("<i8"),
    "fill_values_": np.dtype("<f8"),
    "categorical_columns_": np.dtype("<i8"),
}

_STRING = h5py.string_dtype("utf-8")


# -- parameters as JSON ------------------------------------------------------------


def _encode(value, name):
    """A parameter value as JSON-ready data (see the module docstring)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (Integral, Real)):
        return value
    if isinstance(value, list):
        return [_encode(v, name) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, name) for v in value]}
    if isinstance(value, np.ndarray):
        return {"ndarray": _encode(value.tolist(), name)}
    if isinstance(value, dict):
        return {
            "dict": [[_encode(k, name), _encode(v, name)] for k, v in value.items()]
        }
    raise TypeError(
        f"Cannot save the parameter {name}: {value!r} of type "
        f"{type(value).__name__} is not a number, string, None, list, tuple, "
        "array or dict of those."
    )


def _decode(value):
    """The inverse of :func:`_encode`."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in ("tuple", "ndarray", "dict"):
            raise ValueError(
                f"{_short(repr(value))} is not a tagged tuple, ndarray or dict"
            )
        ((tag, items),) = value.items()
        if tag == "tuple":
            return tuple(_decode(items))
        if tag == "ndarray":
            return np.asarray(_decode(items))
        return {_decode(k): _decode(v) for k, v in items}
    return value


_JSON_TOKENS = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def _json_depth(text, limit=MAX_JSON_DEPTH):
    """How deep the arrays and objects of the JSON ``text`` nest, counted up
    to ``limit + 1`` (in one linear scan, brackets inside strings ignored)."""
    depth = deepest = 0
    in_string = False
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token == '"':
            in_string = not in_string
        elif in_string or len(token) > 1:
            continue
        elif token in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def _params_to_json(estimator):
    """``get_params(deep=False)`` as JSON text. A ``RandomState`` instance
    cannot be stored: it becomes ``None``, with a warning."""
    params = {}
    for name, value in estimator.get_params(deep=False).items():
        if isinstance(value, np.random.RandomState):
            warnings.warn(
                f"{name} is a RandomState instance, which a model file cannot "
                "hold; it is saved as None. It only matters for a new fit: "
                "predictions of the loaded model are unaffected.",
                UserWarning,
                stacklevel=3,
            )
            value = None
        params[name] = _encode(value, name)
    text = json.dumps(params)
    if len(text) > MAX_PARAMS_LENGTH or _json_depth(text) > MAX_JSON_DEPTH:
        raise ValueError(
            "Cannot save the parameters: as JSON they are longer than "
            f"{MAX_PARAMS_LENGTH} characters or nest deeper than {MAX_JSON_DEPTH} "
            "levels, which load_model refuses."
        )
    return text


def _parse_params(text):
    """The parameters of the JSON ``text``; a ``ValueError`` if it nests too
    deep, is not JSON or not an object of tagged values."""
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"it nests deeper than {MAX_JSON_DEPTH} levels")
    params = json.loads(text)
    if not isinstance(params, dict):
        raise ValueError(f"{_short(repr(params))} is not a JSON object")
    return {key: _decode(value) for key, value in params.items()}


# -- the checksum ------------------------------------------------------------------


def _keys(values):
    """The keys of ``values`` (see :func:`_stored_values`) in checksum order."""
    order = [f"@{name}" for name in _HEADER]
    order += [f"fitted@{name}" for name in SCALARS]
    for group in ("coefs_", "intercepts_"):
        layer = 0
        while f"fitted/{group}/{layer}" in values:
            order.append(f"fitted/{group}/{layer}")
            layer += 1
    order += ["fitted/classes_", "fitted/classes_@dtype"]
    order += [f"fitted/{name}" for name in CURVES]
    order.append("fitted/feature_names_in_")
    order += [f"preprocessing@{name}" for name in ENCODER_SCALARS]
    order += [f"preprocessing/{name}" for name in ENCODER_ARRAYS]
    column = 0
    while f"preprocessing/categories_/{column}" in values:
        order.append(f"preprocessing/categories_/{column}")
        column += 1
    order.append("preprocessing/feature_names_in_")
    return [key for key in order if key in values]


def _pieces(value):
    """The byte strings that stand for one value in the checksum."""
    if isinstance(value, str):
        return [b"str", value.encode("utf-8")]
    if isinstance(value, int):
        return [b"int", str(value).encode("ascii")]
    if isinstance(value, float):
        return [b"float", value.hex().encode("ascii")]
    shape = ",".join(str(n) for n in value.shape).encode("ascii")
    if value.dtype.kind == "O":
        return [b"strings", shape, *(s.encode("utf-8") for s in value.ravel())]
    data = np.ascontiguousarray(value).tobytes()
    return [b"array", value.dtype.str.encode("ascii"), shape, data]


def _checksum(values):
    """The SHA-256 hex digest of a model's stored values, as the module
    docstring describes."""
    digest = hashlib.sha256()
    for key in _keys(values):
        for piece in [key.encode("utf-8"), *_pieces(values[key])]:
            digest.update(len(piece).to_bytes(8, "little"))
            digest.update(piece)
    return digest.hexdigest()


# -- save ------------------------------------------------------------------------


def _strings(values, what):
    """``values`` as an array of variable-length UTF-8 strings, each at most
    :data:`MAX_STRING_LENGTH` characters."""
    values = list(values)
    if any(len(value) > MAX_STRING_LENGTH for value in values):
        raise ValueError(
            f"Cannot save the {what}: one is longer than {MAX_STRING_LENGTH} "
            "characters, which load_model refuses."
        )
    return np.asarray(values, dtype=_STRING)


def _stored_classes(classes):
    """``classes_`` as stored: numbers and bools as they are, strings as
    UTF-8 variable-length strings; and the numpy dtype (``"<i8"``, ``"<U3"``,
    ``"object"``, ...) that restores it exactly."""
    kind = classes.dtype.kind
    if kind in "biuf":
        return classes, classes.dtype.str
    if kind == "U" and classes.dtype.itemsize // 4 > MAX_STRING_LENGTH:
        raise ValueError(
            f"Cannot save the class labels: their dtype {classes.dtype} is wider "
            f"than {MAX_STRING_LENGTH} characters, which load_model refuses."
        )
    if kind == "U" or kind == "O" and all(isinstance(c, str) for c in classes):
        dtype = "object" if kind == "O" else classes.dtype.str
        return _strings(classes.tolist(), "class labels"), dtype
    raise TypeError(
        f"Cannot save the class labels {classes.tolist()!r}: labels must "
        "be numbers, booleans or strings."
    )


def _stored_values(estimator, params):
    """Everything a file holds but its checksum, by key (``"@params"`` for
    a root attribute, ``"fitted@n_iter_"`` for an attribute of ``/fitted``,
    ``"fitted/coefs_/0"`` for a dataset), in the form it is stored in."""
    from . import __version__

    values = {
        "@skdnn_format": FORMAT_MARKER,
        "@format_version": NETWORK_FORMAT_VERSION,
        "@skdnn_version": __version__,
        "@estimator": type(estimator).__name__,
        "@params": params,
    }
    for name, (kind, required) in SCALARS.items():
        if required or hasattr(estimator, name):
            values[f"fitted@{name}"] = kind(getattr(estimator, name))
    for name in ("coefs_", "intercepts_"):
        for layer, array in enumerate(getattr(estimator, name)):
            values[f"fitted/{name}/{layer}"] = np.asarray(array)
    if hasattr(estimator, "classes_"):  # a regressor has none
        classes, dtype = _stored_classes(estimator.classes_)
        values["fitted/classes_"], values["fitted/classes_@dtype"] = classes, dtype
    for name, required in CURVES.items():
        if required or getattr(estimator, name, None) is not None:
            curve = np.asarray(getattr(estimator, name), dtype=np.float64)
            values[f"fitted/{name}"] = curve
    if hasattr(estimator, "feature_names_in_"):
        names = _strings(estimator.feature_names_in_.tolist(), "feature names")
        values["fitted/feature_names_in_"] = names
    return values


def _encoder_problem(encoder, width):
    """What makes the fitted arrays of a TabularEncoder (``encoder``: its
    attributes by name, as arrays) other than what ``fit`` makes, or None:
    the checks :func:`save_model` and :func:`load_model` share. ``width`` is
    the number of features the network after it takes."""
    numeric, categorical = encoder["numeric_columns_"], encoder["categorical_columns_"]
    fills, categories = encoder["fill_values_"], encoder["categories_"]
    n_columns, most = encoder["n_features_in_"], encoder["max_categories"]
    positions = np.sort(np.concatenate([numeric, categorical]))
    if (
        not np.array_equal(positions, np.arange(n_columns))
        or (np.diff(numeric) <= 0).any()
        or (np.diff(categorical) <= 0).any()
    ):
        return (
            f"has the numeric columns {_short(numeric.tolist(), 100)} and the "
            f"categorical columns {_short(categorical.tolist(), 100)}, which "
            f"are not the columns 0 to {n_columns - 1} of X, each once, in "
            "increasing order"
        )
    if len(fills) != len(numeric) or not np.isfinite(fills).all():
        return "has fill_values_ that are not one finite number per numeric column"
    if len(categories) != len(categorical):
        return "does not have one array of categories_ per categorical column"
    for i, column in enumerate(categories):
        if not 1 <= len(column) <= (most or math.inf):
            return (
                f"has {len(column)} categories in categories_[{i}]; a column has "
                f"1 to max_categories={most} of them"
            )
        if any(a >= b for a, b in zip(column[:-1], column[1:], strict=True)):
            return f"has categories_[{i}] that are not distinct and sorted"
    n_outputs = len(numeric) + sum(map(len, categories))
    if n_outputs != width:
        return (
            f"outputs {n_outputs} features, but the network after it takes "
            f"n_features_in_ = {width}"
        )
    return None


def _stored_encoder(encoder, width):
    """The values of ``/preprocessing`` for a fitted TabularEncoder that
    feeds a network of ``width`` input features, by key (as
    :func:`_stored_values`); a ValueError for what load_model would refuse."""
    check_is_fitted(encoder)
    encoder._validate_params()
    categories = [np.asarray(column, dtype=object) for column in encoder.categories_]
    if not all(isinstance(c, str) for column in categories for c in column):
        raise TypeError("Cannot save the TabularEncoder: its categories_ are not str.")
    arrays = {
        name: np.asarray(getattr(encoder, name), dtype=dtype)
        for name, dtype in ENCODER_ARRAYS.items()
    }
    problem = _encoder_problem(
        {
            **arrays,
            "categories_": categories,
            "n_features_in_": encoder.n_features_in_,
            "max_categories": encoder.max_categories,
        },
        width,
    )
    if problem is not None:
        raise ValueError(f"Cannot save the pipeline: its TabularEncoder {problem}.")
    values = {
        "@format_version": FORMAT_VERSION,  # a file with /preprocessing
        "preprocessing@params": _params_to_json(encoder),
        "preprocessing@n_features_in_": int(encoder.n_features_in_),
    }
    values.update((f"preprocessing/{name}", a) for name, a in arrays.items())
    for i, column in enumerate(categories):
        values[f"preprocessing/categories_/{i}"] = _strings(column, "categories")
    if hasattr(encoder, "feature_names_in_"):
        names = _strings(encoder.feature_names_in_.tolist(), "column names")
        values["preprocessing/feature_names_in_"] = names
    return values


def _parts(model):
    """The TabularEncoder (None if there is none) and the network of
    ``model``, a network or a pipeline of the two; a TypeError otherwise."""
    encoder, network = None, model
    if isinstance(model, Pipeline):
        steps = [step for _, step in model.steps]
        if (
            type(model) is not Pipeline
            or len(steps) != 2
            or type(steps[0]) is not TabularEncoder
        ):
            raise TypeError(
                "save_model stores a Pipeline only of exactly two steps, a "
                "TabularEncoder then a network of skdnn; got a "
                f"{type(model).__name__} of the steps "
                f"{[type(step).__name__ for step in steps]}. Use pickle or joblib "
                "for other pipelines (and only load trusted files)."
            )
        encoder, network = steps
    name = type(network).__name__
    if ESTIMATORS.get(name) is not type(network):
        raise TypeError(
            "save_model stores only skdnn's estimators "
            f"({', '.join(ESTIMATORS)}), alone or after a TabularEncoder in a "
            f"Pipeline; got {name}. Use pickle or joblib for other objects (and "
            "only load trusted files)."
        )
    return encoder, network


def _write_value(f, key, value):
    """Write one of :func:`_stored_values` to the open file ``f``."""
    where, _, attr = key.partition("@")
    if not attr:
        f.create_dataset(where, data=value)
        return
    obj = f if not where else f[where] if where in f else f.create_group(where)
    obj.attrs[attr] = value


def _write_model(f, values):
    """Fill the open HDF5 file ``f`` (the layout of the module docstring)."""
    for key in _keys(values):
        _write_value(f, key, values[key])
    if "preprocessing@params" in values:  # the group, even with no category
        f.require_group("preprocessing/categories_")
    f.attrs["sha256"] = _checksum(values)


def save_model(estimator, path):
    """Save a fitted skdnn estimator to one HDF5 file, without pickle.

    The file holds the constructor parameters (as JSON), the fitted arrays in
    their own dtype, the estimator's class name, the skdnn version, a format
    version and a SHA-256 checksum of all of these; the layout is described
    in :mod:`skdnn.persistence`. A pipeline of a
    :class:`~skdnn.preprocessing.TabularEncoder` and a network is saved with
    the encoder's parameters and fitted arrays too (format version 3), so
    that the loaded pipeline predicts on raw table rows. The file is written
    under a temporary name next to ``path`` and renamed when complete, so an
    existing file at ``path`` is replaced only by a whole model.

    Parameters
    ----------
    estimator : estimator of skdnn or Pipeline
        A fitted DeepBinaryClassifier, LogisticRegressionGD, DeepClassifier
        or DeepRegressor (not a subclass), or a fitted ``Pipeline`` of
        exactly two steps: a TabularEncoder, then one of those networks.
    path : str or path-like
        The file to write, conventionally ending in ``.h5``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator, or a step of the pipeline, is not fitted.
    TypeError
        If ``estimator`` is not one of the four classes above or such a
        pipeline, or a parameter or class label cannot be stored.
    ValueError
        If the parameters, a class label, a feature name or a category
        exceed the sizes :func:`load_model` accepts
        (:data:`MAX_PARAMS_LENGTH`, :data:`MAX_JSON_DEPTH`,
        :data:`MAX_STRING_LENGTH`), or the encoder's output is not as wide
        as the network's input (its ``n_features_in_``). Nothing is written.

    See Also
    --------
    load_model : Read the file back.

    Notes
    -----
    What is saved is what prediction needs and what ``fit`` reports. The
    optimiser's internal state (momentum, Adam's moments) is not: a loaded
    model predicts exactly as the saved one, and training it again starts
    from a fresh optimiser.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import make_classification
    >>> from skdnn import LogisticRegressionGD, load_model, save_model
    >>> X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    >>> clf = LogisticRegressionGD(learning_rate=0.1, max_iter=50).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_model(clf, Path(folder) / "model.h5")
    ...     loaded = load_model(Path(folder) / "model.h5")
    >>> loaded
    LogisticRegressionGD(learning_rate=0.1, max_iter=50)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True

    A pipeline that takes raw table rows, strings and missing values:

    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from skdnn.preprocessing import TabularEncoder
    >>> rows = np.array([[1.0, "rome"], [None, "oslo"], [3.0, "rome"], [4.0, None]])
    >>> pipeline = make_pipeline(TabularEncoder(), LogisticRegressionGD(max_iter=50))
    >>> pipeline = pipeline.fit(rows, [0, 1, 0, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_model(pipeline, Path(folder) / "pipeline.h5")
    ...     loaded = load_model(Path(folder) / "pipeline.h5")
    >>> [name for name, _ in loaded.steps]
    ['tabularencoder', 'logisticregressiongd']
    >>> bool((loaded.predict_proba(rows) == pipeline.predict_proba(rows)).all())
    True
    """
    encoder, network = _parts(estimator)
    check_is_fitted(network)
    values = _stored_values(network, _params_to_json(network))
    if encoder is not None:
        values.update(_stored_encoder(encoder, network.n_features_in_))

    path = Path(path)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with h5py.File(partial, "x") as f:
            _write_model(f, values)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


# -- load: the file's structure, before reading any data ---------------------------


class _Refused(ValueError):
    """A file :func:`load_model` refuses; the message names the file."""


def _short(text, limit=500):
    """``text`` on one line, cut to about ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _is_vlen_string(dtype):
    """Whether ``dtype`` is that of variable-length UTF-8 strings."""
    info = h5py.check_string_dtype(dtype)
    return info is not None and info.length is None and info.encoding == "utf-8"


#: What the stored dtype of an attribute must be, by the Python type read.
_ATTRIBUTE_DTYPES = {
    int: ("an integer", lambda dtype: dtype.kind in "iu"),
    float: ("a float", lambda dtype: dtype.kind == "f"),
    str: ("a string", _is_vlen_string),
}

_LAYOUTS = {
    h5py.h5d.COMPACT: "compact",
    h5py.h5d.CONTIGUOUS: "contiguous",
    h5py.h5d.CHUNKED: "chunked",
    h5py.h5d.VIRTUAL: "virtual",
}

_LINKS = {h5py.SoftLink: "a soft link", h5py.ExternalLink: "an external link"}


class _ModelFile:
    """Reads one open model file, whose bytes ``raw`` are checked (a
    :class:`RawFile`); every problem becomes a ``ValueError`` that names the
    file."""

    def __init__(self, path, f, raw):
        self.path = path
        self.f = f
        self.raw = raw
        self.size = raw.size

    def check_raw_attributes(self, obj):
        """Check, in the file's bytes, the string attributes of ``obj``
        before HDF5 reads them (:meth:`RawFile.check_attributes`)."""
        try:
            self.raw.check_attributes(h5py.h5o.get_info(obj.id).addr, obj.name)
        except DamagedFile as exc:
            raise self.damaged(str(exc)) from None

    def error(self, what):
        return _Refused(f"{self.path} is not a valid skdnn model file: {_short(what)}.")

    def damaged(self, what):
        return _Refused(f"{self.path} is damaged: {_short(what)}.")

    def attr(self, obj, name, kind, max_length=MAX_NAME_LENGTH):
        """The attribute ``name`` of ``obj``, an int, a float or a str (of at
        most ``max_length`` characters): its dtype and shape are checked
        before its value is read."""
        if name not in obj.attrs:
            raise self.error(f"{obj.name} has no attribute {name!r}")
        stored = obj.attrs.get_id(name)
        expected, accepts = _ATTRIBUTE_DTYPES[kind]
        if stored.shape != () or not accepts(stored.dtype):
            raise self.error(
                f"the attribute {name!r} of {obj.name} should be {expected}; it "
                f"is stored as {stored.dtype} of shape {stored.shape}"
            )
        value = obj.attrs[name]
        if kind is str:
            if not isinstance(value, str) or len(value) > max_length:
                raise self.error(
                    f"the attribute {name!r} of {obj.name} is not a string of at "
                    f"most {max_length} characters"
                )
            return value
        return kind(value)

    def attribute_names(self, obj, allowed):
        """Refuse attributes of ``obj`` that are not in ``allowed``."""
        if len(obj.attrs) > len(allowed) or not set(obj.attrs) <= set(allowed):
            unknown = sorted(set(obj.attrs) - set(allowed))
            raise self.error(
                f"{obj.name} has attributes {unknown} that model files do not have"
            )

    def members(self, group, allowed):
        """The members of ``group``, by name: each must be a hard link, named
        in ``allowed`` (name -> ``h5py.Group`` or ``h5py.Dataset``), to an
        object of that type. No link is followed to check this."""
        if len(group) > len(allowed):
            raise self.error(
                f"{group.name} has {len(group)} members; a model file has at "
                f"most {len(allowed)} there: {sorted(allowed)}"
            )
        found = {}
        for name in group:  # names only: iterating follows no link
            where = f"{group.name.rstrip('/')}/{name}"
            link = group.get(name, getlink=True)
            if not isinstance(link, h5py.HardLink):
                kind = _LINKS.get(type(link), "a link")
                raise self.error(f"{where} is {kind}, which model files do not use")
            if name not in allowed:
                raise self.error(f"{where} is not part of a model file")
            obj = group[name]
            if not isinstance(obj, allowed[name]):
                raise self.error(f"{where} should be a {allowed[name].__name__}")
            found[name] = obj
        return found

    def storage(self, dataset):
        """Refuse a dataset whose data is not all inside the file, stored
        contiguously or in chunks, without filters; variable-length strings
        contiguously, their references checked in the file's bytes."""
        plist, where = dataset.id.get_create_plist(), dataset.name
        if plist.get_external_count() > 0:
            raise self.error(f"{where} keeps its data in external files")
        layout = plist.get_layout()
        if layout not in (h5py.h5d.CONTIGUOUS, h5py.h5d.CHUNKED):
            name = _LAYOUTS.get(layout, "an unknown")
            raise self.error(f"{where} has {name} storage; model files are contiguous")
        if plist.get_nfilters() > 0:
            raise self.error(f"{where} is stored through filters (compression)")
        if dataset.shape is None:
            raise self.error(f"{where} has no shape")
        count, datatype = math.prod(dataset.shape), dataset.id.get_type()
        if datatype.get_class() == h5py.h5t.VLEN or (
            datatype.get_class() == h5py.h5t.STRING and datatype.is_variable_str()
        ):
            return self.references(dataset, layout, count)
        declared, stored = count * datatype.get_size(), dataset.id.get_storage_size()
        chunk = math.prod(dataset.chunks or ()) * datatype.get_size()
        if max(declared, stored, chunk) > self.size:
            raise self.damaged(
                f"{where} declares {max(declared, stored, chunk)} bytes of data, "
                f"more than the whole file ({self.size} bytes)"
            )
        contiguous = layout == h5py.h5d.CONTIGUOUS
        if stored != declared if contiguous else stored < declared:
            raise self.damaged(f"{where} declares {declared} bytes but stores {stored}")

    def references(self, dataset, layout, count):
        """Check, in the file's bytes, the references of a contiguous dataset
        of variable-length strings before HDF5 follows them."""
        datatype = dataset.id.get_type()
        if layout != h5py.h5d.CONTIGUOUS or datatype.get_class() != h5py.h5t.STRING:
            raise self.error(
                f"{dataset.name} holds variable-length data other than "
                "contiguous strings"
            )
        offset = dataset.id.get_offset() if count else 0
        if offset is None:
            raise self.damaged(f"{dataset.name} declares data it does not store")
        try:
            self.raw.check_references(offset, count, dataset.name)
        except DamagedFile as exc:
            raise self.damaged(str(exc)) from None


def _walk_encoder(model, group, objects):
    """Add the objects of ``/preprocessing`` to ``objects``: its arrays, and
    one array of ``categories_`` per categorical column (as many as the
    shape of ``categorical_columns_`` says, a shape bounded by the file's
    size before it is used)."""
    allowed = dict.fromkeys([*ENCODER_ARRAYS, "feature_names_in_"], h5py.Dataset)
    allowed["categories_"] = h5py.Group
    found = model.members(group, allowed)
    for name in [*ENCODER_ARRAYS, "categories_"]:
        if name not in found:
            raise model.error(f"/preprocessing/{name} is missing")
    objects["preprocessing"] = group
    objects.update((f"preprocessing/{n}", o) for n, o in found.items())
    categorical = found["categorical_columns_"]
    model.storage(categorical)
    if len(categorical.shape) != 1:
        raise model.error(
            "/preprocessing/categorical_columns_ should be a 1-D array; got shape "
            f"{categorical.shape}"
        )
    names = [str(column) for column in range(categorical.shape[0])]
    columns = model.members(found["categories_"], dict.fromkeys(names, h5py.Dataset))
    if len(columns) != len(names):
        raise model.error(
            "/preprocessing/categories_ should hold one array per categorical "
            f"column, {names}; it holds {sorted(columns, key=int)}"
        )
    objects.update((f"preprocessing/categories_/{n}", o) for n, o in columns.items())


def _walk(model, n_layers, rules, version):
    """Every object of the file, by path (``"fitted/coefs_/0"``), found
    without following a link or reading data: only hard links, only the
    members and attributes of the layout (``/preprocessing`` in, and only
    in, a version 3 file), each dataset's data inside the file.
    """
    objects = {"": model.f}
    groups = ["fitted", *(["preprocessing"] if version >= 3 else [])]
    root = model.members(model.f, dict.fromkeys(groups, h5py.Group))
    if "fitted" not in root:
        raise model.error("the group /fitted is missing")
    if version >= 3:
        if "preprocessing" not in root:
            raise model.error(
                "the group /preprocessing is missing, which a file of format "
                "version 3 has (its TabularEncoder)"
            )
        _walk_encoder(model, root["preprocessing"], objects)
    allowed = {"coefs_": h5py.Group, "intercepts_": h5py.Group}
    names = [*(["classes_"] if rules.n_classes else []), *CURVES, "feature_names_in_"]
    allowed.update(dict.fromkeys(names, h5py.Dataset))
    objects["fitted"] = fitted = root["fitted"]
    objects.update(
        (f"fitted/{n}", o) for n, o in model.members(fitted, allowed).items()
    )
    layers = [str(layer) for layer in range(n_layers)]
    for name in ("coefs_", "intercepts_"):
        if f"fitted/{name}" not in objects:
            raise model.error(f"the group /fitted/{name} is missing")
        group = objects[f"fitted/{name}"]
        found = model.members(group, dict.fromkeys(layers, h5py.Dataset))
        if len(found) != n_layers:
            raise model.error(
                f"/fitted/{name} should hold the arrays {layers}, one per layer; "
                f"it holds {sorted(found, key=int)}"
            )
        objects.update((f"fitted/{name}/{n}", o) for n, o in found.items())
    attributes = {
        "fitted": set(SCALARS),
        "fitted/classes_": {"dtype"},
        "preprocessing": set(ENCODER_SCALARS),
    }
    for path, obj in objects.items():
        if path:  # the root's attributes depend on the version: checked before
            model.attribute_names(obj, attributes.get(path, set()))
            model.check_raw_attributes(obj)
        if isinstance(obj, h5py.Dataset):
            model.storage(obj)
    return objects


# -- load: the values, checked ---------------------------------------------------


def _check_format(model):
    """The format version, after checking the marker and the root's
    attribute names."""
    from . import __version__

    root = model.f
    model.check_raw_attributes(root)
    if "skdnn_format" not in root.attrs or (
        model.attr(root, "skdnn_format", str) != FORMAT_MARKER
    ):
        raise _Refused(
            f"{model.path} is an HDF5 file but not an skdnn model file: it has "
            f"no skdnn_format = {FORMAT_MARKER!r} attribute."
        )
    version = model.attr(root, "format_version", int)
    if version > FORMAT_VERSION:
        try:
            writer = model.attr(root, "skdnn_version", str)
        except _Refused:
            writer = "an unknown version"
        raise _Refused(
            f"{model.path} is in skdnn model format version {version} (written by "
            f"skdnn {writer}); this skdnn {__version__} reads format versions "
            f"1 to {FORMAT_VERSION}. Upgrade skdnn to load it."
        )
    if version < 1:
        raise model.error(f"its format_version is {version}; versions start at 1")
    model.attribute_names(root, [*_HEADER, *(["sha256"] if version >= 2 else [])])
    return version


def _make_estimator(model, name, params_json):
    """The estimator named ``name``, from :data:`MODELS` only, with the
    file's parameters: names the class does not have are refused, and the
    class's own checks judge the values."""
    if name not in MODELS:
        raise model.error(
            f"it names the estimator {name!r}, which is not one of the classes "
            f"that can be loaded: {', '.join(MODELS)}"
        )
    estimator = _set_params(model, MODELS[name].cls(), params_json, "its")
    try:
        estimator._hidden_layer_sizes()
    except (ValueError, TypeError) as exc:
        raise model.error(
            f"its parameters are not valid for {name}: {str(exc).rstrip('.')}"
        ) from exc
    return estimator


def _set_params(model, estimator, params_json, owner):
    """``estimator`` with the parameters of the JSON text ``params_json``,
    the ``params`` attribute of ``owner`` (``"its"``, ``"the
    /preprocessing"``): names it does not have are refused, and its own
    checks judge the values."""
    name = type(estimator).__name__
    try:
        params = _parse_params(params_json)
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise model.error(f"{owner} params attribute cannot be read: {exc}") from exc
    unknown = sorted(set(params) - set(estimator.get_params(deep=False)))
    if unknown:
        raise model.error(
            f"{owner} parameters are not valid for {name}: it has no parameter "
            f"{', '.join(map(repr, unknown))}"
        )
    try:
        estimator.set_params(**params)
        estimator._validate_params()
    except (ValueError, TypeError) as exc:
        raise model.error(
            f"{owner} parameters are not valid for {name}: {str(exc).rstrip('.')}"
        ) from exc
    return estimator


def _read_scalars(model, fitted):
    """The attributes of ``/fitted``, each of its type and in its range."""
    scalars = {
        name: model.attr(fitted, name, kind)
        for name, (kind, required) in SCALARS.items()
        if required or name in fitted.attrs
    }
    for name in ("n_iter_", "t_"):
        if scalars.get(name, 0) < 0:
            raise model.error(f"{name} is {scalars[name]}; a count cannot be negative")
    if scalars["n_features_in_"] < 1:
        raise model.error(f"n_features_in_ is {scalars['n_features_in_']}")
    best = scalars.get("best_validation_loss_", 0.0)
    if not math.isfinite(best):
        raise model.error(f"best_validation_loss_ is {best}; it should be finite")
    return scalars


def _count_classes(model, objects, rules):
    """The number of labels in ``classes_`` (None for a regressor), from its
    shape alone."""
    if rules.n_classes is None:
        return None
    dataset = objects.get("fitted/classes_")
    if dataset is None:
        raise model.error("the array /fitted/classes_ is missing")
    fewest, most = rules.n_classes
    if len(dataset.shape) != 1 or not fewest <= dataset.shape[0] <= (most or math.inf):
        count = f"{fewest}" if fewest == most else f"{fewest} or more"
        raise model.error(
            f"/fitted/classes_ should hold {count} labels; got shape {dataset.shape}"
        )
    return dataset.shape[0]


def _check_outputs(model, name, rules, scalars, n_classes):
    """``out_activation_`` and ``n_outputs_`` as ``rules`` allow them."""
    outputs = rules.outputs(n_classes)
    activation, n_outputs = scalars["out_activation_"], scalars["n_outputs_"]
    if activation not in outputs:
        raise model.error(
            f"out_activation_ is {activation!r}; a {name} has a "
            f"{' or '.join(map(repr, outputs))} output layer"
        )
    expected = outputs[activation]
    allowed = expected if isinstance(expected, tuple) else (expected,)
    if n_outputs < 1 or expected is not None and n_outputs not in allowed:
        units = "at least 1" if expected is None else " or ".join(map(str, allowed))
        raise model.error(
            f"n_outputs_ is {n_outputs}; a {name} with {activation!r} output "
            f"has {units} output unit{'s' if allowed != (1,) else ''}"
        )


def _read_network(model, objects, sizes, values):
    """``coefs_`` and ``intercepts_``, checked to form one network of layer
    ``sizes`` of one float dtype (before reading) and to be finite."""
    expected = list(zip(sizes[:-1], sizes[1:], strict=True))
    layers = range(len(expected))
    coefs = [objects[f"fitted/coefs_/{layer}"] for layer in layers]
    intercepts = [objects[f"fitted/intercepts_/{layer}"] for layer in layers]
    coef_shapes = [W.shape for W in coefs]
    intercept_shapes = [b.shape for b in intercepts]
    if coef_shapes != expected or intercept_shapes != [(n,) for _, n in expected]:
        raise model.error(
            f"its weights have shapes {coef_shapes} and its biases "
            f"{intercept_shapes}, which do not fit a network of layer sizes {sizes}"
        )
    dtypes = {a.dtype for a in coefs + intercepts}
    if len(dtypes) != 1 or dtypes.pop() not in (np.float32, np.float64):
        raise model.error("its weights and biases should all be float32 or all float64")
    arrays = {}
    for dataset in coefs + intercepts:
        path = dataset.name.lstrip("/")
        arrays[path] = array = np.ascontiguousarray(dataset[()])
        if not np.isfinite(array).all():
            raise model.error(f"/{path} holds NaN or infinite values")
    values.update(arrays)
    return (
        [arrays[f"fitted/coefs_/{layer}"] for layer in layers],
        [arrays[f"fitted/intercepts_/{layer}"] for layer in layers],
    )


_LABEL_DTYPE = re.compile(r"object|[<>|=]?([biuf][1-9][0-9]?|U[1-9][0-9]{0,4})")


def _label_dtype(declared):
    """The numpy dtype named by the ``dtype`` attribute of ``classes_``
    (``"<i8"``, ``"<U3"``, ``"object"``, ...), or None for anything else."""
    if not _LABEL_DTYPE.fullmatch(declared):
        return None
    try:
        return np.dtype(object if declared == "object" else declared)
    except TypeError:
        return None


def _read_strings(model, dataset, shape):
    """A dataset of variable-length UTF-8 strings of ``shape``, each at most
    :data:`MAX_STRING_LENGTH` characters, as an object array."""
    if dataset.shape != shape or not _is_vlen_string(dataset.dtype):
        raise model.error(
            f"{dataset.name} should be {shape[0]} strings; got {dataset.dtype} "
            f"of shape {dataset.shape}"
        )
    values = dataset.asstr()[()]
    if any(len(value) > MAX_STRING_LENGTH for value in values):
        raise model.error(
            f"{dataset.name} holds strings longer than {MAX_STRING_LENGTH} characters"
        )
    return values


def _read_classes(model, dataset, values):
    """``classes_`` in the dtype recorded by :func:`_stored_classes`:
    distinct, sorted labels, as ``np.unique`` gives them."""
    declared = model.attr(dataset, "dtype", str)
    dtype = _label_dtype(declared)
    where, n = "/fitted/classes_", dataset.shape[0]
    if dtype is not None and dtype.kind in "OU" and _is_vlen_string(dataset.dtype):
        stored = _read_strings(model, dataset, (n,))
        width = dtype.itemsize // 4 if dtype.kind == "U" else MAX_STRING_LENGTH
        if width > MAX_STRING_LENGTH or max(map(len, stored), default=0) > width:
            raise model.error(
                f"{where} holds labels longer than its dtype {declared} or than "
                f"{MAX_STRING_LENGTH} characters"
            )
        classes = stored.astype(dtype)
    elif dtype is not None and dtype.kind in "biuf" and dataset.dtype == dtype:
        stored = classes = dataset[()]
    else:
        raise model.error(
            f"{where} holds {dataset.dtype} labels recorded as dtype "
            f"{declared!r}, which cannot be restored"
        )
    unique = np.unique(classes)
    if (
        len(unique) != n
        or not np.array_equal(unique, classes)
        or (dtype.kind == "f" and not np.isfinite(classes).all())
    ):
        raise model.error(
            f"{where} holds the labels {classes.tolist()!r}; they should be "
            "distinct, finite and sorted, as np.unique gives them"
        )
    values["fitted/classes_"], values["fitted/classes_@dtype"] = stored, declared
    return classes


def _read_curves(model, objects, n_iter, values):
    """The curves of :data:`CURVES`: finite float64, one entry per epoch for
    ``loss_curve_``, at most one for the validation curves."""
    curves = {}
    for name, required in CURVES.items():
        dataset = objects.get(f"fitted/{name}")
        if dataset is None:
            if required:
                raise model.error(f"the array /fitted/{name} is missing")
            continue
        if len(dataset.shape) != 1 or dataset.dtype != np.float64:
            raise model.error(
                f"/fitted/{name} should be a 1-D float64 array; got "
                f"{dataset.dtype} of shape {dataset.shape}"
            )
        length = dataset.shape[0]
        if length > n_iter or name == "loss_curve_" and length != n_iter:
            raise model.error(
                f"/fitted/{name} has {length} entries for n_iter_ = {n_iter} "
                "epochs (loss_curve_ has one per epoch)"
            )
        curves[name] = curve = dataset[()]
        if not np.isfinite(curve).all():
            raise model.error(f"/fitted/{name} holds NaN or infinite values")
        values[f"fitted/{name}"] = curve
    validation = [
        curves[n] for n in CURVES if n.startswith("validation_") and n in curves
    ]
    if len({len(curve) for curve in validation}) > 1:
        raise model.error("its validation curves have different lengths")
    scores = curves.get("validation_scores_", np.zeros(0))
    if ((scores < 0) | (scores > 1)).any():
        raise model.error("its validation_scores_ are not accuracies in [0, 1]")
    return {name: [float(v) for v in curve] for name, curve in curves.items()}


def _verify_checksum(model, values):
    """Refuse a version-2 file whose ``sha256`` does not match its values."""
    stored = None
    if "sha256" in model.f.attrs:
        stored = model.attr(model.f, "sha256", str)
    if stored != _checksum(values):
        raise model.damaged(
            "checksum mismatch (its sha256 attribute "
            f"{'is missing' if stored is None else 'does not match its contents'}"
            "): it is not the file save_model wrote"
        )


def _read_fitted(model, estimator, objects, rules, values):
    """The fitted attributes, by name; ``values`` gains what is stored."""
    name = type(estimator).__name__
    scalars = _read_scalars(model, objects["fitted"])
    values.update((f"fitted@{k}", v) for k, v in scalars.items())
    n_classes = _count_classes(model, objects, rules)
    _check_outputs(model, name, rules, scalars, n_classes)
    sizes = [
        scalars["n_features_in_"],
        *estimator._hidden_layer_sizes(),
        scalars["n_outputs_"],
    ]
    if scalars["n_layers_"] != len(sizes):
        raise model.error(
            f"n_layers_ is {scalars['n_layers_']} for a network of layer sizes {sizes}"
        )
    coefs, intercepts = _read_network(model, objects, sizes, values)
    attributes = {"coefs_": coefs, "intercepts_": intercepts, **scalars}
    if n_classes is not None:
        attributes["classes_"] = _read_classes(
            model, objects["fitted/classes_"], values
        )
    attributes.update(_read_curves(model, objects, scalars["n_iter_"], values))
    if "fitted/feature_names_in_" in objects:
        shape = (scalars["n_features_in_"],)
        names = _read_strings(model, objects["fitted/feature_names_in_"], shape)
        values["fitted/feature_names_in_"] = names
        attributes["feature_names_in_"] = np.asarray(names.tolist(), dtype=object)
    return attributes


def _encoder_shapes(model, objects, n_columns, width):
    """The arrays of ``/preprocessing``, checked (before any is read) to be
    of their dtypes and of the shapes of a TabularEncoder of ``n_columns``
    input columns feeding ``width`` features to the network."""
    arrays = {name: objects[f"preprocessing/{name}"] for name in ENCODER_ARRAYS}
    shapes = {name: dataset.shape for name, dataset in arrays.items()}
    numeric = shapes["numeric_columns_"]
    n_numeric = numeric[0] if len(numeric) == 1 and numeric[0] <= n_columns else -1
    expected = {
        "numeric_columns_": (n_numeric,),
        "fill_values_": (n_numeric,),
        "categorical_columns_": (n_columns - n_numeric,),
    }
    dtypes = {name: dataset.dtype for name, dataset in arrays.items()}
    if shapes != expected or dtypes != ENCODER_ARRAYS:
        raise model.error(
            f"its /preprocessing arrays have the shapes {shapes} and dtypes "
            f"{ {n: str(d) for n, d in dtypes.items()} }; a TabularEncoder of "
            f"{n_columns} columns has numeric_columns_ (int64) and fill_values_ "
            "(float64) of one length, and categorical_columns_ (int64) for the "
            "other columns"
        )
    columns = [
        objects[f"preprocessing/categories_/{i}"]
        for i in range(expected["categorical_columns_"][0])
    ]
    lengths = [column.shape[0] if len(column.shape) == 1 else -1 for column in columns]
    if min(lengths, default=1) < 1 or n_numeric + sum(lengths) != width:
        raise model.error(
            f"its TabularEncoder has {n_numeric} numeric columns and categorical "
            f"columns of shapes {[column.shape for column in columns]}, which "
            f"do not give the {width} features of the network"
        )
    return arrays, columns


def _read_encoder(model, objects, width, values):
    """The TabularEncoder of ``/preprocessing``, and its fitted attributes
    (set once the checksum is verified); ``values`` gains what is stored."""
    group = objects["preprocessing"]
    params = model.attr(group, "params", str, max_length=MAX_PARAMS_LENGTH)
    n_columns = model.attr(group, "n_features_in_", int)
    values["preprocessing@params"] = params
    values["preprocessing@n_features_in_"] = n_columns
    encoder = _set_params(model, TabularEncoder(), params, "the /preprocessing")
    if not 1 <= n_columns <= width:
        raise model.error(
            f"the n_features_in_ of /preprocessing is {n_columns}; each column "
            f"gives the network at least one of its {width} features"
        )
    datasets, columns = _encoder_shapes(model, objects, n_columns, width)
    fitted = {name: dataset[()] for name, dataset in datasets.items()}
    categories = [_read_strings(model, c, c.shape) for c in columns]
    for column, strings in zip(columns, categories, strict=True):
        values[column.name.lstrip("/")] = strings
    fitted["categories_"] = [np.asarray(c.tolist(), dtype=object) for c in categories]
    values.update((f"preprocessing/{n}", a) for n, a in fitted.items() if n in datasets)
    problem = _encoder_problem(
        {
            **fitted,
            "n_features_in_": n_columns,
            "max_categories": encoder.max_categories,
        },
        width,
    )
    if problem is not None:
        raise model.error(f"its TabularEncoder {problem}")
    fitted["n_features_in_"] = n_columns
    if "preprocessing/feature_names_in_" in objects:
        dataset = objects["preprocessing/feature_names_in_"]
        names = _read_strings(model, dataset, (n_columns,))
        values["preprocessing/feature_names_in_"] = names
        fitted["feature_names_in_"] = np.asarray(names.tolist(), dtype=object)
    return encoder, fitted


def _read_model(model):
    """The estimator of the open model file: structure first (no link
    followed, no data read), then the values, each checked, then the
    checksum."""
    root = model.f
    version = _check_format(model)
    name = model.attr(root, "estimator", str)
    params = model.attr(root, "params", str, max_length=MAX_PARAMS_LENGTH)
    estimator = _make_estimator(model, name, params)
    rules = MODELS[name]
    objects = _walk(model, len(estimator._hidden_layer_sizes()) + 1, rules, version)
    values = {
        "@skdnn_format": FORMAT_MARKER,
        "@format_version": version,
        "@skdnn_version": model.attr(root, "skdnn_version", str),
        "@estimator": name,
        "@params": params,
    }
    attributes = _read_fitted(model, estimator, objects, rules, values)
    if version >= 3:
        width = attributes["n_features_in_"]
        encoder, fitted = _read_encoder(model, objects, width, values)
    if version >= 2:
        _verify_checksum(model, values)
    for attr, value in attributes.items():
        setattr(estimator, attr, value)
    estimator._summarize_history()  # loss_, best_loss_, ... from the curves
    if version < 3:
        return estimator
    vars(encoder).update(fitted)
    return make_pipeline(encoder, estimator)


def _open(path):
    """The regular file at ``path``, open for reading, if it starts as an
    HDF5 file does. A FIFO, device or socket is refused before it is opened
    (it could block forever), and checked again once open, in case the path
    changed in between."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(f"No skdnn model file at {path}") from None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(f"{path} is a directory, not an skdnn model file")
    not_regular = ValueError(
        f"{path} is not a regular file (a pipe, socket or device?), so not an "
        "skdnn model file; it was not read."
    )
    if not stat.S_ISREG(info.st_mode):
        raise not_regular
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    file = os.fdopen(os.open(path, flags), "rb")
    if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
        file.close()
        raise not_regular
    if file.read(len(SIGNATURE)) != SIGNATURE:
        file.close()
        raise ValueError(
            f"{path} is not an HDF5 file, so not a model saved by skdnn.save_model."
        )
    file.seek(0)
    return file


def load_model(path):
    """Load an estimator saved by :func:`save_model`.

    Only regular files marked as skdnn models, of a format version this skdnn
    reads, naming one of the four networks and holding exactly what
    :func:`save_model` writes are accepted (see :mod:`skdnn.persistence`).
    Nothing named by the file is imported or run: the class comes from a
    fixed table (and the encoder of a pipeline is always a
    :class:`~skdnn.preprocessing.TabularEncoder`), and the parameters are
    checked as the constructor's parameters are. No link is followed and no
    data is read from outside the file; shapes, dtypes and sizes are checked
    before any array is read.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.

    Returns
    -------
    estimator : estimator of skdnn or Pipeline
        The fitted DeepBinaryClassifier, LogisticRegressionGD,
        DeepClassifier or DeepRegressor, or for a file saved from a pipeline
        (format version 3) ``make_pipeline(encoder, network)`` with the
        fitted TabularEncoder; its predictions are bit-identical to those of
        the saved one.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    IsADirectoryError
        If ``path`` is a directory.
    ValueError
        If the file is not a regular file or not HDF5, is truncated, is not an
        skdnn model, was written in a newer format version, fails its
        checksum, holds anything save_model does not write, or misses or has
        damaged arrays or parameters. The message names the file and the
        problem.

    See Also
    --------
    save_model : Write the file.

    Examples
    --------
    >>> from skdnn import load_model
    >>> load_model("no/such/model.h5")
    Traceback (most recent call last):
    ...
    FileNotFoundError: No skdnn model file at no/such/model.h5
    """
    path = Path(path)
    file = _open(path)
    try:
        with file, contextlib.closing(RawFile(file)) as raw:
            raw.check()  # before HDF5 reads a byte: see skdnn._hdf5_bytes
            with h5py.File(file, "r") as f:
                return _read_model(_ModelFile(path, f, raw))
    except _Refused:
        raise
    except DamagedFile as exc:
        raise _Refused(f"{path} is damaged: {_short(exc)}.") from None
    except OSError as exc:
        raise ValueError(
            f"{path} is damaged: HDF5 cannot read it (is it truncated or "
            f"incompletely copied?): {_short(exc)}"
        ) from exc
    except Exception as exc:  # whatever h5py or numpy raise on a damaged file
        raise ValueError(
            f"{path} is damaged: reading it failed with {type(exc).__name__}: "
            f"{_short(exc)}"
        ) from exc
