"""Checks of a fit's input that scikit-learn's parameter constraints cannot
express (SPEC.md, "Behaviour on bad input").

Each check raises a ``ValueError`` or ``TypeError`` naming the culprit
parameter or argument, before any training work, so that the estimator is left
as it was. The functions are pure (they read their arguments only), except
:func:`check_before_training`, which reads the parameters of the estimator it
is given, and :func:`physical_memory`, which asks the operating system.

Where ``_base.py`` calls them: :class:`IntervalNotBool` in the parameter
constraints; :func:`check_labels` at the top of ``_check_classes``;
:func:`check_class_weight` in ``_fit`` right after ``_check_classes``;
:func:`check_weight_sum` and :func:`apply_class_weight` in
``_sample_weight``; :func:`check_before_training` in ``_fit`` once the layer
sizes are known, before the parameters are initialised; and
:func:`check_split_weights` right after the early-stopping split.
"""

import math
from numbers import Number, Real

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.class_weight import compute_sample_weight

# -- parameter constraints -------------------------------------------------------------


class IntervalNotBool(Interval):
    """scikit-learn's ``Interval`` without ``True`` and ``False``.

    ``bool`` is a subclass of ``int``, so ``Interval(Integral, 1, None)``
    takes ``batch_size=True`` for a batch of one row. This constraint refuses
    Python and NumPy booleans and is otherwise the same.
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val)

    def __str__(self):
        return super().__str__().replace("an int", "an int (not a bool)", 1)


# -- the target ------------------------------------------------------------------------


def _label_kind(label_type):
    """``"string"``, ``"bytes"``, ``"number"`` or ``None`` (anything else)."""
    if issubclass(label_type, str):
        return "string"
    if issubclass(label_type, bytes):
        return "bytes"
    if issubclass(label_type, Number):
        return "number"
    return None


def check_labels(y, classes=None):
    """Refuse class labels in ``y`` (and in ``partial_fit``'s ``classes``)
    that mix strings and numbers, or are neither.

    NumPy cannot sort such labels (``'<' not supported between 'int' and
    'str'``), so neither ``np.unique`` nor scikit-learn's target checks can
    say what is wrong. Only object arrays can mix them.

    Raises
    ------
    TypeError
        Naming ``y`` (or ``classes``) and an example label of each kind.
    """
    for name, labels in (("y", y), ("classes", classes)):
        labels = np.asarray([] if labels is None else labels)
        if labels.dtype != object:
            continue
        labels = labels.ravel().tolist()
        kinds = {_label_kind(t) for t in set(map(type, labels))}
        if len(kinds) == 1 and None not in kinds:
            continue
        examples = {}
        for label in labels:
            examples.setdefault(_label_kind(type(label)), label)
        if None in examples:
            odd = examples[None]
            raise TypeError(
                f"{name} has a label {odd!r} of type {type(odd).__name__}: "
                "class labels must be all strings or all numbers."
            )
        if len(examples) > 1:
            kinds = " and ".join(
                f"{kind}s (e.g. {label!r})" for kind, label in examples.items()
            )
            raise TypeError(
                f"{name} mixes {kinds} as class labels: they must be all "
                "strings or all numbers."
            )


# -- sample and class weights ----------------------------------------------------------


def _class_weight_key(label):
    """The key scikit-learn's ``compute_class_weight`` looks ``label`` up by."""
    try:
        return int(label)
    except (ValueError, TypeError, OverflowError):
        return str(label)


def check_class_weight(class_weight, classes):
    """Check a ``class_weight`` dict against the ``classes`` of the fit.

    Keys must be class labels (as given, or as scikit-learn looks them up:
    ``int(label)``, else ``str(label)``); values real non-bool numbers, finite
    and ``>= 0``; and not every class may get weight 0 (a class without a key
    gets 1). ``None`` and ``"balanced"`` pass: the parameter constraints
    allow nothing else.

    Raises
    ------
    ValueError or TypeError
        Naming ``class_weight`` and the offending key or value.
    """
    if not isinstance(class_weight, dict):
        return
    labels = list(classes.tolist())
    known = set(labels) | {_class_weight_key(c) for c in labels}
    unknown = [key for key in class_weight if key not in known]
    if unknown:
        raise ValueError(
            f"class_weight has keys {unknown!r} that are not among the classes "
            f"{labels!r}."
        )
    for key, value in class_weight.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
            raise TypeError(
                f"class_weight[{key!r}] = {value!r} is not a number: class "
                "weights must be real numbers >= 0."
            )
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(
                f"class_weight[{key!r}] = {value!r}: class weights must be "
                "finite and >= 0."
            )
    weights = [
        class_weight.get(_class_weight_key(c), class_weight.get(c, 1)) for c in labels
    ]
    if not any(w > 0 for w in weights):
        raise ValueError(
            f"class_weight={class_weight!r} gives every class weight 0: at "
            "least one class needs a positive weight."
        )


def check_weight_sum(sample_weight, name="sample_weight"):
    """Refuse weights whose sum overflows their dtype.

    The cost and the gradients divide by ``sum(sample_weight)``; an infinite
    sum turns them into NaN. Only the ratios of the weights (and
    ``alpha / sum(sample_weight)``) matter, so they can be scaled down.

    Raises
    ------
    ValueError
        Naming ``name``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = sample_weight.sum()
    if not np.isfinite(total):
        raise ValueError(
            f"{name} sums to {total}, beyond the largest {sample_weight.dtype} "
            f"({np.finfo(sample_weight.dtype).max:.3g}): divide the weights (and "
            "alpha) by a common factor."
        )


def _class_weights(y, class_weight):
    """Each sample's weight from ``class_weight``, ``"balanced"`` or a dict.

    A dict is read as scikit-learn's ``compute_class_weight`` reads it (the
    key ``int(label)``, else ``str(label)``; then the label itself; a class
    without a key gets 1), but without its error for keys of classes that
    ``y`` lacks: a ``partial_fit`` batch may hold one class only.
    """
    if isinstance(class_weight, str):
        return compute_sample_weight(class_weight, y)
    classes, index = np.unique(y, return_inverse=True)
    weights = [
        class_weight.get(_class_weight_key(c), class_weight.get(c, 1))
        for c in classes.tolist()
    ]
    return np.asarray(weights, dtype=np.float64)[index]


def apply_class_weight(sample_weight, y, class_weight):
    """``sample_weight`` times the class weight of each sample's label in
    ``y``, in the dtype of ``sample_weight``.

    The product must have a finite sum, and a positive one if
    ``sample_weight`` has.

    Raises
    ------
    ValueError
        Naming ``class_weight``.
    """
    dtype = sample_weight.dtype
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        weighted = sample_weight * _class_weights(y, class_weight).astype(dtype)
        total = weighted.sum()
    if not np.isfinite(total):
        raise ValueError(
            f"class_weight={class_weight!r} times sample_weight is not finite in "
            f"{dtype} (the weights sum to {total}): scale the class weights down."
        )
    if not total > 0 and sample_weight.sum() > 0:
        raise ValueError(
            f"class_weight={class_weight!r} gives weight 0 to every sample with a "
            "positive sample_weight: at least one of them needs a positive "
            "class weight."
        )
    return weighted
