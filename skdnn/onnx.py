"""Export to ONNX: skl2onnx converters for the four estimators.

Importing this module registers, with ``skl2onnx.update_registered_converter``,
a parser, a shape calculator and a converter for
:class:`~skdnn.DeepBinaryClassifier`, :class:`~skdnn.LogisticRegressionGD`,
:class:`~skdnn.DeepClassifier` and :class:`~skdnn.DeepRegressor`. From then on
``skl2onnx.to_onnx`` converts them, alone or as the last step of a
``Pipeline`` of scikit-learn preprocessing. :func:`skdnn.to_onnx` imports
this module, checks the model (every step fitted and convertible, errors
naming the step) and converts it.

The graph is the network of :func:`skdnn._engine.predict_logit`, one ``Gemm``
and one activation node per layer, in the dtype the model was trained in
(``float`` or ``double`` initializers; an input of another type is cast
first), then the head:

* two classes: ``probabilities = [sigmoid(-z), sigmoid(z)]`` and
  ``label = classes_[z > 0]``;
* softmax: ``probabilities = softmax(z)``, ``label = classes_[argmax(z)]``;
* multilabel: ``probabilities = sigmoid(z)`` and ``label = (z > 0)``, an
  int64 indicator matrix;
* regressor: ``variable = g(z)``, of shape ``(N, n_outputs_)`` (a column for
  one output, as skl2onnx's regressors), ``g`` the identity or ``Relu``.

Labels come from the logits, as in ``predict``, not from rounded
probabilities. Classifiers take skl2onnx's ``zipmap`` option, as its
MLPClassifier converter does: by default (``zipmap=True``) the probabilities
are a list of ``{label: probability}`` dicts (ONNX's ``ZipMap``), with
``{"zipmap": False}`` a tensor, with ``"columns"`` one output per class.
``ZipMap`` holds float32 values only: with it, the probabilities of a float64
model are rounded to float32 (about 1e-7); ``options={"zipmap": False}``
keeps them to float64 precision. Labels are int64 (integer, boolean or
integral float ``classes_``) or strings.
"""

import numpy as np
import skl2onnx
from skl2onnx._parse import _apply_zipmap, _get_sklearn_operator_name
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import (
    check_input_and_output_numbers,
    check_input_and_output_types,
)
from skl2onnx.common.utils_classifier import get_label_classes
from skl2onnx.proto import onnx_proto
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted

from ._base import BaseNetwork
from ._deep import DeepBinaryClassifier, DeepClassifier, DeepRegressor
from ._logistic import LogisticRegressionGD
from .activations import LEAKY_RELU_SLOPE

TensorProto = onnx_proto.TensorProto

#: The dtypes a network computes in: numpy dtype -> (ONNX element type,
#: skl2onnx tensor type).
FLOAT_TYPES = {
    np.dtype(np.float32): (TensorProto.FLOAT, FloatTensorType),
    np.dtype(np.float64): (TensorProto.DOUBLE, DoubleTensorType),
}

#: The element types of the graph's constants.
ELEMENT_TYPES = {
    np.dtype(np.int64): TensorProto.INT64,
    **{dtype: types[0] for dtype, types in FLOAT_TYPES.items()},
}

#: The input types the converters take (others than the model's are cast).
INPUT_TYPES = [FloatTensorType, DoubleTensorType, Int64TensorType, BooleanTensorType]


# -- checks ----------------------------------------------------------------------------


def _check_fitted(model, where=None):
    """Raise ``NotFittedError`` naming the estimator and its pipeline step."""
    what = type(model).__name__ + (f" (pipeline step {where!r})" if where else "")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise NotFittedError(
            f"This {what} is not fitted yet: call fit before exporting it to ONNX."
        ) from None


def _parts(model, where):
    """The ``(name, estimator)`` pairs a composite ``model`` holds, or None."""
    if isinstance(model, Pipeline):
        return list(model.steps)
    if isinstance(model, ColumnTransformer):
        _check_fitted(model, where)
        return [(name, step) for name, step, _ in model.transformers_]
    if isinstance(model, FeatureUnion):
        return list(model.transformer_list)
    return None


