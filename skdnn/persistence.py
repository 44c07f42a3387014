"""Saving fitted models to one HDF5 file, and loading them, without pickle.

A pickle file runs code when it is loaded; a model file written by
:func:`save_model` holds only numbers, strings and a JSON text, and
:func:`load_model` builds the estimator from an explicit table of classes.
Loading never imports or runs anything named by the file.

File layout (format version 1)
------------------------------
::

    /                        attributes: what the file is
        skdnn_format           "skdnn.model" (the marker of an skdnn model file)
        format_version         1 (integer; bumped on incompatible changes)
        skdnn_version          version of skdnn that wrote the file
        estimator              "DeepBinaryClassifier" or "LogisticRegressionGD"
        params                 JSON text of get_params(deep=False)
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

Weights are stored in their own dtype (float32 or float64), so predictions of
a loaded model are bit-identical to those of the saved one. String labels
and feature names are variable-length UTF-8 strings.

In ``params``, JSON numbers, strings, booleans, ``null`` and arrays stand for
themselves (arrays are Python lists); a tuple is written
``{"tuple": [...]}``, a NumPy array ``{"ndarray": [...]}`` and a dict
``{"dict": [[key, value], ...]}`` (so that integer keys, such as the class
labels of ``class_weight``, stay integers).
"""

import json
import os
import uuid
import warnings
from numbers import Integral, Real
from pathlib import Path

import h5py
import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._deep import DeepBinaryClassifier
from ._logistic import LogisticRegressionGD

#: The value of the root attribute ``skdnn_format`` of every model file.
FORMAT_MARKER = "skdnn.model"

#: Version of the file layout written by :func:`save_model`. A reader accepts
#: every version up to its own.
FORMAT_VERSION = 1

#: The only classes a file may name. Loading looks the name up here and
#: nowhere else.
ESTIMATORS = {
    "DeepBinaryClassifier": DeepBinaryClassifier,
    "LogisticRegressionGD": LogisticRegressionGD,
}

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
            raise ValueError(f"{value!r} is not a tagged tuple, ndarray or dict")
        ((tag, items),) = value.items()
        if tag == "tuple":
            return tuple(_decode(items))
        if tag == "ndarray":
            return np.asarray(_decode(items))
        return {_decode(k): _decode(v) for k, v in items}
    return value


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
    return json.dumps(params)


# -- save ------------------------------------------------------------------------


def _write_classes(group, classes):
    """Store ``classes_``: numbers and bools as they are, strings as UTF-8
    variable-length strings, and the numpy dtype (``"<i8"``, ``"<U3"``,
    ``"object"``, ...) as the attribute ``dtype``, to restore it exactly."""
    kind = classes.dtype.kind
    if kind in "biuf":
        data = classes
    elif kind == "U" or kind == "O" and all(isinstance(c, str) for c in classes):
        data = np.asarray(classes.tolist(), dtype=_STRING)
    else:
        raise TypeError(
            f"Cannot save the class labels {classes.tolist()!r}: labels must "
            "be numbers, booleans or strings."
        )
    dataset = group.create_dataset("classes_", data=data)
    dataset.attrs["dtype"] = "object" if kind == "O" else classes.dtype.str


def _write_model(f, estimator, params):
    """Fill the open HDF5 file ``f`` (the layout of the module docstring)."""
    from . import __version__

    f.attrs["skdnn_format"] = FORMAT_MARKER
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["skdnn_version"] = __version__
    f.attrs["estimator"] = type(estimator).__name__
    f.attrs["params"] = params

    fitted = f.create_group("fitted")
    for name, (kind, required) in SCALARS.items():
        if required or hasattr(estimator, name):
            fitted.attrs[name] = kind(getattr(estimator, name))
    for name in ("coefs_", "intercepts_"):
        layers = fitted.create_group(name)
        for l, array in enumerate(getattr(estimator, name)):
            layers.create_dataset(str(l), data=array)
    _write_classes(fitted, estimator.classes_)
    for name, required in CURVES.items():
        if required or getattr(estimator, name, None) is not None:
            values = np.asarray(getattr(estimator, name), dtype=np.float64)
            fitted.create_dataset(name, data=values)
    if hasattr(estimator, "feature_names_in_"):
        names = np.asarray(estimator.feature_names_in_.tolist(), dtype=_STRING)
        fitted.create_dataset("feature_names_in_", data=names)


def save_model(estimator, path):
    """Save a fitted skdnn estimator to one HDF5 file, without pickle.

    The file holds the constructor parameters (as JSON), the fitted arrays in
    their own dtype, the estimator's class name, the skdnn version and a
    format version; the layout is described in :mod:`skdnn.persistence`.
    The file is written under a temporary name next to ``path`` and renamed
    when complete, so an existing file at ``path`` is replaced only by a
    whole model.

    Parameters
    ----------
    estimator : DeepBinaryClassifier or LogisticRegressionGD
        A fitted estimator (not a pipeline, and not a subclass).
    path : str or path-like
        The file to write, conventionally ending in ``.h5``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``estimator`` is not one of the two classes above, or a parameter
        or class label cannot be stored.

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
    """
    name = type(estimator).__name__
    if ESTIMATORS.get(name) is not type(estimator):
        raise TypeError(
            "save_model stores only "
            f"{' and '.join(ESTIMATORS)} estimators; got {name}. "
            "Use pickle or joblib for other objects (and only load trusted files)."
        )
    check_is_fitted(estimator)
    params = _params_to_json(estimator)

    path = Path(path)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with h5py.File(partial, "x") as f:
            _write_model(f, estimator, params)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


