"""Checks of a fit's input that scikit-learn's parameter constraints cannot
express (SPEC.md, "Behaviour on bad input").

Each check raises a ``ValueError`` or ``TypeError`` naming the culprit
parameter or argument, before any training work, so that the estimator is left
as it was. The functions are pure (they read their arguments only), except
:func:`check_before_training`, which reads the parameters of the estimator it
is given, and :func:`physical_memory`, which asks the operating system.

Where they are called: :class:`IntervalNotBool` in the parameter
constraints; :func:`check_labels` at the top of the classifiers'
``_check_target``; :func:`check_class_weight` and :func:`apply_class_weight`
in their ``_apply_class_weights``; :func:`check_weight_sum` in
``BaseNetwork._sample_weight``; :func:`check_before_training` in
``BaseNetwork._start`` once the layer sizes are known, before the parameters
are initialised; :func:`check_split_weights` right after the
early-stopping split (``BaseNetwork._split``); and the checks of ``fit``'s
explicit validation set (:func:`check_validation_options`,
:func:`check_validation_X`, :func:`check_validation_y`,
:func:`check_validation_labels`, :func:`check_validation_weight`,
:func:`check_validation_weight_sum`) in ``BaseNetwork._start`` and
``BaseNetwork._validate_validation_set``.
"""

import math
import os
import sys
from numbers import Number, Real

import numpy as np
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import _get_feature_names

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


def check_labels(y, classes=None, y_name="y"):
    """Refuse class labels in ``y`` (and in ``partial_fit``'s ``classes``)
    that mix strings and numbers, or are neither; ``y_name`` is what the
    message calls ``y`` (``"y_val"`` for ``fit``'s validation labels).

    NumPy cannot sort such labels (``'<' not supported between 'int' and
    'str'``), so neither ``np.unique`` nor scikit-learn's target checks can
    say what is wrong. Only object arrays can mix them.

    Raises
    ------
    TypeError
        Naming ``y`` (or ``classes``) and an example label of each kind.
    """
    for name, labels in ((y_name, y), ("classes", classes)):
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


# -- step sizes ------------------------------------------------------------------------


def check_learning_rates(
    learning_rate, learning_rate_decay, first_epoch, n_epochs, dtype
):
    """The smallest learning rate of a fit, after checking that every rate is
    a normal float of ``dtype``.

    Epoch ``e`` uses ``learning_rate / (1 + learning_rate_decay * e)``, for
    ``e = first_epoch, ..., first_epoch + n_epochs - 1`` (``first_epoch`` is
    the ``n_iter_`` of an earlier fit that is continued). The rate only
    decreases, so the last epoch's is the smallest. A rate below the smallest
    normal float (``np.finfo(dtype).tiny``) is zero or subnormal: the updates
    are lost to underflow and dividing by the rate overflows.

    Raises
    ------
    ValueError
        Naming ``learning_rate`` if it is too small already, else
        ``learning_rate_decay``.
    """
    tiny = float(np.finfo(dtype).tiny)
    where = f"the smallest normal {np.dtype(dtype).name}"
    if not learning_rate >= tiny:
        raise ValueError(
            f"learning_rate={learning_rate!r} is below {tiny:.4g}, {where}: the "
            "updates would be lost to underflow. Use a larger learning_rate."
        )
    last = first_epoch + n_epochs - 1
    smallest = float(learning_rate) / (1 + float(learning_rate_decay) * last)
    if not (math.isfinite(smallest) and smallest >= tiny):
        largest = (learning_rate / tiny - 1) / max(last, 1)
        raise ValueError(
            f"learning_rate_decay={learning_rate_decay!r} makes the learning rate "
            f"of epoch {last}, learning_rate / (1 + learning_rate_decay * {last}) "
            f"= {smallest:.4g}, smaller than {tiny:.4g}, {where}. Use a "
            f"learning_rate_decay of at most {largest:.4g}."
        )
    return smallest


#: ``learning_rate * alpha / sum(sample_weight)`` beyond which each solver
#: diverges on the L2 penalty alone (see :func:`check_alpha`).
STABILITY_BOUNDS = {
    "gd": lambda momentum: 2.0,
    "momentum": lambda momentum: 2.0 * (1 + momentum) / (1 - momentum),
}