def check_convertible(model, where=None):
    """Check that skl2onnx can convert ``model`` and that it is fitted.

    Goes through ``Pipeline``, ``ColumnTransformer`` and ``FeatureUnion``
    down to the estimators they hold, so that an error names the step.

    Parameters
    ----------
    model : estimator
        An estimator or pipeline.
    where : str, default=None
        The path of ``model`` in its enclosing pipeline (for the messages).

    Raises
    ------
    ValueError
        When a step has no skl2onnx converter.
    sklearn.exceptions.NotFittedError
        When a step is not fitted.
    """
    parts = _parts(model, where)
    if parts is None:
        try:
            skl2onnx.get_model_alias(type(model))
        except RuntimeError:
            what = type(model).__name__
            if where:
                what = f"pipeline step {where!r} ({what})"
            raise ValueError(
                f"Cannot export to ONNX: {what} has no skl2onnx converter. Use "
                "steps that skl2onnx converts (skl2onnx.supported_converters()) "
                "or register a converter with skl2onnx.update_registered_converter."
            ) from None
        _check_fitted(model, where)
        return
    for name, step in parts:
        if step is None or isinstance(step, str):  # "drop", "passthrough"
            continue
        check_convertible(step, name if where is None else f"{where}/{name}")


def _check_n_features(operator):
    """The input's width, when known, must be the model's ``n_features_in_``."""
    model = operator.raw_operator
    shape = operator.inputs[0].type.shape
    width = shape[1] if len(shape) == 2 else None
    if isinstance(width, (int, np.integer)) and width != model.n_features_in_:
        raise ValueError(
            f"{type(model).__name__} was fitted on {model.n_features_in_} "
            f"features; the ONNX input {operator.inputs[0].onnx_name!r} has "
            f"{width} columns."
        )


# -- what the graph holds --------------------------------------------------------------


def _float_types(model):
    """``(ONNX element type, skl2onnx tensor type)`` of the model's dtype."""
    return FLOAT_TYPES[np.dtype(model.coefs_[0].dtype)]


def class_labels(classes):
    """``classes_`` as ONNX labels: ``(tensor type, values)``.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
        The fitted ``classes_``.

    Returns
    -------
    tensor_type : type
        ``Int64TensorType`` or ``StringTensorType``.
    values : list
        The labels as ``int`` or as UTF-8 ``bytes``.
    """
    values = classes.tolist()
    if all(isinstance(c, (bool, int, np.integer, np.bool_)) for c in values):
        return Int64TensorType, [int(c) for c in values]
    if all(isinstance(c, str) for c in values):
        return StringTensorType, [c.encode("utf-8") for c in values]
    if all(isinstance(c, float) and c.is_integer() for c in values):
        return Int64TensorType, [int(c) for c in values]
    raise ValueError(
        f"Cannot export class labels {values[:5]} to ONNX: ONNX labels are "
        "int64 or strings. Fit with integer or string labels."
    )