# -- load ------------------------------------------------------------------------


class _ModelFile:
    """Reads one open model file; every problem becomes a ``ValueError``
    that names the file."""

    def __init__(self, path, f):
        self.path = path
        self.f = f

    def error(self, what):
        return ValueError(f"{self.path} is not a valid skdnn model file: {what}.")

    def attr(self, obj, name, kind):
        """The attribute ``name`` of ``obj``, checked to be an int, a float
        or a str."""
        if name not in obj.attrs:
            raise self.error(f"{obj.name} has no attribute {name!r}")
        value = obj.attrs[name]
        if kind is int and isinstance(value, Integral) and not isinstance(value, bool):
            return int(value)
        if kind is str and isinstance(value, str):
            return value
        if kind is float and isinstance(value, Real) and not isinstance(value, bool):
            return float(value)
        expected = {int: "an integer", float: "a number", str: "a string"}[kind]
        raise self.error(
            f"the attribute {name!r} of {obj.name} should be {expected}; got {value!r}"
        )

    def dataset(self, name):
        obj = self.f.get(name)
        if not isinstance(obj, h5py.Dataset):
            raise self.error(f"the array /{name} is missing")
        return obj

    def floats(self, name, ndim):
        """A float array of ``ndim`` dimensions, in its stored dtype."""
        dataset = self.dataset(name)
        if dataset.ndim != ndim or dataset.dtype.kind != "f":
            raise self.error(
                f"/{name} should be a {ndim}-D float array; got {dataset.dtype} "
                f"of shape {dataset.shape}"
            )
        return np.ascontiguousarray(dataset[()])

    def layers(self, name):
        """``coefs_`` or ``intercepts_``: the arrays ``0 .. L-1`` of a group."""
        group = self.f.get(f"fitted/{name}")
        if not isinstance(group, h5py.Group):
            raise self.error(f"the group /fitted/{name} is missing")
        expected = [str(l) for l in range(len(group))]
        if not expected or set(group) != set(expected):
            raise self.error(
                f"/fitted/{name} should hold arrays 0 .. L-1; it holds {sorted(group)}"
            )
        ndim = 2 if name == "coefs_" else 1
        return [self.floats(f"fitted/{name}/{l}", ndim) for l in expected]

    def classes(self):
        """``classes_`` in the dtype recorded by :func:`_write_classes`."""
        dataset = self.dataset("fitted/classes_")
        if dataset.shape != (2,):
            raise self.error(
                f"/fitted/classes_ should hold 2 labels; got shape {dataset.shape}"
            )
        dtype = self.attr(dataset, "dtype", str)
        try:
            kind = "O" if dtype == "object" else np.dtype(dtype).kind
        except TypeError:
            kind = None
        is_text = h5py.check_string_dtype(dataset.dtype) is not None
        if kind in ("O", "U") and is_text:
            values = dataset.asstr()[()].tolist()
            if kind == "U":
                return np.asarray(values, dtype=dtype)
            classes = np.empty(2, dtype=object)
            classes[:] = values
            return classes
        if kind in tuple("biuf") and dataset.dtype.kind in "biuf":
            return np.asarray(dataset[()], dtype=dtype)
        raise self.error(
            f"/fitted/classes_ holds {dataset.dtype} labels recorded as dtype "
            f"{dtype!r}, which cannot be restored"
        )

    def feature_names(self):
        dataset = self.dataset("fitted/feature_names_in_")
        if h5py.check_string_dtype(dataset.dtype) is None or dataset.ndim != 1:
            raise self.error(
                "/fitted/feature_names_in_ should be a 1-D array of strings"
            )
        return np.asarray(dataset.asstr()[()].tolist(), dtype=object)


def _make_estimator(model, name, params_json):
    """The estimator named ``name``, from :data:`ESTIMATORS` only, with the
    file's parameters: names the class does not have are refused, and the
    class's own checks judge the values."""
    if name not in ESTIMATORS:
        raise model.error(
            f"it names the estimator {name!r}, which is not one of the classes "
            f"that can be loaded: {', '.join(ESTIMATORS)}"
        )
    try:
        params = json.loads(params_json)
        if not isinstance(params, dict):
            raise ValueError(f"{params!r} is not a JSON object")
        params = {key: _decode(value) for key, value in params.items()}
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise model.error(f"its params attribute cannot be read: {exc}") from exc

    estimator = ESTIMATORS[name]()
    unknown = sorted(set(params) - set(estimator.get_params(deep=False)))
    if unknown:
        raise model.error(
            f"its parameters are not valid for {name}: it has no parameter "
            f"{', '.join(map(repr, unknown))}"
        )
    try:
        estimator.set_params(**params)
        estimator._validate_params()
        estimator._hidden_layer_sizes()
    except (ValueError, TypeError) as exc:
        raise model.error(
            f"its parameters are not valid for {name}: {str(exc).rstrip('.')}"
        ) from exc
    return estimator