def check_alpha(alpha, learning_rate, weight_sum, solver, momentum, dtype):
    """Refuse an L2 penalty ``alpha`` that cannot be trained.

    With ``k = alpha / sum(sample_weight)`` the cost gains ``k/2 ||W||^2`` and
    the gradient ``k W``. The rules:

    1. ``k / 2`` and ``k`` must be finite in ``dtype`` (weights of order 1
       then give a finite cost and gradient).
    2. ``solver="gd"``: the penalty adds ``k`` to the curvature of the cost
       along every weight of the output layer, where the cross-entropy is
       convex, so the Hessian's largest eigenvalue is at least ``k``.
       Gradient descent with step ``lr`` is stable at a minimum only if
       ``lr * eigenvalue < 2``: with ``lr * k > 2`` no minimum is stable, and
       for logistic regression (Hessian ``>= k I`` everywhere) every update
       moves further than the last. ``solver="momentum"`` (``v := beta v +
       (1 - beta) dW``, heavy-ball with step ``lr (1 - beta)``) is stable only
       if ``lr * k < 2 (1 + beta) / (1 - beta)``. ``lr`` is the smallest
       learning rate of the fit (``learning_rate`` is passed that), and
       mini-batches divide by less than ``sum(sample_weight)``, so the rule
       only refuses fits in which every update diverges. Adam scales its
       steps by the gradient's size: only rule 1 applies.

    Raises
    ------
    ValueError
        Naming ``alpha`` (and ``learning_rate`` for rule 2).
    """
    if not alpha:
        return
    finfo = np.finfo(dtype)
    with np.errstate(over="ignore"):
        k = float(np.float64(alpha) / weight_sum)
    if not (math.isfinite(k) and k <= float(finfo.max)):
        raise ValueError(
            f"alpha={alpha!r} is too large: alpha / sum(sample_weight) = {k:.4g} "
            f"overflows {np.dtype(dtype).name}. Use a smaller alpha (or larger "
            "sample weights)."
        )
    bound = STABILITY_BOUNDS.get(solver)
    if bound is not None and learning_rate * k > bound(momentum):
        limit = bound(momentum)
        raise ValueError(
            f"alpha={alpha!r} is too large for learning_rate: the L2 penalty "
            f"alone makes solver={solver!r} diverge, as learning_rate * alpha / "
            f"sum(sample_weight) = {learning_rate:.4g} * {alpha!r} / "
            f"{float(weight_sum):.4g} = {learning_rate * k:.4g} exceeds {limit:.4g} "
            "(with the smallest learning rate of the fit). Use alpha < "
            f"{limit * float(weight_sum) / learning_rate:.4g} or a smaller "
            "learning_rate."
        )


# -- memory ----------------------------------------------------------------------------


def physical_memory():
    """Bytes of physical memory of this machine.

    ``SC_PAGE_SIZE * SC_PHYS_PAGES`` where ``os.sysconf`` knows them (Linux,
    macOS); else the address space, ``sys.maxsize``, which no allocation can
    exceed either.
    """
    try:
        size = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return sys.maxsize
    return size if size > 0 else sys.maxsize


def _format_bytes(n):
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "bytes" else f"{n} bytes"
        n /= 1000
    return None  # pragma: no cover


def fit_bytes(layer_sizes, batch_rows, itemsize):
    """Estimated bytes a fit allocates: ``(parameters, activations)``.

    Parameters, their gradients and the optimiser's state (up to two arrays
    for Adam): 4 arrays the size of all ``W[l]`` and ``b[l]``. Activations:
    3 buffers (``Z``, ``A``, ``dZ``) of ``batch_rows`` rows per layer.
    """
    n_params = sum(
        (n_in + 1) * n_out
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
    )
    n_units = sum(layer_sizes[1:])
    return 4 * n_params * itemsize, 3 * batch_rows * n_units * itemsize