class _Graph:
    """Where a converter adds its nodes: skl2onnx's scope (unique names) and
    container (the nodes and initializers), and the model's dtype."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container, self.dtype = scope, container, np.dtype(dtype)

    def constant(self, name, value, dtype=None):
        """Add ``value`` as an initializer in ``dtype`` (default: the model's)."""
        array = np.asarray(value, dtype=dtype or self.dtype)
        unique = self.scope.get_unique_variable_name(name)
        self.container.add_initializer(
            unique, ELEMENT_TYPES[array.dtype], list(array.shape), array.ravel()
        )
        return unique

    def labels(self, name, classes):
        """Add the class labels (int64 or strings) as an initializer."""
        tensor_type, values = class_labels(classes)
        string = tensor_type is StringTensorType
        proto_type = TensorProto.STRING if string else TensorProto.INT64
        unique = self.scope.get_unique_variable_name(name)
        self.container.add_initializer(unique, proto_type, [len(values)], values)
        return unique

    def node(self, op_type, inputs, name, output=None, **attrs):
        """Add one node; return the name of its output (``output`` or a new
        unique name)."""
        output = output or self.scope.get_unique_variable_name(name)
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output


# -- the network -----------------------------------------------------------------------


def _unary(op_type):
    def activation(graph, z):
        return graph.node(op_type, [z], op_type.lower())

    activation.__doc__ = f"ONNX's ``{op_type}``."
    return activation


def _identity(graph, z):
    """Nothing to add."""
    return z


def _leaky_relu(graph, z):
    """``max(z, 0.01 z)``: ONNX's ``LeakyRelu`` in float32. Double models
    multiply by a double 0.01 and take the ``Max``: ``LeakyRelu``'s ``alpha``
    is a float32 attribute, 2e-10 off 0.01, and onnxruntime has no double
    kernel of it."""
    if graph.dtype == np.float32:
        return graph.node("LeakyRelu", [z], "leaky_relu", alpha=LEAKY_RELU_SLOPE)
    scaled = graph.node(
        "Mul", [z, graph.constant("slope", LEAKY_RELU_SLOPE)], "slope_z"
    )
    return graph.node("Max", [z, scaled], "leaky_relu")


#: The hidden activations of :data:`skdnn.activations.ACTIVATIONS` as graph
#: nodes: name -> ``add(graph, z) -> name of g(z)``.
ACTIVATION_NODES = {
    "identity": _identity,
    "relu": _unary("Relu"),
    "leaky_relu": _leaky_relu,
    "tanh": _unary("Tanh"),
    "sigmoid": _unary("Sigmoid"),
    "logistic": _unary("Sigmoid"),
}


def _logit(graph, operator):
    """The output layer's logit ``Z[L]`` of the operator's input, of shape
    ``(N, n_outputs_)``: ``Gemm`` then the activation, layer by layer, in the
    model's dtype (an input of another type is cast first)."""
    model = operator.raw_operator
    proto_type, tensor_type = _float_types(model)
    a = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, tensor_type):
        a = graph.node("Cast", [a], "cast_input", to=proto_type)
    hidden = model._hidden_activations(len(model.coefs_) - 1)
    for l, (W, b) in enumerate(zip(model.coefs_, model.intercepts_, strict=True)):
        weights = [graph.constant(f"W{l + 1}", W), graph.constant(f"b{l + 1}", b)]
        a = graph.node("Gemm", [a, *weights], f"Z{l + 1}")
        if l < len(hidden):
            a = ACTIVATION_NODES[hidden[l]](graph, a)
    return a


# -- parsers ---------------------------------------------------------------------------


def _declare_operator(scope, model, inputs):
    _check_fitted(model)
    alias = _get_sklearn_operator_name(type(model))
    operator = scope.declare_local_operator(alias, model)
    operator.inputs = inputs
    return operator


def parse_classifier(scope, model, inputs, custom_parsers=None):
    """Declare a classifier's outputs, a label and probabilities.

    This is skl2onnx's parser of the classifiers; ``ZipMap`` follows unless
    the option ``zipmap`` is False.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Where the variables are declared.
    model : DeepClassifier, DeepBinaryClassifier or LogisticRegressionGD
        The fitted classifier.
    inputs : list of Variable
        Its one input.
    custom_parsers : dict, default=None
        Unused (the signature of skl2onnx's parsers).

    Returns
    -------
    outputs : list of Variable
        ``[label, probabilities]``, or what ``ZipMap`` makes of them.
    """
    operator = _declare_operator(scope, model, inputs)
    zipmap = scope.get_options(model, dict(zipmap=True))["zipmap"]
    label_type, _ = class_labels(get_label_classes(scope, model))
    # ZipMap takes float32 only
    proba_type = _float_types(model)[1] if zipmap is False else FloatTensorType
    operator.outputs.append(scope.declare_local_variable("label", label_type()))
    operator.outputs.append(scope.declare_local_variable("probabilities", proba_type()))
    if zipmap is False:
        return operator.outputs
    return _apply_zipmap(zipmap, scope, model, proba_type(), operator.outputs)