def _check_network(model, estimator, coefs, intercepts, scalars):
    """The arrays must form one network ``n_features_in_ -> hidden -> 1`` of
    one float dtype."""
    sizes = [scalars["n_features_in_"], *estimator._hidden_layer_sizes(), 1]
    expected = list(zip(sizes[:-1], sizes[1:], strict=True))
    coef_shapes = [W.shape for W in coefs]
    intercept_shapes = [b.shape for b in intercepts]
    if coef_shapes != expected or intercept_shapes != [(n,) for _, n in expected]:
        raise model.error(
            f"its weights have shapes {coef_shapes} and its biases "
            f"{intercept_shapes}, which do not fit a network of layer sizes {sizes}"
        )
    if scalars["n_layers_"] != len(sizes):
        raise model.error(
            f"n_layers_ is {scalars['n_layers_']} for a network of layer sizes {sizes}"
        )
    dtypes = {a.dtype for a in coefs + intercepts}
    if len(dtypes) != 1 or dtypes.pop() not in (np.float32, np.float64):
        raise model.error("its weights and biases should all be float32 or all float64")


def load_model(path):
    """Load an estimator saved by :func:`save_model`.

    Only files marked as skdnn models, of a format version this skdnn reads,
    naming ``DeepBinaryClassifier`` or ``LogisticRegressionGD`` are accepted.
    Nothing named by the file is imported or run: the class comes from a
    fixed table, and the parameters are checked as the constructor's
    parameters are.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.

    Returns
    -------
    estimator : DeepBinaryClassifier or LogisticRegressionGD
        The fitted estimator; its predictions are bit-identical to those of
        the saved one.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not HDF5, is truncated, is not an skdnn model, was
        written in a newer format version, or misses or has damaged arrays or
        parameters. The message names the file and the problem.

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
    if not path.exists():
        raise FileNotFoundError(f"No skdnn model file at {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not an skdnn model file")
    if not h5py.is_hdf5(path):
        raise ValueError(
            f"{path} is not an HDF5 file, so not a model saved by skdnn.save_model."
        )
    try:
        with h5py.File(path, "r") as f:
            return _read_model(_ModelFile(path, f))
    except OSError as exc:
        raise ValueError(
            f"{path} is damaged: HDF5 cannot read it (is it truncated or "
            f"incompletely copied?): {exc}"
        ) from exc


def _read_model(model):
    from . import __version__

    root = model.f
    if root.attrs.get("skdnn_format") != FORMAT_MARKER:
        raise ValueError(
            f"{model.path} is an HDF5 file but not an skdnn model file: it has "
            f"no skdnn_format = {FORMAT_MARKER!r} attribute."
        )
    version = model.attr(root, "format_version", int)
    if version > FORMAT_VERSION:
        writer = root.attrs.get("skdnn_version", "an unknown version")
        raise ValueError(
            f"{model.path} is in skdnn model format version {version} (written by "
            f"skdnn {writer}); this skdnn {__version__} reads format versions "
            f"1 to {FORMAT_VERSION}. Upgrade skdnn to load it."
        )
    if version < 1:
        raise model.error(f"its format_version is {version}; versions start at 1")
    name = model.attr(root, "estimator", str)
    estimator = _make_estimator(model, name, model.attr(root, "params", str))

    fitted = root.get("fitted")
    if not isinstance(fitted, h5py.Group):
        raise model.error("the group /fitted is missing")
    scalars = {
        attr: model.attr(fitted, attr, kind)
        for attr, (kind, required) in SCALARS.items()
        if required or attr in fitted.attrs
    }
    coefs = model.layers("coefs_")
    intercepts = model.layers("intercepts_")
    _check_network(model, estimator, coefs, intercepts, scalars)
    attributes = {
        "coefs_": coefs,
        "intercepts_": intercepts,
        "classes_": model.classes(),
        **scalars,
    }
    for attr, required in CURVES.items():
        if required or attr in fitted:
            values = model.floats(f"fitted/{attr}", ndim=1)
            attributes[attr] = [float(v) for v in values]
    if "feature_names_in_" in fitted:
        names = model.feature_names()
        if len(names) != scalars["n_features_in_"]:
            raise model.error(
                f"it has {len(names)} feature names for "
                f"{scalars['n_features_in_']} features"
            )
        attributes["feature_names_in_"] = names

    for attr, value in attributes.items():
        setattr(estimator, attr, value)
    estimator._summarize_history()  # loss_, best_loss_, ... from the curves
    return estimator