def check_memory(layer_sizes, batch_rows, batch_size, itemsize, available=None):
    """Refuse a network whose buffers (:func:`fit_bytes`) exceed the
    machine's physical memory (``available``, by default
    :func:`physical_memory`): it would end in a ``MemoryError`` or swapping.

    Raises
    ------
    ValueError
        Naming ``hidden_layer_sizes`` when even one row at a time is too
        much, else ``batch_size`` and how many rows would fit.
    """
    available = physical_memory() if available is None else available
    params, activations = fit_bytes(layer_sizes, batch_rows, itemsize)
    if params + activations <= available:
        return
    hidden = tuple(layer_sizes[1:-1])
    n_units = sum(layer_sizes[1:])
    memory = f"more than the {_format_bytes(available)} of memory of this machine"
    per_row = fit_bytes(layer_sizes, 1, itemsize)[1]
    if params + per_row > available:
        raise ValueError(
            f"hidden_layer_sizes={hidden!r} with {layer_sizes[0]} features needs "
            f"about {_format_bytes(params + activations)} to train "
            f"({params // (4 * itemsize)} parameters, each with a gradient and "
            f"optimiser state, and {n_units} units for each of {batch_rows} "
            f"rows), {memory}. Use fewer or narrower hidden layers."
        )
    raise ValueError(
        f"batch_size={batch_size!r} trains on {batch_rows} rows at once; with "
        f"hidden_layer_sizes={hidden!r} their activations need about "
        f"{_format_bytes(activations)} (3 buffers x {batch_rows} rows x "
        f"{n_units} units), {memory}. Use batch_size <= "
        f"{(available - params) // per_row} or narrower hidden layers."
    )


# -- early stopping's validation split -------------------------------------------------


def check_validation_split(y, validation_fraction):
    """Check, before splitting, that early stopping's stratified split of the
    labels ``y`` can give the training part and the held-out part (``ceil(
    validation_fraction * n)`` rows, as ``train_test_split`` takes) at least
    one row of each class.

    Raises
    ------
    ValueError
        Naming ``validation_fraction``, the row counts and the class.
    """
    n = len(y)
    labels, counts = np.unique(y, return_counts=True)
    n_classes = len(labels)
    n_val = math.ceil(validation_fraction * n)
    n_train = n - n_val
    rarest = int(np.argmin(counts))
    split = (
        "early_stopping's stratified split "
        f"(validation_fraction={validation_fraction!r})"
    )
    if counts[rarest] < 2:
        raise ValueError(
            f"{split} needs at least 2 rows of each class, one to train on and "
            f"one to validate on; class {labels[rarest].item()!r} has "
            f"{counts[rarest]} of the {n} rows. Give more rows or set "
            "early_stopping=False."
        )
    if n_val < n_classes:
        raise ValueError(
            f"{split} holds out {n_val} of the {n} rows; it needs at least "
            f"{n_classes}, one of each class. Use validation_fraction > "
            f"{n_classes - 1}/{n}."
        )
    if n_train < n_classes:
        raise ValueError(
            f"{split} leaves {n_train} of the {n} rows to train on; it needs at "
            f"least {n_classes}, one of each class. Use validation_fraction <= "
            f"{n - n_classes}/{n}."
        )


def check_unstratified_split(n, validation_fraction):
    """Early stopping's split of ``n`` rows without classes (the regressor)
    must leave at least one row on each side."""
    n_val = math.ceil(validation_fraction * n)
    if not 1 <= n_val <= n - 1:
        raise ValueError(
            f"early_stopping's split (validation_fraction={validation_fraction!r}) "
            f"holds out {n_val} of the {n} rows; it needs at least one row on "
            "each side. Give more rows or change validation_fraction."
        )


def check_split_weights(train_weight, validation_weight, validation_fraction):
    """Check, after early stopping's split, that both parts have a positive
    total weight: the training cost and the validation loss divide by it.

    Raises
    ------
    ValueError
        Naming ``sample_weight`` and ``validation_fraction``.
    """
    parts = (
        ("held out for validation", validation_weight),
        ("left to train on", train_weight),
    )
    for part, weight in parts:
        if not weight.sum() > 0:
            raise ValueError(
                f"early_stopping: the {weight.shape[0]} rows {part} "
                f"(validation_fraction={validation_fraction!r}) all have weight 0 "
                "(sample_weight times class_weight). Give some of them a "
                "positive sample_weight, change validation_fraction or "
                "random_state, or set early_stopping=False."
            )


# -- fit's explicit validation set (X_val, y_val, sample_weight_val) -------------------


def check_validation_options(X_val, y_val, sample_weight_val, early_stopping):
    """The rules of ``HistGradientBoostingClassifier.fit`` (scikit-learn 1.7)
    for an explicit validation set, with its messages: ``X_val`` and ``y_val``
    go together and need ``early_stopping=True``. ``sample_weight_val``
    without them is refused too (HistGradientBoosting ignores it).

    Raises
    ------
    ValueError
        Naming the argument that is missing or not wanted.
    """
    if X_val is not None and y_val is None:
        raise ValueError("X_val is provided, but y_val was not provided.")
    if y_val is not None and X_val is None:
        raise ValueError("y_val is provided, but X_val was not provided.")
    if sample_weight_val is not None and X_val is None:
        raise ValueError(
            "sample_weight_val is provided, but X_val and y_val were not "
            "provided: sample_weight_val weighs the rows of X_val."
        )
    if X_val is not None and not early_stopping:
        raise ValueError(
            "X_val and y_val are passed to fit while at the same time "
            "early_stopping is False. When passing X_val and y_val to fit, "
            "early_stopping should be set to True."
        )