def parse_regressor(scope, model, inputs, custom_parsers=None):
    """Declare the regressor's one output, in the model's dtype.

    This is skl2onnx's parser of :class:`~skdnn.DeepRegressor`.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Where the variables are declared.
    model : DeepRegressor
        The fitted regressor.
    inputs : list of Variable
        Its one input.
    custom_parsers : dict, default=None
        Unused (the signature of skl2onnx's parsers).

    Returns
    -------
    outputs : list of Variable
        ``[variable]``, the predictions.
    """
    operator = _declare_operator(scope, model, inputs)
    tensor_type = _float_types(model)[1]
    operator.outputs.append(scope.declare_local_variable("variable", tensor_type()))
    return operator.outputs


# -- shape calculators -----------------------------------------------------------------


def classifier_shapes(operator):
    """Set the shapes of a classifier's outputs.

    ``label`` has shape ``(N,)`` (``(N, n_labels)`` for multilabel targets),
    ``probabilities`` ``(N, n_classes)``; the types are the parser's.

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        The classifier's operator.
    """
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(operator, good_input_types=INPUT_TYPES)
    _check_n_features(operator)
    model = operator.raw_operator
    N = operator.inputs[0].get_first_dimension()
    label, proba = operator.outputs
    label.type = type(label.type)([N, model.n_outputs_] if _multilabel(model) else [N])
    proba.type = type(proba.type)([N, len(model.classes_)])


def regressor_shapes(operator):
    """Set the shape of the regressor's output, ``(N, n_outputs_)``.

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        The regressor's operator.
    """
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(operator, good_input_types=INPUT_TYPES)
    _check_n_features(operator)
    N = operator.inputs[0].get_first_dimension()
    output = operator.outputs[0]
    output.type = type(output.type)([N, operator.raw_operator.n_outputs_])


# -- converters ------------------------------------------------------------------------


def _multilabel(model):
    return model.out_activation_ == "logistic" and model.n_outputs_ > 1


def _positive(graph, z, output=None):
    """``(z > 0)`` as int64, into ``output`` if given."""
    greater = graph.node("Greater", [z, graph.constant("zero", 0)], "positive")
    return graph.node("Cast", [greater], "indicator", output, to=TensorProto.INT64)


def _binary_head(graph, z):
    """Two classes: ``[sigmoid(-z), sigmoid(z)]`` (as ``predict_proba``,
    accurate where ``p`` is near 1) and the label index ``z > 0``."""
    negative = graph.node("Neg", [z], "negative_logit")
    columns = [
        graph.node("Sigmoid", [negative], "proba_negative"),
        graph.node("Sigmoid", [z], "proba_positive"),
    ]
    proba = graph.node("Concat", columns, "proba", axis=1)
    index = _positive(graph, z)
    flat = graph.constant("flat", [-1], np.int64)
    return proba, graph.node("Reshape", [index, flat], "label_index")


def _softmax_head(graph, z):
    """More classes: ``softmax(z)`` and the label index ``argmax(z)``."""
    proba = graph.node("Softmax", [z], "proba", axis=1)
    return proba, graph.node("ArgMax", [z], "label_index", axis=1, keepdims=0)


def convert_classifier(scope, operator, container):
    """Add a classifier's graph: the network, its head and the labels.

    This is skl2onnx's converter of the classifiers.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Unique names.
    operator : skl2onnx.common._topology.Operator
        The classifier's operator: one input, ``label`` and
        ``probabilities`` outputs.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and initializers.
    """
    model = operator.raw_operator
    graph = _Graph(scope, container, model.coefs_[0].dtype)
    z = _logit(graph, operator)
    label, proba = (output.full_name for output in operator.outputs)
    if _multilabel(model):
        probabilities = graph.node("Sigmoid", [z], "proba")
        _positive(graph, z, output=label)
    else:
        head = _binary_head if model.n_outputs_ == 1 else _softmax_head
        probabilities, index = head(graph, z)
        classes = graph.labels("classes", get_label_classes(scope, model))
        graph.node("Gather", [classes, index], label, output=label, axis=0)
    _cast_to(graph, probabilities, operator.outputs[1])


