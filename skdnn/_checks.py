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

from numbers import Number

import numpy as np
from sklearn.utils._param_validation import Interval

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