def _check_named(values, name, **kwargs):
    """``check_array(values, **kwargs)``, its error messages naming ``name``
    (scikit-learn's say "Expected 2D array" or "Input contains NaN" without
    saying which input)."""
    try:
        with np.errstate(over="ignore"):  # a float64 X_val cast to float32
            return check_array(values, input_name=name, **kwargs)
    except (TypeError, ValueError) as exc:
        if name in str(exc):
            raise
        error = TypeError if isinstance(exc, TypeError) else ValueError
        raise error(f"{name}: {exc}") from exc


def check_validation_X(X_val, n_features, feature_names, dtype):
    """``X_val`` as a 2-D array of the fit's float ``dtype`` (float32 for a
    float32 fit, whatever ``X_val``'s own dtype), finite in that dtype, with
    the ``n_features`` columns of ``X`` and, when ``X`` had them, its
    ``feature_names`` in its order.

    Raises
    ------
    ValueError
        Naming ``X_val``.
    """
    names = _get_feature_names(X_val)
    if feature_names is not None:
        if names is None:
            raise ValueError(
                f"X_val has no feature names, but X has ({len(feature_names)} "
                "columns, from "
                f"{feature_names[0]!r}): give X_val the columns of X, by name."
            )
        if not np.array_equal(names, feature_names):
            unexpected = sorted(set(names) - set(feature_names))
            missing = sorted(set(feature_names) - set(names))
            what = (
                f"{unexpected} are not in X and {missing} are missing"
                if unexpected or missing
                else "they are the same names in another order"
            )
            raise ValueError(
                f"X_val's feature names differ from those of X: {what}. Give "
                "X_val the columns of X, in the same order."
            )
    X_val = _check_named(
        X_val, "X_val", dtype=dtype, ensure_min_samples=0, ensure_min_features=0
    )
    if X_val.shape[0] == 0:
        raise ValueError("X_val has no rows: a validation set needs at least one.")
    if X_val.shape[1] != n_features:
        raise ValueError(
            f"X_val has {X_val.shape[1]} features, but X has {n_features}: the "
            "validation set needs the columns of the training data."
        )
    return X_val


def check_validation_y(y_val, y, n_rows, numeric):
    """``y_val`` as an array of the shape of the training target ``y`` (a
    column vector is raveled for a 1-D ``y``), finite, one row per row of
    ``X_val`` (``n_rows``); numbers when ``numeric`` (the regressor). Labels
    are kept as they are: the target encodes them.

    Raises
    ------
    ValueError
        Naming ``y_val``.
    """
    y_val = _check_named(
        y_val,
        "y_val",
        ensure_2d=False,
        dtype="numeric" if numeric else None,
        ensure_min_samples=0,
    )
    if y.ndim == 1 and y_val.ndim == 2 and y_val.shape[1] == 1:
        y_val = y_val.ravel()
    if y_val.ndim != y.ndim or y_val.shape[1:] != y.shape[1:]:
        raise ValueError(
            f"y_val has shape {y_val.shape}, but y has shape {y.shape}: y_val "
            f"needs {'one target' if y.ndim == 1 else f'{y.shape[1]} columns'} "
            "per validation row, as y has."
        )
    if y_val.shape[0] != n_rows:
        raise ValueError(
            f"X_val has {n_rows} rows, but y_val has {y_val.shape[0]}: the "
            "validation set needs one target per row."
        )
    return y_val


def check_validation_labels(y_val, classes):
    """The labels of ``y_val`` must be among the ``classes`` of the fit (a
    1-D target), or 0 and 1 (a multilabel indicator matrix): the network
    has no output for any other.

    Raises
    ------
    ValueError or TypeError
        Naming ``y_val`` and the unseen labels.
    """
    if y_val.ndim == 2:
        if not np.isin(y_val, (0, 1)).all():
            raise ValueError(
                "y_val must be a 0/1 indicator matrix, as y is (multilabel); "
                "it has other values."
            )
        return
    check_labels(y_val, y_name="y_val")
    known = set(classes.tolist())
    unseen = [label for label in np.unique(y_val).tolist() if label not in known]
    if unseen:
        raise ValueError(
            f"y_val has labels {unseen!r} that are not among the classes of y, "
            f"{classes.tolist()!r}: the network has no output for them."
        )