def _cast_to(graph, name, output):
    """Write ``name`` into ``output``, cast to its type when that differs
    from the model's (float32 for ZipMap)."""
    wanted = (
        TensorProto.DOUBLE
        if isinstance(output.type, DoubleTensorType)
        else TensorProto.FLOAT
    )
    if wanted == FLOAT_TYPES[graph.dtype][0]:
        graph.node("Identity", [name], output.full_name, output=output.full_name)
    else:
        graph.node("Cast", [name], output.full_name, output=output.full_name, to=wanted)


def convert_regressor(scope, operator, container):
    """Add the regressor's graph: the network and its output activation.

    This is skl2onnx's converter of :class:`~skdnn.DeepRegressor`.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Unique names.
    operator : skl2onnx.common._topology.Operator
        The regressor's operator: one input, one output.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and initializers.
    """
    model = operator.raw_operator
    graph = _Graph(scope, container, model.coefs_[0].dtype)
    z = _logit(graph, operator)
    op_type = {"identity": "Identity", "relu": "Relu"}[model.out_activation_]
    output = operator.outputs[0].full_name
    graph.node(op_type, [z], output, output=output)


# -- registration and the entry point --------------------------------------------------

#: The converters: estimator -> (skl2onnx alias, parser, shape calculator,
#: converter, options).
CONVERTERS = {
    cls: (
        f"Skdnn{cls.__name__}",
        parse_classifier,
        classifier_shapes,
        convert_classifier,
        {"zipmap": [True, False, "columns"], "nocl": [False, True]},
    )
    for cls in (DeepBinaryClassifier, LogisticRegressionGD, DeepClassifier)
}
CONVERTERS[DeepRegressor] = (
    "SkdnnDeepRegressor",
    parse_regressor,
    regressor_shapes,
    convert_regressor,
    None,
)


def register():
    """Register the converters of the four estimators with skl2onnx.

    Importing :mod:`skdnn.onnx` does it; calling it again is harmless.
    """
    for cls, (alias, parser, shapes, converter, options) in CONVERTERS.items():
        skl2onnx.update_registered_converter(
            cls, alias, shapes, converter, parser=parser, options=options
        )


register()


def convert(model, X_sample=None, *, options=None, target_opset=None):
    """Convert ``model`` to ONNX: what :func:`skdnn.to_onnx` runs.

    Checks that every step is fitted and has a converter (the errors name
    the step), then calls ``skl2onnx.to_onnx``.

    Parameters
    ----------
    model : estimator
        A fitted skdnn estimator, or a ``Pipeline`` of steps skl2onnx
        converts.
    X_sample : array-like or DataFrame, default=None
        A few rows of input; for a bare skdnn estimator the default is one
        row of zeros in the model's dtype.
    options : dict, default=None
        The conversion options of skl2onnx, such as ``{"zipmap": False}``.
    target_opset : int or dict, default=None
        The ONNX opset; skl2onnx's latest tested one by default.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The graph.
    """
    check_convertible(model)
    if isinstance(model, BaseNetwork):
        X_sample = _network_sample(model, X_sample)
    elif X_sample is None:
        raise ValueError(
            f"X_sample is needed to convert a {type(model).__name__}: pass a "
            "few rows of the data it takes."
        )
    return skl2onnx.to_onnx(model, X_sample, options=options, target_opset=target_opset)


def _network_sample(model, X_sample):
    """One numeric ndarray input for a bare network (a DataFrame would make
    one input per column); integers become the model's dtype."""
    if X_sample is None:
        return np.zeros((1, model.n_features_in_), dtype=model.coefs_[0].dtype)
    X_sample = np.asarray(X_sample)
    if X_sample.dtype not in FLOAT_TYPES:
        X_sample = X_sample.astype(model.coefs_[0].dtype)
    return X_sample