def check_validation_weight(sample_weight_val, n_rows, dtype):
    """``sample_weight_val`` as ``n_rows`` finite weights ``>= 0`` of
    ``dtype`` (all ones when ``None``; a number is every row's weight, as
    ``_check_sample_weight`` reads it).

    Raises
    ------
    ValueError
        Naming ``sample_weight_val``.
    """
    if sample_weight_val is None:
        return np.ones(n_rows, dtype=dtype)
    if isinstance(sample_weight_val, Number):
        sample_weight_val = np.full(n_rows, sample_weight_val, dtype=dtype)
    weights = _check_named(
        sample_weight_val,
        "sample_weight_val",
        ensure_2d=False,
        dtype=dtype,
        ensure_min_samples=0,
    )
    if weights.shape != (n_rows,):
        raise ValueError(
            f"sample_weight_val has shape {weights.shape}, but X_val has "
            f"{n_rows} rows: it needs one weight per row, shape ({n_rows},)."
        )
    if (weights < 0).any():
        raise ValueError(
            f"sample_weight_val has negative weights (the smallest is "
            f"{weights.min()!r}): weights must be >= 0."
        )
    check_weight_sum(weights, "sample_weight_val")
    return weights


def validation_class_weights(y, y_val, class_weight):
    """The class weight of every row of ``y_val``, as the training rows get
    theirs: a dict is looked up by label; ``"balanced"`` takes the class
    shares of the training target ``y``, not of ``y_val`` (the rows held out
    by early stopping's own split get the weights computed on the whole
    ``y``). A multilabel column value that ``y`` lacks gets 0, as in
    ``compute_sample_weight(..., indices=...)``.
    """
    if isinstance(class_weight, dict) and y_val.ndim == 1:
        return _class_weights(y_val, class_weight)
    n = y.shape[0]
    both = np.concatenate([y, y_val])
    return compute_sample_weight(class_weight, both, indices=np.arange(n))[n:]


def check_validation_weight_sum(weights):
    """The validation loss divides by the sum of the validation weights
    (``sample_weight_val`` times ``class_weight``): it must be finite and
    positive.

    Raises
    ------
    ValueError
        Naming ``sample_weight_val`` (and ``class_weight``).
    """
    check_weight_sum(weights, "sample_weight_val times class_weight")
    if not weights.sum() > 0:
        raise ValueError(
            f"The {weights.shape[0]} rows of X_val all have weight 0 "
            "(sample_weight_val times class_weight): the validation loss "
            "divides by their sum. Give some of them a positive weight."
        )


# -- all checks that need the validated data -------------------------------------------


def check_before_training(
    estimator,
    X,
    y,
    sample_weight,
    layer_sizes,
    continuing,
    incremental,
    batch_rows,
    stratified,
    held_out=False,
):
    """Run the checks that need the validated ``X``, the labels ``y``, the
    weights and the layer sizes, before the parameters are initialised.

    ``continuing`` is a warm start or a later ``partial_fit`` (the epochs then
    go on from ``n_iter_``); ``incremental`` is ``partial_fit`` (one epoch,
    no early stopping); ``batch_rows`` the rows of one update; ``stratified``
    whether early stopping's split keeps the class shares (the classifiers);
    ``held_out`` whether ``fit`` was given a validation set (nothing is then
    split off).
    """
    est = estimator
    if est.early_stopping and not incremental and not held_out:
        if stratified:
            check_validation_split(y, est.validation_fraction)
        else:
            check_unstratified_split(len(y), est.validation_fraction)
    first_epoch = getattr(est, "n_iter_", 0) if continuing else 0
    n_epochs = 1 if incremental else est.max_iter
    smallest = check_learning_rates(
        est.learning_rate, est.learning_rate_decay, first_epoch, n_epochs, X.dtype
    )
    check_alpha(
        est.alpha, smallest, sample_weight.sum(), est.solver, est.momentum, X.dtype
    )
    rows = batch_rows
    chunks = getattr(X, "chunks", None)  # a dask array: one row block at a time
    if chunks:
        rows = min(rows, max(chunks[0]))
    check_memory(layer_sizes, rows, est.batch_size, X.dtype.itemsize)
